"""Numbers for the fixed point: vectorized float64, any precision in mpmath (both bracketed), and the
map's direct iteration; :class:`Bstar` stands for the root where no closed form is known."""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

from ...core import sym as _sym
from ...numeric.compile import as_mpf
from .base import _MAX_NEWTON, C_PARAMETER, THETA_PARAMETER, B, c, default_model, theta
from .closed import _bound_parts, _closed_form
from .maps import _canonical, benefit_map

__all__ = ["Bstar", "fixed_point_value", "fixed_point_mp", "bracket", "iterate_map"]


class Bstar(sp.Function):
    r"""``Bstar(c, theta)``: the unique positive root of :math:`B = 1 + c B^{1-\theta}`.

    It stands (unevaluated) for the fixed point where no closed form is
    known; ``evalf`` solves it with :func:`fixed_point_mp`.

    Examples
    --------
    >>> Bstar(sp.Rational(1, 2), sp.Rational(1, 4)).evalf(12)
    1.76595885142
    """

    nargs = 2

    def _eval_evalf(self, prec):
        cv, tv = self.args
        if not (cv.is_number and tv.is_number):
            return None
        dps = mpmath.libmp.prec_to_dps(prec)
        value = fixed_point_mp(cv, tv, dps=dps + 5)
        return sp.oo if mpmath.isinf(value) else sp.Float(value, dps)

    def _latex(self, printer, exp=None):
        cv, tv = (printer._print(a) for a in self.args)
        body = rf"B^{{*}}\left({cv}, {tv}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


# -- numbers --------------------------------------------------------------------------------------
@functools.cache
def _functions(module):
    """Compiled h, h', the bounds and the theta = 0 branch, for ``module`` (numpy or mpmath)."""
    F = _canonical()
    h = F - B
    parts = _bound_parts()
    zero = _closed_form(sp.Integer(0))["expr"]
    (v0, c0), _ = zero.args
    return {
        "h": sp.lambdify((B, c, theta), h, modules=module),
        "hp": sp.lambdify((B, c, theta), sp.diff(h, B), modules=module),
        "lower": sp.lambdify((c, theta), parts["lower"], modules=module),
        "upper": sp.lambdify((c, theta), parts["upper"], modules=module),
        "zero_value": sp.lambdify(c, v0, modules=module),
        "zero_cond": sp.lambdify(c, c0, modules=module),
        "F": sp.lambdify((B, c, theta), F, modules=module),
    }


def _array(param, value):
    """``value`` as a float array, every element in the parameter's domain; else ValueError.

    The message names the parameter, the first offending value and the domain
    (:meth:`Parameter.validate <symrecycle.core.params.Parameter.validate>`).
    """
    expected = f"expected a real number or an array of real numbers in {param.domain_text}"
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"parameter {param.name!r}: got {value!r}, {expected}")
    raw = np.asarray(value)
    if raw.dtype.kind not in "iufO":
        raise ValueError(f"parameter {param.name!r}: got {value!r}, {expected}")
    try:
        arr = raw.astype(float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"parameter {param.name!r}: got {value!r}, {expected}") from None
    bad = ~np.isfinite(arr)
    if param.lower is not None:
        bad |= (arr <= float(param.lower)) if param.lower_open else (arr < float(param.lower))
    if param.upper is not None:
        bad |= (arr >= float(param.upper)) if param.upper_open else (arr > float(param.upper))
    if bad.any():
        param.validate(float(arr[bad].flat[0]))
        raise ValueError(  # pragma: no cover - validate raises first
            f"parameter {param.name!r}: got {arr[bad].flat[0]}, outside its domain {param.domain_text}")
    return arr


def _inputs(cv, tv):
    """Validated c and theta, broadcast and flattened (1-d float arrays), and their shape."""
    cv = _array(C_PARAMETER, cv)
    tv = _array(THETA_PARAMETER, tv)
    shape = np.broadcast_shapes(cv.shape, tv.shape)
    flat = [np.broadcast_to(x, shape).astype(float).ravel() for x in (cv, tv)]
    return flat[0], flat[1], shape


def _shaped(x, shape):
    return float(x[0]) if shape == () else x.reshape(shape)


def bracket(c, theta):
    r"""The derived bounds ``(L, U)`` on :math:`B^*` in float64 (arrays broadcast).

    At :math:`\theta = 0` both are the exact fixed point (``inf`` for
    :math:`c \ge 1`). Where :math:`c^{1/\theta}` overflows, ``inf``. In
    float64 the bounds carry rounding of relative size about
    :math:`\epsilon (1 + |\log c|)/\theta` (the power :math:`c^{1/\theta}`,
    and U's denominator :math:`L^{\theta} - c(1-\theta) \approx c\theta`
    where :math:`c^{1/\theta}` dominates L); exact bounds: :func:`bounds`.

    Examples
    --------
    >>> lo, hi = bracket(0.5, 0.25)
    >>> print(f"{lo:.4f} <= B* <= {hi:.4f}")
    1.5000 <= B* <= 1.7688
    """
    cv, tv, shape = _inputs(c, theta)
    lo, hi = _bracket(cv, tv)
    return _shaped(lo, shape), _shaped(hi, shape)


