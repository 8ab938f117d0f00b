r"""Endogenous algorithmic progress: the benefit as a one-dimensional map, its fixed point and bounds.

The model file ``endogenous-progress.toml`` couples algorithmic progress to
the benefit of recycling,

.. math::

    C_n = r C_{n-1}, \quad P_n = g P_{n-1} \left(\frac{A_{n-1}}{P_{n-1} C_{n-1}}\right)^{\theta},
    \quad A_n = P_n C_n + \alpha A_{n-1}, \quad B_n = \frac{A_n}{P_n C_n},

a coupled, non-linear system for which the engine derives no closed form of
:math:`B_n`. This module derives, from the model object (its sequences and
metrics; nothing about the model is typed here):

1. the benefit as a map of itself, :math:`B_n = F(B_{n-1}) = 1 + c B_{n-1}^{1-\theta}`
   with :math:`c = \alpha/(g r)` (:func:`benefit_map`), and the gain over a
   world without recycling per iteration,
   :math:`G_n/G_{n-1} = (B_n/B_{n-1}) B_{n-1}^{\theta}` (:func:`gain_ratio`);
2. the fixed point :math:`B^* = F(B^*)`: closed forms where SymPy finds them
   (:math:`\theta = 0, 1/2, 1` and other rationals), uniqueness and monotone
   convergence of :math:`B_n` from :math:`B_1 = 1`, proved with SymPy
   (:func:`fixed_point`), lower and upper bounds for every :math:`\theta`
   (:func:`bounds`), and numeric solvers (:func:`fixed_point_value` in
   float64, vectorized; :func:`fixed_point_mp` at any precision);
3. the limits: :math:`\lim B_n = B^*` (:func:`benefit_limit`), the gain's
   growth factor per iteration :math:`B^{*\theta}` (:func:`gain_growth`) and
   that of adjusted compute, :math:`r g B^{*\theta}` (:func:`adjusted_growth`);
   all at parameter values: :func:`evaluate`.

Each derivation returns a :class:`~symrecycle.results.Result` whose
certificate says what was checked (exact iteration of the model, SymPy sign
proofs on the parameter domain, high-precision numbers).

Examples
--------
>>> m = benefit_map()
>>> m.expr
B**(1 - theta)*alpha/(g*r) + 1
>>> m.meta["coefficient"], m.meta["theta"]
(alpha/(g*r), theta)
>>> fixed_point(1).expr
c + 1
>>> round(evaluate(r=1.3, g=2.5, alpha=0.9, theta=0.5)["fixed_point"], 6)
1.317908
"""

from __future__ import annotations

import functools
import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from . import _sym
from .numeric import _mpf
from .params import Parameter
from .params import n as N
from .results import NotDerived, Result
from .usermodels import load_model, variant_path

__all__ = [
    # symbols
    "B", "c", "theta", "B_n", "B_prev", "Bstar", "C_PARAMETER", "THETA_PARAMETER",
    # derivations (Results)
    "benefit_map", "gain_ratio", "fixed_point", "bounds", "benefit_limit", "gain_growth",
    "adjusted_growth",
    # numbers
    "fixed_point_value", "fixed_point_mp", "bracket", "iterate_map", "evaluate",
    # the model
    "MODEL_NAME", "default_model",
]

#: the shipped model file analysed by default
MODEL_NAME = "endogenous-progress"

#: the map's coefficient (in the model's parameters: ``benefit_map().meta["coefficient"]``)
C_PARAMETER = Parameter("c", 0, None, description="coefficient c of the benefit map F(B) = 1 + c B^(1-theta)")
#: the elasticity of progress to the benefit
THETA_PARAMETER = Parameter("theta", 0, 1, description="elasticity of progress per iteration to the benefit")
c = C_PARAMETER.symbol
theta = THETA_PARAMETER.symbol
#: the map's variable: the benefit at the previous iteration
B = sp.Symbol("B", positive=True)
#: the benefits at n and n - 1, as :func:`gain_ratio` writes them
B_n = sp.Symbol("B_n", positive=True)
B_prev = sp.Symbol("B_{n-1}", positive=True)

#: theta at which :func:`fixed_point` states closed forms by default
CLOSED_FORM_THETAS = (sp.Integer(0), sp.Rational(1, 2), sp.Integer(1))
#: c at which a radical root is checked to be the positive one (both sides of every discriminant sign change
#: of the cubics and quartics up to theta = 3/4)
_C_SAMPLES = (0, sp.Rational(1, 100), sp.Rational(1, 2), 1, sp.Rational(3, 2), 2, 3, 10, 100)
#: (c, theta) at which results are compared with high-precision numbers
_GRID = tuple(itertools.product(
    (0, sp.Rational(1, 10), sp.Rational(9, 10), 1, 3, 20),
    (sp.Rational(1, 100), sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(9, 10), 1),
))
#: digits of the high-precision checks, and the agreement asked of them
_DPS, _AGREE = 40, sp.Rational(1, 10**30)
_MAX_NEWTON = 200
#: largest polynomial degree (denominator of theta) searched for radical roots
_MAX_DEGREE = 12


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


