"""A condition decided at a rational point in Python's fractions: exact, and many times faster than SymPy.

The engine tries hundreds of grid points against one condition (sample points, a
case's closed domain ends). A condition built of relations between sums, products and
integer powers of symbols and rational numbers is compiled once into a function
of ``{symbol: Fraction}``; anything else (a root, a function, a float) is left to
SymPy (:func:`decided` returns None), as is a point where the condition divides by 0.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

import sympy as sp

from .sym import memo

__all__ = ["decided"]

_RELATIONS = {sp.Lt: operator.lt, sp.Le: operator.le, sp.Gt: operator.gt, sp.Ge: operator.ge,
              sp.Eq: operator.eq, sp.Ne: operator.ne}


def decided(cond, point):
    """Whether ``cond`` holds at ``point`` (``{symbol: rational number}``), decided in fractions; None
    where that cannot decide it (a term other than sums, products and integer powers, a value that is
    not rational, a symbol without a value, a division by 0 there).

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> decided((a < r) & sp.Ne(a * r, 1), {a: sp.Rational(1, 2), r: 2})
    False
    >>> decided(a / (r - 1) > 0, {a: 1, r: 1}) is None, decided(sp.sqrt(r) < 2, {r: 1}) is None
    (True, True)
    """
    f = _compiled(cond)
    if f is None:
        return None
    values = {}
    for k, v in point.items():
        if isinstance(v, sp.Rational):
            values[k] = Fraction(int(v.p), int(v.q))
        elif isinstance(v, (int, Fraction)) and not isinstance(v, bool):
            values[k] = Fraction(v)
        else:
            return None
    try:
        return f(values)
    except (ZeroDivisionError, KeyError):
        return None


@memo(4096)
def _compiled(e):
    """``e`` as a function of ``{symbol: Fraction}``, or None."""
    if e is sp.true or e is sp.false:
        held = e is sp.true
        return lambda v: held
    if isinstance(e, sp.Symbol):
        return lambda v: v[e]
    if isinstance(e, sp.Rational):
        c = Fraction(int(e.p), int(e.q))
        return lambda v: c
    parts = [_compiled(a) for a in e.args]
    if not e.args or any(f is None for f in parts):
        return None
    if isinstance(e, sp.Add):
        return lambda v: sum(f(v) for f in parts)
    if isinstance(e, sp.Mul):
        return lambda v: math.prod(f(v) for f in parts)
    if isinstance(e, sp.Pow) and e.exp.is_Integer:
        base, k = parts[0], int(e.exp)
        return lambda v: base(v) ** k
    if type(e) in _RELATIONS:
        op, lhs, rhs = _RELATIONS[type(e)], parts[0], parts[1]
        return lambda v: op(lhs(v), rhs(v))
    if isinstance(e, sp.And):
        return lambda v: all(f(v) for f in parts)
    if isinstance(e, sp.Or):
        return lambda v: any(f(v) for f in parts)
    if isinstance(e, sp.Not):
        return lambda v: not parts[0](v)
    return None
