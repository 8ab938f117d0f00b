"""The certificates of a :class:`~symrecycle.models.model.Model`'s results: exact iteration and checks.

Each check returns ``(ok, lines)``: whether it decided the result right, and
what it did, for the result's certificate. Points are sampled on every case
of a piecewise result (closed domain ends included), so a formula wrong only
on a degenerate set is caught there.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import sympy as sp

from ..core import conditions as _cond
from ..core import points as _points
from ..core import progress as _progress
from ..core import sym as _sym
from ..core.params import n as N
from ..core.sequences import lag_symbol
from ..numeric.compile import mp_function
from ..numeric.iterate import iterate_at

#: what a derivation may raise from inside SymPy or the engine's own solvers (not a user's mistake):
#: a limitation, said as one
ENGINE_ERRORS = (
    TypeError, ArithmeticError, AttributeError, KeyError, IndexError, RecursionError, NotImplementedError,
    sp.PolynomialError, sp.polys.polyerrors.BasePolynomialError, _cond.Unsolved, _cond.Contradiction,
)


def _short(exc, limit=300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _exact(v):
    if isinstance(v, float):
        return sp.Rational(Fraction(v))
    return _sym.as_sympy(v) if not isinstance(v, sp.Basic) else v


def _coverage_points(p):
    """Every other interior point of ``p``'s domain, and its closed ends (``rho = 1`` in ``(0, 1]``)."""
    return [*p.interior_points()[::2], *p.closed_ends()]


def iterate_exact(model, values: dict, count: int) -> dict:
    """``{name: [X_start, ..., X_{start+count-1}]}`` in exact arithmetic.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from symrecycle.models.catalogue import kickstarting
    >>> iterate_exact(kickstarting(), {"r": 2, "alpha": Fraction(1, 2), "C1": 1}, 3)
    {'C': [1, 2, 4], 'A': [1, 5/2, 21/4]}
    """
    for k, v in values.items():
        model.parameter(k if isinstance(k, str) else k.name).validate(v)
    vals = {model.parameter(k).symbol if isinstance(k, str) else k: _exact(v) for k, v in values.items()}
    pl = model.iteration_plan
    out = {nm: [] for nm in pl.order}
    steps = {nm: _sym.at_point(pl.next[nm], vals) for nm in pl.order}  # the parameters first, once
    for k in range(model.start, model.start + count):
        i = k - model.start
        for nm in pl.order:
            e = _sym.at_point(pl.initials[nm][i], vals) if i < len(pl.initials[nm]) else steps[nm]
            lags = {}
            for ref, lag in pl.symbols:  # ref at index k - lag (its last value is at k once it came first)
                back = pl.back(ref, nm, lag)
                if 0 <= back < len(out[ref]):
                    lags[lag_symbol(ref, lag)] = out[ref][-1 - back]
            out[nm].append(_sym.as_sympy(_sym.at_point(e, {N: k, **lags})))
    return {s.name: out[s.name] for s in model.sequences}


def metric_exact(model, metric_expr, values, k):
    """The metric expression ``metric_expr`` at iteration ``k`` in exact arithmetic.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> metric_exact(m, m.metric().expr, {"r": 2, "alpha": Fraction(1, 2)}, 3)  # A_3/C_3
    21/16
    """
    return metric_exact_at(model, metric_expr, values, [k])[0]


def metric_exact_at(model, metric_expr, values, ks):
    """:func:`metric_exact` at each iteration of ``ks``, from one exact iteration to the largest.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> metric_exact_at(m, m.metric().expr, {"r": 2, "alpha": Fraction(1, 2)}, [1, 3])
    [1, 21/16]
    """
    seqs = iterate_exact(model, values, max(ks) - model.start + 1)
    vals = {model.parameter(a).symbol if isinstance(a, str) else a: _exact(v) for a, v in values.items()}
    at = metric_expr.subs(vals)
    return [_sym.as_sympy(at.subs(N, k).replace(
        lambda x: isinstance(x, sp.Indexed),
        lambda x: seqs[x.base.label.name][int(x.indices[0]) - model.start],
    )) for k in ks]


def points(model, expr, count=2):
    """Sample points (:func:`sample`, ``count`` interior ones) on every case of the Piecewise ``expr``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> r, a = m.symbols["r"], m.symbols["alpha"]
    >>> pts = points(m, sp.Piecewise((n, sp.Eq(a, r)), (r / (r - a), True)), 1)
    >>> [(pt[r], pt[a]) for pt in pts]  # alpha = r, then alpha != r (its closed ends 0 and 1 too)
    [(1/5, 1/5), (1/5, 1/7), (1/5, 0), (1/5, 1)]
    """
    pts = []
    for _, cond in _sym.exclusive_pieces(expr):
        pts += sample(model, cond, count)
    return pts