# -- the model ------------------------------------------------------------------------------------
@functools.cache
def default_model():
    """The shipped model ``endogenous-progress`` (read once)."""
    return load_model(variant_path(MODEL_NAME))


def _model(model):
    return default_model() if model is None else model


def _previous_symbols(model):
    return {s.name: sp.Symbol(f"{s.name}_{{n-1}}", positive=True) for s in model.sequences}


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
            raise ValueError(f"model {model.name!r}: {e} is neither at n nor at n-1")
        return prev[e.base.label.name]

    return expr.replace(lambda e: isinstance(e, sp.Indexed), sub)


def _at_start(model, expr):
    """``expr`` (a metric, with ``X[n]``) at the first index, from the initial values."""
    inits = {s.name: s.initial for s in model.sequences}
    for _ in range(len(inits) + 1):
        if not expr.atoms(sp.Indexed):
            break
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: inits[e.base.label.name])
    return sp.simplify(expr.subs(N, model.start))


def _tidy(expr):
    """A short form: powers of the same base combined, fractions expanded."""
    def expand(e):
        return sp.expand(e, power_exp=False)

    out = sp.powsimp(expand(sp.powsimp(expand(expr))))
    simp = sp.powsimp(expand(sp.powsimp(sp.simplify(out))))
    return simp if sp.count_ops(simp) < sp.count_ops(out) else out


def _power_form(expr):
    """``(a, k, e)`` if ``expr = a + k B**e`` with a, k, e free of B; else None."""
    terms = sp.Add.make_args(sp.expand(expr))
    power = [t for t in terms if t.has(B)]
    if len(power) != 1:
        return None
    coef, rest = power[0].as_independent(B, as_Add=False)
    base, exp = sp.powsimp(rest).as_base_exp()
    if base != B or exp.has(B):
        return None
    return sp.Add(*[t for t in terms if not t.has(B)]), coef, exp


@functools.cache
def _reduction(model, metric):
    """The metric at n as a function of itself at n - 1 (raises ValueError if it is not one)."""
    met = model.metric(metric)
    prev = _previous_symbols(model)
    now = _at_previous(model, met.expr, prev)
    before = _at_previous(model, met.expr.subs(N, N - 1), prev)
    # the adjusted sequence first, then the others in the order of the file
    order = [prev[model.adjusted]] + [p for name, p in prev.items() if name != model.adjusted]
    order = [p for p in order if before.has(p)]
    tried = []
    for sym in order:
        try:
            sols = sp.solve(sp.Eq(before, B), sym, dict=True)
        except NotImplementedError:  # pragma: no cover - SymPy gives up
            sols = []
        if len(sols) != 1:
            tried.append(f"{sym}: {len(sols)} solutions of {met.name}_{{n-1}} = B")
            continue
        sub = {sym: sols[0][sym]}
        F = _tidy(now.subs(sub))
        left = sorted(map(str, F.free_symbols & ({*prev.values(), N})))
        if not left:
            return {"prev": prev, "now": now, "eliminated": sym, "substitution": sub, "F": F}
        tried.append(f"eliminating {sym} via {sym} = {sub[sym]} leaves {', '.join(left)}")
    raise ValueError(
        f"model {model.name!r}: the metric {met.name!r} (= {sp.sstr(met.expr)}) does not reduce to a map of "
        f"itself, B_n = F(B_(n-1)): " + ("; ".join(tried) if tried else
                                          "it does not depend on the values at n-1")
    )


def _map_parts(model, metric="benefit"):
    """``(F, coefficient, theta)`` of ``F = 1 + c B**(1 - theta)``; ValueError otherwise."""
    F = _reduction(model, metric)["F"]
    form = _power_form(F)
    if form is None or form[0] != 1:
        raise ValueError(
            f"model {model.name!r}: the map of {metric!r} is F(B) = {sp.sstr(F)}; expected the form "
            "1 + c*B**(1 - theta), which the fixed-point analysis covers"
        )
    _, coef, exp = form
    th = sp.simplify(1 - exp)
    params = {p.symbol: p for p in model.parameters}
    if th not in params or params[th].interval != THETA_PARAMETER.interval:
        raise ValueError(
            f"model {model.name!r}: the map of {metric!r} is F(B) = {sp.sstr(F)} with exponent 1 - {th}; "
            f"expected 1 - theta for a parameter theta in {THETA_PARAMETER.domain_text}"
        )
    if not coef.is_nonnegative:
        raise ValueError(
            f"model {model.name!r}: the coefficient {coef} of the map of {metric!r} is not shown to be "
            f"nonnegative; expected c in {C_PARAMETER.domain_text}"
        )
    return F, coef, th


