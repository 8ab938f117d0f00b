r"""Uncertainty: parameter distributions, seeded Monte Carlo in chunks, and sensitivity.

Any parameter of a model may be given as a :class:`Distribution` (or as the
text of one, read by :func:`parse_spec`, never evaluated):

=======================  =========================================================
``0.5``, ``fixed 0.5``   the value itself
``uniform 2 to 6``       uniform on [2, 6] (also ``uniform(2, 6)``)
``loguniform 2 to 6``    log-uniform on [2, 6]: ``log x`` uniform
``normal(0.5, 0.1)``     normal with mean 0.5 and standard deviation 0.1
``lognormal 2 to 6``     lognormal whose 5th and 95th percentiles are 2 and 6
``triangular(2, 3, 6)``  triangular on [2, 6] with mode 3
=======================  =========================================================

**Domains.** A distribution whose support leaves the parameter's domain is
refused when the specs are read (``ValueError`` saying how much probability
lies outside), unless it is marked ``truncated`` (``"normal(0.9, 0.1)
truncated"``, ``truncate=True``): it is then conditioned on the domain, by
sampling the inverse CDF on :math:`[F(a), F(b)]`. A support that only touches
an open bound (``uniform 0 to 2`` for ``r`` in ``(0, oo)``) is accepted: the
bound has probability 0, and a draw that rounds onto it is moved to the next
float inside. No sample outside the domain reaches the model (and
:meth:`~symrecycle.models.Model.evaluate` checks again).

**Random numbers.** Every sample is :math:`x = F^{-1}(u)` of a uniform
:math:`u`. The uniforms of parameter ``p`` come in blocks of :data:`BLOCK`
from their own stream, seeded by ``(seed, crc32(p), block)``, so a result
depends on the seed, the specs and the sample count only: not on the chunk
size, the number of threads, or which other parameters are uncertain; and
the first ``k`` samples of a run are the run with ``samples=k``. Rank
correlations use a Gaussian copula: :math:`z = \Phi^{-1}(u)` of the
correlated parameters is multiplied by a Cholesky factor of
:math:`R_{ij} = 2\sin(\pi\rho_{ij}/6)` (the Pearson correlation of a normal
pair whose Spearman rank correlation is :math:`\rho_{ij}`), and
:math:`u = \Phi(z)` again: the marginals are kept exactly.

**Quantiles** are numpy's default (linear interpolation between order
statistics), made safe for infinite values (a limit is ``oo`` where the
benefit diverges). Undefined values (nan) are counted and left out.

**Sensitivity.** :func:`sobol` computes Sobol' first-order and total indices
with SALib (Saltelli sampling on the unit cube, mapped through the same
inverse CDFs; bootstrap confidence intervals) and puts beside them the local
elasticities :math:`\frac{p}{Q}\frac{\partial Q}{\partial p}` of the symbolic
derivative at the distributions' medians.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from . import _files

__all__ = [
    # distributions
    "Distribution", "fixed", "uniform", "loguniform", "normal", "lognormal", "triangular",
    "parse_spec", "parse_specs", "parse_correlations", "correlation_matrix", "SPEC_FORMS",
    # sampling and Monte Carlo
    "draw", "monte_carlo", "MonteCarlo", "read_csv", "save_figure", "PERCENTS",
    # sensitivity
    "sobol", "SensitivityTable", "SensitivityRow", "local_elasticities",
]

#: the percentages of the quantiles a Monte Carlo reports
PERCENTS = (5, 25, 50, 75, 95)
#: samples per block of a parameter's random stream
BLOCK = 1 << 16
#: default number of values (samples x iterations) evaluated per chunk
CHUNK = 1 << 20
#: the smallest probability a truncated distribution may keep
MIN_KEPT = 1e-9
#: the forms :func:`parse_spec` reads
SPEC_FORMS = (
    "0.5 | fixed 0.5 | uniform 2 to 6 | loguniform 2 to 6 | normal(MEAN, SD) | "
    "lognormal LO to HI (5th to 95th percentile) | triangular(LO, MODE, HI); "
    "optionally followed by 'truncated'"
)

_Z95 = NormalDist().inv_cdf(0.95)
_U_MIN = 2.0**-54  # uniforms are kept in [2**-54, 1 - 2**-53]: the inverse CDF stays finite
_U_MAX = 1.0 - 2.0**-53
_ARITY = {"fixed": 1, "uniform": 2, "loguniform": 2, "normal": 2, "lognormal": 2, "triangular": 3}
_ALIASES = {"log-uniform": "loguniform", "log-normal": "lognormal", "const": "fixed", "constant": "fixed"}


def _special():
    from scipy import special  # lazy: scipy is only needed once numbers are drawn

    return special


def _num(x) -> str:
    """A float as short text that reads back to the same float."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


