"""Global sensitivity: Sobol indices of a derived quantity (SALib's Saltelli design) beside the
local elasticities, in one :class:`SensitivityTable`."""

from __future__ import annotations

import math
import numbers
import zlib
from dataclasses import dataclass

import numpy as np

from .distributions import _U_MAX, _U_MIN, CHUNK, _num
from .sampling import _check_seed, _int, _iterations, _model, _prepare_all

__all__ = ["sobol", "SensitivityTable", "SensitivityRow", "local_elasticities"]


# -- sensitivity ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SensitivityRow:
    """One parameter's global (Sobol) and local (elasticity) sensitivity.

    Examples
    --------
    >>> row = sobol("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 8, seed=1).row("r")
    >>> row.distribution, row.median, round(row.elasticity, 6), row.fixed
    ('uniform 2 to 6', 4.0, -0.333333, False)
    """

    name: str
    distribution: str
    median: float
    S1: float
    S1_conf: float
    ST: float
    ST_conf: float
    elasticity: float | None
    fixed: bool


@dataclass(frozen=True, repr=False)
class SensitivityTable:
    """Sobol indices with confidence intervals beside elasticities at the medians, most important first.

    Rows are sorted by total index (then by absolute elasticity); fixed
    parameters (index 0 by construction) come last.

    Examples
    --------
    >>> t = sobol("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 8, seed=1)
    >>> t.evaluations, t.row("alpha").ST, [rec["name"] for rec in t.as_records()]
    (24, 0.0, ['r', 'alpha'])
    >>> t.to_dict()["samples"]
    8
    """

    model: str
    quantity: str
    n: object
    samples: int
    evaluations: int
    seed: int
    conf_level: float
    rows: tuple

    def __repr__(self):
        top = ", ".join(f"{r.name} {r.ST:.3g}" for r in self.rows if not r.fixed)
        return (f"SensitivityTable({self.model} {self.quantity}: total indices {top}; "
                f"{self.evaluations} evaluations)")

    def row(self, name) -> SensitivityRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise ValueError(f"name: got {name!r}, expected one of {', '.join(r.name for r in self.rows)}")

    def as_records(self) -> list:
        """The rows as dictionaries (for JSON or CSV)."""
        return [dict(r.__dict__) for r in self.rows]

    def to_dict(self) -> dict:
        """The table as plain Python values (for JSON): the run's settings and ``rows``."""
        return {
            "model": self.model, "quantity": self.quantity, "n": None if self.n is None else float(self.n),
            "samples": self.samples, "evaluations": self.evaluations, "seed": self.seed,
            "conf_level": self.conf_level, "rows": self.as_records(),
        }

    def __str__(self):
        pct = f"{self.conf_level * 100:g}%"
        at = "" if self.n is None else f" at n = {_num(self.n)}"
        head = ["parameter", "distribution", "median", "S1 (first)", f"± {pct}", "ST (total)", f"± {pct}",
                "elasticity at medians"]
        cells = [head]
        for r in self.rows:
            el = "n/a" if r.elasticity is None else f"{r.elasticity:.4g}"
            cells.append([r.name, r.distribution, f"{r.median:.4g}", f"{r.S1:.3f}", f"{r.S1_conf:.3f}",
                          f"{r.ST:.3f}", f"{r.ST_conf:.3f}", el])
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        lines = [f"{self.model}: sensitivity of the {self.quantity}{at} ({self.samples} base samples, "
                 f"{self.evaluations} evaluations, seed {self.seed})"]
        lines += ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                  for row in cells]
        return "\n".join(lines)


def local_elasticities(model, specs, n=None, metric=None) -> dict:
    r"""``{parameter: (p/Q) dQ/dp}`` of the limit (or of the metric at ``n``) at the medians of ``specs``.

    The elasticity is the symbolic derivative of the engine
    (:meth:`~symrecycle.models.model.Model.elasticity`) evaluated numerically:

    .. math:: \varepsilon_p = \frac{p}{Q}\,\frac{\partial Q}{\partial p}.

    Examples
    --------
    >>> import symrecycle as sr
    >>> e = local_elasticities(sr.get_model("kickstarting"), {"r": 4, "alpha": 1})
    >>> round(e["r"], 6), round(e["alpha"], 6)
    (-0.333333, 0.333333)
    """
    model = _model(model)
    prepared = _prepare_all(model, specs)
    nval = _iterations(n, model)
    if isinstance(nval, np.ndarray):
        raise ValueError(f"parameter 'n': got {n!r}, expected one iteration (an integer or inf)")
    med = {p.name: p.median for p in prepared}
    extra = {} if nval is None else {"n": nval}
    return {p.name: float(model.evaluate("elasticity", wrt=p.name, metric=metric, **extra, **med))
            for p in prepared}


def _is_power_of_two(k):
    return k > 0 and k & (k - 1) == 0


