"""Drawing samples: each parameter's distribution prepared once, a Gaussian copula for correlations,
reproducible random streams per block, and quantiles without sorting whole arrays."""

from __future__ import annotations

import math
import numbers
import zlib
from dataclasses import dataclass

import numpy as np

from ..io.registry import get_model
from ..models.model import Model
from ..numeric.pool import thread_pool, workers
from .distributions import (
    _U_MAX,
    _U_MIN,
    BLOCK,
    MIN_KEPT,
    PERCENTS,
    Distribution,
    _as_distribution,
    _num,
    _special,
    correlation_matrix,
)


# -- parameters prepared for sampling ------------------------------------------------------
@dataclass(frozen=True)
class _Prepared:
    """A distribution bound to a parameter's domain: truncation and the bounds to enforce."""

    name: str
    dist: Distribution
    domain: str
    lo: float  # effective support (after truncation)
    hi: float
    f_lo: float  # CDF at the truncation bounds (0 and 1 when not truncated)
    f_hi: float
    clip_lo: float | None  # domain bounds the support touches
    clip_hi: float | None
    open_lo: bool
    open_hi: bool

    @property
    def is_fixed(self):
        return self.dist.is_fixed

    @property
    def value(self):
        return self.dist.args[0]

    def ppf(self, u):
        """Samples for uniforms ``u``, inside the domain."""
        u = np.asarray(u, dtype=float)
        if self.f_lo != 0.0 or self.f_hi != 1.0:
            u = self.f_lo + (self.f_hi - self.f_lo) * u
        x = np.asarray(self.dist.ppf(u), dtype=float)
        if self.clip_lo is not None:
            np.maximum(x, self.clip_lo, out=x)
            if self.open_lo:
                x[x <= self.clip_lo] = np.nextafter(self.clip_lo, math.inf)
        if self.clip_hi is not None:
            np.minimum(x, self.clip_hi, out=x)
            if self.open_hi:
                x[x >= self.clip_hi] = np.nextafter(self.clip_hi, -math.inf)
        return x

    @property
    def median(self) -> float:
        return self.value if self.is_fixed else float(self.ppf(0.5))


def _prepare(model, name, spec) -> _Prepared:
    par = model.parameter(name)
    dist = _as_distribution(name, spec)
    dlo = -math.inf if par.lower is None else float(par.lower)
    dhi = math.inf if par.upper is None else float(par.upper)
    if dist.is_fixed:
        try:
            par.validate(dist.args[0])
        except ValueError:
            raise ValueError(
                f"parameter {name!r}: fixed at {_num(dist.args[0])}, outside its domain {par.domain_text}"
            ) from None
        return _Prepared(name, dist, par.domain_text, *dist.support, 0.0, 1.0, None, None, False, False)
    slo, shi = dist.support
    f_lo, f_hi = 0.0, 1.0
    if slo < dlo or shi > dhi:
        outside = dist.cdf(dlo) + (1.0 - dist.cdf(dhi))
        if not dist.truncated:
            raise ValueError(
                f"parameter {name!r}: {dist.text} puts {outside:.3g} of its probability outside the domain "
                f"{par.domain_text} (its support is [{_num(slo)}, {_num(shi)}]); give a distribution inside "
                f"the domain, or add 'truncated' (truncate=True) to condition it on the domain"
            )
        slo, shi = max(slo, dlo), min(shi, dhi)
        f_lo, f_hi = dist.cdf(slo), dist.cdf(shi)
        if not slo < shi or f_hi - f_lo < MIN_KEPT:
            raise ValueError(
                f"parameter {name!r}: {dist.text} keeps {max(f_hi - f_lo, 0.0):.3g} of its probability on "
                f"the domain {par.domain_text}; expected at least {MIN_KEPT:g} (a distribution mostly inside "
                "the domain)"
            )
    clip_lo = dlo if math.isfinite(dlo) and slo <= dlo else None
    clip_hi = dhi if math.isfinite(dhi) and shi >= dhi else None
    return _Prepared(name, dist, par.domain_text, slo, shi, f_lo, f_hi, clip_lo, clip_hi,
                     bool(par.lower_open), bool(par.upper_open))


def _prepare_all(model, specs):
    if not isinstance(specs, dict) or not specs:
        raise ValueError(
            f"specs: got {specs!r}, expected a mapping from parameter names of {model.name!r} "
            f"({', '.join(p.name for p in model.parameters)}) to distributions"
        )
    order = {p.name: i for i, p in enumerate(model.parameters)}
    for name in specs:
        if not isinstance(name, str):
            raise ValueError(f"specs: key {name!r}, expected a parameter name")
        model.parameter(name)  # ValueError naming the model's parameters
    return [_prepare(model, name, specs[name]) for name in sorted(specs, key=order.__getitem__)]


