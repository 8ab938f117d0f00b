"""The fixed point B* of the benefit map by regime of theta, its closed forms and proved bounds."""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

from ...core.results import Result
from .base import (
    _AGREE,
    _C_SAMPLES,
    _DPS,
    _GRID,
    C_PARAMETER,
    CLOSED_FORM_THETAS,
    MODEL_NAME,
    THETA_PARAMETER,
    c,
    default_model,
    theta,
)
from .closed import _bound_parts, _brackets_grid, _closed_form, _facts, _rational_theta
from .maps import _coefficient
from .numbers import Bstar, fixed_point_mp, fixed_point_value

__all__ = ["fixed_point", "bounds"]


def fixed_point(at_theta=None, closed_forms=CLOSED_FORM_THETAS) -> Result:
    r"""The fixed point :math:`B^* = F(B^*) = 1 + c B^{*\,1-\theta}`, the limit of the benefit.

    Closed forms are derived where SymPy finds them: at :math:`\theta = 0`
    the map is affine, :math:`B^* = 1/(1-c)` for :math:`c < 1` (else the
    benefit diverges); at :math:`\theta = p/q` the substitution
    :math:`B = x^q` gives a polynomial with one positive root (Descartes),
    solved in radicals (:math:`\theta = 1`: :math:`1 + c`;
    :math:`\theta = 1/2`: :math:`1 + c^2/2 + c\sqrt{c^2 + 4}/2`; cubics and
    quartics for thirds and quarters). For :math:`\theta \in (0, 1]` the
    certificate proves the fixed point unique and :math:`B_n` increasing to
    it from :math:`B_1 = 1`.

    Parameters
    ----------
    at_theta : number, optional
        A rational theta in [0, 1] (int, Fraction, SymPy Rational, or a float
        that is a short fraction): the closed form there. Default: a
        Piecewise over ``closed_forms``, ending in the unevaluated
        :class:`Bstar` ``(c, theta)``.
    closed_forms : tuple of Rational
        The theta of the Piecewise's closed-form branches.

    Returns
    -------
    Result
        In the symbols :data:`c` and :data:`theta`; ``meta["rate"]`` is the
        convergence rate :math:`F'(B^*)` as a function of B, ``meta["roots"]``
        the radical root x and power q (:math:`B^* = x^q`) by theta. Where a
        closed form loses digits in float64 (lambdify) against
        :func:`fixed_point_value`, the notes say so.

    Raises
    ------
    ValueError
        theta outside [0, 1] or not rational (naming the value and domain).
    NotDerived
        where SymPy finds no radical root (e.g. theta = 1/5).

    Examples
    --------
    >>> for value, condition in fixed_point().expr.args:
    ...     print(f"{value}   if {condition}")
    1/(1 - c)   if Eq(theta, 0) & (c < 1)
    oo   if Eq(theta, 0)
    c**2/2 + c*sqrt(c**2 + 4)/2 + 1   if Eq(theta, 1/2)
    c + 1   if Eq(theta, 1)
    Bstar(c, theta)   if True
    >>> fixed_point(0).expr
    Piecewise((1/(1 - c), c < 1), (oo, True))
    >>> fixed_point(1.5)
    Traceback (most recent call last):
    ...
    ValueError: parameter 'theta': got 1.5, outside its domain [0, 1]
    """
    if at_theta is not None:
        t = _rational_theta(at_theta)
        return _fixed_point_at(t)
    ts = tuple(sorted({_rational_theta(x) for x in closed_forms}))
    return _fixed_point_all(ts)


def _fp_result(expr, lines, ok, notes, th_cond, ts):
    f_ok, f_lines, rate = _facts()
    roots = {t: (_closed_form(t)["root"], _closed_form(t)["power"]) for t in ts if t != 0}
    notes = (*notes, *(n for t in ts for n in _float_conditioning(t)))
    return Result(
        MODEL_NAME, "fixed-point", expr, "B^{*}",
        (C_PARAMETER.condition, th_cond), ok and f_ok, (*f_lines, *lines), notes,
        {"rate": rate, "roots": roots},
    )


#: c at which closed forms are evaluated in float64 against fixed_point_value, and the agreement asked
_FLOAT_C = tuple(10.0**k for k in range(-6, 4))
_FLOAT_AGREE = 1e-12


@functools.cache
def _float_conditioning(t):
    """Notes on the closed form at theta = t in float64: lambdified (numpy) against fixed_point_value at
    c in _FLOAT_C; a note where it loses digits (empty where it does not)."""
    value = _closed_form(t)["expr"]
    cs = np.array(_FLOAT_C)
    with np.errstate(all="ignore"):
        got = np.asarray(sp.lambdify(c, value, modules="numpy")(cs), dtype=complex) * np.ones(cs.shape)
        want = fixed_point_value(cs, float(t))
        err = np.where(np.isfinite(want), abs(got - want) / want, 0.0)
    bad = ~(err <= _FLOAT_AGREE)  # nan (a complex intermediate, 0/0) counts as lost
    if not bad.any():
        return ()
    worst = [f"{e:.1e} at c = {cv:g}" if np.isfinite(e) else f"nan at c = {cv:g}"
             for cv, e in zip(cs[bad], err[bad])]
    return (f"theta = {t}: the closed form is badly conditioned in float64 (lambdify): relative error "
            f"against fixed_point_value {', '.join(worst)} (tolerance {_FLOAT_AGREE:g}); use "
            "fixed_point_value or evaluate it at high precision there",)