@functools.cache
def _coefficient(m):
    """``(c, theta)`` of the model's benefit map ``1 + c B**(1 - theta)``; the ValueError saying why if the
    map does not have that form."""
    bm = _benefit_map(m, m.metric().name)
    if "coefficient" not in bm.meta:
        _map_parts(m, m.metric().name)  # raises the ValueError saying why
    return bm.meta["coefficient"], bm.meta["theta"]


def _canonical():
    """The map as ``1 + c B**(1 - theta)`` in the symbols c, theta (the default model's map)."""
    m = default_model()
    _coefficient(m)
    return _benefit_map(m, m.metric().name).meta["canonical"]


# -- exact checks against the model ------------------------------------------------------------------
def _check_points(model, th=None):
    """Four rational parameter points for exact checks: theta (if given) at 0, 1/2, 1, 1/2; the
    other parameters at interior points of their domains, varied from point to point."""
    points = []
    for i, t in enumerate((sp.Integer(0), sp.Rational(1, 2), sp.Integer(1), sp.Rational(1, 2))):
        point = {} if th is None else {th: t}
        for j, p in enumerate(x for x in model.parameters if x.symbol != th):
            grid = p.interior_points()
            point[p.symbol] = sp.Rational(grid[(i + 2 * j + 1) % len(grid)])
        points.append(point)
    return points


def _metric_values(model, expr, seqs, count):
    return [expr.subs(N, model.start + k).replace(
        lambda e: isinstance(e, sp.Indexed),
        lambda e, k=k: seqs[e.base.label.name][int(e.indices[0].subs(N, model.start + k)) - model.start])
        for k in range(count)]


def _same(a, b):
    """Whether two numbers built exactly are equal: ``(equal, proved_exactly)``.

    SymPy simplifies the difference to 0, else they agree to _DPS digits.
    """
    d = a - b
    if d == 0 or (sp.count_ops(d) < 400 and _sym.is_zero(d)):
        return True, True
    val, scale = abs(sp.N(d, _DPS)), max(abs(sp.N(b, _DPS)), 1)
    return bool(val <= _AGREE * scale), False


# -- 1. the benefit map and the gain per iteration --------------------------------------------------
def benefit_map(model=None, metric="benefit") -> Result:
    r"""The metric as a map of itself, :math:`B_n = F(B_{n-1})`, derived from the model.

    The next terms of the sequences replace every value at n, the metric at
    n - 1 is set to :data:`B` and solved for one value at n - 1 (the
    adjusted sequence first), and what is left must depend on :data:`B` and
    the parameters only. For the endogenous-progress model

    .. math::

        F(B) = 1 + \frac{\alpha}{g r} B^{1-\theta}.

    Parameters
    ----------
    model : Model, optional
        Default: the shipped ``endogenous-progress`` model.
    metric : str
        The metric to reduce (default ``"benefit"``).

    Returns
    -------
    Result
        ``expr`` is F(B); ``meta`` has ``variable`` (B), ``eliminated``
        (the value at n - 1 solved for and its expression), ``initial`` (the
        metric at the first index), and, when F has the form
        ``1 + c*B**(1 - theta)``, ``coefficient`` (c) and ``theta``.

    Raises
    ------
    ValueError
        if the metric does not reduce to a map of itself (naming what is
        left), or the model has no such metric.

    Examples
    --------
    >>> r = benefit_map()
    >>> r.expr, r.verified
    (B**(1 - theta)*alpha/(g*r) + 1, True)
    >>> r.meta["initial"]
    1
    >>> benefit_map(metric="gain")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: model 'endogenous-progress': the metric 'gain' ... does not reduce to a map of itself...
    """
    m = _model(model)
    met = m.metric(metric)
    return _benefit_map(m, met.name)


