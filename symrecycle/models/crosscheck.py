"""Cross-checks of a model's derived quantities against direct iteration at random parameter points
(degenerate sets included)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..core import conditions as _cond
from ..core import sym as _sym
from ..numeric.iterate import iterate

__all__ = ["cross_check", "CrossCheck"]


# -- cross-check -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossCheck:
    """The largest relative discrepancy between the toolkit and direct iteration.

    Examples
    --------
    >>> c = CrossCheck("kickstarting", "benefit", 10, 2.5e-16, {"r": 2.0, "n": 7}, "mpmath")
    >>> print(c)
    kickstarting benefit: 10 samples, largest relative error 2.5e-16 at r=2.0, n=7 (reference: mpmath)
    """

    model: str
    quantity: str
    samples: int
    max_rel_error: float
    worst_point: dict
    reference: str

    def __str__(self):
        pt = ", ".join(f"{k}={v!r}" for k, v in self.worst_point.items())
        return (
            f"{self.model} {self.quantity}: {self.samples} samples, largest relative error "
            f"{self.max_rel_error:.3g} at {pt} (reference: {self.reference})"
        )


def random_point(model, rng, degenerate=False):
    """A random parameter point of the model's domain (floats)."""
    pt = {}
    for p in model.parameters:
        if p.lower is not None and p.upper is not None:
            v = rng.uniform(float(p.lower), float(p.upper))
            closed = [float(b) for b in p.closed_ends()]
            if closed and rng.random() < 0.1:
                v = float(rng.choice(closed))
            while not p.contains(v):  # an open end drawn by chance
                v = rng.uniform(float(p.lower), float(p.upper))
        else:  # a distance from the finite end log-uniform over five decades around 1, sometimes far out
            v = 0.0
            while v == 0.0 or not p.contains(v):
                d = float(np.exp(rng.uniform(np.log(1e-2), np.log(1e2))))
                if rng.random() < 0.05:
                    d = float(np.exp(rng.uniform(np.log(1e-6), np.log(1e6))))
                if p.lower is not None:
                    v = float(p.lower) + d
                elif p.upper is not None:
                    v = float(p.upper) - d
                else:
                    v = d if rng.random() < 0.5 else -d
        pt[p.name] = v
    return pt


def cross_check(model, samples=1000, seed=0, quantity="benefit", n_max=300, dps=40, metric=None):
    """Compare the toolkit's float evaluation with mpmath direct iteration.

    Parameters are drawn from the model's domain (log-uniform over five
    decades for unbounded ones, endpoints of bounded ones now and then); a
    fifth of the points lie on a degenerate set of the closed form (e.g.
    ``alpha = r``) and a fifth within 1e-15 relative of one. ``quantity`` is
    ``"benefit"`` (the metric) or ``"closed-form"`` (the adjusted sequence).
    The floats are evaluated in one vectorized call.

    Examples
    --------
    >>> from symrecycle.io.modelfile import model_from_dict
    >>> m = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                      "recurrence": {"initial": "1", "next": "r*A[n-1]"}})
    >>> c = cross_check(m, samples=5, n_max=20)
    >>> c.samples, c.max_rel_error < 1e-12
    (5, True)
    """
    if quantity not in ("benefit", "closed-form"):
        raise ValueError(f"quantity: got {quantity!r}, expected 'benefit' or 'closed-form'")
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples: got {samples!r}, expected a positive integer")
    rng = np.random.default_rng(seed)
    res = model.benefit(metric) if quantity == "benefit" else model.closed_form()
    eqs = sorted({e for _, c in _sym.pieces(res.expr) for e in c.atoms(sp.Eq)}, key=sp.default_sort_key)
    points = []
    for i in range(samples):
        pt = random_point(model, rng)
        if eqs and i % 5 in (1, 2):
            pt = _onto(model, eqs[i % len(eqs)], pt, nudge=(i % 5 == 2))
        points.append((pt, int(rng.integers(model.start, n_max + 1))))
    names = [p.name for p in model.parameters]
    arrays = {nm: np.array([pt[nm] for pt, _ in points]) for nm in names}
    got = model.evaluate(quantity, metric=metric, n=np.array([k for _, k in points]), **arrays)
    worst, where = 0.0, {}
    metric_name = metric or model.metrics[0].name
    for (pt, k), g in zip(points, got):
        with _sym.workdps(dps):
            if quantity == "benefit":
                ref = iterate(model, k, dps=dps, metric=metric_name, **pt)[-1]
            else:
                ref = iterate(model, k, dps=dps, **pt)[-1]
            err = _rel_error(float(g), ref)
        if not err <= worst:
            worst, where = err, {**pt, "n": k}
    return CrossCheck(model.name, quantity, samples, worst, where, f"mpmath iteration at {dps} digits")


def _rel_error(got, ref):
    """Relative error of a float against an mpmath reference, as floats can hold it.

    Beyond the float range the right answer is ``inf`` of the right sign; in
    the subnormal range, within one subnormal step of the rounded reference.
    """
    nearest = float(ref)  # rounds, and overflows to inf
    if not math.isfinite(nearest):
        return 0.0 if got == nearest else math.inf
    if abs(nearest) < np.finfo(float).tiny:
        return 0.0 if abs(got - nearest) <= 2 * math.ulp(0.0) else math.inf
    return float(abs(got - ref) / abs(ref))


def _onto(model, eq, pt, nudge=False):
    sub = _cond.solve_equality(eq, prefer=[p.symbol for p in model.parameters])
    (sym, expr), = sub.items()
    par = model.parameter(sym.name)
    val = float(expr.subs({model.parameter(k).symbol: v for k, v in pt.items()}))
    if nudge:
        val *= 1 + 1e-15
    if par.contains(val):
        pt = {**pt, sym.name: val}
    return pt
