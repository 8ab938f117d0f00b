"""The benefit (or gain) of a model written as a first-order map of itself, certified by exact iteration."""

from __future__ import annotations

import functools

import sympy as sp

from ...core import sym as _sym
from ...core.params import n as N
from ...core.results import Result
from .base import (
    _AGREE,
    _DPS,
    B,
    B_n,
    B_prev,
    _at_previous,
    _at_start,
    _map_parts,
    _model,
    _power_form,
    _reduction,
    _tidy,
    c,
    default_model,
    theta,
)

__all__ = ["benefit_map", "gain_ratio"]


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