# -- distributions --------------------------------------------------------------------------
@dataclass(frozen=True)
class Distribution:
    r"""A distribution of one parameter, sampled through its inverse CDF.

    Parameters
    ----------
    kind : str
        ``"fixed"``, ``"uniform"``, ``"loguniform"``, ``"normal"``,
        ``"lognormal"`` or ``"triangular"``.
    args : tuple of float
        ``(value,)``, ``(lo, hi)``, ``(lo, hi)``, ``(mean, sd)``,
        ``(lo, hi)`` (the 5th and 95th percentiles) and ``(lo, mode, hi)``.
    truncated : bool
        Condition the distribution on the parameter's domain instead of
        refusing a support that leaves it.

    Notes
    -----
    The lognormal from a 90 % interval :math:`[l, h]` has

    .. math::

        \mu = \tfrac12(\ln l + \ln h), \qquad
        \sigma = \frac{\ln h - \ln l}{2\,\Phi^{-1}(0.95)} .

    Examples
    --------
    >>> d = lognormal(2, 6)
    >>> d
    Distribution('lognormal 2 to 6')
    >>> round(float(d.ppf(0.05)), 12), round(float(d.ppf(0.95)), 12)
    (2.0, 6.0)
    >>> print(d.median)  # doctest: +ELLIPSIS
    3.464...
    """

    kind: str
    args: tuple
    truncated: bool = False

    def __post_init__(self):
        kind = _ALIASES.get(self.kind, self.kind) if isinstance(self.kind, str) else self.kind
        if kind not in _ARITY:
            raise ValueError(f"distribution kind: got {self.kind!r}, expected one of {', '.join(_ARITY)}")
        object.__setattr__(self, "kind", kind)
        args = tuple(self.args) if isinstance(self.args, (tuple, list)) else (self.args,)
        if len(args) != _ARITY[kind]:
            raise ValueError(f"{kind}: got {len(args)} numbers {args!r}, expected {_ARITY[kind]}")
        vals = []
        for a in args:
            if isinstance(a, bool) or not isinstance(a, numbers.Real):
                raise ValueError(f"{kind}: got {a!r}, expected a real number")
            v = float(a)
            if not math.isfinite(v):
                raise ValueError(f"{kind}: got {a!r}, expected a finite number")
            vals.append(v)
        object.__setattr__(self, "args", tuple(vals))
        if not isinstance(self.truncated, bool):
            raise ValueError(f"truncated: got {self.truncated!r}, expected True or False")
        if kind in ("uniform", "loguniform", "lognormal"):
            lo, hi = vals
            if not lo < hi:
                raise ValueError(f"{kind}: got lo = {_num(lo)}, hi = {_num(hi)}, expected lo < hi")
            if kind != "uniform" and lo <= 0:
                raise ValueError(f"{kind}: got lo = {_num(lo)}, expected lo > 0")
        elif kind == "normal" and not vals[1] > 0:
            raise ValueError(f"normal: got sd = {_num(vals[1])}, expected sd > 0")
        elif kind == "triangular":
            lo, mode, hi = vals
            if not (lo < hi and lo <= mode <= hi):
                raise ValueError(
                    f"triangular: got ({_num(lo)}, {_num(mode)}, {_num(hi)}), "
                    "expected lo <= mode <= hi, lo < hi"
                )
        if kind == "fixed" and self.truncated:
            raise ValueError("fixed: a fixed value cannot be truncated")

    # -- text ---------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """Canonical text; :func:`parse_spec` reads it back to an equal distribution."""
        a = [_num(x) for x in self.args]
        if self.kind in ("normal", "triangular"):
            body = f"{self.kind}({', '.join(a)})"
        else:
            body = f"{self.kind} {' to '.join(a)}"
        return body + (" truncated" if self.truncated else "")

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"Distribution({self.text!r})"

    # -- numbers ------------------------------------------------------------------------
    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    @property
    def support(self) -> tuple:
        """``(lo, hi)``: the closure of the support (infinite ends as ``±inf``)."""
        a = self.args
        if self.kind == "fixed":
            return a[0], a[0]
        if self.kind == "normal":
            return -math.inf, math.inf
        if self.kind == "lognormal":
            return 0.0, math.inf
        return a[0], a[-1]

    def _lognormal(self):
        lo, hi = self.args
        return 0.5 * (math.log(lo) + math.log(hi)), (math.log(hi) - math.log(lo)) / (2 * _Z95)

    def ppf(self, u):
        """Inverse CDF at ``u`` in (0, 1) (arrays elementwise; not truncated)."""
        u = np.asarray(u, dtype=float)
        a = self.args
        with np.errstate(all="ignore"):
            if self.kind == "fixed":
                return np.full(u.shape, a[0])
            if self.kind == "uniform":
                return a[0] + (a[1] - a[0]) * u
            if self.kind == "loguniform":
                return np.exp(math.log(a[0]) + (math.log(a[1]) - math.log(a[0])) * u)
            if self.kind == "normal":
                return a[0] + a[1] * _special().ndtri(u)
            if self.kind == "lognormal":
                mu, sigma = self._lognormal()
                return np.exp(mu + sigma * _special().ndtri(u))
            lo, mode, hi = a
            cut = (mode - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
            return np.where(u < cut, left, right)

    def cdf(self, x: float) -> float:
        """The CDF at a real ``x`` (``±inf`` allowed; not truncated)."""
        a = self.args
        if self.kind == "fixed":
            return float(x >= a[0])
        lo, hi = self.support
        if x <= lo:
            return 0.0
        if x >= hi:
            return 1.0
        if self.kind == "uniform":
            return (x - a[0]) / (a[1] - a[0])
        if self.kind == "loguniform":
            return math.log(x / a[0]) / math.log(a[1] / a[0])
        if self.kind == "normal":
            return NormalDist(a[0], a[1]).cdf(x)
        if self.kind == "lognormal":
            mu, sigma = self._lognormal()
            return NormalDist(mu, sigma).cdf(math.log(x))
        lo, mode, hi = a
        if x <= mode:
            return (x - lo) ** 2 / ((hi - lo) * (mode - lo))
        return 1 - (hi - x) ** 2 / ((hi - lo) * (hi - mode))

    @property
    def median(self) -> float:
        """The median (of the untruncated distribution)."""
        return float(self.ppf(0.5))


def fixed(value) -> Distribution:
    """The parameter held at ``value``."""
    return Distribution("fixed", (value,))


def uniform(lo, hi, truncate=False) -> Distribution:
    """Uniform on ``[lo, hi]``."""
    return Distribution("uniform", (lo, hi), truncate)


def loguniform(lo, hi, truncate=False) -> Distribution:
    """Log-uniform on ``[lo, hi]`` (``0 < lo < hi``): ``log x`` uniform."""
    return Distribution("loguniform", (lo, hi), truncate)


def normal(mean, sd, truncate=False) -> Distribution:
    """Normal with mean ``mean`` and standard deviation ``sd``."""
    return Distribution("normal", (mean, sd), truncate)


def lognormal(lo, hi, truncate=False) -> Distribution:
    """Lognormal whose 5th and 95th percentiles are ``lo`` and ``hi`` (a 90 % interval)."""
    return Distribution("lognormal", (lo, hi), truncate)


def triangular(lo, mode, hi, truncate=False) -> Distribution:
    """Triangular on ``[lo, hi]`` with its mode at ``mode``."""
    return Distribution("triangular", (lo, mode, hi), truncate)


# -- reading specs (text is tokenized and matched, never evaluated) --------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])"
    r"|(?P<word>[A-Za-z][A-Za-z_-]*)|(?P<punct>[(),]))"
)
_MAX_SPEC = 200
_CORR = re.compile(
    r"\s*([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s*=\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
)


