r"""One style for the package's figures: two print sizes, mathtext labels, integer iteration ticks, and
legends and labels placed where they cover no data and no other text.

The report's figures (:mod:`symrecycle.report.figures`) and the Monte Carlo's
(:mod:`symrecycle.uncertainty.montecarlo`) are drawn with it; it sits in
``io``, below both, beside the other writers of output files.

- :data:`SIZES`: a one-column figure (3.4 in wide, no text under 7 pt) and
  a two-column one (7 in); :func:`figure_size` checks a name.
- :class:`style`: matplotlib's defaults plus :func:`rc` of a size, whatever
  the user's matplotlibrc says, restored on exit.
- :func:`tex`: a model's symbol as LaTeX that matplotlib's mathtext reads
  (``$\alpha$``, never the word "alpha").
- :func:`integer_ticks`: ticks at whole numbers only (iteration axes).
- :func:`place_legend` and :func:`obstacles`: a legend where no line,
  marker, band, bar or text is (in display coordinates, after layout).

Matplotlib is imported with this module: modules that must stay light import it in a function.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import sympy as sp
from cycler import cycler
from matplotlib.collections import QuadMesh
from matplotlib.legend import Legend
from matplotlib.mathtext import MathTextParser
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

__all__ = ["OKABE_ITO", "MARKERS", "FigureSize", "SIZES", "DEFAULT_SIZE", "figure_size", "rc", "style",
           "tex", "text_width", "wrap", "integer_ticks", "obstacles", "hits", "place_legend", "place_legends",
           "LOCATIONS"]

#: Okabe & Ito (2008) colour-blind-safe palette (black last)
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: lines differ by marker too
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


@dataclass(frozen=True)
class FigureSize:
    """A print size: the figure's width (inches) and its font sizes (points).

    ``font`` is for titles and axis labels, ``small`` for tick labels,
    legends and annotations; ``marker`` and ``line`` are the default marker
    size (points) and line width.
    """

    name: str
    width: float
    font: float
    small: float
    marker: float
    line: float

    def height(self, ratio: float) -> float:
        """The height for a height-to-width ``ratio`` (inches, rounded to 0.05)."""
        return round(self.width * ratio * 20) / 20


#: the two sizes a journal takes: one column (about 3.4 in) and the full page width (about 7 in)
SIZES = {
    "one-column": FigureSize("one-column", 3.4, 8.0, 7.0, 3.0, 1.1),
    "two-column": FigureSize("two-column", 7.0, 9.0, 8.0, 3.5, 1.4),
}
#: the size drawn when none is asked for (the report's)
DEFAULT_SIZE = "two-column"


def figure_size(size=None) -> FigureSize:
    """The :class:`FigureSize` of a name in :data:`SIZES` (``None``: :data:`DEFAULT_SIZE`).

    Examples
    --------
    >>> figure_size("one-column").width, figure_size().name
    (3.4, 'two-column')
    >>> figure_size("a4")
    Traceback (most recent call last):
    ...
    ValueError: size: got 'a4', expected one of 'one-column', 'two-column'
    """
    if isinstance(size, FigureSize):
        return size
    if size is None:
        size = DEFAULT_SIZE
    if not isinstance(size, str) or size not in SIZES:
        raise ValueError(f"size: got {size!r}, expected one of {', '.join(repr(s) for s in SIZES)}")
    return SIZES[size]


def rc(size=None) -> dict:
    """The matplotlib settings all figures of a size are drawn and saved with.

    Examples
    --------
    >>> rc("one-column")["xtick.labelsize"], rc("two-column")["font.size"]
    (7.0, 9.0)
    """
    s = figure_size(size)
    return {
        "font.family": "DejaVu Sans",
        "mathtext.fontset": "dejavusans",
        "font.size": s.font,
        "axes.titlesize": s.font,
        "axes.labelsize": s.font,
        "figure.titlesize": s.font + 1,
        "legend.fontsize": s.small,
        "legend.title_fontsize": s.small,
        "xtick.labelsize": s.small,
        "ytick.labelsize": s.small,
        "figure.dpi": 100,
        "savefig.dpi": 300 if s.name == "one-column" else 150,
        "lines.linewidth": s.line,
        "lines.markersize": s.marker,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "pdf.fonttype": 42,
        # TrueType in PostScript too; matplotlib (3.11) also reads it for how many characters one embedded
        # subset of a PDF font holds: with Type 3's 256, Greek letters and symbols took a second subset
        "ps.fonttype": 42,
        "svg.hashsalt": "symrecycle",
    }


class style:
    """Context manager: matplotlib's defaults plus :func:`rc` of ``size``, restored on exit.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with style("one-column"):
    ...     print(mpl.rcParams["font.size"], mpl.rcParams["svg.hashsalt"])
    8.0 symrecycle
    >>> mpl.rcParams["svg.hashsalt"] == "symrecycle"  # restored on exit
    False
    """

    def __init__(self, size=None):
        self.size = figure_size(size)

    def __enter__(self):
        self._ctx = mpl.rc_context()
        self._ctx.__enter__()
        mpl.rcdefaults()
        mpl.rcParams.update(rc(self.size))
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


_PARSER = MathTextParser("path")


def tex(obj) -> str:
    r"""LaTeX of a SymPy object (a model's parameter or its symbol) that mathtext can draw; no ``$``.

    Use it between dollars in a label: ``f"${tex(m.parameter('alpha'))}$"``.
    Where mathtext cannot read SymPy's LaTeX, the name is set upright.

    Examples
    --------
    >>> import sympy as sp
    >>> tex(sp.Symbol("alpha")), tex(sp.Symbol("C1")), tex(sp.Symbol("B_{n-1}"))
    ('\\alpha', 'C_{1}', 'B_{n-1}')
    """
    symbol = getattr(obj, "symbol", obj)
    if not isinstance(symbol, sp.Basic):
        raise ValueError(f"tex: got {obj!r}, expected a SymPy symbol or a parameter")
    text = sp.latex(symbol)
    try:
        _PARSER.parse(f"${text}$")
    except ValueError:
        name = "".join(c if c.isalnum() else " " for c in str(symbol))
        return rf"\mathrm{{{name.strip() or '?'}}}"
    return text


def text_width(text: str, fontsize: float) -> float:
    """The width of one line of ``text`` (mathtext included) at ``fontsize``, in points, in the current
    font (inside :class:`style`: the figures' own).

    Examples
    --------
    >>> with style():
    ...     round(text_width("iteration $n$", 10) / text_width("iteration $n$", 5), 3)
    2.0
    """
    return _width(text, fontsize, _font())


def _font():
    return tuple(mpl.rcParams["font.family"]), mpl.rcParams["mathtext.fontset"]


@functools.lru_cache(maxsize=4096)
def _width(text, fontsize, font):
    """:func:`text_width` for the font ``font`` (the key of the cache: what the current font is)."""
    return float(TextPath((0, 0), text, size=fontsize).get_extents().width)


def wrap(text: str, width: float, fontsize: float) -> str:
    r"""``text`` broken at spaces into lines at most ``width`` inches wide at ``fontsize`` points.

    A piece of mathtext (``$...$``) is never broken; a word longer than the
    width keeps a line of its own.

    Examples
    --------
    >>> with style():
    ...     print(wrap(r"Kickstarting: the benefit as $n \to \infty$ over the plane", 1.6, 9))
    Kickstarting: the benefit
    as $n \to \infty$ over the plane
    """
    words = re.findall(r"(?:\$[^$]*\$|[^\s$])+", text)
    font = _font()
    space = _width("a a", fontsize, font) - _width("aa", fontsize, font)
    lines, line, used = [], "", 0.0
    for word in words:
        w = _width(word, fontsize, font)
        if line and used + space + w > width * 72:
            lines.append(line)
            line, used = word, w
        else:
            line, used = (f"{line} {word}", used + space + w) if line else (word, w)
    return "\n".join([*lines, line])


def integer_ticks(axis, steps=(1, 2, 5, 10)):
    """Major ticks of ``axis`` (``ax.xaxis``) at whole numbers only, as many as fit; returns the axis.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> _ = ax.plot([1, 20], [0, 1]); _ = integer_ticks(ax.xaxis)
    >>> all(float(t).is_integer() for t in ax.get_xticks())
    True
    """
    axis.set_major_locator(MaxNLocator(integer=True, steps=list(steps)))
    return axis


# -- what a legend must not cover ----------------------------------------------------------------
def _polylines(path, transform):
    """The finite pieces of a path in display coordinates (split at MOVETO and nan)."""
    return [p for p in transform.transform_path(path).to_polygons(closed_only=False) if len(p)]


def _hit_segments(points, box) -> bool:
    """Whether a polyline (k x 2, display) meets a box: Liang-Barsky on every segment."""
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
    if inside.any():
        return True
    if len(points) < 2:
        return False
    a, d = points[:-1], np.diff(points, axis=0)
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    ok = np.ones(len(a), dtype=bool)
    for p, q in ((-d[:, 0], a[:, 0] - x0), (d[:, 0], x1 - a[:, 0]),
                 (-d[:, 1], a[:, 1] - y0), (d[:, 1], y1 - a[:, 1])):
        zero = p == 0
        ok &= ~(zero & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = q / p
        t0 = np.where(~zero & (p < 0), np.maximum(t0, r), t0)
        t1 = np.where(~zero & (p > 0), np.minimum(t1, r), t1)
    return bool((ok & (t0 <= t1)).any())


@dataclass
class _Obstacle:
    kind: str          # "line", "area" or "box"
    shapes: list       # polylines (line, area) or Bboxes (box)
    pad: float = 0.0   # display units around a line (half its width, its marker's radius)
    label: str = ""


def obstacles(ax, renderer, exclude=()) -> list:
    """What a legend of ``ax`` must not cover, in display coordinates (after the figure is drawn).

    Lines (with their markers' radius), the edges and insides of filled
    collections and patches (bands, bars), meshes, and every text of the axes
    (annotations, contour labels, other legends, titles, axis and tick
    labels). Artists in ``exclude`` are left out.
    """
    out = []
    px = renderer.points_to_pixels
    for line in ax.lines:
        if not line.get_visible() or line in exclude:
            continue
        xy = np.asarray(line.get_xydata(), dtype=float)
        disp = line.get_transform().transform(xy)
        good = np.isfinite(disp).all(axis=1)
        runs = np.split(disp, np.nonzero(np.diff(good.astype(int)))[0] + 1)
        pieces = [r for r in runs if np.isfinite(r).all() and len(r)]
        marker = line.get_marker()
        pad = px(line.get_linewidth()) / 2
        if marker not in (None, "", " ", "none", "None"):
            pad = max(pad, px(line.get_markersize() + line.get_markeredgewidth()) / 2)
        out.append(_Obstacle("line", pieces, pad, str(line.get_label())))
    for coll in ax.collections:
        if not coll.get_visible() or coll in exclude:
            continue
        if isinstance(coll, QuadMesh):
            lim = coll.get_datalim(ax.transData)
            out.append(_Obstacle("box", [lim], 0.0, "mesh"))
            continue
        faces = np.asarray(coll.get_facecolor())
        filled = faces.size and (faces[:, -1] > 0).any()
        pad = px(float(np.max(coll.get_linewidth(), initial=0.0))) / 2
        pieces = [p for path in coll.get_paths() for p in _polylines(path, coll.get_transform())]
        out.append(_Obstacle("area" if filled else "line", pieces, pad, str(coll.get_label())))
    for patch in ax.patches:
        if patch.get_visible() and patch not in exclude:
            out.append(_Obstacle("box", [patch.get_window_extent(renderer)], 0.0, "patch"))
    texts = [t for t in ax.texts if t.get_visible() and t.get_text() and t not in exclude]
    texts += [t for t in (ax.title, ax.xaxis.label, ax.yaxis.label) if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    boxes += [leg.get_window_extent(renderer) for leg in _legends(ax) if leg not in exclude]
    out.append(_Obstacle("box", boxes, 0.0, "text"))
    return out


def _legends(ax):
    return [c for c in ax.get_children() if isinstance(c, mpl.legend.Legend) and c.get_visible()]


def hits(box, found) -> list:
    """The labels of the :func:`obstacles` ``found`` that the display box ``box`` (a Bbox) meets."""
    out = []
    for ob in found:
        if ob.kind == "box":
            if any(box.overlaps(b) for b in ob.shapes if np.isfinite(b.bounds).all()):
                out.append(ob.label)
            continue
        grown = box.padded(ob.pad)
        centre = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        for piece in ob.shapes:
            if _hit_segments(piece, grown) or (
                    ob.kind == "area" and len(piece) > 2 and Path(piece).contains_point(centre)):
                out.append(ob.label)
                break
    return out


#: where a legend is tried, in order
LOCATIONS = ("upper right", "upper left", "lower right", "lower left", "center right", "center left",
             "upper center", "lower center", "center")


#: the anchor of each of matplotlib's legend location codes (Legend.codes: "upper right" is 1, ...)
_ANCHORS = (None, "NE", "NW", "SW", "SE", "E", "W", "E", "S", "N", "C")


def _box_at(leg, loc, size, renderer):
    """The display box ``leg`` takes at ``loc``, from its ``size`` (a Bbox) by the rule matplotlib places
    a legend at a named location with: anchored in its parent box less ``borderaxespad``; ``None`` for
    any other location ("best", a code, a point), which is drawn to be known."""
    code = Legend.codes.get(loc) if isinstance(loc, str) else None
    if not code:
        return None
    pad = leg.borderaxespad * renderer.points_to_pixels(leg.prop.get_size_in_points())
    parent = leg.get_bbox_to_anchor().padded(-pad)
    return Bbox.from_bounds(0, 0, size.width, size.height).anchored(_ANCHORS[code], parent)


def _grow(ax, extra):
    """Raise the top of the y range by ``extra`` of its span (in the axis' scale)."""
    lo, hi = ax.get_ylim()
    if ax.get_yscale() == "log":
        ax.set_ylim(lo, hi * (hi / lo) ** extra)
    else:
        ax.set_ylim(lo, hi + (hi - lo) * extra)


def place_legend(ax, locations=LOCATIONS, headroom=(0.0, 0.15, 0.3, 0.5), pad=3.0, draw=True, **kw):
    """Add the legend of ``ax`` where it covers no line, marker, band, bar or text.

    Each of ``locations`` is tried inside the axes, with the legend's entries
    in ``ncols`` columns (default 1) and then in more, up to one row; when
    none is free, the top of the y range is raised by each ``headroom``
    fraction in turn (to make room above the data) and they are tried again.
    If none is free then either, the legend goes outside, to the right of
    the axes. ``pad``: points kept free around the legend; ``draw=False``:
    the figure is laid out already (as :func:`place_legends` does). Other
    keywords go to ``ax.legend``. Returns the legend.

    Examples
    --------
    >>> from matplotlib.backends.backend_agg import FigureCanvasAgg
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(3.4, 2.4), layout="constrained"); _ = FigureCanvasAgg(fig)
    >>> ax = fig.add_subplot()
    >>> _ = ax.plot(range(10), [x * x for x in range(10)], label="squares")
    >>> leg = place_legend(ax)
    >>> fig.draw_without_rendering(); renderer = fig.canvas.get_renderer()
    >>> hits(leg.get_window_extent(renderer), obstacles(ax, renderer, exclude=(leg,)))
    []
    """
    fig = ax.get_figure(root=True)
    first = kw.pop("ncols", 1)
    leg = ax.legend(loc=locations[0], ncols=first, **kw)
    entries = len(leg.legend_handles)
    rows = [-(-entries // c) for c in range(1, entries + 1)]  # rows of the legend in c columns
    columns = [first] + [c for c in range(first + 1, entries + 1) if rows[c - 1] < rows[c - 2]]
    ylim = ax.get_ylim()
    if draw:
        fig.draw_without_rendering()  # the layout, once: a legend inside and a new y range keep the frame
    renderer = fig.canvas.get_renderer()
    room = ax.get_window_extent(renderer).width
    for extra in headroom:
        if extra:
            ax.set_ylim(*ylim)
            _grow(ax, extra)
        found = obstacles(ax, renderer, exclude=(leg,))
        for ncols in columns:
            leg = ax.legend(loc=locations[0], ncols=ncols, **kw)
            if ncols != first and leg.get_window_extent(renderer).width > room:
                break  # wider than the axes (more columns only make it wider)
            # the legend's size is drawn once; each place is tried by the box it would take there, and
            # the first free one is drawn and checked again (drawing it costs what drawing the size did)
            size = leg.get_window_extent(renderer)
            for loc in locations:
                guess = _box_at(leg, loc, size, renderer)
                if guess is not None and hits(guess.padded(renderer.points_to_pixels(pad)), found):
                    continue
                leg.set_loc(loc)
                box = leg.get_window_extent(renderer).padded(renderer.points_to_pixels(pad))
                if not hits(box, found):
                    return leg
    ax.set_ylim(*ylim)
    leg = ax.legend(loc="upper left", ncols=first, bbox_to_anchor=(1.02, 1.0), **kw)
    return leg


def place_legends(axes, rounds=3, **kw):
    """:func:`place_legend` on each of ``axes``, laid out once, until none moves a y range.

    Room made above the data of one panel changes the scale of the panels
    that share its y axis, so the legends are placed again, at most
    ``rounds`` times. ``ncols`` may be one number or one per axes; other
    keywords as for :func:`place_legend`. Returns the legends.
    """
    axes = list(axes)
    ncols = kw.pop("ncols", 1)
    ncols = list(ncols) if isinstance(ncols, (list, tuple)) else [ncols] * len(axes)
    if not axes:
        return []
    fig = axes[0].get_figure(root=True)
    for _ in range(rounds):
        before = [ax.get_ylim() for ax in axes]
        fig.draw_without_rendering()
        legends = []
        for ax, nc in zip(axes, ncols):
            leg = place_legend(ax, ncols=nc, draw=False, **kw)
            legends.append(leg)
            if leg.get_bbox_to_anchor() is not ax.bbox:
                fig.draw_without_rendering()  # outside: the others' frames moved
        if [ax.get_ylim() for ax in axes] == before:
            break
    return legends
