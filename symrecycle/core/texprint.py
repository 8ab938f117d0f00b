r"""LaTeX of expressions as a person writes it: SymPy's printer with a few rules of the page.

The rules change the printing only, never the expression:

1. A sum starts with a positive term where it has one: ``-alpha + r`` prints
   ``r - \alpha`` (SymPy's order is kept among the positive terms and among
   the negative ones; the first positive term moves to the front).
2. A product with a minus sign and a factor ``(u - v)^k``, ``k`` an odd
   integer, takes the sign into that factor when that leaves fewer minus
   signs: ``-1/(g (beta - 1))`` prints ``\frac{1}{g \left(1 - \beta\right)}``.
3. Cases print as amsmath ``cases``: ``v & \text{if } c`` rows, the last
   ``\text{otherwise}`` where its condition is ``True``.
4. A relation with a number on the left and none on the right is turned
   round: ``1 < g r`` prints ``g r > 1``.
5. A sum over the roots of a polynomial (``RootSum``) prints as a sum,
   ``\sum_{f(z) = 0}``.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

__all__ = ["TexPrinter", "latex"]

#: a relation turned round (its two sides swapped) keeps its meaning with this operator
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


class _Flipped(sp.Expr):
    """A sum shown with the sign of each of its terms changed (a stand-in for printing, never evaluated).

    ``args[0]`` is the sum as it is shown (``1 - beta`` for the factor
    ``beta - 1``). It sorts among a product's factors as a sum does and is
    put in parentheses where a sum would be.
    """

    is_commutative = True
    precedence = PRECEDENCE["Add"]

    @classmethod
    def class_key(cls):
        return sp.Add.class_key()

    def could_extract_minus_sign(self):
        return False

    def _latex(self, printer):
        return printer._print(self.args[0])


class TexPrinter(LatexPrinter):
    r"""SymPy's :class:`~sympy.printing.latex.LatexPrinter` with the rules of the page (see the module).

    Examples
    --------
    >>> import sympy as sp
    >>> a, r, g, b = sp.symbols("alpha r g beta", positive=True)
    >>> TexPrinter().doprint(r / (r - a))
    '\\frac{r}{r - \\alpha}'
    >>> TexPrinter().doprint(-1 / (g * (b - 1)))
    '\\frac{1}{g \\left(1 - \\beta\\right)}'
    """

    printmethod = "_latex"

    def __init__(self, settings=None):
        super().__init__(settings)
        self._muls: dict = {}

    # -- rule 1: a positive term first ---------------------------------------------------------------
    def _ordered_terms(self, expr, order=None) -> list:
        """The terms of a sum in SymPy's order, the first positive one moved to the front if none leads.

        SymPy's order is kept among the positive terms and among the negative
        ones. Where every term is negative, a product that rule 2 prints without
        its minus sign leads. A sum with an ``O(...)`` term keeps SymPy's order
        (the order term last).

        Examples
        --------
        >>> import sympy as sp
        >>> a, b, c = sp.symbols("a b c")
        >>> TexPrinter()._ordered_terms(-a - b + c)
        [c, -a, -b]
        >>> TexPrinter()._ordered_terms(a - b + c)
        [a, -b, c]
        >>> TexPrinter()._ordered_terms(-a - 1 / (b - 1))  # 1/(1 - b) - a
        [-1/(b - 1), -a]
        """
        terms = list(self._as_ordered_terms(expr, order=order))
        if not terms or not terms[0].could_extract_minus_sign() or any(t.is_Order for t in terms):
            return terms
        for i, t in enumerate(terms):
            if not t.could_extract_minus_sign():
                return [t, *terms[:i], *terms[i + 1:]]
        for i, t in enumerate(terms):  # every term negative: one that prints without its sign (rule 2)
            if t.is_Mul and not self._print(t).startswith("-"):
                return [t, *terms[:i], *terms[i + 1:]]
        return terms

    def _print_Add(self, expr, order=None):
        # as SymPy's, in the order above; a later negative term is subtracted (" - " and the term
        # without its sign), so rule 2 acts on a sum's first term only
        tex = ""
        for i, term in enumerate(self._ordered_terms(expr, order)):
            if i == 0:
                pass
            elif term.could_extract_minus_sign():
                tex += " - "
                term = -term
            else:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = rf"\left({term_tex}\right)"
            tex += term_tex
        return tex

    # -- rule 2: a minus sign taken into an odd power of a sum -----------------------------------------
    @staticmethod
    def absorbed(expr) -> list:
        r"""The ways to write a negative product ``expr`` with its sign taken into one odd power of a sum.

        Each is ``(product, stand_in)``: ``product`` equals ``expr`` with its
        coefficient's sign changed and one factor ``s**k`` (``k`` odd) written
        ``stand_in**k``, where ``stand_in`` shows ``-s``: with the stand-in
        replaced by the sum it shows, the product equals ``expr``.

        Examples
        --------
        >>> import sympy as sp
        >>> g, b = sp.symbols("g beta")
        >>> e = -1 / (g * (b - 1))
        >>> [(product, stand_in)] = TexPrinter.absorbed(e)
        >>> stand_in.args[0], sp.cancel(product.xreplace({stand_in: stand_in.args[0]}) - e) == 0
        (1 - beta, True)
        >>> TexPrinter.absorbed(-b * g / (g - 1)**2)
        []
        """
        if not isinstance(expr, sp.Mul) or not expr.could_extract_minus_sign():
            return []
        coeff, factors = expr.as_coeff_mul()
        out = []
        for i, f in enumerate(factors):
            base, k = f.as_base_exp()
            if isinstance(base, sp.Add) and k.is_Integer and k.is_odd and f.is_commutative:
                stand_in = _Flipped(-base)
                rest = factors[:i] + factors[i + 1:]
                out.append((sp.Mul(-coeff, *rest, sp.Pow(stand_in, k)), stand_in))
        return out

    def _print_Mul(self, expr):
        if not isinstance(expr, sp.Mul) or expr.has(_Flipped):
            return super()._print_Mul(expr)
        if expr in self._muls:
            return self._muls[expr]
        tex = super()._print_Mul(expr)
        for product, _ in self.absorbed(expr):
            other = super()._print_Mul(product)
            if other.count("-") < tex.count("-"):
                tex = other
        self._muls[expr] = tex
        return tex

    # -- rules 3 to 5 ----------------------------------------------------------------------------------
    def _print_Piecewise(self, expr):
        rows = []
        for value, cond in expr.args:
            when = r"\text{otherwise}" if cond == sp.true else rf"\text{{if }} {self._print(cond)}"
            rows.append(f"{self._print(value)} & {when}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Relational(self, expr):
        lhs, rhs = expr.lhs, expr.rhs
        if lhs.is_number and not rhs.is_number and expr.rel_op in _MIRROR:
            return super()._print_Relational(
                sp.Rel(rhs, lhs, _MIRROR[expr.rel_op], evaluate=False))
        return super()._print_Relational(expr)

    def _print_RootSum(self, expr):
        (z,), body = expr.fun.variables, expr.fun.expr
        poly = self._print(expr.poly.as_expr(z))
        return rf"\sum_{{{poly} = 0}} {self.parenthesize(body, PRECEDENCE['Add'])}"


def _as_basic(expr):
    """A SymPy object from a SymPy object or a Python number (text is refused, never read)."""
    if isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, bool):
        return sp.true if expr else sp.false
    if isinstance(expr, numbers.Integral):
        return sp.Integer(int(expr))
    if isinstance(expr, Fraction):
        return sp.Rational(expr.numerator, expr.denominator)
    if isinstance(expr, numbers.Real):
        return sp.Float(float(expr))
    raise TypeError(f"got {expr!r}; expected a SymPy expression or a number")


def latex(expr, **settings) -> str:
    r"""LaTeX of ``expr`` as a person writes it (the rules are in the module's text).

    ``settings`` are :class:`~sympy.printing.latex.LatexPrinter`'s.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r, g, b = sp.symbols("alpha r g beta", positive=True)
    >>> print(latex(sp.Piecewise((r / (r - a), a < r), (sp.oo, True))))
    \begin{cases} \frac{r}{r - \alpha} & \text{if } \alpha < r \\ \infty & \text{otherwise} \end{cases}
    >>> print(latex(1 - 1 / (g * r)), latex(-1 / (g * (b - 1))), latex(-b * g / (g * r - 1)**2))
    1 - \frac{1}{g r} \frac{1}{g \left(1 - \beta\right)} - \frac{\beta g}{\left(g r - 1\right)^{2}}
    >>> print(latex(sp.Lt(1, g * r, evaluate=False)))
    g r > 1
    """
    return TexPrinter(settings).doprint(_as_basic(expr))
