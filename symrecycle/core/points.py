"""Points on parameter sets: a condition reduced to the parameters' domains, and exact sample points
on every part of a set (its components, their intersections) for the checks."""

from __future__ import annotations

import itertools

import sympy as sp

from .conditions import _FLIP, Unsolved, solve_equality, split_equalities
from .params import n as N
from .sym import as_sympy, at_point, conjuncts, equalities, keyed, memo, unkeyed
from .truth import decided

__all__ = ["within_domain", "sample_points"]


def _linear_set(rel, sym):
    """The set where ``rel`` holds, for a relation linear in ``sym`` with numeric coefficients; else None."""
    diff = sp.expand(rel.lhs - rel.rhs)
    if not diff.is_polynomial(sym) or sp.degree(diff, sym) != 1:
        return None
    k, c = diff.coeff(sym, 1), diff.coeff(sym, 0)
    if not (k.is_number and c.is_number and k.is_real and c.is_real) or k == 0:
        return None
    x0 = -c / k
    op = type(rel) if k > 0 else _FLIP[type(rel)]
    return {
        sp.Lt: sp.Interval.open(-sp.oo, x0), sp.Le: sp.Interval(-sp.oo, x0),
        sp.Gt: sp.Interval.open(x0, sp.oo), sp.Ge: sp.Interval(x0, sp.oo),
        sp.Eq: sp.FiniteSet(x0), sp.Ne: sp.Union(sp.Interval.open(-sp.oo, x0), sp.Interval.open(x0, sp.oo)),
    }.get(op)


def within_domain(cond, params):
    """``cond`` with each relation on a single parameter decided by that parameter's domain.

    ``rho > 1`` is false for ``rho`` in ``(0, 1]``; ``rho <= 1`` is true there.

    Examples
    --------
    >>> from symrecycle.core.params import Parameter
    >>> rho, a, r = Parameter("rho", 0, 1, lower_open=True), sp.Symbol("a"), sp.Symbol("r")
    >>> within_domain(rho.symbol > 1, [rho]), within_domain(rho.symbol <= 1, [rho])
    (False, True)
    >>> within_domain((rho.symbol > 1) | (a < r), [rho])
    a < r
    """
    domains = {p.symbol: p.interval for p in params}

    def decide(rel):
        syms = rel.free_symbols
        if len(syms) != 1 or next(iter(syms)) not in domains:
            return rel
        (sym,) = syms
        try:
            holds = _linear_set(rel, sym)
            holds = (holds if holds is not None else rel.as_set()).intersect(domains[sym])
        except (NotImplementedError, TypeError, ValueError):  # pragma: no cover
            return rel
        if holds is sp.S.EmptySet:
            return sp.false
        if holds == domains[sym]:
            return sp.true
        return rel

    cond = as_sympy(cond)
    if cond in (sp.true, sp.false):
        return cond
    return cond.replace(lambda e: e.is_Relational, decide)


def sample_points(cond, params, count=3):
    """Up to ``count`` exact rational points of the domain where ``cond`` holds.

    Equalities of ``cond`` are imposed by solving them; the other parameters
    run over a few interior points of their domains.

    Examples
    --------
    >>> from symrecycle.core.params import STANDARD
    >>> params = [STANDARD["alpha"], STANDARD["r"]]
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> all(p[a] == p[r] for p in sample_points(sp.Eq(a, r), params, 2))
    True
    >>> all(p[a] < p[r] for p in sample_points(a < r, params))
    True
    """
    return [dict(pt) for pt in _sample_points(as_sympy(cond), keyed(params or ()), count)]