@functools.cache
def _benefit_map(m, metric):
    met = m.metric(metric)
    red = _reduction(m, metric)
    F, sym = red["F"], red["eliminated"]
    b1 = _at_start(m, met.expr)
    try:
        _, coef, th = _map_parts(m, metric)
    except ValueError:
        coef = th = None
    lines = [
        f"{met.name}_n with the next terms of {', '.join(s.name for s in m.sequences)} substituted: "
        f"{sp.sstr(red['now'])}",
        f"{met.name}_(n-1) = B solved for {sym}: {sym} = {sp.sstr(red['substitution'][sym])}; "
        f"what is left depends on B and the parameters only",
        f"{met.name}_{m.start} = {sp.sstr(b1)} (initial values)",
    ]
    ok, exact, numeric, count = True, 0, 0, 5
    points = _check_points(m, th)
    for point in points:
        seqs = m.iterate_exact(point, count)
        vals = _metric_values(m, met.expr.subs(point), seqs, count)
        x = b1.subs(point)
        for k in range(count):
            same, proved = _same(x, vals[k])
            if not same:
                ok = False
                lines.append(f"differs from exact iteration at {point}, n = {m.start + k}: {x} != {vals[k]}")
                break
            exact, numeric = exact + proved, numeric + (not proved)
            x = F.subs(point).subs(B, vals[k])
    if ok:
        lines.append(
            f"{met.name}_{m.start} and F({met.name}_(n-1)) equal the model's exact iteration "
            f"(iterate_exact) at n = {m.start}..{m.start + count - 1} on {len(points)} rational points "
            f"({exact} values equal exactly" + (f", {numeric} to {_DPS} digits)" if numeric else ")")
        )
    conds = tuple(p.condition for p in m.parameters)
    meta = {"variable": B, "eliminated": (sym, red["substitution"][sym]), "initial": b1, "metric": met.name}
    notes = [f"assumes the sequences positive (as they are on the domain); {sym} eliminated"]
    if coef is not None:
        const, _, exp = _power_form(F)
        meta.update(coefficient=coef, theta=th, canonical=const + c * B ** exp.subs(th, theta))
        notes.append(f"F(B) = 1 + c B^(1-{th}) with c = {sp.sstr(coef)}")
    return Result(m.name, "map", F, f"{met.latex or met.name} = F(B_{{n-1}}), \\quad F(B)",
                  conds, ok, tuple(lines), tuple(notes), meta)


@functools.cache
def _ratio(m, target, through):
    """``target_n / target_(n-1)`` as R(B), B the metric ``through`` at n - 1; and q = R B / F(B)."""
    red = _reduction(m, through)
    prev = red["prev"]
    now = _at_previous(m, target, prev)
    before = _at_previous(m, target.subs(N, N - 1), prev)
    R = _tidy((now / before).subs(red["substitution"]))
    left = sorted(map(str, R.free_symbols & ({*prev.values(), N})))
    if left:
        raise ValueError(
            f"model {m.name!r}: {sp.sstr(target)} over one iteration is not a function of {through!r} "
            "at n-1: "
            f"with {red['eliminated']} eliminated it still depends on {', '.join(left)}"
        )
    F = red["F"]
    q = sp.powsimp(sp.simplify(R * B / F), force=False)
    tidy = _tidy(q)
    return R, (tidy if sp.count_ops(tidy) < sp.count_ops(q) else q)


def gain_ratio(model=None, metric="gain", through="benefit") -> Result:
    r"""The metric's growth over one iteration in terms of the benefit: :math:`G_n/G_{n-1}`.

    Derived from the model as for :func:`benefit_map`: the ratio
    :math:`R(B_{n-1})` of the metric at n over n - 1, with the value at
    n - 1 eliminated through the benefit. Divided by :math:`B_n/B_{n-1} =
    F(B_{n-1})/B_{n-1}` it leaves a factor :math:`q(B_{n-1})`; for the
    endogenous-progress model

    .. math::

        \frac{G_n}{G_{n-1}} = \frac{\alpha}{g r} + B_{n-1}^{\theta-1}
        = \frac{B_n}{B_{n-1}} B_{n-1}^{\theta},
        \qquad G_n = B_n \prod_{k=1}^{n-1} B_k^{\theta}.

    Parameters
    ----------
    model : Model, optional
        Default: the shipped ``endogenous-progress`` model.
    metric : str
        The metric whose ratio is taken (default ``"gain"``).
    through : str
        The metric the map is in (default ``"benefit"``).

    Returns
    -------
    Result
        ``expr`` in :data:`B_n` and :data:`B_prev`; ``meta``: ``in_previous``
        (R as a function of B, the benefit at n - 1), ``factor`` (q(B)),
        ``product`` (the metric at n as a product over the benefits
        ``B[k]``).

    Examples
    --------
    >>> r = gain_ratio()
    >>> r.expr
    B_n*B_{n-1}**theta/B_{n-1}
    >>> r.meta["in_previous"], r.meta["factor"]
    (B**(theta - 1) + alpha/(g*r), B**theta)
    """
    m = _model(model)
    return _gain_ratio(m, m.metric(metric).name, m.metric(through).name)


