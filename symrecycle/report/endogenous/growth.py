"""Limits of the endogenous-progress model: lim B_n = B*, and the growth of the gain and of adjusted
compute per iteration; with numbers at parameter values (:func:`evaluate`)."""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from ...core import conditions as _cond
from ...core import sym as _sym
from ...core.params import n as N
from ...core.results import Result
from .base import B, _model, c, theta
from .closed import _facts
from .fixed import fixed_point
from .maps import _benefit_map, _check_points, _coefficient, _ratio
from .numbers import Bstar, _array, _shaped, _solve, fixed_point_value, iterate_map

__all__ = ["benefit_limit", "gain_growth", "adjusted_growth", "evaluate"]


# -- 3. limits ------------------------------------------------------------------------------------
def _in_model(expr, m):
    """A (c, theta) Piecewise in the model's parameters, conditions tidied."""
    coef, th = _coefficient(m)
    sub = {c: coef, theta: th}
    pieces = []
    for v, cond in _sym.pieces(expr):
        pieces.append((_cond.simplify_branch(v.subs(sub)) if not v.has(Bstar) else v.subs(sub),
                       _cond.tidy_condition(cond.subs(sub))))
    return sp.Piecewise(*pieces) if len(pieces) > 1 else pieces[0][0], coef, th


def benefit_limit(model=None) -> Result:
    r"""The limit of the benefit, :math:`\lim_{n\to\infty} B_n = B^*`, in the model's parameters.

    The benefit increases monotonically from :math:`B_1 = 1` to the unique
    fixed point of its map (proved in the certificate); the Piecewise is
    :func:`fixed_point` with :math:`c = \alpha/(g r)`:

    .. math::

        \lim_{n\to\infty} B_n = \begin{cases}
        \frac{g r}{g r - \alpha} & \theta = 0,\ \alpha < g r \\
        \infty & \theta = 0,\ \alpha \ge g r \\
        1 + \frac{\alpha}{g r} & \theta = 1 \\
        B^*\!\left(\frac{\alpha}{g r}, \theta\right) & \text{otherwise}.
        \end{cases}

    Examples
    --------
    >>> r = benefit_limit()
    >>> r.expr.args[0]
    (g*r/(-alpha + g*r), Eq(theta, 0) & (alpha < g*r))
    >>> r.verified
    True
    """
    m = _model(model)
    return _benefit_limit(m)


@functools.cache
def _benefit_limit(m):
    fp = fixed_point()
    expr, coef, th = _in_model(fp.expr, m)
    bm = _benefit_map(m, m.metric().name)
    lines = [f"the benefit map of {m.name}: {sp.sstr(bm.expr)} (benefit_map, "
             f"{'verified' if bm.verified else 'NOT verified'}), c = {sp.sstr(coef)}", *fp.certificate]
    ok = fp.verified and bm.verified
    # the model's own iteration approaches B*
    worst, count, n_iter = 0.0, 0, 400
    for point in _check_points(m, th):
        vals = {p.name: float(point[p.symbol]) for p in m.parameters}
        got = float(m.iterate(n_iter, metric=m.metric().name, last=True, **vals))
        cv = float(coef.subs(point))
        want = fixed_point_value(cv, vals[th.name])
        if math.isinf(want):
            continue
        worst = max(worst, abs(got / want - 1))
        count += 1
    ok = ok and worst <= 1e-12
    lines.append(f"model.iterate (float64) at n = {n_iter} equals fixed_point_value to a relative "
                 f"{worst:.1e} at {count} points (tolerance 1e-12: float rounding of the iteration)")
    return Result(m.name, "limit", expr, r"\lim_{n \to \infty} " + (m.metric().latex or m.metric().name),
                  tuple(p.condition for p in m.parameters), bool(ok), tuple(lines),
                  (*fp.notes, "the approach is monotone from below: B_n <= B_(n+1) <= B*"),
                  {"metric": m.metric().name, "coefficient": coef, "theta": th})


