r"""The verdict of a claim over a region: forall, exists, monotone, region, measure.

Each kind is decided by :class:`symrecycle.report.regions.Prover` (symbolic
proofs first, then interval branch and bound, then an exact counterexample
search); see the module docstring there. Verdicts: ``"proved"`` (with its
certificate), ``"refuted"`` (with a counterexample confirmed exactly),
``"not proved"`` (with what was tried).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import sympy as sp

from ..core.params import n as N
from ..io import registry
from ..io.claimfile import ClaimFileError, ClaimResult
from ..models import store as _store
from .regions import N_SEARCH, NEGATE, Prover, defined, holds, shown
from .regionsets import measure_claim, region_claim

__all__ = ["check_region"]


def _exact(claim, name, value):
    if name in claim.printed:
        return sp.Rational(Fraction(claim.printed[name]))
    return sp.Rational(Fraction(repr(float(value))))


def check_region(claim) -> ClaimResult:
    """Decide a claim over a region (``claim.region`` set).

    Examples
    --------
    >>> from symrecycle.io.claimfile import parse_claims
    >>> (c,) = parse_claims('''
    ... [[claim]]
    ... id = "some-alpha"
    ... model = "kickstarting"
    ... quantity = "limit"
    ... params = { r = 4.2 }
    ... exists = { alpha = "[0, 1]" }
    ... relation = ">="
    ... stated = "1.3"
    ... ''')
    >>> res = check_region(c)
    >>> res.verdict, res.details["witness"]["params"]["alpha"]
    ('proved', 1)
    """
    model = registry.get_model(claim.model)
    # a verdict is derived once per model, claim (what it states, not its id or source) and version
    key = ("region", repr(dataclasses.replace(claim, id="", source="", note="", line=None)))
    stored = _store.lookup_value(model, key, _a_verdict)
    if stored is not None:
        return _result(claim, stored["status"], stored["certificate"], stored["counterexample"],
                       stored["details"])
    spec = claim.region
    fixed = {model.parameter(k).symbol: _exact(claim, k, v) for k, v in claim.params.items()}
    pr = Prover(model, claim, fixed, spec.box, spec.n_range, spec.budget)
    level = sp.Rational(Fraction(claim.stated))
    try:
        status, cex, details = _KINDS[spec.kind](pr, claim, level)
        decided = True
    except NotImplementedError as exc:  # not derived (a model without closed forms): not proved, and why
        reason = " ".join(str(exc).split())
        pr.steps.append(f"not proved: the engine does not derive what the proof needs: {reason}")
        status, cex, details, decided = "not proved", None, {}, False
    except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError,
            sp.PolynomialError) as exc:
        if isinstance(exc, ClaimFileError):
            raise
        # a step SymPy could not take: the claim is left unproved, and the step is named
        pr.steps.append(f"the prover stopped: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        status, cex, details, decided = "not proved", None, {}, False
    if status == "not proved" and pr.sampled:
        pr.steps.append(f"not proved: holds at {pr.sampled} sampled points (exact evaluation)")
    if decided:  # not where the engine or SymPy stopped: that may be this run's circumstances
        _store.save_value(model, key, {"status": status, "certificate": tuple(pr.steps),
                                       "counterexample": cex, "details": details})
    return _result(claim, status, tuple(pr.steps), cex, details)


def _result(claim, status, certificate, counterexample, details):
    return ClaimResult(claim.id, claim.stated, None, status == "proved", (), claim, status=status,
                       certificate=certificate, counterexample=counterexample, details=details)


def _a_verdict(v) -> bool:
    """Whether a stored value has the shape of a verdict (see :func:`check_region`)."""
    return (isinstance(v, dict) and v.get("status") in ("proved", "refuted", "not proved")
            and isinstance(v.get("certificate"), tuple) and all(isinstance(x, str) for x in v["certificate"])
            and (v.get("counterexample") is None or isinstance(v["counterexample"], dict))
            and isinstance(v.get("details"), dict))


# -- forall / exists --------------------------------------------------------------------------------
def _forall_n_free(pr, expr, rel, level, claim_n=None):
    """forall on an n-free expression: symbolic, then interval, then search. (status, counterexample)."""
    status, pt = pr.forall(expr, rel, level)
    if status is None:
        status, pt = pr.interval(expr, rel, level, n_value=claim_n)
    if status == "refuted":
        return _confirm(pr, pt, rel, level, expr, claim_n)
    if status == "proved":
        return "proved", None
    return _search(pr, expr, rel, level, claim_n)


def _confirm(pr, pt, rel, level, expr, claim_n):
    v = pr.value(expr, pt) if claim_n is None else pr.exact_quantity(pt, claim_n)
    if defined(v) and not holds(v, rel, level):
        pr.steps.append(f"counterexample confirmed by exact evaluation: {pr._pt(pt)}"
                        + (f", n = {claim_n}" if claim_n is not None else "") + f": value {shown(v)}")
        return "refuted", pr.counterexample(pt, claim_n, v)
    return _search(pr, expr, rel, level, claim_n)


def _search(pr, expr, rel, level, claim_n):
    for pt in pr.points():
        v = pr.value(expr, pt)
        pr.sampled += 1
        if defined(v) and not holds(v, rel, level):
            if claim_n is not None:
                v = pr.exact_quantity(pt, claim_n)
                if not defined(v) or holds(v, rel, level):
                    continue
            pr.steps.append(f"counterexample found at {pr._pt(pt)}: exact value {shown(v)}")
            return "refuted", pr.counterexample(pt, claim_n, v)
    return "not proved", None


def _forall(pr, claim, level, rel=None):
    rel = rel or claim.relation
    if pr.n_range is None:
        n_fixed = claim.n if pr.at_n and claim.n is not None else None
        return (*_forall_n_free(pr, pr.expr(pr.at_n), rel, level, n_fixed), {})
    lo, hi = pr.n_range
    f = pr.expr(True)
    if hi is not None and hi - lo <= 12:
        pr.steps.append(f"n in [{lo}, {hi}]: each n in turn")
        for k in range(lo, hi + 1):
            status, cex = _at_one_n(pr, f, k, rel, level)
            if status != "proved":
                return status, cex, {}
        return "proved", None, {}
    case = pr.one_case(f, "the quantity at n")
    if case is None:
        return (*_n_fallback(pr, f, rel, level), {})
    d = sp.expand_power_exp(case.subs(N, N + 1) - case)
    from ..solve.signs import sign_on

    s = sign_on(d, pr.box)
    if s is None:
        pr.steps.append(f"the sign of Q(n+1) - Q(n) = {sp.sstr(sp.factor(d))} is not proved on the box")
        return (*_n_fallback(pr, f, rel, level), {})
    up = s in (1, "nonneg")
    pr.steps.append(f"Q(n+1) - Q(n) = {sp.sstr(sp.factor(d))} is proved "
                    f"{'nonnegative' if up else 'nonpositive'} on the box (n >= 1): Q is "
                    f"{'non-decreasing' if up else 'non-increasing'} in n")
    toward_limit = up == (rel in ("<", "<="))
    if not toward_limit or hi is not None:
        at = lo if not toward_limit else hi
        word = ("smallest" if up else "largest") if not toward_limit else ("largest" if up else "smallest")
        pr.steps.append(f"so its {word} value over n in the range is at n = {at}")
        status, cex = _at_one_n(pr, case, at, rel, level)
        return status, cex, {}
    lim = pr.expr(False)
    strict = s in (1, -1)
    lrel = rel if not strict else {"<": "<=", ">": ">="}.get(rel, rel)
    pr.steps.append(f"so its {'supremum' if up else 'infimum'} over n is the limit {sp.sstr(lim)}"
                    + (", never reached (strict monotonicity)" if strict and lrel != rel else ""))
    status, pt = pr.forall(lim, lrel, level)
    if status is None:
        status, pt = pr.interval(lim, lrel, level)
    if status == "proved":
        return "proved", None, {}
    if status == "refuted":
        v = pr.value(lim, pt)
        beyond = defined(v) and (v > level if rel in ("<", "<=") else v < level)
        # the limit strictly beyond the level: the iterates, which tend to it, pass the level at a finite n
        for k, v_k in (_iterates(pr, pt, lo, claim, hi) if beyond else ()):
            if not holds(v_k, rel, level):
                pr.steps.append(f"the limit at {pr._pt(pt)} is {shown(v)}, beyond {level}; exact iteration "
                                f"gives Q({k}) = {shown(v_k)}, not {rel} {level}")
                return "refuted", pr.counterexample(pt, k, v_k, limit=shown(v)), {}
    return (*_n_fallback(pr, f, rel, level), {})


#: beyond this n the closed form at n is not expanded (its powers grow with n): the interval proof
#: iterates the metric's one-step map instead
N_SYMBOLIC = 12


def _at_one_n(pr, f, k, rel, level):
    """forall at one iteration k: symbolic where k is small, else by the one-step map's enclosures."""
    if k <= N_SYMBOLIC:
        return _forall_n_free(pr, f.subs(N, k), rel, level, k)
    fn = pr.enclosure_at(k)
    if fn is None:
        pr.steps.append(f"at n = {k} the closed form is not expanded, and the metric has no one-step map")
        return "not proved", None
    status, pt = pr.interval(f, rel, level, n_value=k)
    if status == "refuted":
        v = pr.exact_quantity(pt, k)
        if defined(v) and not holds(v, rel, level):
            pr.steps.append(f"counterexample confirmed by exact iteration: {pr._pt(pt)}, n = {k}: "
                            f"{shown(v)}")
            return "refuted", pr.counterexample(pt, k, v)
        return "not proved", None
    return ("proved", None) if status == "proved" else ("not proved", None)