def sample(model, cond, count=2):
    """Interior sample points of ``cond`` and, where ``cond`` holds there, its closed domain ends.

    (A result wrong only on a closed end, ``alpha = 0`` say, is caught there.)

    Examples
    --------
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> r, a = m.symbols["r"], m.symbols["alpha"]
    >>> [(pt[r], pt[a]) for pt in sample(m, a < r, 1)]  # an interior point, and alpha's closed end 0
    [(1/5, 1/7), (1/5, 0)]
    """
    pts = _points.sample_points(cond, model.parameters, count)
    if not pts:  # a region on the domain's closed ends only (alpha = 1, say)
        params = list(model.parameters)
        combos = itertools.islice(itertools.product(
            *[[sp.Rational(x) for x in _coverage_points(p)] for p in params]), 4096)
        for combo in combos:
            pt = dict(zip([p.symbol for p in params], combo))
            if _cond.holds_at(cond, pt):
                return [pt]
        return []
    extra = []
    for p in model.parameters:
        if p.symbol not in pts[0]:
            continue
        for end in p.closed_ends():
            moved = {**pts[0], p.symbol: sp.Rational(end)}
            if _cond.holds_at(cond, moved) and moved not in pts + extra:
                extra.append(moved)
    return pts + extra


def check_iteration(model, expr, metric_expr):
    """Whether ``expr`` equals ``metric_expr`` by exact iteration (n = start, start+1, start+4).

    At sample points of every case of ``expr``; ``(ok, lines)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> r, a = m.symbols["r"], m.symbols["alpha"]
    >>> b = sp.Piecewise((n, sp.Eq(a, r)), ((r**n - a**n) / (r**(n - 1) * (r - a)), True))
    >>> check_iteration(m, b, m.metric().expr)
    (True, ['equals exact Rational iteration at n = [1, 2, 5] on 6 points, one per branch or more'])
    >>> check_iteration(m, r**n, m.metric().expr)[0]
    False
    """
    pts, unchecked = [], []
    for _, cond in _sym.exclusive_pieces(expr):
        found = sample(model, cond, 2)
        if not found:
            unchecked.append(cond)
        pts += [p for p in found if p not in pts]
    ks = [model.start, model.start + 1, model.start + 4]
    for pt in pts:
        for k, want in zip(ks, metric_exact_at(model, metric_expr, pt, ks)):
            got = written_out(_sym.as_sympy(_sym.at_point(_cond.branch_at(expr, pt), {**pt, N: k}))).doit()
            if not _sym.is_zero(got - want):
                return False, [f"exact iteration differs at {pt}, n={k}: {got} != {want}"]
    lines = [f"equals exact Rational iteration at n = {ks} on {len(pts)} points, one per branch or more"]
    if unchecked:
        lines.append("no sample point (so NOT checked) on the case(s) "
                     + "; ".join(_short(sp.sstr(c), 200) for c in unchecked))
    return bool(pts) and not unchecked, lines


#: the most terms of a sum that :func:`written_out` writes out
MAX_TERMS = 1000


def written_out(expr):
    """``expr`` with each sum over one index between integers written out, term by term (exactly).

    What ``doit`` gives for such a sum, without the assumption queries it first asks of the summand
    (most of an exact check's time on a model whose closed form is a sum). A sum over several
    indices, over reversed bounds, over more than :data:`MAX_TERMS` terms, or whose summand binds
    its index again, is left as it is (to ``doit``).

    Examples
    --------
    >>> import sympy as sp
    >>> k, j = sp.symbols("k j", integer=True)
    >>> s = sp.Sum(sp.Rational(1, 2) ** k * sp.Sum(j, (j, 1, k)), (k, 1, 3))
    >>> written_out(s), s.doit()
    (2, 2)
    >>> written_out(sp.Sum(k, (k, 1, 0))), written_out(sp.Sum(k, (k, 3, 1)))
    (0, Sum(k, (k, 3, 1)))
    """
    def out(s):
        if len(s.limits) != 1:
            return s
        k, a, b = s.limits[0]
        if not (a.is_Integer and b.is_Integer and -1 <= b - a < MAX_TERMS):
            return s
        f = s.function
        if any(k in x.variables for x in f.atoms(sp.Sum, sp.Product, sp.Lambda)):
            return s
        return sp.Add(*[written_out(f.xreplace({k: sp.Integer(i)})) for i in range(int(a), int(b) + 1)])

    return expr.replace(lambda e: isinstance(e, sp.Sum), out)


