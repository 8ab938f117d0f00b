"""Checking claims: each claim of a claims file reproduced from its model and decided at its stated
precision; where it is not consistent, which parameter values (or iterations) would reproduce it."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np

from ..core import sym as _sym
from ..io import registry
from ..io.claimfile import (
    DPS,
    GRID_BOUNDED,
    GRID_UNBOUNDED,
    N_MAX,
    UNBOUNDED_RANGE,
    Claim,
    ClaimFileError,
    ClaimResult,
    load_claims,
    needed_params,
    rounding_interval,
)
from ..io.growth import growth_rates

__all__ = ["check", "check_claims", "check_file", "format_text", "region_summary", "report_claims_path"]


# -- checking ----------------------------------------------------------------------------------------
def _holds(value, claim):
    """Whether an mpmath/exact value satisfies the claim's relation to the stated figure."""
    if value is None or (isinstance(value, mpmath.mpf) and mpmath.isnan(value)):
        return False
    s = Fraction(claim.stated)
    if isinstance(value, Fraction):
        v = value
        cmp = {"<": v < s, "<=": v <= s, ">": v > s, ">=": v >= s}
        if claim.relation == "=":
            lo, hi = claim.interval
            return lo <= v <= hi
        return cmp[claim.relation]
    with _sym.workdps(DPS + 10):
        v = mpmath.mpf(value)
        if not mpmath.isfinite(v):
            return (claim.relation in (">", ">=") and v > 0) or (claim.relation in ("<", "<=") and v < 0)
        sm = mpmath.mpf(s.numerator) / s.denominator
        slack = mpmath.mpf(10) ** -(DPS - 5) * max(1, abs(sm))  # the evaluation's own error
        if claim.relation == "=":
            lo, hi = (mpmath.mpf(x.numerator) / x.denominator for x in claim.interval)
            return bool(lo - slack <= v <= hi + slack)
        return bool({"<": v < sm, "<=": v <= sm + slack, ">": v > sm, ">=": v >= sm - slack}[claim.relation])