def _bracket(cv, tv):
    fns = _functions("numpy")
    lo, hi = np.empty(cv.shape), np.empty(cv.shape)
    zero = tv == 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        pos = ~zero
        if pos.any():
            lo[pos] = fns["lower"](cv[pos], tv[pos])
            hi[pos] = fns["upper"](cv[pos], tv[pos])
            big = ~np.isfinite(lo) & pos
            lo[big], hi[big] = np.inf, np.inf
            hi[pos & ~np.isfinite(hi)] = np.inf
    if zero.any():
        conv = np.asarray(fns["zero_cond"](cv[zero]), dtype=bool)
        val = np.full(conv.shape, np.inf)
        val[conv] = fns["zero_value"](cv[zero][conv])
        lo[zero], hi[zero] = val, val
    return lo, hi


def fixed_point_value(c, theta):
    r"""The fixed point :math:`B^*(c, \theta)` in float64, vectorized over arrays of c and theta.

    At :math:`\theta = 0` the derived closed form (``inf`` for
    :math:`c \ge 1`). For :math:`\theta > 0`: Newton's method on the concave
    :math:`h(B) = F(B) - B` from the derived upper bound U
    (:func:`bounds`), or, where U overflows and L does not, from a Newton
    step from L computed in h (by concavity it lands at or above
    :math:`B^*`, like U); from the right of the root the iterates decrease
    monotonically to :math:`B^*` and are kept above L; iteration stops when
    they stop decreasing (a few steps: U is a Newton step from L already).
    The result is checked: its last Newton correction must be within the
    float64 rounding of h, relative to :math:`|h'|`. ``inf`` where L (so
    :math:`B^*`) exceeds the float range.

    Parameters
    ----------
    c : float or array_like
        The map's coefficient, in [0, oo) (``alpha/(g r)``).
    theta : float or array_like
        In [0, 1].

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        naming the parameter, the value and the domain.
    ArithmeticError
        if Newton's result fails its check (naming c and theta).

    Examples
    --------
    >>> fixed_point_value([0.5, 0.5, 0.5], [0.0, 0.5, 1.0])
    array([2.       , 1.6403882, 1.5      ])
    >>> fixed_point_value(-0.5, 0.5)
    Traceback (most recent call last):
    ...
    ValueError: parameter 'c': got -0.5, outside its domain [0, oo)
    """
    cv, tv, shape = _inputs(c, theta)
    return _shaped(_solve(cv, tv)[0], shape)


def _solve(cv, tv):
    """``(B*, L, U)`` in float64 (1-d arrays); ArithmeticError where Newton's result fails its check."""
    fns = _functions("numpy")
    lo, hi = _bracket(cv, tv)
    out = np.maximum(hi, lo)  # U < L only by rounding, where c^(1/theta) dominates both
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        over = (tv > 0) & np.isfinite(lo) & ~np.isfinite(out)  # U overflows, L does not
        if over.any():
            lv, co, to = lo[over], cv[over], tv[over]
            out[over] = lv - fns["h"](lv, co, to) / fns["hp"](lv, co, to)
    live = (tv > 0) & np.isfinite(out)
    x = out[live]
    cl, tl, lol = cv[live], tv[live], lo[live]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(_MAX_NEWTON):
            if x.size == 0:
                break
            new = x - fns["h"](x, cl, tl) / fns["hp"](x, cl, tl)
            new = np.where(np.isfinite(new), np.maximum(new, lol), x)
            moving = new < x
            x = np.where(moving, new, x)
            if not moving.any():
                break
        # the last correction h/h' within the rounding of h (about eps (1 + |log x|) x) over |h'|
        slope = fns["hp"](x, cl, tl)
        step = np.abs(fns["h"](x, cl, tl) / slope)
        tol = 16 * np.finfo(float).eps * (1 + np.abs(np.log(x))) * x / np.maximum(np.abs(slope), 1e-300)
        bad = ~((step <= tol) & (slope < 0))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ArithmeticError(
            f"fixed_point_value: Newton's result {float(x[i])!r} at c = {float(cl[i])!r}, "
            f"theta = {float(tl[i])!r} is not a root "
            f"of h(B) = F(B) - B (last correction {step[i]:.3g}, rounding allows {tol[i]:.3g})")
    out[live] = x
    return out, lo, hi


