r"""What the report's figures share: :class:`FigureData`, :func:`save_figure`, :func:`new_figure`,
:func:`metric_tex` (a model's metric as mathtext) and the layout helpers of :mod:`.figures`.

The style (sizes, fonts, palette, legend placement) is
:mod:`symrecycle.io.figstyle`'s, which the Monte Carlo's figures share too.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from ..io import files as _files
from ..io.figstyle import DEFAULT_SIZE, figure_size, style, tex, wrap

__all__ = ["FigureData", "save_figure", "new_figure", "metric_tex", "redrawable", "labels_above", "panels",
           "titled"]


@dataclass
class FigureData:
    """A figure with its data: what :func:`save_figure` writes.

    ``size`` is the print size it was drawn at; ``remake(size)``, where
    given, draws the same figure at another size.

    Examples
    --------
    >>> data = FigureData("demo", new_figure(2, 1.5), ("n", "benefit"), [(1, 1.0), (2, 1.25)], "A demo.")
    >>> print(data.csv_text(), end="")
    n,benefit
    1,1.0
    2,1.25
    """

    name: str
    figure: Figure
    columns: tuple
    rows: list
    caption: str
    values: dict = field(default_factory=dict)
    size: str = DEFAULT_SIZE
    remake: object = field(default=None, repr=False, compare=False)

    def csv_text(self) -> str:
        """The plotted data as CSV (floats in shortest round-trip form)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for row in self.rows:
            w.writerow([_cell(x) for x in row])
        return buf.getvalue()


def _cell(x):
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if x != x:
            return "nan"
        if x in (float("inf"), float("-inf")):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(x, np.integer):
        return str(int(x))
    return str(x)


def _new_figure(width, height):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def redrawable(name, fig, columns, rows, caption, values, size, func, **kw):
    """A :class:`FigureData` that can draw itself again at another size."""
    return FigureData(name, fig, columns, rows, caption, values, figure_size(size).name,
                      functools.partial(_remake, func, kw))


def _remake(func, kw, size):
    return func(**kw, size=size)


def metric_tex(model, name: str = "benefit") -> str:
    r"""A model's metric as mathtext, its symbol and its definition: ``B_{n} = A_{n}/(C_{n} P_{n})``.

    Examples
    --------
    >>> import symrecycle as sr
    >>> metric_tex(sr.get_model("augmentation"))
    'B_{n} = A_{n}/(C_{n} P_{n})'
    >>> metric_tex(sr.get_model("kickstarting"))
    'B_{n} = A_{n}/C_{n}'
    """
    metric = next(x for x in model.metrics if x.name == name)
    num, den = sp.fraction(metric.expr)

    def part(e):
        return " ".join(f"{tex(sp.Symbol(f.base.label.name))}_{{{sp.latex(f.indices[0])}}}"
                        if isinstance(f, sp.Indexed) else tex(f) for f in sp.Mul.make_args(e))

    bottom = part(den)
    if len(sp.Mul.make_args(den)) > 1:
        bottom = f"({bottom})"
    body = part(num) if den == 1 else f"{part(num)}/{bottom}"
    return body if metric.latex in (None, "", body) else f"{metric.latex} = {body}"


def labels_above(ax, xs, texts, fontsize):
    """Texts above the frame of ``ax`` at data x ``xs``, kept apart and within the frame's width.

    Inside the frame they would cross the data. Each is centred on its x, or
    else starts or ends there, in the lowest row where it keeps 3 pt from
    those placed before. Returns the annotations and the rows' height in points.
    """
    fig = ax.get_figure(root=True)
    row = 1.3 * fontsize
    anns = [ax.annotate(t, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=fontsize,
                        annotation_clip=False) for x, t in zip(xs, texts)]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    gap = renderer.points_to_pixels(3)
    placed = []
    def free(box, k):
        return box.x0 >= frame.x0 and box.x1 <= frame.x1 and not any(
            j == k and min(box.x1, b.x1) > max(box.x0, b.x0) - gap for j, b in placed)

    for ann in sorted(anns, key=lambda a: a.xy[0]):
        choice = (len(anns), "center")  # wider than the frame: a row of its own
        for k in range(len(anns)):
            ha = next((h for h in ("center", "left", "right")
                       if ann.set_ha(h) is None and free(ann.get_window_extent(renderer), k)), None)
            if ha is not None:
                choice = (k, ha)
                break
        k, ha = choice
        ann.set_ha(ha)
        ann.xyann = (0, 2 + k * row)
        placed.append((k, ann.get_window_extent(renderer)))
    rows = 1 + max((k for k, _ in placed), default=0)
    return anns, 2 + rows * row