#: consecutive terms a limit check reads near n = 4000 and n = 8000 (an oscillation shows in their spread)
WINDOW = 16


def check_limit(model, bexpr, cases, met=None):
    """Whether each ``(value, condition)`` of ``cases`` is the limit of the metric ``bexpr``.

    Compared with the metric at n = 4000 and 8000 (60 digits) at sample
    points of each condition; ``(ok, lines)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> r, a = m.symbols["r"], m.symbols["alpha"]
    >>> b = sp.Piecewise((n, sp.Eq(a, r)), ((r**n - a**n) / (r**(n - 1) * (r - a)), True))
    >>> check_limit(m, b, [(r / (r - a), a < r), (sp.oo, a >= r)])[0]
    True
    >>> check_limit(m, b, [(r / (r + a), a < r), (sp.oo, a >= r)])[0]
    False
    """
    lines, ok = [], True
    unchecked = []
    for value, cond in _progress.steps("limit: checks", cases):
        pts = sample(model, cond, 2)
        if not pts:
            unchecked.append(cond)
        for pt in pts:
            with _sym.workdps(60):
                if bexpr.has(sp.Sum):  # iterated: a sum of 8000 terms per point is slower
                    # a closed form grows at most like exp(poly(n)): no bound on the magnitude
                    windows = [*range(4001 - WINDOW, 4001), *range(8001 - WINDOW, 8001)]
                    exact = {k.name: Fraction(int(v.p), int(v.q)) for k, v in pt.items()}
                    seq = iterate_at(model, windows, 60, exact, metric=met.name, max_bits=None)
                    early, late = seq[:WINDOW], seq[WINDOW:]
                else:
                    f = mp_function(N, _cond.branch_at(bexpr, pt).subs(pt))
                    early = [f(mpmath.mpf(k)) for k in range(4001 - WINDOW, 4001)]
                    late = [f(mpmath.mpf(k)) for k in range(8001 - WINDOW, 8001)]
                b1, b2 = early[-1], late[-1]
                v = value.subs(pt)
                if v is sp.nan:  # no limit: the spread of a window of terms does not shrink (nor vanish)
                    spread1, spread2 = max(early) - min(early), max(late) - min(late)
                    good = spread2 >= 0.5 * spread1 and spread2 > 1e-6 * max(1, abs(b2))
                elif v is sp.oo:
                    good = b2 > b1 and b2 > 1e3
                elif v is -sp.oo:
                    good = b2 < b1 and b2 < -1e3
                else:
                    v = mpmath.mpf(str(sp.N(v, 70)))
                    err1, err2, scale = abs(b1 - v), abs(b2 - v), max(1, abs(v))
                    # geometric approach: there already; slower (like 1/n): halving, and close
                    good = (err2 <= 1e-6 * scale and err2 <= err1 + 1e-50) or (
                        err2 <= 0.6 * err1 and err2 <= 1e-2 * scale)
            ok &= bool(good)
            if not good:
                lines.append(f"limit check FAILED at {pt}: value {value}")
    if unchecked:
        ok = False
        lines.append("no rational sample point (so NOT checked) where "
                     + "; ".join(sp.sstr(c) for c in unchecked))
    lines.append(
        f"checked against the metric at n = 4000 and 8000 (60 digits) in {len(cases) - len(unchecked)} "
        f"of {len(cases)} regions, closed domain ends included"
    )
    return ok, lines