def _tokens(text):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip()[:20]
            raise ValueError(f"unexpected {bad!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def parse_spec(text, name: str = "spec") -> Distribution:
    """Read a distribution from text (see :data:`SPEC_FORMS`); ``ValueError`` naming ``name`` otherwise.

    Examples
    --------
    >>> parse_spec("lognormal 2 to 6")
    Distribution('lognormal 2 to 6')
    >>> parse_spec("normal(0.9, 0.1) truncated")
    Distribution('normal(0.9, 0.1) truncated')
    >>> parse_spec("1.5")
    Distribution('fixed 1.5')
    >>> parse_spec("lognormal(2, 6)", "r")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: parameter 'r': cannot read 'lognormal(2, 6)' as a distribution: lognormal takes a 90% ...
    """
    if not isinstance(text, str):
        raise ValueError(
            f"parameter {name!r}: got {text!r}, expected the text of a distribution ({SPEC_FORMS})"
        )
    try:
        return _parse_spec(text)
    except ValueError as exc:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(
            f"parameter {name!r}: cannot read {shown!r} as a distribution: {exc}; expected {SPEC_FORMS}"
        ) from None


def _parse_spec(text):
    if len(text) > _MAX_SPEC:
        raise ValueError(f"longer than {_MAX_SPEC} characters")
    toks = _tokens(text)
    if not toks:
        raise ValueError("empty")
    truncated = False
    if toks[-1] == ("word", toks[-1][1]) and toks[-1][1].lower() == "truncated":
        truncated = True
        toks = toks[:-1]
    if len(toks) == 1 and toks[0][0] == "num":
        if truncated:
            raise ValueError("a fixed value cannot be truncated")
        return Distribution("fixed", (float(toks[0][1]),))
    if not toks or toks[0][0] != "word":
        raise ValueError("it should start with a number or a distribution name")
    word = toks[0][1].lower()
    kind = _ALIASES.get(word, word)
    if kind not in _ARITY:
        raise ValueError(f"unknown distribution {toks[0][1]!r}")
    rest = toks[1:]
    # "A to B"
    if len(rest) == 3 and rest[0][0] == "num" and rest[1][0] == "word" and rest[1][1].lower() == "to" \
            and rest[2][0] == "num":
        if kind not in ("uniform", "loguniform", "lognormal"):
            form = {"fixed": "fixed 0.5", "normal": "normal(MEAN, SD)",
                    "triangular": "triangular(LO, MODE, HI)"}
            raise ValueError(f"{kind} is written {form[kind]!r}, not with 'to'")
        return Distribution(kind, (float(rest[0][1]), float(rest[2][1])), truncated)
    if kind == "lognormal":
        raise ValueError("lognormal takes a 90% interval, e.g. 'lognormal 2 to 6'")
    # "(a, b, ...)" or "a, b" or "a b"
    if rest and rest[0] == ("punct", "("):
        if rest[-1] != ("punct", ")"):
            raise ValueError("missing ')'")
        rest = rest[1:-1]
        items = []
        for i, t in enumerate(rest):
            if i % 2 == 0 and t[0] != "num":
                raise ValueError(f"expected a number, got {t[1]!r}")
            if i % 2 == 1 and t != ("punct", ","):
                raise ValueError(f"expected ',', got {t[1]!r}")
            if i % 2 == 0:
                items.append(t[1])
        if rest and rest[-1] == ("punct", ","):
            raise ValueError("a number is missing after ','")
    else:
        items = [t[1] for t in rest if t != ("punct", ",")]
        odd = [t for t in rest if t[0] != "num" and t != ("punct", ",")]
        if odd:
            raise ValueError(f"unexpected {odd[0][1]!r}")
    if len(items) != _ARITY[kind]:
        plural = "s" if _ARITY[kind] > 1 else ""
        raise ValueError(f"{kind} takes {_ARITY[kind]} number{plural}, got {len(items)}")
    return Distribution(kind, tuple(float(x) for x in items), truncated)


def _as_distribution(name, spec) -> Distribution:
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, str):
        return parse_spec(spec, name)
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        if not math.isfinite(float(spec)):
            raise ValueError(f"parameter {name!r}: got {spec!r}, expected a finite number or a distribution")
        return Distribution("fixed", (spec,))
    raise ValueError(
        f"parameter {name!r}: got {spec!r}, expected a number, a Distribution or the text of one "
        f"({SPEC_FORMS})"
    )