def fixed_point_mp(c, theta, dps=50):
    r"""The fixed point :math:`B^*(c, \theta)` as an mpmath number, to ``dps`` digits.

    The same method as :func:`fixed_point_value` at ``dps + 10`` working
    digits; exact inputs (int, Fraction, SymPy Rational) are used exactly.
    ``mpmath.inf`` where the benefit diverges (:math:`\theta = 0`,
    :math:`c \ge 1`). The result x is checked, not trusted: h = F - B is
    positive below :math:`B^*` and negative above (:func:`fixed_point`), so
    :math:`h(x (1 - \delta)) \ge 0 \ge h(x (1 + \delta))`, :math:`\delta =
    10^{-dps}`, brackets :math:`B^*`; ArithmeticError where it does not.

    Examples
    --------
    >>> print(mpmath.nstr(fixed_point_mp(1, sp.Rational(1, 2), dps=30), 30))
    2.61803398874989484820458683437
    >>> fixed_point_mp(0.5, 2)
    Traceback (most recent call last):
    ...
    ValueError: parameter 'theta': got 2, outside its domain [0, 1]
    """
    for par, val in ((C_PARAMETER, c), (THETA_PARAMETER, theta)):
        if isinstance(val, sp.Basic):
            if not (val.is_Rational or val.is_Float):
                raise ValueError(f"parameter {par.name!r}: got {val!r}, expected a real number in "
                                 f"{par.domain_text}")
            par.validate(val if val.is_Rational else float(val))
        else:
            par.validate(val)
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 1:
        raise ValueError(f"dps: got {dps!r}, expected a positive integer")
    fns = _functions("mpmath")
    with _sym.workdps(dps + 10):
        cm, tm = as_mpf(c, dps + 10), as_mpf(theta, dps + 10)
        if tm == 0:
            x = fns["zero_value"](cm) if fns["zero_cond"](cm) else mpmath.inf
        else:
            lo, x = fns["lower"](cm, tm), fns["upper"](cm, tm)
            eps = mpmath.mpf(10) ** (-(dps + 8))
            for _ in range(_MAX_NEWTON):
                new = max(x - fns["h"](x, cm, tm) / fns["hp"](x, cm, tm), lo)
                if new >= x:
                    break
                done = x - new <= eps * x
                x = new
                if done:
                    break
            delta = mpmath.mpf(10) ** (-dps)
            below, above = (fns["h"](x * (1 + s * delta), cm, tm) for s in (-1, 1))
            if not below >= 0 >= above:
                raise ArithmeticError(
                    f"fixed_point_mp: Newton's result {mpmath.nstr(x, 15)} at c = {c}, theta = {theta} does "
                    f"not bracket B* to {dps} digits (h(x(1 - 1e-{dps})) = {mpmath.nstr(below, 5)}, "
                    f"h(x(1 + 1e-{dps})) = {mpmath.nstr(above, 5)}; expected >= 0 >= )")
    with _sym.workdps(dps):
        return +x


def iterate_map(count, c, theta, start=None):
    r"""The benefit :math:`B_1, \ldots, B_{count}` by iterating the derived map in float64.

    Unlike :meth:`Model.iterate <symrecycle.models.model.Model.iterate>`, which
    iterates the sequences (``r**n`` overflows floats), this iterates
    :math:`B_n = F(B_{n-1})` alone: any number of steps. Scalars are
    iterated in plain Python (fast); arrays broadcast, the iteration axis
    last. ``start`` defaults to the model's :math:`B_1`.

    Examples
    --------
    >>> iterate_map(4, 0.5, 1.0)
    array([1. , 1.5, 1.5, 1.5])
    >>> b = iterate_map(100_000, 0.5, 0.5)
    >>> bool(abs(b[-1] / fixed_point_value(0.5, 0.5) - 1) < 1e-15)
    True
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"parameter 'count': got {count!r}, expected a positive integer")
    cv, tv, shape = _inputs(c, theta)
    b1 = float(benefit_map(default_model()).meta["initial"]) if start is None else float(start)
    if shape == ():
        f = _functions("math")["F"]
        cs, ts = float(cv[0]), float(tv[0])
        out, x = [b1], b1
        for _ in range(count - 1):
            x = f(x, cs, ts)
            out.append(x)
        return np.array(out)
    F = _functions("numpy")["F"]
    cv, tv = cv.reshape(shape), tv.reshape(shape)
    out = np.empty((*shape, count))
    x = np.full(shape, b1)
    out[..., 0] = x
    with np.errstate(over="ignore"):
        for k in range(1, count):
            x = F(x, cv, tv)
            out[..., k] = x
    return out