def _growth(m, target, name, label):
    """The limit of ``target_n / target_(n-1)``: q(B*) where B* is finite, lim R where B_n -> oo."""
    fp = fixed_point()
    coef, th = _coefficient(m)
    R, q = _ratio(m, target, m.metric().name)
    bm = _benefit_map(m, m.metric().name)
    sub = {c: coef, theta: th}
    roots = fp.meta["roots"]
    pieces, divergent = [], None
    lines = [f"{name}_n/{name}_(n-1) = R(B_(n-1)) = {sp.sstr(R)} = (B_n/B_(n-1)) q(B_(n-1)), "
             f"q(B) = {sp.sstr(q)} (SymPy); R is continuous, so the ratio tends to R(lim B_n)",
             "where B* is finite, F(B*) = B*: R(B*) = (F(B*)/B*) q(B*) = q(B*)"]
    for (v, cond), (_, only) in zip(_sym.pieces(fp.expr), _sym.exclusive_pieces(fp.expr)):
        cond_m = _cond.tidy_condition(cond.subs(sub))
        if v is sp.oo:
            value = sp.limit(_cond.substitute_condition(R, cond_m), B, sp.oo)
            divergent = (value, cond_m)
            where = _cond.tidy_condition(sp.simplify_logic(only).subs(sub))
            lines.append(f"where B_n -> oo ({sp.sstr(where)}): R -> {sp.sstr(value)}")
        else:
            at = [e.rhs for e in _sym.equalities(cond) if e.lhs == theta]
            if at and at[0] in roots:  # B* = x**q with x > 0: (x**q)**theta denests
                x, power = roots[at[0]]
                value = sp.powdenest(_cond.substitute_condition(q.subs(B, x.subs(sub) ** power), cond_m),
                                     force=True)
            else:
                value = _cond.substitute_condition(q.subs(B, v.subs(sub)), cond_m)
            if not value.has(Bstar):
                value = _cond.simplify_branch(value)
        pieces.append((value, cond_m))
    if roots:
        lines.append("at theta = p/q with a radical root x > 0, B* = x^q and (x^q)^theta = x^p")
    expr = sp.Piecewise(*pieces)
    ok = fp.verified and bm.verified
    # numbers: R at the iterated benefit against q(B*)
    worst, count, n_iter = 0.0, 0, 300
    params = [p.symbol for p in m.parameters]
    qf = sp.lambdify([*params, B], q, modules="math")
    rf = sp.lambdify([*params, B], R, modules="math")
    for point in _check_points(m, th):
        args = [float(point[p]) for p in params]
        cv, tv = float(coef.subs(point)), float(point[th])
        bstar = fixed_point_value(cv, tv)
        if math.isinf(bstar):
            continue
        got, want = rf(*args, float(iterate_map(n_iter, cv, tv)[-2])), qf(*args, bstar)
        worst = max(worst, abs(got / want - 1))
        count += 1
    ok = ok and worst <= 1e-12
    lines.append(f"R(B_{n_iter - 1}) (iterate_map) equals q(fixed_point_value) to a relative {worst:.1e} at "
                 f"{count} points (tolerance 1e-12)")
    return Result(m.name, "growth", expr, label, tuple(p.condition for p in m.parameters), bool(ok),
                  tuple(lines), (f"q(B) = {sp.sstr(q)}; c = {sp.sstr(coef)}",),
                  {"ratio": R, "factor": q, "coefficient": coef, "theta": th, "divergent": divergent})


def gain_growth(model=None, metric="gain") -> Result:
    r"""The gain's growth factor per iteration, :math:`\lim G_n/G_{n-1} = B^{*\theta}`.

    From :func:`gain_ratio`: :math:`G_n/G_{n-1} = (B_n/B_{n-1}) q(B_{n-1})`
    with :math:`q(B) = B^{\theta}`, and :math:`B_n \to B^*`. So the gain
    grows like :math:`(B^{*\theta})^n`, without bound when :math:`\alpha > 0`
    and :math:`\theta > 0`. Where the benefit diverges (:math:`\theta = 0`,
    :math:`\alpha \ge g r`) the ratio tends to :math:`\alpha/(g r)`.

    Examples
    --------
    >>> r = gain_growth()
    >>> r.expr.args[-1]
    (Bstar(alpha/(g*r), theta)**theta, True)
    >>> r.expr.args[3]
    (alpha/(g*r) + 1, Eq(theta, 1))
    """
    m = _model(model)
    met = m.metric(metric)
    return _gain_growth(m, met.name)


@functools.cache
def _gain_growth(m, metric):
    met = m.metric(metric)
    return _growth(m, met.expr, met.name,
                   rf"\lim_{{n \to \infty}} \frac{{{met.name}_{{n}}}}{{{met.name}_{{n-1}}}}")


def adjusted_growth(model=None) -> Result:
    r"""The growth of adjusted compute per iteration, :math:`\lim A_n/A_{n-1} = r g B^{*\theta}`.

    The effective growth per iteration: real compute r, exogenous progress
    g, and the endogenous boost :math:`B^{*\theta}`.

    Examples
    --------
    >>> adjusted_growth().expr.args[-1]
    (g*r*Bstar(alpha/(g*r), theta)**theta, True)
    """
    m = _model(model)
    return _adjusted_growth(m)