def parse_specs(items) -> dict:
    """``{name: Distribution}`` from ``NAME=SPEC`` strings (e.g. the command line's ``--param``).

    Examples
    --------
    >>> parse_specs(["r=lognormal 2 to 6", "alpha = 1"])
    {'r': Distribution('lognormal 2 to 6'), 'alpha': Distribution('fixed 1')}
    """
    if isinstance(items, str):
        items = [items]
    out = {}
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ValueError(f"spec {item!r}: expected NAME=DISTRIBUTION, e.g. 'r=lognormal 2 to 6'")
        name, text = (s.strip() for s in item.split("=", 1))
        if not name.isidentifier():
            raise ValueError(f"spec {item!r}: {name!r} is not a parameter name")
        if name in out:
            raise ValueError(f"spec {item!r}: parameter {name!r} is given twice")
        out[name] = parse_spec(text, name)
    return out


def parse_correlations(items) -> dict:
    """``{(a, b): rho}`` from ``A,B=RHO`` strings (Spearman rank correlations).

    Examples
    --------
    >>> parse_correlations(["r,alpha=0.3"])
    {('r', 'alpha'): 0.3}
    """
    if isinstance(items, str):
        items = [items]
    out = {}
    for item in items:
        m = _CORR.fullmatch(item) if isinstance(item, str) else None
        if m is None:
            raise ValueError(
                f"correlation {item!r}: expected A,B=RHO with RHO in [-1, 1], e.g. 'r,alpha=0.3'"
            )
        out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def correlation_matrix(names, pairs) -> np.ndarray:
    """The validated rank-correlation matrix over ``names`` from ``{(a, b): rho}``.

    Unit diagonal, symmetric, entries in [-1, 1], positive semidefinite;
    pairs not given are 0.

    Examples
    --------
    >>> correlation_matrix(["r", "alpha"], {("r", "alpha"): 0.5})
    array([[1. , 0.5],
           [0.5, 1. ]])
    """
    names = list(names)
    idx = {nm: i for i, nm in enumerate(names)}
    mat = np.eye(len(names))
    seen = {}
    if not isinstance(pairs, dict):
        raise ValueError(f"correlations: got {pairs!r}, expected a mapping {{(A, B): RHO}}")
    for key, rho in pairs.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
            raise ValueError(f"correlations: key {key!r}, expected a pair of parameter names (A, B)")
        a, b = key
        for k in key:
            if k not in idx:
                raise ValueError(
                    f"correlations: {k!r} is not among the parameters with a distribution: "
                    f"{', '.join(names) or '(none)'}"
                )
        if a == b:
            raise ValueError(f"correlations: ({a!r}, {b!r}) pairs a parameter with itself")
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not -1 <= float(rho) <= 1:
            raise ValueError(f"correlations: ({a!r}, {b!r}) got {rho!r}, expected a number in [-1, 1]")
        pair = frozenset(key)
        if pair in seen and seen[pair] != float(rho):
            raise ValueError(f"correlations: ({a!r}, {b!r}) given twice, as {seen[pair]} and {rho}")
        seen[pair] = float(rho)
        mat[idx[a], idx[b]] = mat[idx[b], idx[a]] = float(rho)
    if len(names):
        low = float(np.linalg.eigvalsh(mat).min())
        if low < -1e-12:
            raise ValueError(
                f"correlations: the rank correlations over ({', '.join(names)}) cannot hold together: "
                f"their matrix is not positive semidefinite (smallest eigenvalue {low:.3g})"
            )
    return mat


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

        if len(tasks) > 1 and _workers() > 1:
            list(_pool().map(work, tasks))
        else:
            for t in tasks:
                work(t)
        for b, _lo, hi in tasks:  # a block drawn to its end is not needed again
            if hi == (b + 1) * BLOCK:
                for p in self.varied:
                    self.gens.pop((p.name, b), None)


