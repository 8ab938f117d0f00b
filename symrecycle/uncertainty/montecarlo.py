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

__all__ = ["draw", "monte_carlo", "MonteCarlo", "read_csv", "save_figure", "histogram_bins", "MAX_BINS"]


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

    def fan_chart(self, title: str | None = None, size=None):
        """A fan chart over iterations: median, 25-75 % and 5-95 % bands (a matplotlib Figure).

        Needs a run with ``n`` a sequence of iterations (e.g. ``n=range(1, 31)``).
        ``size``: ``"two-column"`` (7 in wide, the default) or ``"one-column"``
        (3.4 in), in the style of :mod:`symrecycle.io.figstyle`; the iteration
        axis is ticked at whole numbers and the legend covers no band.

        Examples
        --------
        >>> mc = monte_carlo("kickstarting", "benefit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1,
        ...                  n=range(1, 6))
        >>> ax = mc.fan_chart().axes[0]
        >>> ax.get_xlabel(), [line.get_label() for line in ax.lines]
        ('iteration $n$', ['median'])
        >>> all(float(x).is_integer() for x in ax.get_xticks())  # ticks at whole iterations
        True
        """
        if self.samples.ndim != 2 or len(self.n) < 2 or not np.isfinite(self.n).all():
            raise ValueError(
                f"fan_chart: needs the quantity at several finite iterations; got n = {self.n!r}: run "
                "monte_carlo with n=range(1, N + 1)"
            )
        from ..io import figstyle

        with figstyle.style(size) as st:
            fig, ax = _figure(st.size)
            q = self.quantiles
            c = figstyle.OKABE_ITO[0]
            with np.errstate(invalid="ignore"):
                ax.fill_between(self.n, q[5], q[95], alpha=0.2, color=c, linewidth=0, label="5–95 %")
                ax.fill_between(self.n, q[25], q[75], alpha=0.4, color=c, linewidth=0, label="25–75 %")
            ax.plot(self.n, q[50], color=c, label="median")
            ax.set_xlabel("iteration $n$")
            figstyle.integer_ticks(ax.xaxis)
            ax.set_ylabel(self._math(self.label))
            head = title or f"{self.model}: {self._math(self.label)} ({self.size} samples)"
            ax.set_title(figstyle.wrap(head, st.size.width - 0.7, st.size.font))
            figstyle.place_legend(ax)
        return fig

    def histogram(self, bins: int | None = None, n=None, log: bool | None = None, title: str | None = None,
                  size=None):
        """A histogram of the finite samples (at iteration ``n``; default the last), with the
        5 %, median and 95 % quantiles as vertical lines (a matplotlib Figure).

        ``bins`` and ``log``: see :func:`histogram_bins` (by default both
        follow the data: log-spaced bins on a log axis where the positive
        values span more than two decades). ``size``: ``"two-column"`` (the
        default) or ``"one-column"``; the legend covers no bar and no line.

        Examples
        --------
        >>> mc = monte_carlo("kickstarting", "limit", {"r": "uniform 2 to 6", "alpha": 1}, 64, seed=1)
        >>> ax = mc.histogram(bins=8).axes[0]
        >>> len(ax.patches), [line.get_label() for line in ax.lines]
        (8, ['5%: 1.207', '50%: 1.305', '95%: 1.743'])
        """
        if bins is not None:
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
        edges, log = histogram_bins(finite, bins, log)
        from ..io import figstyle

        with figstyle.style(size) as st:
            fig, ax = _figure(st.size)
            ax.hist(finite, bins=edges, color=figstyle.OKABE_ITO[0], alpha=0.7)
            if log:
                ax.set_xscale("log")
            for p, style in ((5, ":"), (50, "-"), (95, ":")):
                if np.isfinite(q[p]):
                    ax.axvline(q[p], color="k", linestyle=style, label=f"{p}%: {q[p]:.4g}")
            ax.set_xlabel(self._math(lab))
            ax.set_ylabel("count")
            note = f"; {col.size - finite.size} not finite, not shown" if finite.size < col.size else ""
            if not isinstance(edges, int):
                out = int(np.sum((finite < edges[0]) | (finite > edges[-1])))
                note += f"; {out} beyond the axis, not shown" if out else ""
            head = title or f"{self.model}: {self._math(lab)} ({self.size} samples{note})"
            ax.set_title(figstyle.wrap(head, st.size.width - 0.7, st.size.font))
            figstyle.place_legend(ax)
        return fig

    def _math(self, label: str) -> str:
        """A column's label for a figure: the parameter of ``wrt`` in mathtext (``breakeven[$\\beta$]``)."""
        wrt = self.meta.get("wrt")
        if not wrt or f"[{wrt}]" not in label:
            return label
        import sympy as sp

        from ..io.figstyle import tex

        return label.replace(f"[{wrt}]", f"[${tex(sp.Symbol(wrt))}$]")