@functools.cache
def _gain_ratio(m, metric, through):
    met, thr = m.metric(metric), m.metric(through)
    R, q = _ratio(m, met.expr, through)
    bm = _benefit_map(m, through)
    F = bm.expr
    lines = [f"{met.name}_n/{met.name}_(n-1) = R(B) = {sp.sstr(R)}, B the {thr.name} at n-1",
             f"R(B) = (F(B)/B) q(B) with q(B) = {sp.sstr(q)} (SymPy: the difference simplifies to 0)"]
    ok = _sym.is_zero(R - F / B * q)
    g1, b1 = _at_start(m, met.expr), bm.meta["initial"]
    k = sp.Symbol("k", integer=True, positive=True)
    Bk = sp.IndexedBase("B")
    product = g1 / b1 * Bk[N] * sp.Product(q.subs(B, Bk[k]), (k, m.start, N - 1))
    count, exact, numeric = 5, 0, 0
    th = bm.meta.get("theta")
    for point in _check_points(m, th):
        seqs = m.iterate_exact(point, count)
        gs = _metric_values(m, met.expr.subs(point), seqs, count)
        bs = _metric_values(m, thr.expr.subs(point), seqs, count)
        for i in range(1, count):
            want = [gs[i] / gs[i - 1], gs[i]]
            got = [R.subs(point).subs(B, bs[i - 1]),
                   (g1 / b1 * bs[i] * sp.Mul(*[q.subs(point).subs(B, b) for b in bs[:i]])).subs(point)]
            for w, gv in zip(want, got):
                same, proved = _same(gv, w)
                if not same:
                    ok = False
                    lines.append(f"differs from exact iteration at {point}, n = {m.start + i}: {gv} != {w}")
                exact, numeric = exact + proved, numeric + (not proved)
    lines.append(f"R(B_(n-1)) and the product form equal the model's exact iteration at n = {m.start + 1}.."
                 f"{m.start + count - 1} on {len(_check_points(m, th))} rational points ({exact} values "
                 "equal exactly" + (f", {numeric} to {_DPS} digits)" if numeric else ")"))
    lines.append(f"{met.name}_{m.start} = {sp.sstr(g1)}, {thr.name}_{m.start} = {sp.sstr(b1)}: "
                 f"telescoping gives {met.name}_n = {sp.sstr(product)}")
    expr = B_n / B_prev * q.subs(B, B_prev)
    return Result(m.name, "ratio", expr, rf"\frac{{{met.name}_{{n}}}}{{{met.name}_{{n-1}}}}",
                  tuple(p.condition for p in m.parameters), ok and bm.verified, tuple(lines),
                  (f"B_n = F(B_(n-1)) is the {thr.name} ({sp.sstr(F)})",),
                  {"in_previous": R, "factor": q, "product": product, "metric": met.name})


# -- 2. the fixed point -----------------------------------------------------------------------------
def _positive(x):
    return sp.Symbol(x.name, positive=True)


@functools.cache
def _facts():
    """Proofs (SymPy) that B* is unique and B_n increases to it: ``(ok, lines, rate)``."""
    F = _canonical()
    h = F - B
    u, up = sp.Symbol("u", nonnegative=True), sp.Symbol("u", positive=True)
    on = {theta: 1 / (1 + u)}  # theta in (0, 1]  <->  u in [0, oo)
    d1, d2 = sp.diff(F, B), sp.diff(F, B, 2)
    inc = sp.simplify(d1.subs(on)).is_nonnegative
    conc = sp.factor(sp.simplify(d2.subs(on))).is_nonpositive
    near0 = sp.limit(F.subs(theta, 1 / (1 + up)), B, 0, "+")
    at1 = F.subs(theta, 1)
    ratio = sp.limit((F / B).subs(on), B, sp.oo)
    b1 = benefit_map(default_model()).meta["initial"]
    h1 = sp.simplify(h.subs(B, b1))
    c_fp = sp.solve(sp.Eq(F, B), c)
    rate = sp.factor(sp.simplify(d1.subs(c, c_fp[0]))) if len(c_fp) == 1 else None
    w = sp.Symbol("w", nonnegative=True)  # B* = 1 + w >= 1
    below1 = rate is not None and sp.factor(sp.simplify(1 - rate.subs(on).subs(B, 1 + w))).is_positive
    ok = bool(inc and conc and near0.is_positive and not at1.has(B) and at1.is_positive and ratio == 0
              and h1.is_nonnegative and below1)
    lines = [
        f"F(B) = {sp.sstr(F)}; theta in (0, 1] written theta = 1/(1 + u), u >= 0 (SymPy has no upper bounds)",
        f"F'(B) = {sp.sstr(sp.factor(d1))} >= 0: F is increasing (SymPy: {inc})",
        f"F''(B) = {sp.sstr(sp.factor(d2))} <= 0: F is concave (SymPy: {conc})",
        f"F(0+) = {near0} for theta < 1, F = {sp.sstr(at1)} for theta = 1: positive; "
        f"F(B)/B -> {ratio} as B -> oo",
        "so h(B) = F(B) - B is concave, positive at 0+ and tends to -oo: it has a positive root B*, and only "
        "one (roots x1 < x2 would give h(x1) >= (1 - x1/x2) h(0+) > 0 by concavity); h > 0 on (0, B*), "
        "h < 0 beyond",
        f"B_1 = {sp.sstr(b1)}, h(B_1) = {sp.sstr(h1)} >= 0, so B_1 <= B*; F increasing: B_n <= B* gives "
        "B_(n+1) = F(B_n) <= F(B*) = B*, and B_2 = F(B_1) >= B_1 gives B_(n+1) >= B_n: B_n increases "
        "monotonically, converges, and its limit is a fixed point of the continuous F: B*",
        f"at the fixed point c = {sp.sstr(c_fp[0]) if c_fp else '?'}: the rate F'(B*) = {sp.sstr(rate)} < 1 "
        f"for B* >= 1 (SymPy: {below1}; linear convergence)",
    ]
    return ok, tuple(lines), rate