def _iterates(pr, pt, lo, claim, hi=None):
    """``(n, Q_n)`` for n = lo..hi by exact iteration, in growing chunks up to :data:`N_SEARCH`."""
    if claim.quantity not in ("benefit", "limit"):
        return
    start = lo
    for end in (16, 64, 256, 1024, N_SEARCH):
        end = end if hi is None else min(end, hi)
        if end < start:
            continue
        ks = list(range(start, end + 1))
        yield from zip(ks, pr.iterate_metric(pt, ks))
        start = end + 1


def _n_fallback(pr, f, rel, level):
    """Every n at once by an invariant of the metric's one-step map, else a counterexample search."""
    if _invariant(pr, rel, level):
        return "proved", None
    return _n_search(pr, f, rel, level)


def _invariant(pr, rel, level):
    """``M_n rel level`` for every n by induction: it holds at the first n, and F keeps it.

    For ``<=``: ``F(level - t) <= level`` for every t >= 0 (u = M_(n-1) <= level), proved by the sign of
    ``F(level - t) - level`` on the box; ``<`` with t > 0 and a strict sign; ``>=``, ``>`` alike with
    ``level + t``. No closed form and no case split: it holds across degenerate sets (alpha = r)."""
    from ..solve.signs import sign_on

    mp = pr.metric_map() if pr.claim.quantity == "benefit" else None
    if mp is None:
        return False
    step, u, _k, first = mp
    strict = rel in ("<", ">")
    t = sp.Dummy("t", positive=True) if strict else sp.Dummy("t", nonnegative=True)
    up = rel in ("<", "<=")
    moved = step.xreplace({u: level - t if up else level + t}) - level
    s0 = sign_on(first - level, pr.box)
    s1 = sign_on(moved, pr.box)
    want = ({-1} if strict else {-1, "nonpos"}) if up else ({1} if strict else {1, "nonneg"})
    if s0 not in want or s1 not in want:
        return False
    pr.steps.append(f"by induction on M_n = F(M_(n-1)), F = {sp.sstr(step)} (u = M_(n-1)): "
                    f"M_{pr.model.start} = {sp.sstr(first)} {rel} {level}, and F(u) - {level} with "
                    f"u = {level} {'-' if up else '+'} t (t {'>' if strict else '>='} 0) is "
                    f"{sp.sstr(sp.factor(moved))}, proved {_w(s1)} on the box: M_n {rel} {level} for every n")
    return True