class _Copula:
    """The Gaussian copula of the correlated parameters (None when there are none)."""

    def __init__(self, prepared, correlations):
        self.names, self.factor = [], None
        if not correlations:
            return
        varied = [p.name for p in prepared if not p.is_fixed]
        fixed_names = {p.name: p.value for p in prepared if p.is_fixed}
        if not isinstance(correlations, dict):
            raise ValueError(f"correlations: got {correlations!r}, expected a mapping {{(A, B): RHO}}")
        for key in correlations:
            for k in key if isinstance(key, tuple) else ():
                if k in fixed_names:
                    raise ValueError(
                        f"correlations: {k!r} is fixed ({k} = {_num(fixed_names[k])}); only parameters "
                        "with a distribution can be correlated"
                    )
        rho = correlation_matrix(varied, correlations)  # checks every name against the varied ones
        involved = {k for key in correlations for k in key}
        keep = [i for i, nm in enumerate(varied) if nm in involved]
        names, rho = [varied[i] for i in keep], rho[np.ix_(keep, keep)]
        pearson = 2 * np.sin(np.pi * rho / 6)
        np.fill_diagonal(pearson, 1.0)
        low = float(np.linalg.eigvalsh(pearson).min())
        if low < -1e-12:
            raise ValueError(
                "correlations: the Gaussian copula's correlations 2 sin(pi rho / 6) are not positive "
                f"semidefinite (smallest eigenvalue {low:.3g}); weaken the correlations"
            )
        try:
            factor = np.linalg.cholesky(pearson)
        except np.linalg.LinAlgError:  # singular (e.g. rho = 1): a square root by eigenvectors
            w, v = np.linalg.eigh(pearson)
            factor = v * np.sqrt(np.clip(w, 0, None))
        self.names, self.factor, self.rho = names, factor, rho

    def apply(self, us: dict):
        if self.factor is None:
            return
        sp = _special()
        z = np.stack([sp.ndtri(us[nm]) for nm in self.names], axis=-1)
        z = z @ self.factor.T
        for i, nm in enumerate(self.names):
            u = sp.ndtr(z[:, i])
            np.clip(u, _U_MIN, _U_MAX, out=u)
            us[nm] = u