_POOL = None


def _workers():
    from .numeric import _workers as workers

    return workers()


def _pool():
    """Threads for drawing samples (separate from the numeric backend's, which evaluation uses)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="symrecycle-mc")
    return _POOL


# -- inputs -----------------------------------------------------------------------------------
def _model(model):
    from .models import Model
    from .registry import get_model

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


# -- Monte Carlo ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class MonteCarlo:
    """A seeded Monte Carlo of one quantity: samples, quantiles, mean; CSV and figures.

    ``samples`` has one row per draw (and one column per iteration when
    ``n`` was a sequence); ``inputs`` holds the drawn parameter values
    (empty with ``keep_inputs=False``), ``fixed`` the fixed ones.
    ``quantiles`` maps each of :data:`PERCENTS` to a value (or an array over
    ``n``); ``undefined`` counts the nan values left out of them.
    """

    model: str
    quantity: str
    label: str
    specs: dict
    correlations: dict
    seed: int
    n: object
    samples: np.ndarray
    inputs: dict
    fixed: dict
    quantiles: dict
    mean: object
    undefined: object
    meta: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        """The number of draws."""
        return int(self.samples.shape[0])

    @property
    def columns(self) -> list:
        """Names of the output columns: the label, or ``label[n=K]`` per iteration."""
        if self.samples.ndim == 1:
            return [self.label]
        return [f"{self.label}[n={_num(k)}]" for k in self.n]

    def __repr__(self):
        q = self.quantiles
        if self.samples.ndim == 1:
            mid = f"median {q[50]:.6g} (90% in [{q[5]:.6g}, {q[95]:.6g}])"
        else:
            mid = f"{len(self.n)} iterations n = {_num(self.n[0])}..{_num(self.n[-1])}"
        return f"MonteCarlo({self.model} {self.label}: {self.size} samples, seed {self.seed}; {mid})"

    def summary(self) -> str:
        """A plain-text table of the specs, quantiles and mean (what the command line prints)."""
        lines = [f"{self.model}: {self.label}, {self.size} samples, seed {self.seed}"]
        for nm, text in self.specs.items():
            lines.append(f"  {nm} ~ {text}")
        for (a, b), rho in self.correlations.items():
            lines.append(f"  rank correlation({a}, {b}) = {_num(rho)}")
        head = ["n"] if self.samples.ndim == 2 else []
        head += [f"{p}%" for p in PERCENTS] + ["mean"]
        rows = []
        if self.samples.ndim == 1:
            rows.append([self.quantiles[p] for p in PERCENTS] + [self.mean])
            und = [self.undefined]
        else:
            for j, k in enumerate(self.n):
                rows.append([k] + [self.quantiles[p][j] for p in PERCENTS] + [self.mean[j]])
            und = list(self.undefined)
        def cell(i, v):
            return _num(v) if i == 0 and self.samples.ndim == 2 else f"{v:.6g}"

        cells = [head] + [[cell(i, v) for i, v in enumerate(r)] for r in rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
        if any(und):
            lines.append(f"  undefined (nan) values left out: {int(np.sum(und))}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The run without its samples, as plain Python values (floats may be inf or nan).

        For JSON output; ``quantiles`` maps ``"5"``... to a float or a list over ``n``.
        """
        def plain(v):
            return [float(x) for x in v] if isinstance(v, np.ndarray) else float(v)

        return {
            "model": self.model, "quantity": self.quantity, "label": self.label, "samples": self.size,
            "seed": self.seed, "specs": dict(self.specs),
            "correlations": [[a, b, rho] for (a, b), rho in self.correlations.items()],
            "n": None if self.n is None else plain(self.n),
            "quantiles": {str(p): plain(v) for p, v in self.quantiles.items()},
            "mean": plain(self.mean),
            "undefined": [int(x) for x in self.undefined] if isinstance(self.undefined, np.ndarray)
            else int(self.undefined),
        }

    # -- outputs --------------------------------------------------------------------------
    def to_csv(self, path, overwrite: bool = False) -> str:
        """Write the draws (inputs, fixed values, outputs; one row per draw) as CSV.

        Floats are written with 17 significant digits (they read back
        exactly), to a temporary file renamed into place when complete.
        An existing file is replaced only with ``overwrite=True``. Returns
        the path.
        """
        names = list(self.inputs) + list(self.fixed) + self.columns
        cols = self.samples.reshape(self.size, -1)

        def write(fh):
            fh.write(",".join(names) + "\n")
            step = 1 << 15
            for s in range(0, self.size, step):
                e = min(self.size, s + step)
                block = np.empty((e - s, len(names)))
                j = 0
                for arr in self.inputs.values():
                    block[:, j] = arr[s:e]
                    j += 1
                for v in self.fixed.values():
                    block[:, j] = v
                    j += 1
                block[:, j:] = cols[s:e]
                np.savetxt(fh, block, delimiter=",", fmt="%.17g")

        return _write_atomic(path, write, overwrite, text=True)

    def fan_chart(self, title: str | None = None):
        """A fan chart over iterations: median, 25-75 % and 5-95 % bands (a matplotlib Figure).

        Needs a run with ``n`` a sequence of iterations (e.g. ``n=range(1, 31)``).
        """
        if self.samples.ndim != 2 or len(self.n) < 2 or not np.isfinite(self.n).all():
            raise ValueError(
                f"fan_chart: needs the quantity at several finite iterations; got n = {self.n!r}: run "
                "monte_carlo with n=range(1, N + 1)"
            )
        fig, ax = _figure()
        q = self.quantiles
        with np.errstate(invalid="ignore"):
            ax.fill_between(self.n, q[5], q[95], alpha=0.2, color="C0", linewidth=0, label="5–95 %")
            ax.fill_between(self.n, q[25], q[75], alpha=0.4, color="C0", linewidth=0, label="25–75 %")
        ax.plot(self.n, q[50], color="C0", label="median")
        ax.set_xlabel("iteration n")
        ax.set_ylabel(self.label)
        ax.set_title(title or f"{self.model}: {self.label} ({self.size} samples)")
        ax.legend(loc="best")
        return fig

    def histogram(self, bins: int = 50, n=None, log: bool = False, title: str | None = None):
        """A histogram of the finite samples (at iteration ``n``; default the last), with the
        5 %, median and 95 % quantiles as vertical lines (a matplotlib Figure)."""
        bins = _int("bins", bins, 1, 10**6)
        if self.samples.ndim == 1:
            if n is not None:
                raise ValueError(f"histogram: n: got {n!r}, but the samples are of a single iteration")
            col, q, lab = self.samples, self.quantiles, self.label
        else:
            j = len(self.n) - 1 if n is None else np.nonzero(self.n == n)[0]
            if n is not None and not len(j):
                known = ", ".join(_num(k) for k in self.n)
                raise ValueError(f"histogram: n: got {n!r}, expected one of the iterations {known}")
            j = int(j) if n is None else int(j[0])
            col, q, lab = self.samples[:, j], {p: self.quantiles[p][j] for p in PERCENTS}, self.columns[j]
        finite = col[np.isfinite(col)]
        if not finite.size:
            raise ValueError(f"histogram: no finite value of {lab} to draw")
        if log and finite.min() <= 0:
            raise ValueError(f"histogram: log=True needs positive values; the smallest is {finite.min():.6g}")
        fig, ax = _figure()
        edges = bins
        if log and finite.min() < finite.max():
            edges = np.geomspace(finite.min(), finite.max(), bins + 1)
        ax.hist(finite, bins=edges, color="C0", alpha=0.7)
        if log:
            ax.set_xscale("log")
        for p, style in ((5, ":"), (50, "-"), (95, ":")):
            if np.isfinite(q[p]):
                ax.axvline(q[p], color="k", linestyle=style, label=f"{p}%: {q[p]:.4g}")
        ax.set_xlabel(lab)
        ax.set_ylabel("count")
        note = f"; {col.size - finite.size} not finite, not shown" if finite.size < col.size else ""
        ax.set_title(title or f"{self.model}: {lab} ({self.size} samples{note})")
        ax.legend(loc="best")
        return fig