def _n_search(pr, f, rel, level):
    for k in pr.n_values():
        for pt in pr.points(count=10):
            pr.sampled += 1
            if pr.claim.quantity in ("benefit", "limit"):
                v = pr.exact_quantity(pt, k)
            else:
                v = pr.value(f.subs(N, k), pt)
            if defined(v) and not holds(v, rel, level):
                pr.steps.append(f"counterexample by exact iteration: {pr._pt(pt)}, n = {k}: {shown(v)}")
                return "refuted", pr.counterexample(pt, k, v)
    return "not proved", None


def _exists(pr, claim, level):
    neg = NEGATE[claim.relation]
    pr.steps.append(f"an example exists unless Q {neg} {claim.stated} everywhere on the box: that is tried")
    start = len(pr.steps)
    status, cex, _ = _forall(pr, claim, level, rel=neg)
    if status == "refuted":  # a counterexample of the negation is a witness of the claim
        pr.steps[start:] = [s.replace("counterexample", "witness") for s in pr.steps[start:]]
        return "proved", None, {"witness": cex}
    if status == "proved":
        pr.steps.append(f"Q {neg} {claim.stated} holds on the whole box: no point satisfies the claim")
        if pr.extreme is not None:
            pt, v = pr.extreme
            return "refuted", pr.counterexample(pt, None, v, note="the extreme value on the box (proved)"), {}
        k = pr.n_range[0] if pr.n_range else (claim.n if pr.at_n else None)
        up = claim.relation in (">", ">=")
        best = None
        for pt in pr.points(count=20):
            v = pr.exact_quantity(pt, k)
            if defined(v) and (best is None or (v > best[1] if up else v < best[1])):
                best = (pt, v)
        if best is None:
            return "refuted", None, {}
        note = (f"the {'largest' if up else 'smallest'} value at the points tried; no point of the box "
                "satisfies the claim (proved)")
        return "refuted", pr.counterexample(best[0], k, best[1], note=note), {}
    return "not proved", None, {}


