r"""The fixed point a monotone iteration reaches, as a SymPy function.

``FixedPoint(Lambda(x, F), x0)`` is the root of :math:`F(x) = x` that the
iteration :math:`x_{k+1} = F(x_k)` from :math:`x_0` approaches when it is
monotone: the nearest root on the side :math:`F(x_0) - x_0` points to. The
engine (:mod:`symrecycle.solve.maps`) builds one only where it has proved that
this root exists and is the only one on that side, so the value is well
defined; it stays unevaluated while the map has free parameters.

* numbers: :func:`~.brackets.fixed_point_mp` (one root finder,
  :mod:`.brackets`, for numpy float arrays and mpmath numbers);
* derivatives by implicit differentiation,
  :math:`\partial x^*/\partial p = F_p / (1 - F_x)` at :math:`x^*`;
* LaTeX: :math:`\operatorname{fix}(x \mapsto F)`.

The module imports neither numpy nor the root finder: reading a cached result
that holds a FixedPoint needs the class only.

Examples
--------
>>> import sympy as sp
>>> x, c = sp.symbols("x c", positive=True)
>>> star = FixedPoint(sp.Lambda(x, 1 + c * sp.sqrt(x)), 1)
>>> star.subs(c, 1).evalf(20)  # (3 + sqrt(5))/2
2.6180339887498948482
>>> sp.diff(star, c)
sqrt(FixedPoint(Lambda(x, c*sqrt(x) + 1), 1))/(-c/(2*sqrt(FixedPoint(Lambda(x, c*sqrt(x) + 1), 1))) + 1)
"""

from __future__ import annotations

import mpmath
import sympy as sp

__all__ = ["FixedPoint"]


class FixedPoint(sp.Function):
    r"""The fixed point :math:`x^* = F(x^*)` reached by monotone iteration from ``x0``.

    Parameters
    ----------
    fun : Lambda
        The map, ``Lambda(x, F)``.
    x0 : Expr
        The start of the iteration.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> FixedPoint(sp.Lambda(x, (x + 2 / x) / 2), 1).evalf(15)  # Newton's map for sqrt(2)
    1.41421356237310
    >>> FixedPoint(x, 1)
    Traceback (most recent call last):
    ...
    TypeError: FixedPoint: expected a Lambda of one variable as the map, got x
    """

    nargs = 2
    is_real = True

    @classmethod
    def eval(cls, fun, x0):
        if not (isinstance(fun, sp.Lambda) and len(fun.variables) == 1):
            raise TypeError(f"FixedPoint: expected a Lambda of one variable as the map, got {fun}")
        return None

    @property
    def map(self):
        """``(x, F)``: the variable and the map's expression."""
        fun = self.args[0]
        return fun.variables[0], fun.expr

    def _eval_evalf(self, prec):
        if self.free_symbols:
            return None
        x, F = self.map
        f = sp.lambdify(x, F, modules="mpmath")
        x0 = self.args[1].evalf(prec)
        if not x0.is_Number:
            return None
        from .brackets import fixed_point_mp

        with mpmath.workprec(prec + 20):
            value = fixed_point_mp(f, mpmath.mpf(x0))
        return sp.Float(value, precision=prec)

    def _eval_derivative(self, s):
        x, F = self.map
        return (sp.diff(F, s) / (1 - sp.diff(F, x))).subs(x, self)

    def _latex(self, printer, exp=None):
        x, F = self.map
        tex = rf"\operatorname{{fix}}\left({printer._print(x)} \mapsto {printer._print(F)}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"