#: the most bins :func:`histogram_bins` chooses
MAX_BINS = 100


def _bin_count(t):
    """Bins for the values ``t``: the more of Freedman-Diaconis' and Sturges' rules; and the FD width."""
    span = t.max() - t.min()
    q25, q75 = np.quantile(t, [0.25, 0.75])
    width = 2 * (q75 - q25) / t.size ** (1 / 3)
    sturges = int(np.ceil(np.log2(t.size))) + 1
    fd = int(np.ceil(span / width)) if width > 0 else 1
    return max(1, sturges, fd) if span > 0 else 1, width


def histogram_bins(values, bins: int | None = None, log: bool | None = None):
    """Bin edges for a histogram of the finite ``values``, and whether the axis is logarithmic.

    Parameters
    ----------
    values : array_like
        The values (non-finite ones are left out).
    bins : int, optional
        A number of equal bins (equal in the logarithm where ``log``) over
        all values. ``None``: chosen by the data, the more bins of the
        Freedman-Diaconis and Sturges rules on the values or their logarithm
        (numpy's ``"auto"``), at most :data:`MAX_BINS`; where a few far values
        would make the bins more than four times wider than Freedman-Diaconis'
        at that cap, a tail whose last 1 % spans more than the other 99 % is
        cut at its 1st (99th) percentile, and the values beyond are not drawn.
    log : bool, optional
        ``None``: logarithmic where all values are positive and the largest
        is more than 100 times the smallest (two decades).

    Returns
    -------
    edges : ndarray or int
        The bin edges (an int where numpy is to choose them over the range).
    log : bool

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).lognormal(0.0, 2.0, 10_000)
    >>> edges, log = histogram_bins(x)
    >>> log, len(edges) - 1 <= MAX_BINS
    (True, True)
    >>> counts, _ = np.histogram(x, edges)
    >>> bool(counts.max() < 0.1 * x.size)  # 50 equal bins hold 95 % in the first
    True
    >>> histogram_bins([1.0, 2.0, 3.0], bins=2)
    (array([1., 2., 3.]), False)
    """
    x = np.asarray(values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if not x.size:
        raise ValueError("histogram_bins: no finite value")
    if log is None:
        log = bool(x.min() > 0 and x.max() > 100 * x.min())
    if log and x.min() <= 0:
        raise ValueError(f"histogram_bins: log=True needs positive values; the smallest is {x.min():.6g}")
    t = np.log10(x) if log else x
    lo, hi = t.min(), t.max()
    if bins is not None:
        bins = _int("bins", bins, 1, 10**6)
        if lo == hi:
            return bins, log
        count = bins
    else:
        count, width = _bin_count(t)
        if count > MAX_BINS and (hi - lo) / MAX_BINS > 4 * width:
            # a far tail: it ends at its 1st (99th) percentile where the last 1 % spans more than the rest
            q1, q99 = np.quantile(t, [0.01, 0.99])
            lo, hi = (q1 if q1 - lo > q99 - q1 else lo), (q99 if hi - q99 > q99 - q1 else hi)
            count, _ = _bin_count(t[(t >= lo) & (t <= hi)])
        count = min(count, MAX_BINS)
        if lo == hi:  # one value: one bin around it
            v = x.min()
            return (np.array([v / 10**0.5, v * 10**0.5]) if log else np.array([v - 0.5, v + 0.5])), log
    edges = np.linspace(lo, hi, count + 1)
    if log:
        edges = 10.0**edges
    # the ends that are the data's own, exactly (10**log10(x) may round away from x)
    if lo == t.min():
        edges[0] = x.min()
    if hi == t.max():
        edges[-1] = x.max()
    return edges, log


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


def _figure(size):
    """A figure of one axes at a print size (:class:`symrecycle.io.figstyle.FigureSize`), drawn inside its
    style."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size.width, size.height(0.7 if size.name == "one-column" else 0.55)),
                 layout="constrained")
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