def _float_holds(values, claim):
    """The relation for an array of floats (used by the explanation search)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        if claim.relation == "=":
            lo, hi = (float(x) for x in claim.interval)
            return np.isfinite(v) & (v >= lo) & (v <= hi)
        s = float(Fraction(claim.stated))
        return {"<": v < s, "<=": v <= s, ">": v > s, ">=": v >= s}[claim.relation] & ~np.isnan(v)


def _eval(model, claim, dps=None, **override):
    vals = {**claim.params, **override}
    if claim.n is not None and "n" not in override:
        vals["n"] = claim.n
    q = "benefit" if claim.quantity == "limit" and "n" in override else claim.quantity
    return model.evaluate(q, dps=dps, wrt=claim.wrt, fraction=claim.fraction, level=claim.level,
                          metric=claim.metric, **vals)


def check(claim: Claim) -> ClaimResult:
    """Reproduce one claim and decide it at its stated precision.

    Examples
    --------
    >>> from symrecycle.io.claimfile import parse_claims
    >>> c = parse_claims('''
    ... [[claim]]
    ... id = "row2"
    ... model = "kickstarting"
    ... quantity = "limit"
    ... params = { r = "1.3", alpha = 1 }
    ... stated = "4.1"
    ... source = "Table 1"
    ... ''')[0]
    >>> res = check(c)
    >>> res.consistent, round(res.computed, 4)
    (False, 4.3333)
    >>> [(e["parameter"], round(e["low"], 4), round(e["high"], 4)) for e in res.explanations]
    [('r', 1.3175, 1.3279), ('alpha', 0.979, 0.9867), ('n', 11, 12)]
    """
    if claim.quantity == "growth":
        return _check_growth(claim)
    if claim.region is not None:
        from .regioncheck import check_region

        return check_region(claim)

    model = registry.get_model(claim.model)
    try:
        value = _eval(model, claim, dps=DPS)
    except NotImplementedError as exc:
        return ClaimResult(claim.id, claim.stated, None, False, (), claim,
                           error=f"the engine cannot derive this quantity: {exc}")
    except ValueError as exc:
        raise ClaimFileError(f"claim {claim.id!r}: {exc}", claim.line) from None
    ok = _holds(value, claim)
    computed = float(value)
    explanations = () if ok else tuple(_explain(model, claim))
    return ClaimResult(claim.id, claim.stated, computed, ok, explanations, claim)


def _check_growth(claim):

    rates = growth_rates()
    factor = Fraction(1)
    for rid in claim.rates:
        factor *= Fraction(rates[rid].factor)
    value = factor if claim.unit == "x_per_year" else (factor - 1) * 100
    return ClaimResult(claim.id, claim.stated, float(value), _holds(value, claim), (), claim)


def check_claims(claims) -> list:
    """:func:`check` for each claim, in order.

    Examples
    --------
    >>> from symrecycle.io.claimfile import load_claims
    >>> results = check_claims(load_claims(report_claims_path())[:2])
    >>> [(r.id, r.verdict, round(r.computed, 6)) for r in results]
    [('table1-compute', 'consistent', 1.3125), ('table1-hardware', 'inconsistent', 4.333333)]
    """
    return [check(c) for c in claims]


def check_file(path) -> list:
    """Load a claims file and audit every claim; a list of :class:`ClaimResult`.

    Raises
    ------
    ClaimFileError
        for a file that cannot be used, with the line and the reason.

    Examples
    --------
    >>> results = check_file(report_claims_path())
    >>> {r.id: r.verdict for r in results}["table1-hardware"]
    'inconsistent'

    The shipped claims file of the report is audited once per process (its claims over regions
    take seconds, and it uses only the report's own models): a second call returns the same results.
    """
    from pathlib import Path

    shipped = Path(str(report_claims_path()))
    if Path(str(path)) == shipped:
        text = shipped.read_text("utf-8")
        if _AUDIT.get("text") != text:
            _AUDIT.update(text=text, results=tuple(check_claims(load_claims(path))))
        return list(_AUDIT["results"])
    return check_claims(load_claims(path))


#: the audit of the shipped claims file, once per process
_AUDIT: dict = {}


def report_claims_path():
    """Path of the claims file of the report's own numbers (shipped with the package).

    Examples
    --------
    >>> path = report_claims_path()
    >>> path.name, path.is_file()
    ('report_claims.toml', True)
    """
    from importlib import resources

    return resources.files("symrecycle").joinpath("data", "report_claims.toml")


# -- explanations -------------------------------------------------------------------------------------
def _grid(par):
    if par.lower is not None and par.upper is not None:
        lo, hi = float(par.lower), float(par.upper)
        g = np.linspace(lo, hi, GRID_BOUNDED)
        if par.lower_open:
            g = g[1:]
        if par.upper_open:
            g = g[:-1]
        return g, (lo, hi)
    lo, hi = UNBOUNDED_RANGE
    if par.lower is not None and float(par.lower) > 0:
        lo = max(lo, float(par.lower))
    g = np.geomspace(lo, hi, GRID_UNBOUNDED)
    if par.lower is not None and not par.lower_open and float(par.lower) <= lo:
        g = np.concatenate([[float(par.lower)], g])
    return g, (float(g[0]), float(g[-1]))


def _runs(mask):
    """(start, stop) index pairs of the runs of True in a boolean array."""
    idx = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(idx[::2], idx[1::2] - 1))


def _bisect(f, inside, outside, steps=80):
    """Refine the edge between an inside and an outside point (arrays) of the set f."""
    a, b = np.asarray(inside, dtype=float), np.asarray(outside, dtype=float)
    for _ in range(steps):
        if np.all(np.abs(a - b) <= 1e-12 * np.maximum(np.abs(a), 1e-300)):
            break
        mid = (a + b) / 2
        good = f(mid)
        a, b = np.where(good, mid, a), np.where(good, b, mid)
    return a


def _explain(model, claim):
    out = []
    for name in needed_params(model, claim):
        par = model.parameter(name)
        grid, span = _grid(par)

        def f(x, name=name):
            with np.errstate(all="ignore"):
                try:
                    v = _eval(model, claim, **{name: x})
                except (ValueError, NotImplementedError):
                    return np.zeros(np.shape(x), dtype=bool)
            return _float_holds(v, claim)

        mask = f(grid)
        runs = _runs(mask)
        if not runs:
            continue
        starts = [grid[i - 1] if i > 0 else None for i, _ in runs]
        stops = [grid[j + 1] if j + 1 < len(grid) else None for _, j in runs]
        lows = [grid[i] if s is None else None for (i, _), s in zip(runs, starts)]
        highs = [grid[j] if s is None else None for (_, j), s in zip(runs, stops)]
        inner = [k for k, s in enumerate(starts) if s is not None]
        if inner:
            got = _bisect(f, [grid[runs[k][0]] for k in inner], [starts[k] for k in inner])
            for k, v in zip(inner, got):
                lows[k] = float(v)
        inner = [k for k, s in enumerate(stops) if s is not None]
        if inner:
            got = _bisect(f, [grid[runs[k][1]] for k in inner], [stops[k] for k in inner])
            for k, v in zip(inner, got):
                highs[k] = float(v)
        for lo, hi, s0, s1 in zip(lows, highs, starts, stops):
            e = {"parameter": name, "low": float(lo), "high": float(hi)}
            if s0 is None or s1 is None:
                e["note"] = "reaches the end of the searched range " + _span_text(span)
            if name in claim.printed:
                plo, phi = rounding_interval(claim.printed[name])
                e["within_printed_precision"] = bool(float(lo) <= float(phi) and float(hi) >= float(plo))
            out.append(e)
    out += _explain_n(model, claim)
    return out


def _span_text(span):
    return f"[{span[0]:g}, {span[1]:g}]"


def _explain_n(model, claim):
    if claim.quantity not in ("limit", "benefit", "sensitivity", "elasticity", "breakeven"):
        return []
    ns = np.arange(model.start, N_MAX + 1)
    try:
        with np.errstate(all="ignore"):
            v = _eval(model, claim, n=ns)
    except (ValueError, NotImplementedError):
        return []
    out = []
    for i, j in _runs(_float_holds(v, claim)):
        e = {"parameter": "n", "low": int(ns[i]), "high": int(ns[j])}
        if j == len(ns) - 1:
            e["note"] = f"reaches the end of the search (n = {N_MAX})"
        out.append(e)
    return out


# -- text ---------------------------------------------------------------------------------------------
def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        return f"{x:.6g}"
    return str(x)


def format_text(results) -> str:
    """A plain-text audit: one block per claim (the CLI prints this).

    Examples
    --------
    >>> from symrecycle.io.claimfile import parse_claims
    >>> claims = parse_claims('''
    ... [[claim]]
    ... id = "compute"
    ... model = "kickstarting"
    ... quantity = "limit"
    ... params = { r = "4.2", alpha = 1 }
    ... stated = "1.3"
    ... source = "Table 1"
    ... ''')
    >>> print(format_text(check_claims(claims)), end="")
    compute: CONSISTENT  stated = 1.3, computed 1.3125
        kickstarting limit at r=4.2, alpha=1   [Table 1]
    1 claims: 1 consistent, 0 not
    """
    lines = []
    for r in results:
        c = r.claim
        if c is not None and c.region is not None:
            lines += _region_text(r)
            continue
        rel = c.relation if c is not None else "="
        head = f"{r.id}: {r.verdict.upper()}  stated {rel} {r.stated}, computed {_fmt(r.computed)}"
        lines.append(head)
        if c is not None:
            what = f"{c.model} {c.quantity}" if c.model else f"growth of {' x '.join(c.rates)} ({c.unit})"
            ps = ", ".join(f"{k}={c.printed.get(k, _fmt(v))}" for k, v in c.params.items())
            if c.n is not None:
                ps += f", n={_fmt(c.n)}"
            lines.append(f"    {what}" + (f" at {ps}" if ps else "") + f"   [{c.source}]")
        if r.error:
            lines.append(f"    error: {r.error}")
        for e in r.explanations:
            extra = ""
            if "within_printed_precision" in e:
                extra = ("; within the rounding of the printed value" if e["within_printed_precision"]
                         else "; outside the rounding of the printed value")
            if "note" in e:
                extra += f"; {e['note']}"
            lines.append(f"    reproduced with {e['parameter']} in [{_fmt(e['low'])}, {_fmt(e['high'])}]"
                         f" (others as stated){extra}")
        if not r.consistent and not r.explanations and not r.error and c is not None and c.model:
            lines.append("    no single parameter (nor n) reproduces the stated figure")
    bad = sum(not r.consistent for r in results)
    if any(r.claim is not None and r.claim.region is not None for r in results):
        lines.append(f"{len(results)} claims: {len(results) - bad} proved or consistent, {bad} not")
    else:
        lines.append(f"{len(results)} claims: {len(results) - bad} consistent, {bad} not")
    return "\n".join(lines) + "\n"


def region_summary(c) -> str:
    """What a claim over a region states, in one line.

    Examples
    --------
    >>> from symrecycle.io.claimfile import parse_claims
    >>> region_summary(parse_claims('''
    ... [[claim]]
    ... id = "b"
    ... model = "kickstarting"
    ... quantity = "benefit"
    ... params = { r = 5.75 }
    ... forall = { alpha = "[0, 1]", n = "[1, oo)" }
    ... relation = "<="
    ... stated = "1.5"
    ... ''')[0])
    'for all alpha in [0, 1], n in [1, oo): benefit <= 1.5'
    """
    spec = c.region
    box = spec.to_dict()["box"]
    over = ", ".join(f"{k} in {v}" for k, v in box.items()) or "the parameters' domains"
    what = {
        "forall": f"for all {over}: {c.quantity} {c.relation} {c.stated}",
        "exists": f"for some {over}: {c.quantity} {c.relation} {c.stated}",
        "monotone": f"{c.quantity} " + ", ".join(f"{d} in {v}" for v, d in spec.monotone) + f" on {over}",
        "region": f"where {c.quantity} {c.relation} {c.stated} on {over}: exactly {spec.region_text or ''}",
        "measure": f"share of {over} where {c.quantity} {c.relation} {c.stated}: "
                   f"{spec.measure[2] if spec.measure else ''}",
    }[spec.kind]
    return what


def _region_text(r):
    """The lines of a claim over a region: verdict, what is claimed, the certificate, the counterexample."""
    c = r.claim
    fixed = ", ".join(f"{k}={c.printed.get(k, _fmt(v))}" for k, v in c.params.items())
    what = region_summary(c)
    out = [f"{r.id}: {r.verdict.upper()}  {what}",
           f"    {c.model}" + (f" at {fixed}" if fixed else "") + (f"   [{c.source}]" if c.source else "")]
    if r.error:
        out.append(f"    error: {r.error}")
    out += [f"    - {step}" for step in r.certificate]
    if r.verdict == "refuted" and r.counterexample:
        out.append("    counterexample: " + ", ".join(f"{k} = {v}" for k, v in r.counterexample.items()))
    if "witness" in r.details:
        out.append("    witness: " + ", ".join(f"{k} = {v}" for k, v in r.details["witness"].items()))
    return out