@functools.cache
def _adjusted_growth(m):
    A = sp.IndexedBase(m.adjusted)[N]
    label = rf"\lim_{{n \to \infty}} \frac{{{m.adjusted}_{{n}}}}{{{m.adjusted}_{{n-1}}}}"
    return _growth(m, A, m.adjusted, label)


def evaluate(model=None, **values) -> dict:
    r"""The fixed point and the limits at parameter values of the model (arrays broadcast).

    Parameters
    ----------
    model : Model, optional
        Default: the shipped ``endogenous-progress`` model.
    **values
        The model's parameters (``r``, ``g``, ``alpha``, ``theta``; others,
        such as ``C1``, are accepted and not needed).

    Returns
    -------
    dict
        ``c`` (the map's coefficient), ``fixed_point`` (:math:`B^* = \lim
        B_n`), ``lower`` and ``upper`` (:func:`bounds`), ``rate``
        (:math:`F'(B^*)`, the linear convergence rate), ``gain_growth`` and
        ``adjusted_growth`` (the limits of :func:`gain_growth` and
        :func:`adjusted_growth`).

    Examples
    --------
    >>> v = evaluate(r=1.3, g=2.5, alpha=0.9, theta=1.0)
    >>> round(v["fixed_point"], 6), round(v["gain_growth"], 6)
    (1.276923, 1.276923)
    >>> evaluate(r=1.3, g=2.5, alpha=0.9, theta=-1)
    Traceback (most recent call last):
    ...
    ValueError: parameter 'theta': got -1.0, outside its domain [0, 1]
    """
    m = _model(model)
    th = _coefficient(m)[1]
    fns = _evaluators(m)
    arrays = {}
    for name, value in values.items():
        p = m.parameter(name)
        arrays[p.symbol] = _array(p, value)
    need = fns["need"]
    for s in need:
        if s not in arrays:
            raise ValueError(f"missing parameter {s.name!r} (domain {m.parameter(s.name).domain_text})")
    shape = np.broadcast_shapes(*[x.shape for x in arrays.values()])
    flat = {k: np.broadcast_to(x, shape).astype(float).ravel() for k, x in arrays.items()}
    size = int(np.prod(shape))
    with np.errstate(divide="ignore", over="ignore"):
        cv = np.broadcast_to(fns["c"](*[flat[s] for s in need]), (size,))
    cv = np.asarray(cv, dtype=float)
    tv = flat[th]
    bstar, lo, hi = _solve(cv, tv)
    out = {"c": cv, "fixed_point": bstar, "lower": lo, "upper": hi}
    finite = np.isfinite(bstar)
    out["rate"] = np.full(size, np.nan)
    out["rate"][finite] = fns["rate"](bstar[finite], tv[finite])
    for key, (q, div) in fns["growth"].items():
        out[key] = _growth_values(q, div, fns["params"], flat, bstar)
    return {k: _shaped(v, shape) for k, v in out.items()}


@functools.cache
def _evaluators(m):
    """What :func:`evaluate` computes, compiled once per model (numpy)."""
    coef, th = _coefficient(m)
    need = sorted(coef.free_symbols | {th}, key=lambda s: s.name)
    params = [p.symbol for p in m.parameters]
    results = {"adjusted_growth": _adjusted_growth(m)}
    if any(x.name == "gain" for x in m.metrics):
        results = {"gain_growth": _gain_growth(m, "gain"), **results}
    growth = {key: (sp.lambdify([*params, B], res.meta["factor"], modules="numpy"),
                    None if res.meta["divergent"] is None
                    else sp.lambdify(params, res.meta["divergent"][0], modules="numpy"))
              for key, res in results.items()}
    return {"need": need, "params": params, "c": sp.lambdify(need, coef, modules="numpy"),
            "rate": sp.lambdify((B, theta), _facts()[2], modules="numpy"), "growth": growth}


def _growth_values(q, divergent, params, flat, bstar):
    """``q(B*)`` where B* is finite; the derived limit of the ratio where B_n -> oo (1-d arrays)."""
    full = [flat.get(s, np.ones(bstar.shape)) for s in params]
    finite = np.isfinite(bstar)
    out = np.empty(bstar.shape)
    out[finite] = q(*[a[finite] for a in full], bstar[finite])
    if (~finite).any():
        out[~finite] = divergent(*[a[~finite] for a in full])
    return out