# -- monotone ------------------------------------------------------------------------------------
_WANT = {"increasing": {1}, "non-decreasing": {1, "nonneg"}, "decreasing": {-1},
         "non-increasing": {-1, "nonpos"}}
_AGAINST = {"increasing": "<=", "non-decreasing": "<", "decreasing": ">=", "non-increasing": ">"}


def _monotone(pr, claim, level):
    from ..solve.signs import sign_on

    overall = "proved"
    cex = None
    for var, direction in claim.region.monotone:
        f = pr.expr(pr.at_n)
        case = pr.one_case(f)
        if var == "n":
            d = sp.expand_power_exp(case.subs(N, N + 1) - case) if case is not None else None
            what = "Q(n+1) - Q(n)"
        else:
            sym = pr.model.parameter(var).symbol
            d = sp.diff(case, sym) if case is not None else None
            what = f"dQ/d{var}"
        s = sign_on(d, pr.box) if d is not None else None
        if s in _WANT[direction]:
            pr.steps.append(f"{what} = {sp.sstr(sp.factor(d))} is proved {_w(s)} on the box: "
                            f"{direction} in {var}")
            continue
        if var != "n" and d is not None and d.has(N) and _induction(pr, var, direction):
            continue
        if var != "n" and d is not None and not d.has(N):
            status, _ = pr.interval(d, ">" if direction in ("increasing",) else
                                    ">=" if direction == "non-decreasing" else
                                    "<" if direction == "decreasing" else "<=", 0)
            if status == "proved":
                continue
        found = _monotone_search(pr, var, direction)
        if found is not None:
            return "refuted", found, {}
        if d is not None:
            pr.steps.append(f"the sign of {what} = {sp.sstr(sp.factor(d))} is not proved on the box")
        overall = "not proved"
    return overall, cex, {}


