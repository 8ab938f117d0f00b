"""SymPy's ``simplify`` of a rational expression in powers, without what it cannot use there.

``sympy.simplify`` imports the physical-units package on every call that reaches
its end (about 0.1 s on first use, a third of a derivation of the kickstarting
limit) and runs passes for functions a closed form of a linear recurrence does not
have (trigonometric, hypergeometric, Bessel, logarithms, sums). On an expression
built of ``Add``, ``Mul`` and ``Pow`` over symbols and rational numbers, those
passes are the identity (where a step writes a power as ``exp(... log ...)``, the
expression goes to ``simplify``): :func:`simplify_rational` runs the remaining steps of
SymPy 1.14's ``simplify`` (``sympy/simplify/simplify.py``) in its order, with its
default ratio and measure, so the result is the same expression
(``tests/core/test_ratsimp.py`` compares the two on the branches of the report's
models and on random expressions). Any other expression goes to ``simplify``.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import _mexpand
from sympy.core.rules import Transform
from sympy.core.traversal import bottom_up
from sympy.simplify.radsimp import collect_abs, fraction, radsimp
from sympy.simplify.simplify import signsimp
from sympy.utilities.iterables import has_variety

from .sym import as_sympy, memo

#: simplify's defaults
RATIO = 1.7
MEASURE = sp.count_ops

_NODES = (sp.Add, sp.Mul, sp.Pow, sp.Symbol, sp.Integer, sp.Rational)


def is_rational_in_powers(expr) -> bool:
    """Whether ``expr`` is built of sums, products and powers of symbols and rational numbers.

    Examples
    --------
    >>> import sympy as sp
    >>> a, n = sp.symbols("a n")
    >>> [is_rational_in_powers(e) for e in (a**(n - 1) / (a - 1), sp.exp(a), a / 2.0)]
    [True, False, False]
    """
    return isinstance(expr, sp.Expr) and expr.is_commutative and all(
        isinstance(e, _NODES) for e in sp.preorder_traversal(expr))


@memo(4096)
def simplify_rational(expr):
    """``sympy.simplify(expr)`` for a rational expression in powers (any other: ``simplify`` itself).

    Examples
    --------
    >>> import sympy as sp
    >>> a, r, n = sp.symbols("alpha r n", positive=True)
    >>> simplify_rational(r**(1 - n) * (r**n - a**n) / (r - a))
    r*(1 - (alpha/r)**n)/(-alpha + r)
    >>> simplify_rational((a**2 - 1) / (a - 1))
    alpha + 1
    """
    given = expr = as_sympy(expr)
    if not is_rational_in_powers(expr):
        return sp.simplify(expr)
    if expr.is_zero:
        return sp.S.Zero if not expr.is_Number else expr
    original = expr = collect_abs(signsimp(expr))
    if not expr.args:
        return expr
    expr = bottom_up(expr, lambda w: getattr(w, "normal", lambda: w)())
    expr = sp.Mul(*sp.powsimp(expr).as_content_primitive())
    _e = sp.cancel(expr)
    expr1 = _shorter(_e, _mexpand(_e).cancel())
    expr2 = _shorter(sp.together(expr, deep=True), sp.together(expr1, deep=True))
    expr = _shorter(expr2, expr1, expr)
    expr = sp.factor_terms(expr, sign=False)
    if not is_rational_in_powers(expr):  # powsimp wrote a power of a power as exp(... log ...):
        return sp.simplify(given)  # simplify's passes for logarithms and exponentials apply

    short = _shorter(sp.powsimp(expr, combine="exp", deep=True), sp.powsimp(expr), expr)
    short = _shorter(short, sp.cancel(short))
    short = _shorter(short, sp.factor_terms(short), sp.expand_power_exp(sp.expand_mul(short)))
    if short.has(sp.exp):  # likewise: simplify's exptrigsimp applies
        return sp.simplify(given)
    expr = short.xreplace(_HOLLOW_MUL)

    numer, denom = expr.as_numer_denom()
    if denom.is_Add:
        num, den = fraction(radsimp(1 / denom, symbolic=False, max_terms=1))
        if num is not sp.S.One:
            expr = (numer * num).expand() / den
    if expr.could_extract_minus_sign():
        num, den = fraction(expr)
        if den != 0:
            expr = signsimp(-num / (-den))
    if MEASURE(expr) > RATIO * MEASURE(original):
        expr = original
    rv = expr.doit()
    return _shorter(rv, collect_abs(rv))


def _shorter(*choices):
    """The choice of fewest operations; the first of those on a tie (simplify's ``shorter``)."""
    if not has_variety(choices):
        return choices[0]
    return min(choices, key=MEASURE)


#: a product of a number and a sum, written out (simplify's "hollow" two-argument product)
_HOLLOW_MUL = Transform(
    lambda x: sp.Mul(*x.args),
    lambda x: x.is_Mul and len(x.args) == 2 and x.args[0].is_Number and x.args[1].is_Add
    and x.is_commutative)