def sobol(model, quantity, specs, samples, seed, n=None, wrt=None, metric=None, fraction=0.99, level=1,
          conf_level=0.95, resamples=100, chunk=None) -> SensitivityTable:
    r"""Sobol' first-order and total indices (SALib) beside local elasticities, one table.

    Saltelli's scheme evaluates the quantity at ``samples * (D + 2)`` points
    for ``D`` uncertain parameters (``samples`` a power of 2, as Sobol'
    sequences need). The indices are of the quantity's variance:

    .. math::

        S_i = \frac{\operatorname{Var}(\mathrm{E}[Q \mid p_i])}{\operatorname{Var} Q}, \qquad
        S_{T,i} = \frac{\mathrm{E}[\operatorname{Var}(Q \mid p_{\sim i})]}{\operatorname{Var} Q},

    with bootstrap intervals at ``conf_level``. The inputs must be
    independent (no correlations), and the quantity finite at every point.
    For the benefit and the limit, the table also gives the elasticity of
    the symbolic derivative at the medians (:func:`local_elasticities`).

    Examples
    --------
    >>> import symrecycle as sr
    >>> t = sobol(sr.get_model("kickstarting"), "limit",
    ...           {"r": "lognormal 3 to 6", "alpha": "uniform 0.2 to 0.9", "C1": 1}, 1024, seed=1)
    >>> [r.name for r in t.rows]
    ['alpha', 'r', 'C1']
    """
    model = _model(model)
    if not isinstance(quantity, str):
        raise ValueError(f"quantity: got {quantity!r}, expected a quantity name such as 'limit' or 'benefit'")
    samples = _int("samples", samples, 8, 2**24, "a power of 2 from 8 to 2**24 (Sobol' sequences need one)")
    if not _is_power_of_two(samples):
        below = 1 << (samples.bit_length() - 1)
        raise ValueError(
            f"samples: got {samples}, expected a power of 2 (Sobol' sequences need one), "
            f"e.g. {below} or {below * 2}"
        )
    seed = _check_seed(seed)
    if isinstance(conf_level, bool) or not isinstance(conf_level, numbers.Real) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level: got {conf_level!r}, expected a number in (0, 1)")
    resamples = _int("resamples", resamples, 2, 10**5)
    prepared = _prepare_all(model, specs)
    varied = [p for p in prepared if not p.is_fixed]
    if not varied:
        raise ValueError("specs: every parameter is fixed; give at least one a distribution")
    nval = _iterations(n, model)
    if isinstance(nval, np.ndarray):
        raise ValueError(f"parameter 'n': got {n!r}, expected one iteration (an integer or inf)")
    kw = {"wrt": wrt, "metric": metric, "fraction": fraction, "level": level}
    extra = {} if nval is None else {"n": nval}
    med = {p.name: p.median for p in prepared}
    model.evaluate(quantity, **kw, **extra, **med)  # checks the inputs before sampling

    from SALib.analyze import sobol as sobol_analyze  # lazy: SALib imports pandas
    from SALib.sample import sobol as sobol_sample

    names = [p.name for p in varied]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    ss = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"sobol"),))
    sample_rng, analyze_seed = ss.spawn(2)
    unit = sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True,
                               seed=np.random.default_rng(sample_rng))
    np.clip(unit, _U_MIN, _U_MAX, out=unit)
    total = unit.shape[0]
    y = np.empty(total)
    rows = CHUNK if chunk is None else _int("chunk", chunk, 1)
    fixed_vals = {p.name: p.value for p in prepared if p.is_fixed}
    for s in range(0, total, rows):
        e = min(total, s + rows)
        vals = dict(fixed_vals)
        for j, p in enumerate(varied):
            vals[p.name] = p.ppf(unit[s:e, j])
        y[s:e] = model.evaluate(quantity, **kw, **extra, **vals)
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        point = ", ".join(f"{p.name}={float(p.ppf(unit[i, j])):.6g}" for j, p in enumerate(varied))
        raise ValueError(
            f"sobol: the {quantity} is {y[i]} at {int(bad.sum())} of {total} sample points (e.g. {point}); "
            "Sobol indices need a finite quantity: narrow or truncate the distributions"
        )
    if np.ptp(y) == 0:
        raise ValueError(
            f"sobol: the {quantity} does not vary over these distributions; its indices are undefined"
        )
    # SALib seeds its bootstrap only with a truthy seed: never 0
    boot_seed = int(analyze_seed.generate_state(1)[0]) | 1
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=resamples,
                                conf_level=float(conf_level), seed=boot_seed)
    q = quantity.replace("_", "-")
    elast = {}
    if q in ("benefit", "limit") and wrt is None:
        elast = local_elasticities(model, {p.name: p.dist for p in prepared}, n=nval, metric=metric)
    out = []
    for p in prepared:
        e = elast.get(p.name)
        if p.is_fixed:
            out.append(SensitivityRow(p.name, p.dist.text, p.value, 0.0, 0.0, 0.0, 0.0, e, True))
            continue
        j = names.index(p.name)
        out.append(SensitivityRow(p.name, p.dist.text, p.median, float(res["S1"][j]),
                                  float(res["S1_conf"][j]), float(res["ST"][j]), float(res["ST_conf"][j]),
                                  e, False))

    def importance(r):
        mag = 0.0 if r.elasticity is None or not math.isfinite(r.elasticity) else abs(r.elasticity)
        return (r.fixed, -r.ST, -mag)

    return SensitivityTable(model.name, q, nval, samples, total, seed, float(conf_level),
                            tuple(sorted(out, key=importance)))
