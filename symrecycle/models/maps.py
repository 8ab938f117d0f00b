r"""A model's metric as a map of itself, :math:`M_n = F(M_{n-1})`, and its limit by regime.

For models without closed forms (a nonlinear or coupled system, or a
nonlinear first-order recurrence), :func:`metric_map` derives F from the
model's sequences: every value at n is replaced by its next term, the metric
at n - 1 is set to the map's variable and solved for one value at n - 1 (the
adjusted sequence first), and what is left must depend on the variable and
the parameters only. F is certified by exact iteration of the model.
:func:`limit` then takes the limit of the iteration from the metric's first
value by regime (:func:`symrecycle.solve.maps.limit_of_map`).

Examples
--------
>>> from symrecycle.io.modelfile import load_model, variant_path
>>> m = load_model(variant_path("endogenous-progress"))
>>> red = metric_map(m, m.metric())
>>> red.F, red.initial, red.verified
(B**(1 - theta)*alpha/(g*r) + 1, 1, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from ..core import conditions as _cond
from ..core import points as _core_points
from ..core import sym as _sym
from ..core.fixedpoint import FixedPoint
from ..core.params import as_array
from ..core.params import n as N
from ..core.results import NoClosedForm, NotDerived
from ..solve import maps as _maps
from ..solve.signs import sign_on
from . import checks

__all__ = ["MetricMap", "metric_map", "limit", "limit_result", "growth_limit", "bounds", "implicit_breakeven"]

#: digits of the checks that are not exact (irrational powers), and the agreement asked of them
DPS, AGREE = 40, sp.Rational(1, 10**30)
#: iterations of the float check of a limit, and the largest rate at which it is conclusive
CHECK_N, CHECK_RATE = 3000, 0.98


@dataclass(frozen=True)
class MetricMap:
    """``M_n = F(M_{n-1})``: the map ``F`` in the variable ``x``, the first value, and its certificate."""

    F: sp.Expr
    x: sp.Symbol
    initial: sp.Expr
    eliminated: tuple
    lines: tuple
    verified: bool


def _offset(ref):
    return sp.expand(ref.indices[0] - N)


def _at_previous(model, expr, prev):
    """``expr`` (with ``X[n]``, ``X[n-1]``) in the values at n - 1: next terms replace ``X[n]``."""
    nexts = {s.name: s.next for s in model.sequences}
    for _ in range(len(nexts) + 1):
        if not any(_offset(e) == 0 for e in expr.atoms(sp.Indexed)):
            break
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and _offset(e) == 0,
                            lambda e: nexts[e.base.label.name])

    def sub(e):
        if _offset(e) != -1:
            raise NotDerived(f"{e} is neither at n nor at n-1: the metric is not a first-order map")
        return prev[e.base.label.name]

    return expr.replace(lambda e: isinstance(e, sp.Indexed), sub)


def _at_start(model, expr):
    """``expr`` (a metric, with ``X[n]``) at the first index, from the initial values."""
    inits = {s.name: s.initial for s in model.sequences}
    for _ in range(len(inits) + 1):
        if not expr.atoms(sp.Indexed):
            break
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: inits[e.base.label.name])
    return sp.factor(sp.together(expr.subs(N, model.start)))


def _tidy(expr):
    """A short form of the map: powers of one base combined, fractions expanded."""
    out = sp.powsimp(sp.expand(sp.powsimp(sp.expand(expr, power_exp=False)), power_exp=False))
    other = sp.factor_terms(out)
    return other if sp.count_ops(other) < sp.count_ops(out) else out


def _variable_name(model, met):
    """The map's variable: the letter the metric's LaTeX writes (``B`` of ``B_{n}``), else ``x``; never a
    name the model already uses (a parameter named B would be captured by the map)."""
    taken = {p.name for p in model.parameters} | {s.name for s in model.sequences} | {"n"}
    head = (met.latex or "").split("_", 1)[0]
    for name in (head, "x", "x_star", *(f"x{i}" for i in range(1, 100))):
        if name.isidentifier() and len(name) <= 6 and name not in taken and not name.startswith("_"):
            return name
    raise NotDerived("no free name for the map's variable")


def metric_map(model, met) -> MetricMap:
    """The metric ``met`` as a map of itself (raises :class:`NotDerived` saying why it is not one)."""
    return _metric_map(model, met.name)


@_sym.memo(64)
def _metric_map(model, name) -> MetricMap:
    met = model.metric(name)
    if any(s.order > 1 for s in model.sequences):
        raise NotDerived("a sequence of order above 1: the metric is not reduced to a first-order map")
    prev = {s.name: sp.Symbol(f"{s.name}_prev", positive=True) for s in model.sequences}
    x = sp.Symbol(_variable_name(model, met), positive=True)
    now = _at_previous(model, met.expr, prev)
    before = _at_previous(model, met.expr.subs(N, N - 1), prev)
    order = [prev[model.adjusted]] + [p for name, p in prev.items() if name != model.adjusted]
    tried = []
    for sym in [p for p in order if before.has(p)]:
        sols = sp.solve(sp.Eq(before, x), sym, dict=True)
        if len(sols) != 1:
            tried.append(f"{sym}: {len(sols)} solutions of {met.name}_(n-1) = {x}")
            continue
        F = _tidy(now.subs(sym, sols[0][sym]))
        left = sorted(map(str, F.free_symbols & {*prev.values(), N}))
        if left:
            tried.append(f"eliminating {sym} leaves {', '.join(left)}")
            continue
        lines = [f"{met.name}_n with the next terms substituted: {sp.sstr(now)}",
                 f"{met.name}_(n-1) = {x} solved for {sym}: {sym} = {sp.sstr(sols[0][sym])}; what is left, "
                 f"F({x}) = {sp.sstr(F)}, depends on {x} and the parameters only"]
        b1 = _at_start(model, met.expr)
        ok, line = _certify(model, met, F, x, b1)
        return MetricMap(F, x, b1, (sym, sols[0][sym]), (*lines, line), ok)
    raise NotDerived(
        f"the metric {met.name!r} (= {sp.sstr(met.expr)}) does not reduce to a map of itself, "
        f"M_n = F(M_(n-1)): " + ("; ".join(tried) if tried else "it does not depend on the values at n-1"))


def _points(model):
    """Four rational points, the parameters at interior points of their domains varied between them
    (a parameter on [0, 1] at 0, 1/2, 1 and 1/2 in turn: its ends are where a map changes form)."""
    out = []
    for i in range(4):
        pt = {}
        for j, p in enumerate(model.parameters):
            ends = p.closed_ends()
            if p.lower is not None and p.upper is not None and len(ends) == 2:
                grid = [p.lower, Fraction(p.lower + p.upper, 2), p.upper, Fraction(p.lower + p.upper, 2)]
            else:
                inner = p.interior_points()
                grid = [inner[(i + 2 * j + k) % len(inner)] for k in range(4)]
            pt[p.symbol] = sp.Rational(grid[i % len(grid)])
        out.append(pt)
    return out


def _same(a, b):
    """``(equal, exactly)``: the difference is 0, else they agree to AGREE (each evaluated to DPS digits
    apart: ``evalf`` of a difference that is 0 but not proved so raises its precision over and over)."""
    d = a - b
    if d == 0 or (sp.count_ops(d) < 400 and _sym.is_zero(d)):
        return True, True
    va, vb = sp.N(a, DPS), sp.N(b, DPS)
    return bool(abs(va - vb) <= AGREE * max(abs(vb), 1)), False


def _certify(model, met, F, x, b1, count=5):
    exact = numeric = 0
    pts = _points(model)
    for pt in pts:
        vals = model.metric_exact_at(met.expr, pt, range(model.start, model.start + count))
        want = [b1.subs(pt), *[F.subs(pt).subs(x, v) for v in vals[:-1]]]
        for k, (got, v) in enumerate(zip(want, vals)):
            same, proved = _same(got, v)
            if not same:
                return False, f"F differs from exact iteration at {pt}, n = {model.start + k}: {got} != {v}"
            exact, numeric = exact + proved, numeric + (not proved)
    return True, (f"M_{model.start} and F(M_(n-1)) equal the model's exact iteration at n = {model.start}.."
                  f"{model.start + count - 1} on {len(pts)} rational points ({exact} values equal exactly"
                  + (f", {numeric} to {DPS} digits)" if numeric else ")"))


def limit(model, met):
    """``(cases, lines, verified, metric_map)``: the limit of the metric by regime, through its map."""
    red = metric_map(model, met)
    found = _maps.limit_of_map(red.F, red.x, red.initial, model.parameters)
    lines = [*red.lines, f"the iteration starts at {met.name}_{model.start} = {sp.sstr(red.initial)}"]
    ok = red.verified
    for case in found:
        lines.append(f"where {sp.sstr(case.condition)}: {sp.sstr(case.value)}"
                     + ("" if case.proved else " (NOT proved)"))
        lines += [f"  {line}" for line in case.lines]
        ok = ok and case.proved
    cases = [(c.value, c.condition) for c in found]
    cok, cline = _check_by_iteration(model, met, cases, {c.condition: c.rate for c in found})
    lines.append(cline)
    return cases, lines, ok and cok, red


def limit_result(model, met):
    """The limit of a metric without a closed form, through its map M_n = F(M_(n-1)), as a Result."""
    problem = model.closed_form_problem()
    try:
        cases, lines, ok, red = limit(model, met)
    except RecursionError:
        raise
    except NotDerived as exc:
        raise NoClosedForm(f"{problem}; and {exc}") from exc
    except checks.ENGINE_ERRORS as exc:  # SymPy stopped inside the reduction: the model says why
        raise NoClosedForm(f"{problem}; and the metric is not reduced to a map of itself "
                           f"({type(exc).__name__} inside the reduction)") from exc
    cases = [(v, _core_points.within_domain(c, model.parameters)) for v, c in cases]
    cases = [(v, c) for v, c in cases if c is not sp.false]
    lines.insert(0, "no closed form of the metric at n: derived from the metric as a map of itself")
    note = f"{met.name}_n = F({met.name}_(n-1)) with F({red.x}) = {sp.sstr(red.F)}"
    # the rate of approach F'(x*) where the limit is finite: |F'(x*)| < 1 attracts, 0 <= F' monotonically
    slope = sp.diff(red.F, red.x)
    rates = [(_cond.simplify_branch(_cond.substitute_condition(slope.subs(red.x, v), c))
              if v.is_finite is not False else sp.nan, c) for v, c in cases]
    return model._result("limit", checks._piecewise(cases, model.parameters),
                         r"\lim_{n \to \infty} " + (met.latex or met.name), lines, ok, (note,),
                         metric=met.name, map=red.F, variable=red.x, start=red.initial,
                         rate=checks._piecewise(rates, model.parameters))


def _check_by_iteration(model, met, cases, rates):
    """Each case's value against the model's float iteration at n = CHECK_N, at sample points of the
    cases (one vectorized iteration over all of them); a case with no point compared is not verified."""
    pts = [(value, cond, pt) for value, cond in cases for pt in checks.sample(model, cond, 1)]
    if not pts:
        return False, "no sample point of the cases (so NOT compared with iteration)"
    compared, seen = [], set()
    for value, cond, pt in pts:  # a point where the approach is slow is not iterated at all
        v = value.subs(pt)
        if v is not sp.oo:
            rate = rates.get(cond)
            r = abs(float(rate.subs(pt).evalf(20))) if rate is not None else None
            if r is None or not math.isfinite(r) or r > CHECK_RATE:
                continue
        compared.append((v, pt))
        seen.add(cond)
    count, skipped = 0, len(pts) - len(compared)
    arrays = {p.name: np.array([float(pt[p.symbol]) for _, pt in compared]) for p in model.parameters}
    got_all = np.atleast_1d(np.asarray(model.iterate(CHECK_N, metric=met.name, last=True, **arrays),
                                       dtype=float)) if compared else []
    for (v, pt), got in zip(compared, got_all):
        if v is sp.oo:
            good = got > 1e6 or math.isinf(got)
        else:
            with mpmath.workdps(30):
                want = float(v.evalf(30))
            good = abs(got - want) <= 1e-9 * max(1.0, abs(want))
        if not good:
            return False, f"the model's float iteration at n = {CHECK_N} is {got} at {pt}, not {v}"
        count += 1
    unseen = [cond for _, cond in cases if cond not in seen]
    if unseen:
        return False, (f"where {sp.sstr(unseen[0])}: NOT compared with iteration (no sample point, or the "
                       f"approach is slow at each: rate |F'| > {CHECK_RATE})")
    return True, (f"equals the model's float iteration at n = {CHECK_N} (relative 1e-9) at {count} sample "
                  f"points of the cases" + (f"; {skipped} points where the rate |F'| > {CHECK_RATE} "
                                            "(slow approach) not compared" if skipped else ""))


def implicit_breakeven(expr, level, params):
    """``expr`` (a limit) with each case ``FixedPoint(F, x0)`` as ``F(level)``: ``x* = level`` exactly where
    ``F(level) = level``, for ``level >= x0`` (x* is the only fixed point above x0). Returns
    ``(expr, lines)``; :class:`NotDerived` where a case is not the fixed point alone or level >= x0
    is not proved."""
    pieces, lines = [], []
    for v, c in _sym.pieces(expr):
        if v.has(FixedPoint):
            if not isinstance(v, FixedPoint):
                raise NotDerived(f"the limit {sp.sstr(v)} is not a fixed point alone where {sp.sstr(c)}")
            (x, F), x0 = v.map, v.args[1]
            if sign_on(_sym.as_sympy(level) - x0, params) not in (1, "nonneg", 0):
                raise NotDerived(f"level {level} >= x0 = {sp.sstr(x0)} is not proved")
            v = F.subs(x, level)
            lines.append(f"where {sp.sstr(c)}: x* = {level} exactly where F({level}) = {level} "
                         f"({level} >= x0 = {sp.sstr(x0)}, and x* is the only fixed point above x0)")
        pieces.append((v, c))
    return (sp.Piecewise(*pieces) if len(pieces) > 1 else pieces[0][0]), lines


def has_fixed_point(expr) -> bool:
    """Whether ``expr`` holds a :class:`~symrecycle.core.fixedpoint.FixedPoint`."""
    return bool(_sym.as_sympy(expr).atoms(FixedPoint))


def growth_limit(model, met, target, cases):
    r"""The limit of ``target_n / target_(n-1)`` through the metric's map: ``R(M_(n-1))`` with R continuous,
    so the ratio tends to ``R(lim M_n)`` (``lim R`` as M -> oo where the metric diverges).

    ``cases``: the metric's limit as ``(value, condition)``. Returns ``(R, [(value, condition)], lines)``.
    """
    red = metric_map(model, met)
    prev = {s.name: sp.Symbol(f"{s.name}_prev", positive=True) for s in model.sequences}
    sym, sol = red.eliminated
    now = _at_previous(model, target, prev)
    before = _at_previous(model, target.subs(N, N - 1), prev)
    R = sp.powsimp(sp.cancel(sp.together((now / before).subs(sym, sol))), force=False)
    left = sorted(map(str, R.free_symbols & {*prev.values(), N}))
    if left:
        raise NotDerived(f"{sp.sstr(target)} over one iteration is not a function of the {met.name} at n-1: "
                         f"with {sym} eliminated it still depends on {', '.join(left)}")
    out = []
    for value, cond in cases:
        if value is sp.oo:
            v = sp.limit(R, red.x, sp.oo)
        else:
            v = _cond.substitute_condition(R.subs(red.x, value), cond)
            v = _cond.simplify_branch(v)
        out.append((v, cond))
    lines = [f"{sp.sstr(target)} over one iteration: R({red.x}) = {sp.sstr(R)} with {red.x} the {met.name} "
             "at n-1; R is continuous, so the ratio tends to R(lim)"]
    return R, out, lines


def bounds(model, met):
    r"""Bounds on the limit where it is a :class:`FixedPoint`: :math:`L = F(x_0) \le x^* \le U`.

    L: the iteration increases to :math:`x^*`. U: one Newton step on
    :math:`h = F - x` from L, :math:`U = L - h(L)/h'(L)`, an upper bound where
    h is concave on :math:`[x_0, \infty)` (:math:`h'' \le 0`, a sign proof) and
    :math:`h'(L) < 0`: the tangent at L lies above h. Returns
    ``(L, U, condition h'(L) < 0, lines, proved)``.
    """
    red = metric_map(model, met)
    x, F, x0 = red.x, red.F, red.initial
    h = F - x
    low = _cond.simplify_branch(F.subs(x, x0))
    slope = sp.diff(h, x).subs(x, low)
    up = sp.together(low - h.subs(x, low) / slope)
    upward = sign_on(sp.together(low - x0), model.parameters) in (1, "nonneg", 0)
    concave = _maps.sign_above(sp.diff(h, x, 2), x, x0, model.parameters) in (-1, "nonpos")
    ok = upward and concave
    lines = [f"L = F(x0) = {sp.sstr(low)}: the iteration increases to the fixed point (F(x0) >= x0 "
             + ("proved" if upward else "NOT proved") + "), so x_1 <= x*",
             f"U = L - h(L)/h'(L) = {sp.sstr(up)} (one Newton step on h = F - x): an upper bound where "
             f"h'(L) = {sp.sstr(slope)} < 0, h being concave for x >= x0 ("
             + ("proved: h'' <= 0)" if concave else "NOT proved)")]
    return low, up, slope < 0, lines, ok


def evaluate_by_iteration(model, metric, values, dps=None):
    """The metric at finite n by direct iteration, for a model without closed forms (n = inf: its limit).

    As :meth:`~symrecycle.models.model.Model.evaluate` returns numbers: arrays broadcast, a float for
    scalars, mpmath numbers with ``dps``. Each distinct n is one vectorized iteration over the points.
    """
    if "n" not in values:
        raise ValueError("missing parameter 'n' (a positive integer, or inf for the limit)")
    nvals = as_array("n", values["n"], integer=True, allow_inf=True)
    if (nvals < model.start).any():
        raise ValueError(f"parameter 'n': got {nvals.min()}, expected n >= {model.start}")
    params = {k: v for k, v in values.items() if k != "n"}
    shape = np.broadcast_shapes(nvals.shape, *[np.shape(v) for v in params.values()])
    out = np.empty(shape, dtype=object if dps else float)
    n_full = np.broadcast_to(nvals, shape)
    for u in np.unique(nvals):
        mask = n_full == u
        at = {k: (np.broadcast_to(v, shape)[mask] if np.ndim(v) else v) for k, v in params.items()}
        if np.isinf(u):
            got = model.evaluate("limit", metric=metric, dps=dps, **at)
        elif dps is None:
            got = model.iterate(int(u), metric=metric, last=True, **at)
        else:
            count = int(mask.sum())
            got = [model.iterate(int(u), metric=metric, dps=dps,
                                 **{k: (v[i] if np.ndim(v) else v) for k, v in at.items()})[-1]
                   for i in range(count)]
        out[mask] = np.broadcast_to(np.asarray(got, dtype=out.dtype), (int(mask.sum()),))
    return out[()] if shape == () else out


#: the longest iteration iterations_by_iteration looks along (doubling from 64)
MAX_ITERATIONS = 2**20


def iterations_by_iteration(model, metric, fraction, values, dps=None):
    """The first iteration n* from which the metric stays within ``1 - fraction`` of its limit, by direct
    iteration (a model without closed forms): an integer, where the closed forms' n* is the real root
    of their dominant term. ``inf`` where the limit is infinite or not met within
    :data:`MAX_ITERATIONS`; arrays broadcast (each round, four times longer, is one vectorized
    iteration over the points not yet settled). Floats only (``dps`` is not taken: n* is an integer).
    """
    if "n" in values:
        raise ValueError("parameter 'n': iterations-to does not depend on n; omit it")
    shape = np.broadcast_shapes(*[np.shape(v) for v in values.values()])
    size = int(np.prod(shape))
    flat = {k: np.broadcast_to(np.asarray(v, dtype=float), shape).reshape(size) for k, v in values.items()}
    star = np.broadcast_to(np.asarray(model.evaluate("limit", metric=metric, **values), dtype=float),
                           shape).reshape(size)
    out = np.full(size, np.inf)
    tol = (1 - float(fraction)) * np.abs(star)
    todo = np.nonzero(np.isfinite(star))[0]
    length = 64
    while todo.size and length <= MAX_ITERATIONS:
        at = {k: v[todo] for k, v in flat.items()}
        seq = np.asarray(model.iterate(length, metric=metric, **at), dtype=float).reshape(todo.size, -1)
        outside = ~(np.abs(seq - star[todo, None]) <= tol[todo, None])
        settled = ~outside[:, -1]
        width = outside.shape[1]
        last_out = np.where(outside.any(axis=1), width - 1 - np.argmax(outside[:, ::-1], axis=1), -1)
        out[todo[settled]] = model.start + last_out[settled] + 1
        todo = todo[~settled]
        length *= 4
    result = out.reshape(shape)
    return float(result) if shape == () else result