def draw(model, specs, samples, seed, correlations=None) -> dict:
    """The parameter values ``{name: array}`` that :func:`monte_carlo` draws (fixed ones as arrays too).

    Examples
    --------
    >>> import symrecycle as sr
    >>> x = draw(sr.get_model("kickstarting"), {"r": "uniform 2 to 6", "alpha": 1}, 1000, seed=1)
    >>> bool(x["r"].min() >= 2 and x["r"].max() <= 6), x["alpha"][:3]
    (True, array([1., 1., 1.]))
    """
    model = _model(model)
    samples = _int("samples", samples, 1, 2**40)
    seed = _check_seed(seed)
    prepared = _prepare_all(model, specs)
    streams = _Streams(seed, prepared, _Copula(prepared, correlations))
    out = {p.name: np.full(samples, p.value) if p.is_fixed else np.empty(samples) for p in prepared}
    streams.fill({p.name: out[p.name] for p in prepared if not p.is_fixed}, 0, samples)
    return out


def monte_carlo(model, quantity, specs, samples, seed, n=None, wrt=None, chunk=None, correlations=None,
                metric=None, fraction=0.99, level=1, keep_inputs=True, progress=None) -> MonteCarlo:
    r"""A seeded Monte Carlo of a derived quantity over parameter distributions.

    Parameters
    ----------
    model : Model or str
        A model, or its name (or model file) for :func:`symrecycle.get_model`.
    quantity : str
        A quantity :meth:`~symrecycle.models.Model.evaluate` knows (``"limit"``, ``"benefit"``, ...).
    specs : dict
        ``{parameter: Distribution, its text, or a number}``; parameters the
        quantity does not use may be left out.
    samples, seed : int
        Number of draws and the seed.
    n : int, inf, or a sequence of them, optional
        The iteration(s); a sequence gives one column per iteration (for
        :meth:`MonteCarlo.fan_chart`). Omitted: the quantity's default (the
        limit for the benefit).
    wrt, metric, fraction, level
        As for :meth:`~symrecycle.models.Model.evaluate`.
    chunk : int, optional
        Draws evaluated at a time (default: :data:`CHUNK` values over the
        iterations); memory beyond the stored results is about
        ``chunk * (parameters + 4 * iterations) * 8`` bytes.
    correlations : dict, optional
        Spearman rank correlations ``{(a, b): rho}`` (Gaussian copula).
    keep_inputs : bool
        Keep the drawn parameter values (for CSV export); ``False`` saves
        ``8 * samples`` bytes per uncertain parameter.
    progress : callable, optional
        Called as ``progress(done, samples)`` after each chunk.

    Returns
    -------
    MonteCarlo

    Notes
    -----
    The quantiles at :data:`PERCENTS` use linear interpolation between order
    statistics; their Monte Carlo error at percent :math:`p` is about
    :math:`\sqrt{p(1-p)/N}` in probability.

    Examples
    --------
    >>> import symrecycle as sr
    >>> m = sr.get_model("kickstarting")
    >>> mc = monte_carlo(m, "limit", {"r": "lognormal 2 to 6", "alpha": 1}, 20000, seed=1)
    >>> mc.size, sorted(mc.quantiles)
    (20000, [5, 25, 50, 75, 95])
    >>> bool(1.2 < mc.quantiles[50] < 1.5)
    True
    """
    model = _model(model)
    if not isinstance(quantity, str):
        raise ValueError(f"quantity: got {quantity!r}, expected a quantity name such as 'limit' or 'benefit'")
    samples = _int("samples", samples, 1, 2**40)
    seed = _check_seed(seed)
    prepared = _prepare_all(model, specs)
    copula = _Copula(prepared, correlations)
    nvals = _iterations(n, model)
    columns = isinstance(nvals, np.ndarray)
    k = nvals.size if columns else 1
    rows = max(1, CHUNK // k) if chunk is None else _int("chunk", chunk, 1)
    kw = {"wrt": wrt, "metric": metric, "fraction": fraction, "level": level}
    # everything checked (and compiled) at the medians before any sampling
    med = {p.name: np.array([p.median]) for p in prepared if not p.is_fixed}
    model.evaluate(quantity, **kw, **_values(prepared, med, nvals, columns))
    varied = [p for p in prepared if not p.is_fixed]
    out = np.empty((samples, k) if columns else samples)
    inputs = {p.name: np.empty(samples) for p in varied} if keep_inputs else {}
    streams = _Streams(seed, prepared, copula)
    for start in range(0, samples, rows):
        stop = min(samples, start + rows)
        bufs = {nm: a[start:stop] for nm, a in inputs.items()} if keep_inputs else {
            p.name: np.empty(stop - start) for p in varied}
        streams.fill(bufs, start, stop)
        out[start:stop] = model.evaluate(quantity, **kw, **_values(prepared, bufs, nvals, columns))
        if progress is not None:
            progress(stop, samples)
    quantiles, mean, undefined = _summaries(out)
    q = quantity.replace("_", "-")
    label = q if metric is None else f"{q}({metric})"
    if wrt is not None and q in ("sensitivity", "elasticity", "breakeven"):
        label = f"{q}[{wrt}]" if metric is None else f"{q}[{wrt}]({metric})"
    return MonteCarlo(
        model=model.name, quantity=q, label=label,
        specs={p.name: p.dist.text for p in prepared},
        correlations={k_: float(v) for k_, v in (correlations or {}).items()},
        seed=seed, n=nvals, samples=out, inputs=inputs,
        fixed={p.name: p.value for p in prepared if p.is_fixed},
        quantiles=quantiles, mean=mean, undefined=undefined,
        meta={"wrt": wrt, "metric": metric, "fraction": fraction, "level": level},
    )


# -- files and figures ---------------------------------------------------------------------------
def _write_atomic(path, write, overwrite, text=True):
    """Write through ``write(fh)`` (a text handle where ``text``), complete or not at all (:mod:`._files`)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValueError(f"path: got {path!r}, expected a file name")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"path: {path!r} is a directory; expected a file name")
    if os.path.lexists(path) and not overwrite:
        raise ValueError(f"path: {path!r} exists; pass overwrite=True to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"path: {path!r}: the folder {folder!r} does not exist")
    with _files.atomic(path, replace=overwrite) as fh:
        if text:
            wrapped = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            write(wrapped)
            wrapped.flush()
            wrapped.detach()  # the handle stays open for atomic() to move into place
        else:
            write(fh)
    return path


def read_csv(path) -> dict:
    """``{column: array}`` from a CSV written by :meth:`MonteCarlo.to_csv` (numbers only, read with numpy)."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split(",")
        if not header or header == [""]:
            raise ValueError(f"path: {path!r} has no header line")
        data = np.loadtxt(fh, delimiter=",", ndmin=2, dtype=float)
    if data.size and data.shape[1] != len(header):
        raise ValueError(f"path: {path!r}: {data.shape[1]} values per row, but {len(header)} column names")
    if not data.size:
        data = np.empty((0, len(header)))
    return {name: data[:, i] for i, name in enumerate(header)}


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_figure(fig, path, overwrite: bool = False) -> str:
    """Save a figure (format from the extension) through a temporary file; no overwriting unless asked."""
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    kinds = fig.canvas.get_supported_filetypes()
    if ext not in kinds:
        raise ValueError(
            f"path: {os.fspath(path)!r}: unknown figure format {ext!r}; "
            f"expected one of {', '.join(sorted(kinds))}"
        )
    return _write_atomic(path, lambda fh: fig.savefig(fh, format=ext), overwrite, text=False)


# -- sensitivity ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SensitivityRow:
    """One parameter's global (Sobol) and local (elasticity) sensitivity."""

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
    (:meth:`~symrecycle.models.Model.elasticity`) evaluated numerically:

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