def check_derivative(model, qexpr, dexpr, p, n):
    """Whether ``dexpr`` is ``d qexpr / d p``, against a 150-digit finite difference.

    At sample points of the cases of both (at ``n``, or n = 5 where n is
    free); ``(ok, lines)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> r, a = m.symbols["r"], m.symbols["alpha"]
    >>> lim = sp.Piecewise((r / (r - a), a < r), (sp.oo, True))
    >>> ok, lines = check_derivative(m, lim, sp.Piecewise((r / (r - a)**2, a < r), (sp.nan, True)), a, None)
    >>> ok, lines[-1].split(" (")[0]
    (True, 'equals a 150-digit finite difference at 3 of 3 points')
    """
    ok, count, bad = True, 0, []
    pts = points(model, qexpr, 2)
    pts += [x for x in points(model, dexpr, 1) if x not in pts]  # the derivative's own cases too
    for pt in pts:
        if p not in pt:
            continue
        nval = 5 if n is None or n == N else n
        q = _sym.at_point(qexpr, {**{k: v for k, v in pt.items() if k != p}, N: nval})
        d = _sym.at_point(_cond.branch_at(dexpr, pt), {**pt, N: nval})
        if q.subs(p, pt[p]).has(sp.oo, -sp.oo, sp.zoo):
            continue
        f = mp_function(p, q)
        with _sym.workdps(150):
            x0 = mpmath.mpf(pt[p].p) / pt[p].q
            par = model.parameter(p.name)
            h = mpmath.mpf(10) ** -40
            lo, hi = (None if e is None else mpmath.mpf(e.numerator) / e.denominator
                      for e in (par.lower, par.upper))
            if lo is not None and x0 - h < lo:
                fd = (f(x0 + h) - f(x0)) / h
            elif hi is not None and x0 + h > hi:
                fd = (f(x0) - f(x0 - h)) / h
            else:
                fd = (f(x0 + h) - f(x0 - h)) / (2 * h)
            if d is sp.nan:  # no derivative: right only where the quantity jumps (a huge difference)
                good = not mpmath.isfinite(fd) or abs(fd) > mpmath.mpf(10) ** 20
            else:
                dn = sp.N(d, 60)
                if dn.is_Number and dn.is_finite:
                    dv = mpmath.mpf(str(dn))
                    good = abs(fd - dv) <= mpmath.mpf(10) ** -15 * max(1, abs(dv))
                else:  # a derivative that does not evaluate to a finite number there
                    good = False
        if not good:
            bad.append(f"derivative {sp.sstr(d)} at {pt} differs from the finite difference "
                       f"{mpmath.nstr(fd, 12)}")
        ok &= bool(good)
        count += 1
    line = (f"equals a 150-digit finite difference at {count - len(bad)} of {count} points "
            "(n = 5 where n is free; nan only across a jump)")
    return ok and count > 0, [*bad[:3], line]


def check_iterations(model, bexpr, lexpr, cases, f):
    """Whether at each case's n* the metric ``bexpr`` is ``1 - f`` of the limit ``lexpr`` from it.

    At sample points of each case with a finite n*; ``(ok, lines)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> r, a, n = m.symbols["r"], m.symbols["alpha"], m.symbols["n"]
    >>> b = (r**n - a**n) / (r**(n - 1) * (r - a))
    >>> lim = sp.Piecewise((r / (r - a), a < r), (sp.oo, True))
    >>> nstar = [(-sp.log(100) / sp.log(a / r), a < r), (sp.oo, True)]
    >>> check_iterations(m, b, lim, nstar, sp.Rational(99, 100))
    (True, ['at n = n* the distance to the limit is (1 - fraction) of it, at 2 points'])
    """
    count, ok = 0, True
    for value, cond in cases:
        if value.has(sp.oo) or value == 1:
            continue
        for pt in _points.sample_points(cond, model.parameters, 2):
            nstar = sp.N(value.subs(pt), 50)
            with _sym.workdps(50):
                b = mp_function(N, bexpr.subs(pt))(mpmath.mpf(str(nstar)))
                lim = mpmath.mpf(str(sp.N(lexpr.subs(pt), 50)))
                dist = abs(b - lim) / abs(lim)
                good = abs(dist - (1 - mpmath.mpf(f.p) / f.q)) < mpmath.mpf(10) ** -30
            ok &= bool(good)
            count += 1
    return ok and count > 0, [
        f"at n = n* the distance to the limit is (1 - fraction) of it, at {count} points"
    ]


def _piecewise(cases, params=None):
    """A Piecewise of ``(value, condition)`` cases that cover the domain.

    The last case becomes ``otherwise``; with ``params``, if it holds at no
    sample point of the domain, the case that holds at most of them takes
    its place.
    """
    cases = list(cases)
    if len(cases) == 1:
        return cases[0][0]
    if params is not None:
        used = set().union(*[c.free_symbols for _, c in cases])
        params = [p for p in params if p.symbol in used]
        combos = list(itertools.islice(
            itertools.product(*[[sp.Rational(x) for x in _coverage_points(p)] for p in params]), 4096
        ))
        if len(combos) > 256:  # a fixed, spread subset: the order must not depend on chance
            combos = combos[:: len(combos) // 256]
        grid = [dict(zip([p.symbol for p in params], combo)) for combo in combos]

        def coverage(case):
            return sum(_cond.holds_at(case[1], pt) for pt in grid)

        if coverage(cases[-1]) == 0:  # never "otherwise" a case met at no sample point
            last = max(range(len(cases)), key=lambda i: coverage(cases[i]))
            cases = cases[:last] + cases[last + 1:] + [cases[last]]
    return sp.Piecewise(*cases[:-1], (cases[-1][0], sp.true))