class _Streams:
    """The uniforms of each parameter: blocks of :data:`BLOCK` from their own seeded stream."""

    def __init__(self, seed, prepared, copula):
        self.seed, self.copula = seed, copula
        self.varied = [p for p in prepared if not p.is_fixed]
        self.gens = {}

    def _gen(self, name, block):
        key = (name, block)
        if key not in self.gens:
            ss = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), block))
            self.gens[key] = np.random.Generator(np.random.PCG64(ss))
        return self.gens[key]

    def fill(self, bufs, start, stop):
        """Write the samples ``start:stop`` of each varied parameter into ``bufs[name]``."""
        tasks = []
        for b in range(start // BLOCK, (stop - 1) // BLOCK + 1):
            lo, hi = max(start, b * BLOCK), min(stop, (b + 1) * BLOCK)
            tasks.append((b, lo, hi))
            for p in self.varied:
                self._gen(p.name, b)  # made here: the worker threads only read the dict

        def work(task):
            b, lo, hi = task
            us = {}
            for p in self.varied:
                u = self.gens[(p.name, b)].random(hi - lo)
                np.maximum(u, _U_MIN, out=u)
                us[p.name] = u
            self.copula.apply(us)
            for p in self.varied:
                bufs[p.name][lo - start:hi - start] = p.ppf(us[p.name])

        if len(tasks) > 1 and workers() > 1:
            list(thread_pool("sampling").map(work, tasks))
        else:
            for t in tasks:
                work(t)
        for b, _lo, hi in tasks:  # a block drawn to its end is not needed again
            if hi == (b + 1) * BLOCK:
                for p in self.varied:
                    self.gens.pop((p.name, b), None)


# -- inputs -----------------------------------------------------------------------------------
def _model(model):

    if isinstance(model, Model) or (hasattr(model, "evaluate") and hasattr(model, "parameters")):
        return model
    return get_model(model)


def _int(name, value, low, high=None, expected=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low or (
        high is not None and value > high
    ):
        exp = expected or (f"an integer >= {low}" + (f" and <= {high}" if high is not None else ""))
        raise ValueError(f"{name}: got {value!r}, expected {exp}")
    return int(value)


def _iterations(n, model):
    """None, a scalar (int or inf), or a 1-D float array of iterations."""
    if n is None:
        return None
    if isinstance(n, str):
        raise ValueError(
            f"parameter 'n': got {n!r}, expected an integer >= {model.start}, inf, or a sequence of them"
        )
    arr = np.asarray(list(n) if isinstance(n, range) else n)
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(
            f"parameter 'n': got {n!r}, expected an integer, inf, or a non-empty 1-D sequence of them"
        )
    if arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"parameter 'n': got {n!r}, expected integers >= {model.start} or inf")
    arr = arr.astype(float)
    bad = ~((arr == np.inf) | (np.isfinite(arr) & (arr == np.round(arr)) & (arr >= model.start)))
    if bad.any():
        got = arr[bad][0]
        got = _num(got) if np.isfinite(got) else repr(float(got))
        raise ValueError(f"parameter 'n': got {got}, expected an integer >= {model.start} or inf")
    return arr if arr.ndim == 1 else float(arr)


def _values(prepared, bufs, nvals, columns):
    vals = {p.name: p.value for p in prepared if p.is_fixed}
    for nm, buf in bufs.items():
        vals[nm] = buf[:, None] if columns else buf
    if nvals is not None:
        vals["n"] = nvals[None, :] if columns else nvals
    return vals


def _check_seed(seed):
    return _int("seed", seed, 0, 2**128 - 1, "a non-negative integer (results are reproducible from it)")


# -- quantiles ------------------------------------------------------------------------------
#: above this many values, quantiles are selected without copying the samples
_SELECT_COPY = 1 << 20


def _order_stats(x, ks, m):
    """The ks-th smallest (0-based, adjacent) of the ``m`` non-nan values of ``x``, without copying ``x``.

    A strided subsample (the samples are independent draws, so any fixed
    subset is a sample too) gives a value window that holds the ranks with
    overwhelming probability; the values below it are counted and the few
    inside it selected exactly. ``None`` when the window misses.
    """
    sub = x[:: max(1, x.size // 65536)]
    sub = np.sort(sub[~np.isnan(sub)])
    s = sub.size
    q_lo, q_hi = min(ks) / max(m - 1, 1), max(ks) / max(m - 1, 1)
    lo_v = sub[max(0, math.floor(q_lo * (s - 1) - 8 * math.sqrt(s * q_lo * (1 - q_lo)) - 4))]
    hi_v = sub[min(s - 1, math.ceil(q_hi * (s - 1) + 8 * math.sqrt(s * q_hi * (1 - q_hi)) + 4))]
    below = int(np.count_nonzero(x < lo_v))
    inside = x[(x >= lo_v) & (x <= hi_v)]
    if not (below <= min(ks) and max(ks) < below + inside.size):
        return None
    part = np.partition(inside, [k - below for k in ks])
    return {k: part[k - below] for k in ks}


def _quantiles_1d(x, percents):
    """Linear-interpolation quantiles (numpy's default) of the non-nan values of ``x``; safe with inf."""
    nan = np.isnan(x)
    m = x.size - int(np.count_nonzero(nan))
    if m == 0:
        return np.full(len(percents), np.nan)
    pos = np.asarray(percents, dtype=float) / 100 * (m - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, m - 1)
    stats = None
    if x.size > _SELECT_COPY:
        stats = {}
        for a, b in zip(lo, hi):
            got = _order_stats(x, sorted({int(a), int(b)}), m)
            if got is None:
                stats = None
                break
            stats.update(got)
    if stats is None:
        ranks = np.unique(np.concatenate([lo, hi]))
        part = np.partition(x[~nan] if m < x.size else x, ranks)
        stats = {int(k): part[k] for k in ranks}
    a = np.array([stats[int(k)] for k in lo])
    b = np.array([stats[int(k)] for k in hi])
    t = pos - lo
    with np.errstate(invalid="ignore"):
        out = a + t * (b - a)
    return np.where((t == 0) | (a == b), a, out)


def _summaries(values):
    """quantiles {percent: value or array}, mean, count of nan."""
    cols = values.reshape(values.shape[0], -1)
    qs = np.empty((len(PERCENTS), cols.shape[1]))
    means = np.empty(cols.shape[1])
    nans = np.empty(cols.shape[1], dtype=np.int64)
    for j in range(cols.shape[1]):
        col = cols[:, j]
        qs[:, j] = _quantiles_1d(col, PERCENTS)
        bad = np.isnan(col)
        nans[j] = int(np.count_nonzero(bad))
        with np.errstate(invalid="ignore", over="ignore"):
            if nans[j] == 0:
                means[j] = np.mean(col)
            else:
                means[j] = np.mean(col[~bad]) if nans[j] < col.size else np.nan
    if values.ndim == 1:
        return {p: float(qs[i, 0]) for i, p in enumerate(PERCENTS)}, float(means[0]), int(nans[0])
    return {p: qs[i].copy() for i, p in enumerate(PERCENTS)}, means, nans