@memo(1024)
def _sample_points(cond, key, count):
    """:func:`sample_points`, remembered: the checks of several results sample the same cases."""
    params = unkeyed(key)
    if cond is sp.false:
        return []
    # a union, or a conjunct that is one, with equalities: points on each alternative
    ors = [a for a in conjuncts(cond) if isinstance(a, sp.Or) and a.atoms(sp.Eq)]
    if ors:
        rest = [a for a in conjuncts(cond) if a is not ors[0]]
        out = []
        for alt in ors[0].args:
            for pt in sample_points(sp.And(alt, *rest), params, count):
                if pt not in out:
                    out.append(pt)
        return out[: max(count, len(ors[0].args))]
    subs = {}
    c = cond
    while True:
        eqs = [e for e in equalities(c) if e not in (sp.true, sp.false)]
        eqs = [e for e in eqs if e.free_symbols - {N}]
        if not eqs:
            break
        try:
            s = solve_equality(eqs[0], prefer=[p.symbol for p in params])
        except Unsolved:  # several components: points on each of them
            parts = split_equalities(eqs[0])
            if len(parts) < 2:
                return []
            out = []
            for part in parts:
                for pt in sample_points(c.subs(eqs[0], part), params, count):
                    if pt not in out:
                        out.append({**pt, **{k: v.subs(pt) for k, v in subs.items()}})
            return out[: max(count, len(parts))]
        except ValueError:
            return []
        if not s:  # an identity: it imposes nothing
            c = c.subs(eqs[0], sp.true)
            continue
        subs = {k: v.subs(s) for k, v in subs.items()}
        subs.update(s)
        c = c.subs(s)
    if c is sp.false:  # the equalities' solutions meet none of the rest: no point to try
        return []
    free = [p for p in params if p.symbol not in subs]
    grids = [p.interior_points() for p in free]
    out = []
    # at most 512 combinations (512 more where those give no point), so that the work does not grow
    # with the number of parameters
    grids = [g[::2] + g[1::2] for g in grids]
    tuples = _index_tuples([len(g) for g in grids], out)
    for combo in (tuple(g[i] for g, i in zip(grids, idx)) for idx in tuples):
        point = {p.symbol: sp.Rational(v) for p, v in zip(free, combo)}
        full = dict(point)
        ok = True
        for sym, expr in subs.items():
            if sym == N:
                continue
            val = at_point(expr, point)
            val = val if val.is_Rational or not val.is_number else sp.nsimplify(val)
            par = next((p for p in params if p.symbol == sym), None)
            algebraic = val.is_number and val.is_real and val.is_algebraic and not val.is_Rational
            if algebraic and par is not None and par.interval.contains(val) is sp.true:
                full[sym] = val  # sqrt(2), say: exact iteration handles it
                continue
            if par is None or not val.is_Rational or not par.contains(_frac(val)):
                ok = False
                break
            full[sym] = val
        if not ok:
            continue
        held = decided(cond, {N: 3, **full})
        if held is not None:  # decided in fractions
            if held:
                out.append(full)
                if len(out) >= count:
                    break
            continue
        truth = at_point(cond, full)
        if truth.free_symbols - {N}:
            continue
        if truth.free_symbols:
            truth = at_point(truth, {N: 3})
        if truth is sp.true:
            out.append(full)
        if len(out) >= count:
            break
    return out


def _index_tuples(sizes, found, limit=512):
    """The index tuples into grids of ``sizes`` that sample points are tried at: :func:`_spread`, then,
    where those gave no point (``found`` still empty), ``itertools.product``'s order (the tuples not
    tried yet); at most ``limit`` of each.

    The first reach every parameter's values early; the second reach tuples where several
    parameters take high indices at once (``g > 6`` with ``beta r > 1``), which an order by the
    sum of indices does not within its limit.
    """
    tried = _spread(sizes, limit)
    yield from tried
    if found:
        return
    seen = set(tried)
    yield from (t for t in itertools.islice(itertools.product(*map(range, sizes)), limit) if t not in seen)


def _spread(sizes, limit=512):
    """Index tuples into grids of ``sizes``, by increasing sum of the indices, at most ``limit`` of them.

    Every grid moves from the start: in ``itertools.product``'s order the first parameter would keep
    its first values for the first ``limit`` tuples (with grids of 8, 6 and 8 values after it, 512
    tuples leave it at two values, and a condition such as ``r > 1`` met none of them).

    Examples
    --------
    >>> _spread([2, 3])
    [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (1, 2)]
    >>> _spread([8, 8, 8, 8], limit=5)
    [(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0), (0, 1, 0, 0), (1, 0, 0, 0)]
    >>> _spread([]), _spread([3, 0])
    ([()], [])
    """
    out = []
    for total in range(sum(max(s - 1, 0) for s in sizes) + 1):
        out += itertools.islice(_with_sum(sizes, total), limit - len(out))
        if len(out) >= limit:
            break
    return out


def _with_sum(sizes, total):
    """The index tuples into grids of ``sizes`` whose indices add up to ``total``."""
    if not sizes:
        if total == 0:
            yield ()
        return
    for i in range(min(sizes[0] - 1, total) + 1):
        for rest in _with_sum(sizes[1:], total - i):
            yield (i, *rest)


def _frac(val):
    from fractions import Fraction

    return Fraction(int(val.p), int(val.q))