def _induction(pr, var, direction):
    """Monotonicity in a parameter at every n by induction on the metric's one-step map M_n = F(M_(n-1)).

    With M_start > 0 and F > 0, F non-decreasing in u = M_(n-1) and M_start monotone in p: if dF/dp has the
    wanted sign, then M_n(p2) = F(M_(n-1)(p2), p2) >= F(M_(n-1)(p1), p2) > F(M_(n-1)(p1), p1) = M_n(p1)."""
    from ..solve.signs import sign_on

    if pr.claim.quantity != "benefit" or pr.claim.n is not None:
        return False
    mp = pr.metric_map()
    if mp is None:
        return False
    step, u, _k, first = mp
    sym = pr.model.parameter(var).symbol
    upos = sp.Dummy("u", positive=True)
    f = step.xreplace({u: upos})
    up = direction in ("increasing", "non-decreasing")
    strict = direction in ("increasing", "decreasing")
    s0, sf = sign_on(first, pr.box), sign_on(f, pr.box)
    su = sign_on(sp.diff(f, upos), pr.box)
    sp_ = sign_on(sp.diff(f, sym), pr.box)
    s1 = sign_on(sp.diff(first, sym), pr.box) if first.has(sym) else 0
    base_ok = s1 in ((0, 1, "nonneg") if up else (0, -1, "nonpos"))
    step_ok = sp_ in (({1} if up else {-1}) if strict else ({1, "nonneg"} if up else {-1, "nonpos"}))
    lo = pr.n_range[0] if pr.n_range else pr.model.start
    first_ok = not strict or lo > pr.model.start or s1 in (1, -1)
    if not (s0 == 1 and sf == 1 and su in (1, "nonneg") and base_ok and step_ok and first_ok):
        return False
    pr.steps.append(
        f"by induction on M_n = F(M_(n-1)), F = {sp.sstr(f)} (u = M_(n-1)): M_{pr.model.start} = "
        f"{sp.sstr(first)} > 0 and F > 0 for u > 0 (sign proofs), so M_n > 0; dF/du = "
        f"{sp.sstr(sp.factor(sp.diff(f, upos)))} is {_w(su)}; "
        f"dF/d{var} = {sp.sstr(sp.factor(sp.diff(f, sym)))} "
        f"is {_w(sp_)} for u > 0; M_{pr.model.start} is "
        + ("constant" if s1 == 0 else _w(s1)) + f" in {var}: M_n is {direction} in {var} for every n >= "
        f"{max(lo, pr.model.start + (1 if strict and s1 == 0 else 0))}")
    return True


def _w(s):
    return {1: "positive", -1: "negative", "nonneg": "nonnegative", "nonpos": "nonpositive"}[s]


def _monotone_search(pr, var, direction):
    bad = _AGAINST[direction]
    at_n = pr.claim.quantity == "benefit"
    ns = pr.n_values() if at_n and pr.claim.n is None else [pr.claim.n if at_n else None]
    for k in ns:
        for pt in pr.points(count=10):
            pr.sampled += 1
            if var == "n":
                a, b = pr.iterate_metric(pt, [k, k + 1])
                if holds(b, bad, a):
                    pr.steps.append(f"counterexample by exact iteration at {pr._pt(pt)}: "
                                    f"Q({k}) = {shown(a)}, Q({k + 1}) = {shown(b)}")
                    return pr.counterexample(pt, k, a, next_value=shown(b))
                continue
            sym = pr.model.parameter(var).symbol
            p = next(q for q in pr.box if q.symbol == sym)
            lo = sp.Rational(p.lower) if p.lower is not None else pt[sym] - 1
            hi = sp.Rational(p.upper) if p.upper is not None else pt[sym] + 1
            x0 = pt[sym]
            x1 = x0 + (hi - x0) / 2 if x0 < hi else x0
            if x1 == x0 or (p.upper_open and x1 == hi) or (x0 == lo and p.lower_open):
                continue
            q0, q1 = (pr.exact_quantity({**pt, sym: x}, k) for x in (x0, x1))
            if defined(q0) and defined(q1) and q0.is_finite and holds(q1, bad, q0):
                pr.steps.append(f"counterexample by exact evaluation: {var} = {x0} gives {shown(q0)}, "
                                f"{var} = {x1} gives {shown(q1)} (others {pr._pt(pt)})")
                return pr.counterexample(pt, k, q0, **{f"{var}_next": str(x1), "next_value": shown(q1)})
    return None


_KINDS = {"forall": _forall, "exists": _exists, "monotone": _monotone, "region": region_claim,
          "measure": measure_claim}