def titled(target, text, size, columns=1, **kw):
    """Give an axes its title (at its left, as panels' titles are), or a figure its suptitle, in lines that
    fit the width of one of ``columns`` panels side by side at ``size`` (less the y axis' labels); other
    keywords go to ``set_title`` or ``suptitle``. Returns the text."""
    S = figure_size(size)
    if isinstance(target, Figure):
        return target.suptitle(wrap(text, S.width - 0.3, S.font + 1), **kw)
    kw.setdefault("loc", "left")
    return target.set_title(wrap(text, S.width / columns - 0.65, S.font), **kw)


def panels(fig, one, count, **kw):
    """``count`` panels: side by side (two columns) or one above the other (one column)."""
    axes = fig.subplots(count, 1, **kw) if one else fig.subplots(1, count, **kw)
    return np.atleast_1d(axes)


# -- saving ------------------------------------------------------------------------------------
def save_figure(data: FigureData, out_dir, size=None) -> dict:
    """Write ``NAME.pdf``, ``NAME.png`` and ``NAME.csv`` into ``out_dir``; their paths by format.

    ``size``: ``"one-column"`` or ``"two-column"`` draws the figure again at
    that size (through ``data.remake``) where it was drawn at the other;
    ``None`` writes it as drawn. Each file is written under a temporary name
    in the same directory and renamed, so it appears complete or not at all.
    Without ``SOURCE_DATE_EPOCH`` the PDF carries no date, so the bytes
    depend on the inputs only.

    Examples
    --------
    >>> import tempfile
    >>> data = FigureData("demo", new_figure(2, 1.5), ("n", "benefit"), [(1, 1.0), (2, 1.25)], "A demo.")
    >>> paths = save_figure(data, tempfile.mkdtemp())
    >>> sorted(p.name for p in paths.values()), paths["csv"].read_text().splitlines()
    (['demo.csv', 'demo.pdf', 'demo.png'], ['n,benefit', '1,1.0', '2,1.25'])
    """
    if size is not None and figure_size(size).name != data.size:
        if data.remake is None:
            raise ValueError(f"size: {data.name} was drawn at {data.size} and cannot be drawn again; "
                             f"got {size!r}")
        data = data.remake(figure_size(size).name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    pdf_meta = {} if os.environ.get("SOURCE_DATE_EPOCH") else {"CreationDate": None}
    fig = data.figure
    engine = fig.get_layout_engine()
    with style(data.size):
        # letters as typed, no ligature: the PDF's text reads (and is found) as written, and each font
        # is embedded as one subset (a ligature glyph took a subset of its own)
        for text in fig.findobj(Text):
            if hasattr(text, "set_fontfeatures"):  # matplotlib >= 3.11, which shapes text into ligatures
                text.set_fontfeatures(("-liga",))
        # laid out once for both formats: savefig lays out, and draws once more before it renders, a
        # figure with a layout engine (even "none") on each save; without one (None) it renders only
        fig.draw_without_rendering()
        fig.set_layout_engine(None)
        try:
            for fmt, meta in (("pdf", pdf_meta), ("png", {})):
                path = out / f"{data.name}.{fmt}"
                _files.write_file(path, lambda fh, fmt=fmt, meta=meta: fig.savefig(fh, format=fmt,
                                                                                  metadata=meta))
                paths[fmt] = path
        finally:
            fig.set_layout_engine(engine)
    path = out / f"{data.name}.csv"
    _files.write_text(path, data.csv_text())
    paths["csv"] = path
    return paths


# -- for figures drawn outside .figures (variants.py) ------------------------------------------
def new_figure(width: float, height: float) -> Figure:
    """An empty figure on the Agg canvas, never through ``pyplot`` (constrained layout).

    Draw on it inside :class:`style` and save it with :func:`save_figure`
    (wrapped in a :class:`FigureData`), as this module's figures are.

    Examples
    --------
    >>> fig = new_figure(4, 3)
    >>> fig.get_size_inches().tolist(), type(fig.canvas).__name__
    ([4.0, 3.0], 'FigureCanvasAgg')
    """
    return _new_figure(width, height)