def _signs_tidied(expr):
    """``expr`` or, if it reads with fewer minus signs, numerator and denominator negated."""
    num, den = sp.fraction(sp.together(expr))
    alt = sp.expand(-num) / sp.expand(-den)
    return alt if sp.sstr(alt).count("-") < sp.sstr(expr).count("-") else expr


def _real_positive(value):
    """Whether a number (SymPy) is real and positive, to _DPS digits."""
    v = sp.N(value, _DPS)
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return False
    re, im = sp.re(v), sp.im(v)
    return bool(abs(im) <= _AGREE * max(abs(re), 1) and re > 0)


def _rational_theta(value):
    """``value`` (a number in [0, 1]) as a SymPy Rational; a float as the short fraction it is."""
    if isinstance(value, sp.Basic) and not value.is_Rational:
        raise ValueError(f"parameter 'theta': got {value!r}, expected a rational number in "
                         f"{THETA_PARAMETER.domain_text}")
    THETA_PARAMETER.validate(value)
    q = Fraction(int(value.p), int(value.q)) if isinstance(value, sp.Basic) else Fraction(value)
    if isinstance(value, float):
        short = q.limit_denominator(_MAX_DEGREE)
        q = short if float(short) == value else q
    return sp.Rational(q.numerator, q.denominator)


@functools.cache
def _closed_form(t):
    """B* at theta = t (a Rational), derived: a dict with ``expr``, ``lines``, ``ok`` and, for t > 0,
    ``root`` (x) and ``power`` (q) with B* = x**q.

    :class:`~symrecycle.results.NotDerived` where SymPy finds no radical root.
    """
    F = _canonical().subs(theta, t)
    if t == 0:
        slope, curv = sp.diff(F, B), sp.diff(F, B, 2)
        (root,) = sp.solve(sp.Eq(F, B), B)
        cond = _sym.tidy_relational(sp.Lt(slope, 1))
        x, y = sp.symbols("x y")
        affine = curv == 0 and sp.expand(F.subs(B, x) - F.subs(B, y) - slope * (x - y)) == 0
        expr = sp.Piecewise((_signs_tidied(sp.simplify(root)), cond), (sp.oo, True))
        ok = affine and slope.is_nonnegative and _sym.is_zero(F.subs(B, root) - root)
        lines = [f"theta = 0: F(B) = {sp.sstr(F)} is affine with slope {slope} >= 0: B_(n+1) - B_n = "
                 f"{slope}^(n-1) (B_2 - B_1), B_2 - B_1 = {sp.sstr(sp.simplify(F.subs(B, 1) - 1))}; the "
                 f"iteration converges iff {cond}, to the root {sp.sstr(root)} of F(B) = B; "
                 "otherwise B_n -> oo"]
        return {"expr": expr, "lines": tuple(lines), "ok": bool(ok)}
    q = int(t.q)
    if q > _MAX_DEGREE:
        raise NotDerived(
            f"theta = {t}: B = x^{q} gives a polynomial of degree {q}; no radical roots sought above degree "
            f"{_MAX_DEGREE} (use fixed_point_value or fixed_point_mp)")
    x = sp.Symbol("x", positive=True)
    poly = sp.expand(sp.powdenest(sp.expand((F - B).subs(B, x**q)), force=True))  # x > 0: exact
    if not poly.is_polynomial(x):  # pragma: no cover - F has the form 1 + c B^(1-theta)
        raise NotDerived(f"theta = {t}: F(x^{q}) - x^{q} = {poly} is not a polynomial in x")
    P = sp.Poly(poly, x)
    cpos = sp.Symbol("c", positive=True)
    signs = [sp.sign(co.subs(c, cpos)) for co in P.all_coeffs() if co != 0]
    changes = sum(a != b for a, b in itertools.pairwise(signs))
    roots = sp.roots(P, multiple=True)
    if len(roots) != P.degree():
        raise NotDerived(
            f"theta = {t}: SymPy finds no radical roots of {P.as_expr()} = 0 (degree {P.degree()}); "
            "use fixed_point_value or fixed_point_mp")
    positive_c = [cv for cv in _C_SAMPLES if cv != 0]
    chosen = [rt for rt in roots if all(_real_positive(rt.subs(c, cv)) for cv in positive_c)]
    if any(s not in (1, -1) for s in signs) or changes != 1 or len(chosen) != 1:
        raise NotDerived(f"theta = {t}: no single radical expression of the positive root")
    (rt,) = chosen
    exact = _sym.is_zero(P.as_expr().subs(x, rt))
    expanded = sp.expand(rt**q)  # kept as x**q where expanding makes it longer
    expr = _sym.simplify_branch(expanded) if sp.count_ops(expanded) <= sp.count_ops(rt) + 10 else rt**q
    lines = [f"theta = {t}: B = x^{q} turns F(B) = B into {sp.sstr(P.as_expr())} = 0, with {changes} sign "
             "change of the coefficients for c > 0 (Descartes: one positive root); of SymPy's "
             f"{P.degree()} radical roots, x = {sp.sstr(rt)} is a root (SymPy: {exact}) and the one real and "
             f"positive at c in {{{', '.join(map(str, positive_c))}}} ({_DPS} digits); B* = x^{q}"]
    if not _real_positive(rt.subs(c, 0)):  # the radicals divide by c: c = 0 on its own
        (at0,) = sp.solve(sp.Eq(F.subs(c, 0), B), B)
        expr = sp.Piecewise((at0, sp.Eq(c, 0)), (expr, True))
        lines.append(f"the radical expression is undefined at c = 0, where F(B) = B gives B* = {at0}")
    return {"expr": expr, "lines": tuple(lines), "ok": bool(exact), "root": rt, "power": q}


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