def _numeric_agreement(expr, points):
    """``expr`` (in c, theta) against :func:`fixed_point_mp` at ``points`` where ``expr`` is a closed form:
    ``(ok, line)``. Points on the :class:`Bstar` branch are skipped (its evalf is fixed_point_mp)."""
    worst, count = 0, 0
    for cv, tv in points:
        value = expr.subs({c: cv, theta: tv})
        if value.has(Bstar):
            continue
        want = fixed_point_mp(cv, tv, dps=_DPS)
        got = sp.N(value, _DPS)
        if got is sp.oo or mpmath.isinf(want):
            if not (got is sp.oo and mpmath.isinf(want)):
                return False, f"at c = {cv}, theta = {tv}: {got} against the numeric {want}"
        else:
            want = sp.Float(want, _DPS)
            worst = max(worst, abs(want - got) / want)
        count += 1
    return worst <= _AGREE, (
        f"the closed forms equal fixed_point_mp (Newton from the upper bound, result bracketed by the sign "
        f"of h, {_DPS} digits) at {count} points (c, theta) (largest relative difference {float(worst):.1e})")


@functools.cache
def _fixed_point_at(t):
    cf = _closed_form(t)
    expr, lines, ok = cf["expr"], cf["lines"], cf["ok"]
    nok, nline = _numeric_agreement(expr.subs(theta, t), [(cv, t) for cv in _C_SAMPLES])
    return _fp_result(expr, (*lines, nline), ok and nok, [f"theta = {t}; {_c_note()} (benefit_map)"],
                      sp.Eq(theta, t), (t,))


def _c_note():
    """``c = ...`` in the default model's parameters (derived: benefit_map)."""
    return f"c = {sp.sstr(_coefficient(default_model())[0])} in {MODEL_NAME}"


@functools.cache
def _fixed_point_all(ts):
    pieces, lines, ok = [], [], True
    for t in ts:
        cf = _closed_form(t)
        expr, ls, k = cf["expr"], cf["lines"], cf["ok"]
        lines += ls
        ok = ok and k
        if isinstance(expr, sp.Piecewise):
            pieces += [(v, sp.And(sp.Eq(theta, t), cond)) for v, cond in expr.args]
        else:
            pieces.append((expr, sp.Eq(theta, t)))
    pieces.append((Bstar(c, theta), True))
    expr = sp.Piecewise(*pieces)
    nok, nline = _numeric_agreement(expr, [*_GRID, *((cv, t) for t in ts for cv in _C_SAMPLES)])
    lines.append(nline)
    notes = [
        "Bstar(c, theta): the unique positive root of B = 1 + c B^(1-theta), no closed form for general "
        "theta; numbers: fixed_point_value (float64), fixed_point_mp (any precision)",
        f"{_c_note()} (benefit_map); B* = lim B_n (benefit_limit)",
    ]
    return _fp_result(expr, lines, ok and nok, notes, THETA_PARAMETER.condition, ts)


@functools.cache
def bounds() -> Result:
    r"""Lower and upper bounds on the fixed point for :math:`\theta \in (0, 1]`, derived and proved.

    .. math::

        L = 1 + \max\left(c, c^{1/\theta}\right) \le B^* \le
        \frac{L^{\theta} + c\,\theta L}{L^{\theta} - c\,(1 - \theta)} = U.

    L: :math:`B^* \ge F(B_1) = 1 + c`, and :math:`B^{*\theta} = c +
    B^{*\,\theta-1} > c` gives :math:`B^* > c^{1/\theta}`, so :math:`B^* >
    F(c^{1/\theta}) = 1 + c^{1/\theta}`. U: one Newton step on the concave
    :math:`h = F - B` from L (where :math:`h' \le -\theta < 0`) cannot fall
    short of :math:`B^*`. Both are tight at :math:`\theta = 1` (:math:`1 + c`)
    and U tends to :math:`1/(1 - c)` as :math:`\theta \to 0` (c < 1). The
    chord of h between L and U gives a refined lower bound
    (``meta["secant"]``). At :math:`\theta = 0` the fixed point is known
    exactly (:func:`fixed_point`).

    Returns
    -------
    Result
        ``expr`` is the pair ``(L, U)``; ``meta``: ``statement`` (``L <=
        Bstar(c, theta) <= U``), ``lower``, ``upper``,
        ``newton`` (U as a function of the symbol ``meta["L"]``),
        ``secant`` (the refined lower bound, in the symbols L and U),
        ``threshold`` (c^(1/theta)).

    Examples
    --------
    >>> b = bounds()
    >>> b.meta["lower"]
    Max(c + 1, c**(1/theta) + 1)
    >>> b.verified
    True
    """
    parts = _bound_parts()
    lower, upper = parts["lower"], parts["upper"]
    star = Bstar(c, theta)
    bok, bline = _brackets_grid(lower, upper)
    ok = parts["ok"] and bok
    lines = (*parts["lines"], bline)
    v0, cond0 = _closed_form(sp.Integer(0))["expr"].args[0]
    notes = (f"theta in (0, 1]; theta = 0: B* = {sp.sstr(v0)} for {sp.sstr(cond0)}, else the benefit "
             "diverges (fixed_point)",
             "bracket(c, theta) evaluates L and U; the refined lower bound is meta['secant'] at L, U")
    statement = sp.And(sp.Le(lower, star, evaluate=False), sp.Le(star, upper, evaluate=False))
    meta = {k: parts[k] for k in ("lower", "upper", "newton", "secant", "threshold", "L", "U")}
    return Result(MODEL_NAME, "bounds", sp.Tuple(lower, upper), r"\left(L, U\right)",
                  (C_PARAMETER.condition, sp.Contains(theta, sp.Interval.Lopen(0, 1), evaluate=False)),
                  bool(ok), lines, notes, {**meta, "statement": statement})
