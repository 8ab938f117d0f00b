r"""Claims about sets: the region where a quantity exceeds a level, and the share of a box where it does.

A region claim computes the set as canonical conditions (:mod:`symrecycle.core.canonical`): each case of
the result compared with the level, denominators of proved sign cleared, relations decided on the box
replaced by true or false, and compares it with the stated region by deciding that both differences
are empty. A measure claim bounds the share rigorously by interval branch and bound: sub-boxes proved
in, and proved in or undecided.
"""

from __future__ import annotations

from fractions import Fraction
from statistics import NormalDist

import mpmath
import sympy as sp

from ..core import sym as _sym
from ..core.canonical import canonical, domains_of
from ..core.params import n as N
from ..numeric.boxes import branch_and_bound
from .regions import defined, holds, shown

__all__ = ["region_claim", "measure_claim"]


# -- region --------------------------------------------------------------------------------------
def _cleared(v, rel, level, cond, box):
    """``v rel level`` with the denominator cleared where its sign is proved on the case."""
    from ..solve.signs import sign_on

    if v in (sp.oo, -sp.oo, sp.nan):
        return sp.true if v is not sp.nan and holds(v, rel, level) else sp.false
    num, den = sp.fraction(sp.together(v - level))
    sign = 1
    _, factors = sp.factor_list(den)
    c, _ = sp.factor_list(den)
    sign = 1 if c > 0 else -1
    strict = [a for a in _sym.conjuncts(cond) if isinstance(a, (sp.Gt, sp.Lt))]
    for f, k in factors:
        s = sign_on(f, box)
        if s not in (1, -1):
            s = None
            for a in strict:
                ratio = sp.cancel(f / (a.lhs - a.rhs))
                if ratio.is_number and ratio != 0:
                    s = (1 if isinstance(a, sp.Gt) else -1) * (1 if ratio > 0 else -1)
                    break
        if s is None:
            return {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[rel](v, level)
        sign *= s ** k
    return {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[rel](sp.expand(num * sign), 0)


def region_claim(pr, claim, level):
    """A region claim: the set where the quantity meets the level, in canonical conditions, against the
    stated one; ``(verdict, counterexample, details)``."""
    spec = claim.region
    f = pr.expr(pr.at_n)
    if f.has(N):
        pr.steps.append("a region claim needs a quantity free of n (fix n, or use the limit)")
        return "not proved", None, {}
    doms = {s: d for s, d in domains_of(pr.model.derive("limit").conditions).items() if s not in pr.fixed}
    for p in pr.box:
        lo = p.lower if p.lower is not None else -sp.oo
        hi = p.upper if p.upper is not None else sp.oo
        doms[p.symbol] = sp.Interval(lo, hi, p.lower_open or p.lower is None, p.upper_open or p.upper is None)
    box = tuple(pr.box) + tuple(q for q in _domain_params(pr) if q.symbol not in {p.symbol for p in pr.box})
    pr.box = box
    pieces = f.args if isinstance(f, sp.Piecewise) else ((f, sp.true),)
    parts, prev = [], sp.false
    for v, c in pieces:
        parts.append(sp.And(c, sp.Not(prev), _cleared(v, claim.relation, level, c, box)))
        prev = sp.Or(prev, c)
    computed = canonical(_on_box(pr, sp.Or(*parts)), doms)
    stated = _on_box(pr, spec.region.xreplace(pr.fixed))
    pr.steps.append(f"the set where Q {claim.relation} {claim.stated}: each case's value compared with the "
                    f"level (denominators of proved sign cleared), in canonical form: {computed.text()}")
    extra = canonical(_on_box(pr, sp.And(computed.expr, sp.Not(stated))), doms)
    missing = canonical(_on_box(pr, sp.And(stated, sp.Not(computed.expr))), doms)
    details = {"computed_region": computed.text()}
    if not extra.cubes and extra.expr is sp.false and not missing.cubes and missing.expr is sp.false:
        pr.steps.append("computed and not stated: empty; stated and not computed: empty (canonical "
                        "conditions on the domains): the regions are equal")
        return "proved", None, details
    for pt in pr.points(count=200):
        v = pr.value(f, pt)
        if not defined(v):
            continue
        pr.sampled += 1
        inside = bool(stated.subs(pt))
        if holds(v, claim.relation, level) != inside:
            word = "" if holds(v, claim.relation, level) else "not "
            pr.steps.append(f"counterexample by exact evaluation at {pr._pt(pt)}: Q = {shown(v)} "
                            f"({word}{claim.relation} {claim.stated}), "
                            f"{'inside' if inside else 'outside'} the stated region")
            return "refuted", pr.counterexample(pt, None, v, in_stated_region=inside), details
    pr.steps.append(f"differences not shown empty: computed and not stated: {extra.text()}; "
                    f"stated and not computed: {missing.text()}")
    return "not proved", None, details


def _on_box(pr, cond):
    """``cond`` with each relation that sign proofs decide on the whole box replaced by true or false."""
    rels = list(cond.atoms(sp.Eq, sp.Ne, sp.Lt, sp.Le, sp.Gt, sp.Ge))
    subs = {}
    for a in rels:
        t = pr.cond_on_box(a)
        if t is not None:
            subs[a] = sp.true if t else sp.false
    return cond.xreplace(subs) if subs else cond


def _domain_params(pr):
    from ..core.params import Parameter

    out = []
    for p in pr.model.parameters:
        if p.symbol in pr.fixed or p.default is not None:
            continue
        lo, hi = p.lower, p.upper
        out.append(Parameter(p.name, lo, hi, p.lower_open, p.upper_open, symbol=p.symbol))
    return out


# -- measure --------------------------------------------------------------------------------------
def measure_claim(pr, claim, level):
    """A measure claim: rigorous bounds on the share of the box where the relation holds, against the
    stated share; ``(verdict, counterexample, details)``."""
    spec = claim.region
    rel, share, _text = spec.measure
    f = pr.expr(pr.at_n)
    if f.has(N) and (spec.n_range is None or spec.n_range[1] is None):
        pr.steps.append("a measure over n needs a finite range of n")
        return "not proved", None, {}
    ns = list(range(spec.n_range[0], spec.n_range[1] + 1)) if f.has(N) else [None]
    sides = {p.symbol: (p.lower, p.upper) for p in pr.box}
    if any(hi is None for _, hi in sides.values()):
        pr.steps.append("a uniform measure needs a bounded box")
        return "not proved", None, {}
    mass = _masses(pr, claim)
    lvl = Fraction(int(level.p), int(level.q))
    test = {"<=": lambda e: True if e.b <= lvl else (False if e.a > lvl else None),
            "<": lambda e: True if e.b < lvl else (False if e.a >= lvl else None),
            ">=": lambda e: True if e.a >= lvl else (False if e.b < lvl else None),
            ">": lambda e: True if e.a > lvl else (False if e.b <= lvl else None)}[claim.relation]
    from .regions import _mp

    low = high = Fraction(0)
    failing, boxes = None, 0
    per = max(1, spec.budget // len(ns))
    for k in ns:
        g = f if k is None else (pr.enclosure_at(k) or f.subs(N, k))
        res = branch_and_bound(g, sides, _mp(test), per, stop_on_fail=False)
        boxes += res.evaluated

        def vol(bs):
            v = 0
            for b in bs:
                x = 1
                for (lo, hi), m in zip(b.sides, mass):
                    x *= m(lo, hi)
                v += x
            return v

        held, und = vol(res.held), vol(res.undecided)
        low += held / len(ns)
        high += (held + und) / len(ns)
        if res.failed and failing is None:
            pt = {s: sp.Rational(x) for s, x in res.point(max(res.failed, key=lambda b: b.volume())).items()}
            v = pr.exact_quantity(pt, k) if k is not None else pr.value(f, pt)
            if defined(v) and not holds(v, claim.relation, level):  # confirmed exactly
                failing = (pt, k, v)
    pr.steps.append(f"interval branch and bound (mpmath.iv) on each of {len(ns)} value(s) of n over "
                    f"{', '.join(f'{p.name} in {p.domain_text}' for p in pr.box)}: {boxes} enclosures; "
                    "the share "
                    f"where Q {claim.relation} {claim.stated} lies in [{float(low):.6f}, {float(high):.6f}] "
                    f"(rigorous: sub-boxes proved in, and proved in or undecided"
                    + (f"; weights from the distributions' CDFs at {CDF_DPS} digits: "
                       + ", ".join(f"{k} ~ {v}" for k, v in claim.region.distribution)
                       if claim.region.distribution else "; uniform") + ")")
    if claim.region.distribution:  # mpmath weights: their rounding covered by a margin, compared in mpmath
        low, high = mpmath.mpf(low) - CDF_MARGIN, mpmath.mpf(high) + CDF_MARGIN
    details = {"measure_low": float(low), "measure_high": float(high)}
    s = Fraction(share) if isinstance(low, Fraction) else _mpq(Fraction(share))
    ok = {">=": low >= s, ">": low > s, "<=": high <= s, "<": high < s}[rel]
    bad = {">=": high < s, ">": high <= s, "<=": low > s, "<": low >= s}[rel]
    if ok:
        pr.steps.append(f"so the share is {rel} {share}")
        return "proved", None, details
    if bad:
        cex = {"measure": [float(low), float(high)]}
        if failing is not None and rel in (">=", ">"):  # too little share: a point where it fails shows it
            cex.update(pr.counterexample(*failing))
        pr.steps.append(f"so the share is not {rel} {share}")
        return "refuted", cex, details
    return "not proved", None, details


#: digits at which a distribution's CDF is evaluated for a measure claim, and the margin that covers its
#: rounding in the share's bounds
CDF_DPS, CDF_MARGIN = 50, mpmath.mpf(10) ** -35


def _cdf_mp(d, x):
    """The distribution's CDF at ``x`` in mpmath (at the working precision), from its parameters."""
    a = [mpmath.mpf(v) for v in d.args]
    x = mpmath.mpf(x)
    if d.kind == "fixed":
        return mpmath.mpf(x >= a[0])
    lo, hi = (mpmath.mpf(v) for v in d.support)
    if x <= lo:
        return mpmath.mpf(0)
    if x >= hi:
        return mpmath.mpf(1)
    if d.kind == "uniform":
        return (x - a[0]) / (a[1] - a[0])
    if d.kind == "loguniform":
        return mpmath.log(x / a[0]) / mpmath.log(a[1] / a[0])
    if d.kind == "normal":
        return mpmath.ncdf(x, a[0], a[1])
    if d.kind == "lognormal":  # the 95% range (lo, hi) as in Distribution._lognormal
        mu = (mpmath.log(a[0]) + mpmath.log(a[1])) / 2
        sigma = (mpmath.log(a[1]) - mpmath.log(a[0])) / (2 * mpmath.mpf(NormalDist().inv_cdf(0.975)))
        return mpmath.ncdf(mpmath.log(x), mu, sigma)
    lo, mode, hi = a
    if x <= mode:
        return (x - lo) ** 2 / ((hi - lo) * (mode - lo))
    return 1 - (hi - x) ** 2 / ((hi - lo) * (hi - mode))


def _masses(pr, claim):
    """For each side of the box, its share ``m(lo, hi)`` of the box's mass: exact Fractions for a uniform
    side; for one with a distribution, its CDF restricted to the box, in mpmath at :data:`CDF_DPS` digits
    (a difference of two CDF values near 1 keeps its digits there; floats lost them all)."""
    from ..io.claimfile import ClaimFileError
    from ..uncertainty.distributions import parse_spec

    dists = dict(claim.region.distribution)
    out = []
    for p in pr.box:
        lo0, hi0 = Fraction(p.lower), Fraction(p.upper)
        if p.name not in dists:
            w = hi0 - lo0
            out.append((lambda lo, hi, w=w: (hi - lo) / w) if w else (lambda lo, hi: 1))
            continue
        try:
            d = parse_spec(dists[p.name], p.name)
        except ValueError as exc:
            raise ClaimFileError(f"claim {claim.id!r}: distribution.{p.name}: {exc}", claim.line) from None
        with mpmath.workdps(CDF_DPS):
            total = _cdf_mp(d, _mpq(hi0)) - _cdf_mp(d, _mpq(lo0))
        if not total > 0:
            raise ClaimFileError(f"claim {claim.id!r}: distribution.{p.name} is {dists[p.name]!r}, which "
                                 f"puts no mass on {p.name} in {p.domain_text}", claim.line)

        def share(lo, hi, d=d, t=total):
            with mpmath.workdps(CDF_DPS):
                return (_cdf_mp(d, _mpq(hi)) - _cdf_mp(d, _mpq(lo))) / t

        out.append(share)
    if dists:  # every weight in mpmath, so that the products and sums stay in one kind of number
        out = [_as_mp(m) for m in out]
    return out


def _as_mp(m):
    def weight(lo, hi):
        v = m(lo, hi)
        return _mpq(v) if isinstance(v, (Fraction, int)) else mpmath.mpf(v)

    return weight


def _mpq(x):
    x = Fraction(x)
    return mpmath.mpf(x.numerator) / x.denominator