# -- bounds ---------------------------------------------------------------------------------------
@functools.cache
def _bound_parts():
    """Lower and upper bounds on B* for theta in (0, 1], derived and proved: a dict."""
    cp, tp = _positive(c), _positive(theta)
    F = _canonical().subs({c: cp, theta: tp})
    h = F - B
    hp = sp.diff(h, B)
    lines, ok = [], True

    def simp(e):
        return sp.simplify(sp.powdenest(sp.expand(e), force=True))  # c > 0, real exponents: exact

    b1 = benefit_map(default_model()).meta["initial"]
    low1 = simp(F.subs(B, b1))
    lines.append(f"B* >= B_1 = {b1} (fixed_point), F increasing: B* = F(B*) >= F(B_1) = {sp.sstr(low1)}")
    # h(B)/B^(1-theta) = 0 at B*: drop its positive terms to get B*^theta > c
    scaled = sp.powsimp(sp.expand(h / B ** (1 - tp)), combine="exp")
    pos = [t for t in sp.Add.make_args(scaled) if t.has(B) and t.is_positive]
    rest = scaled - sp.Add(*pos)
    sol = [s for s in sp.solve(rest, B) if s.is_positive]
    if len(sol) != 1 or not pos:
        raise NotDerived("no lower bound from h(B)/B^(1-theta)")  # pragma: no cover
    x0 = sol[0]
    hx0 = simp(h.subs(B, x0))
    ok = ok and hx0.is_positive
    lines.append(f"h(B)/B^(1-theta) = {sp.sstr(scaled)} vanishes at B*; without its positive terms "
                 f"in B, {sp.sstr(sp.Add(*pos))}, it is {sp.sstr(rest)} < 0, so B* > {sp.sstr(x0)}; "
                 f"indeed h({sp.sstr(x0)}) = {sp.sstr(hx0)} > 0")
    low2 = simp(F.subs(B, x0))
    lines.append(f"F increasing: B* = F(B*) > F({sp.sstr(x0)}) = {sp.sstr(low2)}")
    lower = sp.Max(low1, low2)
    slope0 = simp(hp.subs(B, x0))
    gap = simp(low2 - x0)
    ok = ok and (-slope0).is_positive and gap.is_positive
    lines.append(f"h'({sp.sstr(x0)}) = {sp.sstr(slope0)} < 0 and h'' <= 0, so h' <= {sp.sstr(slope0)} on "
                 f"[{sp.sstr(x0)}, oo); the lower bound L = {sp.sstr(lower)} exceeds {sp.sstr(x0)} by at "
                 f"least {sp.sstr(gap)}: h'(L) < 0")
    L, U = sp.Symbol("L", positive=True), sp.Symbol("U", positive=True)
    newton = sp.factor(sp.simplify(L - h.subs(B, L) / hp.subs(B, L)))
    upper = newton.subs(L, lower)
    lines.append(f"h concave: 0 = h(B*) <= h(L) + h'(L) (B* - L), and h'(L) < 0: B* <= L - h(L)/h'(L) = "
                 f"{sp.sstr(newton)} (a Newton step from L)")
    secant = sp.simplify(L - h.subs(B, L) * (U - L) / (h.subs(B, U) - h.subs(B, L)))
    lines.append("h concave lies above its chord on [L, U]: the chord's root "
                 f"{sp.sstr(secant)} is at most B* (a refined lower bound)")
    # tightness at theta = 1 and (c < 1) at theta -> 0
    one = [simp(e.subs(tp, 1)) for e in (low1, low2, upper)]
    fp1 = _closed_form(sp.Integer(1))["expr"]
    tight1 = all(_sym.is_zero(e - fp1.subs(c, cp)) for e in one)
    v = sp.Symbol("v", positive=True)
    vanish = sp.limit(x0.subs(cp, 1 / (1 + v)), tp, 0, "+")
    zero_upper = sp.simplify(newton.subs(tp, 0).subs(L, low1.subs(tp, 0)))
    fp0 = _closed_form(sp.Integer(0))["expr"].args[0][0]
    tight0 = vanish == 0 and _sym.is_zero(zero_upper - fp0.subs(c, cp))
    ok = ok and tight1 and tight0
    lines.append(f"tight at theta = 1: both bounds equal {sp.sstr(fp1)} = B* ({tight1}); as theta -> 0+ with "
                 f"c < 1, {sp.sstr(x0)} -> {vanish}, L -> {sp.sstr(low1.subs(tp, 0))} and the upper bound -> "
                 f"{sp.sstr(zero_upper)} = B* at theta = 0 ({tight0})")
    back = {cp: c, tp: theta}
    return {"lower": lower.subs(back), "upper": sp.factor(upper.subs(back)), "newton": newton.subs(back),
            "secant": secant.subs(back), "threshold": x0.subs(back), "ok": bool(ok), "lines": tuple(lines),
            "L": L, "U": U}


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


