"""Distributions of uncertain parameters: the six families, text specs, truncation and correlations."""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "Distribution", "fixed", "uniform", "loguniform", "normal", "lognormal", "triangular", "parse_spec",
    "parse_specs", "parse_correlations", "correlation_matrix", "SPEC_FORMS", "PERCENTS"
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
    """The parameter held at ``value``.

    Examples
    --------
    >>> d = fixed(0.5)
    >>> d, d.is_fixed, d.support
    (Distribution('fixed 0.5'), True, (0.5, 0.5))
    """
    return Distribution("fixed", (value,))


def uniform(lo, hi, truncate=False) -> Distribution:
    """Uniform on ``[lo, hi]``.

    Examples
    --------
    >>> d = uniform(2, 6)
    >>> d.ppf([0.25, 0.5]).tolist(), d.cdf(3.0)
    ([3.0, 4.0], 0.25)
    """
    return Distribution("uniform", (lo, hi), truncate)


def loguniform(lo, hi, truncate=False) -> Distribution:
    """Log-uniform on ``[lo, hi]`` (``0 < lo < hi``): ``log x`` uniform.

    Examples
    --------
    >>> d = loguniform(1, 100)
    >>> round(d.median, 6), d.cdf(10.0)
    (10.0, 0.5)
    """
    return Distribution("loguniform", (lo, hi), truncate)


def normal(mean, sd, truncate=False) -> Distribution:
    """Normal with mean ``mean`` and standard deviation ``sd``.

    Examples
    --------
    >>> d = normal(0.9, 0.1, truncate=True)
    >>> d, d.median, round(d.cdf(1.0), 6)
    (Distribution('normal(0.9, 0.1) truncated'), 0.9, 0.841345)
    """
    return Distribution("normal", (mean, sd), truncate)


def lognormal(lo, hi, truncate=False) -> Distribution:
    """Lognormal whose 5th and 95th percentiles are ``lo`` and ``hi`` (a 90 % interval).

    Examples
    --------
    >>> d = lognormal(2, 8)
    >>> round(d.median, 6), round(float(d.ppf(0.95)), 6)
    (4.0, 8.0)
    """
    return Distribution("lognormal", (lo, hi), truncate)


def triangular(lo, mode, hi, truncate=False) -> Distribution:
    """Triangular on ``[lo, hi]`` with its mode at ``mode``.

    Examples
    --------
    >>> d = triangular(0, 1, 4)
    >>> d.cdf(1.0), float(d.ppf(0.25)), d.support
    (0.25, 1.0, (0.0, 4.0))
    """
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
