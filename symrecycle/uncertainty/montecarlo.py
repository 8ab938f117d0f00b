"""The Monte Carlo of one derived quantity: :func:`monte_carlo`, its :class:`MonteCarlo` result
(quantiles, mean, CSV) and its figures (fan chart, histogram)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import numpy as np

from ..core.request import WITH_RESPECT_TO
from ..io import files as _files
from .distributions import CHUNK, PERCENTS, _num
from .sampling import (
    _check_seed,
    _Copula,
    _int,
    _iterations,
    _model,
    _prepare_all,
    _Streams,
    _summaries,
    _values,
)

__all__ = ["draw", "monte_carlo", "MonteCarlo", "read_csv", "save_figure"]


# -- Monte Carlo ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class MonteCarlo:
    """A seeded Monte Carlo of one quantity: samples, quantiles, mean; CSV and figures.

    ``samples`` has one row per draw (and one column per iteration when
    ``n`` was a sequence); ``inputs`` holds the drawn parameter values
    (empty with ``keep_inputs=False``), ``fixed`` the fixed ones.
    ``quantiles`` maps each of :data:`PERCENTS` to a value (or an array over
    ``n``); ``undefined`` counts the nan values left out of them.

    Examples
    --------
    >>> mc = monte_carlo("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1)
    >>> mc.size, mc.columns, round(mc.to_dict()["quantiles"]["50"], 6)
    (64, ['limit'], 1.304781)
    >>> print(mc.summary())
    kickstarting: limit, 64 samples, seed 1
      r ~ uniform 2 to 6
      alpha ~ fixed 1
           5%      25%      50%      75%      95%     mean
      1.20662  1.23375  1.30478  1.44632  1.74257  1.36629
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

        Examples
        --------
        >>> import pathlib, tempfile
        >>> mc = monte_carlo("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1)
        >>> path = mc.to_csv(pathlib.Path(tempfile.mkdtemp()) / "limit.csv")
        >>> pathlib.Path(path).read_text().splitlines()[0]
        'r,alpha,limit'
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

        Examples
        --------
        >>> mc = monte_carlo("kickstarting", "benefit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1,
        ...                  n=range(1, 6))
        >>> ax = mc.fan_chart().axes[0]
        >>> ax.get_xlabel(), [line.get_label() for line in ax.lines]
        ('iteration n', ['median'])
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
        5 %, median and 95 % quantiles as vertical lines (a matplotlib Figure).

        Examples
        --------
        >>> mc = monte_carlo("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1)
        >>> ax = mc.histogram(bins=8).axes[0]
        >>> len(ax.patches), [line.get_label() for line in ax.lines]
        (8, ['5%: 1.207', '50%: 1.305', '95%: 1.743'])
        """
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
        A quantity :meth:`~symrecycle.models.model.Model.evaluate` knows (``"limit"``, ``"benefit"``, ...).
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
        As for :meth:`~symrecycle.models.model.Model.evaluate`.
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
    if wrt is not None and q in WITH_RESPECT_TO:
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
    """``{column: array}`` from a CSV written by :meth:`MonteCarlo.to_csv` (numbers only, read with numpy).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> mc = monte_carlo("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1)
    >>> cols = read_csv(mc.to_csv(pathlib.Path(tempfile.mkdtemp()) / "limit.csv"))
    >>> list(cols), bool((cols["limit"] == mc.samples).all())
    (['r', 'alpha', 'limit'], True)
    """
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
    """Save a figure (format from the extension) through a temporary file; no overwriting unless asked.

    Examples
    --------
    >>> import os, tempfile
    >>> mc = monte_carlo("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1)
    >>> path = save_figure(mc.histogram(), os.path.join(tempfile.mkdtemp(), "limit.png"))
    >>> os.path.basename(path), os.path.getsize(path) > 0
    ('limit.png', True)
    """
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    kinds = fig.canvas.get_supported_filetypes()
    if ext not in kinds:
        raise ValueError(
            f"path: {os.fspath(path)!r}: unknown figure format {ext!r}; "
            f"expected one of {', '.join(sorted(kinds))}"
        )
    return _write_atomic(path, lambda fh: fig.savefig(fh, format=ext), overwrite, text=False)