def _brackets_grid(lower, upper):
    """Whether ``lower <= B* <= upper`` (expressions in c, theta) on the grid, by the sign of h = F - B at
    both, without a solver: ``(ok, line)``.

    h is concave, positive on (0, B*) and negative beyond (fixed_point's proofs), so h(x) >= 0 iff
    x <= B*: h(lower) >= 0 >= h(upper) brackets B*.
    """
    h = _canonical() - B
    ok, worst, count = True, 0.0, 0
    for cv, tv in _GRID:
        at = {c: cv, theta: tv}
        lo, hi = lower.subs(at), upper.subs(at)
        h_lo, h_hi = (sp.N(h.subs(at).subs(B, x), _DPS) for x in (lo, hi))
        lo, hi = sp.N(lo, _DPS), sp.N(hi, _DPS)
        # 0 where L = B* (theta = 1, c = 0): h vanishes there up to rounding, of size _AGREE times B
        if not (h_lo >= -_AGREE * lo and h_hi <= _AGREE * hi):
            ok = False
        worst = max(worst, float((hi - lo) / lo))
        count += 1
    return ok, (f"h(L) >= 0 >= h(U) (h = F - B, {_DPS} digits; h >= 0 exactly below B*) at {count} grid "
                f"points (c, theta): L <= B* <= U there" + ("" if ok else " FAILS")
                + f"; widest (U - L)/L: {worst:.3g}")


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
    (:meth:`Parameter.validate <symrecycle.params.Parameter.validate>`).
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
        cm, tm = _mpf(c, dps + 10), _mpf(theta, dps + 10)
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

    Unlike :meth:`Model.iterate <symrecycle.models.Model.iterate>`, which
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


# -- 3. limits ------------------------------------------------------------------------------------
def _in_model(expr, m):
    """A (c, theta) Piecewise in the model's parameters, conditions tidied."""
    coef, th = _coefficient(m)
    sub = {c: coef, theta: th}
    pieces = []
    for v, cond in _sym.pieces(expr):
        pieces.append((_sym.simplify_branch(v.subs(sub)) if not v.has(Bstar) else v.subs(sub),
                       _sym.tidy_condition(cond.subs(sub))))
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
        cond_m = _sym.tidy_condition(cond.subs(sub))
        if v is sp.oo:
            value = sp.limit(_sym.substitute_condition(R, cond_m), B, sp.oo)
            divergent = (value, cond_m)
            where = _sym.tidy_condition(sp.simplify_logic(only).subs(sub))
            lines.append(f"where B_n -> oo ({sp.sstr(where)}): R -> {sp.sstr(value)}")
        else:
            at = [e.rhs for e in _sym.equalities(cond) if e.lhs == theta]
            if at and at[0] in roots:  # B* = x**q with x > 0: (x**q)**theta denests
                x, power = roots[at[0]]
                value = sp.powdenest(_sym.substitute_condition(q.subs(B, x.subs(sub) ** power), cond_m),
                                     force=True)
            else:
                value = _sym.substitute_condition(q.subs(B, v.subs(sub)), cond_m)
            if not value.has(Bstar):
                value = _sym.simplify_branch(value)
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
