"""Figures a journal can take as they are, checked through their data and their text extents.

Every figure of the report and both Monte Carlo figures, at both print sizes:
labels in mathtext (no ASCII "alpha", "beta", "B_n"); whole-number ticks on
iteration axes; no legend or annotation covering a line, marker, band, bar or
mesh, another legend or annotation, or any other text; no two texts
overlapping; nothing outside the figure; markers inside the frame; the
one-column figure at most 3.5 in wide with no text under 7 pt.

The checks are written here, apart from the placement code they check
(:mod:`symrecycle.io.figstyle`): plotted data are sampled along their
segments in display coordinates (after layout), areas tested point by point.
"""

from __future__ import annotations

import functools
import itertools
import re
import weakref

import numpy as np
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.legend import Legend
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from symrecycle.report import figures as plots
from symrecycle.uncertainty import montecarlo as mcmod

SIZES = ("one-column", "two-column")
#: display units (pixels at the figure's dpi) two extents may share before they overlap
TOL = 0.5


SPECS = {"r": "lognormal 1.5 to 6", "alpha": "uniform 0.2 to 0.9"}


def _mc(kind, size):
    if kind == "fan":
        mc = mcmod.monte_carlo("kickstarting", "benefit", SPECS, 4000, seed=3, n=range(1, 7))
        return mc.fan_chart(size=size)
    return mcmod.monte_carlo("kickstarting", "limit", SPECS, 4000, seed=3).histogram(size=size)


#: a few iterations, where matplotlib's own ticks would fall between them (1, 1.5, 2, ...)
SHORT = {"figure2-short": lambda size: plots.figure2(n_max=4, size=size).figure,
         "figure4-short": lambda size: plots.figure4(n_max=3, size=size).figure,
         "fan-short": lambda size: mcmod.monte_carlo("kickstarting", "benefit", SPECS, 500, seed=3,
                                                     n=range(1, 4)).fan_chart(size=size)}


@pytest.fixture(scope="session")
def figure(report_figure):
    """``figure(name, size)``: the report's figure ``name`` (shared, ``tests/report/conftest.py``) or one
    of this module's, drawn once per size."""
    @functools.cache
    def other(name, size):
        return SHORT[name](size) if name in SHORT else _mc(name, size)

    def get(name, size):
        return report_figure(name, size).figure if name in plots.FIGURES else other(name, size)

    return get


NAMES = (*plots.FIGURES, "fan", "hist")
CASES = [(n, s) for n in NAMES for s in SIZES]


#: the shared figures laid out so far: the tests here only read a figure, so one layout serves them all
_LAID_OUT = weakref.WeakSet()


def drawn(fig):
    """The renderer of ``fig``, laid out as saving it would lay it out (once per figure)."""
    if fig not in _LAID_OUT:
        fig.draw_without_rendering()
        _LAID_OUT.add(fig)
    return fig.canvas.get_renderer()


# -- what is drawn, in display coordinates ---------------------------------------------------------
def sample(points, step=1.0):
    """Points along a polyline (k x 2) no more than ``step`` apart; nan breaks it."""
    out = [points[np.isfinite(points).all(axis=1)]]
    for a, b in itertools.pairwise(points):
        if np.isfinite(a).all() and np.isfinite(b).all():
            k = int(np.ceil(np.hypot(*(b - a)) / step))
            if k > 1:
                t = np.linspace(0, 1, k + 1)[:, None]
                out.append(a + t * (b - a))
    return np.concatenate(out) if out else np.empty((0, 2))


def pieces(path, transform):
    """A path's polylines in display coordinates, split at MOVETO (read from its codes)."""
    verts = transform.transform(path.vertices)
    codes = path.codes
    if codes is None:
        return [verts]
    starts = [i for i, c in enumerate(codes) if c == path.MOVETO] + [len(codes)]
    if starts[0] != 0:
        starts.insert(0, 0)
    return [verts[a:b] for a, b in itertools.pairwise(starts) if b > a]


def data_of(fig, renderer):
    """``(points, radius, label)`` of every line and unfilled collection; ``(path or box, label)`` of
    every filled area, bar and mesh; only what lies in its axes (clipped) or anywhere (not clipped)."""
    lines, areas = [], []
    px = renderer.points_to_pixels
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)

        def visible(pts, clipped, frame=frame):
            if not clipped:
                return pts
            keep = ((pts[:, 0] >= frame.x0 - TOL) & (pts[:, 0] <= frame.x1 + TOL)
                    & (pts[:, 1] >= frame.y0 - TOL) & (pts[:, 1] <= frame.y1 + TOL))
            return pts[keep]

        for line in ax.lines:
            if not line.get_visible():
                continue
            disp = line.get_transform().transform(np.asarray(line.get_xydata(), float))
            pts = visible(sample(disp), line.get_clip_on())
            lines.append((pts, px(line.get_linewidth()) / 2, line.get_label()))
            if line.get_marker() not in (None, "", " ", "none", "None"):
                every = line.get_markevery()
                marks = disp[::every] if isinstance(every, int) else disp
                marks = visible(marks[np.isfinite(marks).all(axis=1)], line.get_clip_on())
                r = px(line.get_markersize() + line.get_markeredgewidth()) / 2
                lines.append((marks, r, f"markers of {line.get_label()}"))
        for coll in ax.collections:
            if not coll.get_visible():
                continue
            if isinstance(coll, QuadMesh):
                box = Bbox.intersection(coll.get_datalim(ax.transData), frame)
                areas.append((box, "mesh"))
                continue
            faces = np.asarray(coll.get_facecolor())
            filled = bool(faces.size and (faces[:, -1] > 0).any())
            for path in coll.get_paths():
                if filled:
                    areas.append((coll.get_transform().transform_path(path), f"area {coll.get_label()}"))
                else:
                    for p in pieces(path, coll.get_transform()):
                        lw = np.max(coll.get_linewidth(), initial=0.0)
                        lines.append((visible(sample(p), coll.get_clip_on()), px(lw) / 2, "contour"))
        for patch in ax.patches:
            if patch.get_visible():
                areas.append((patch.get_window_extent(renderer), "bar"))
    return lines, areas


def covers(box, lines, areas):
    """What of the data the box covers: labels of lines with a point within their radius of it, and of
    areas that share a point with it (a grid of the box's points inside a path, or boxes overlapping)."""
    out = []
    for pts, r, label in lines:
        if len(pts) and ((pts[:, 0] > box.x0 - r + TOL) & (pts[:, 0] < box.x1 + r - TOL)
                         & (pts[:, 1] > box.y0 - r + TOL) & (pts[:, 1] < box.y1 + r - TOL)).any():
            out.append(label)
    gx, gy = np.meshgrid(np.linspace(box.x0 + TOL, box.x1 - TOL, 25),
                         np.linspace(box.y0 + TOL, box.y1 - TOL, 25))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    for shape, label in areas:
        if isinstance(shape, Bbox) or shape is None:
            if shape is not None and overlap(box, shape):
                out.append(label)
        elif shape.contains_points(grid).any() or (
                len(v := shape.vertices[np.isfinite(shape.vertices).all(axis=1)])
                and ((v[:, 0] > box.x0 + TOL) & (v[:, 0] < box.x1 - TOL)
                     & (v[:, 1] > box.y0 + TOL) & (v[:, 1] < box.y1 - TOL)).any()):
            out.append(label)
    return out


def overlap(a, b) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > TOL and min(a.y1, b.y1) - max(a.y0, b.y0) > TOL


# -- texts -----------------------------------------------------------------------------------------
def tick_labels(axis):
    lo, hi = sorted(axis.get_view_interval())
    span = hi - lo
    out = []
    for loc, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels()):
        if label.get_visible() and label.get_text() and lo - 1e-9 * span <= loc <= hi + 1e-9 * span:
            out.append((loc, label))
    return out


def legends(fig):
    out = list(fig.legends)
    for ax in fig.axes:
        out += [c for c in ax.get_children() if isinstance(c, Legend) and c.get_visible()]
    return out


def texts(fig):
    """Every visible, non-empty text, each legend as one: ``[(artist, kind)]``."""
    in_legends = {id(t) for leg in legends(fig) for t in leg.findobj(Text)}
    out = [(leg, "legend") for leg in legends(fig)]
    seen = {id(leg) for leg in legends(fig)}

    def add(t, kind):
        if id(t) not in seen and id(t) not in in_legends and t.get_visible() and t.get_text().strip():
            seen.add(id(t))
            out.append((t, kind))

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for _, label in tick_labels(axis):
                add(label, "tick label")
            add(axis.label, "axis label")
        for t in ax.texts:
            add(t, "annotation" if isinstance(t, Annotation) else "text")
        for c in ax.get_children():
            if isinstance(c, Text):
                add(c, "title")
    for t in fig.texts:
        add(t, "text")
    if fig._suptitle is not None:
        add(fig._suptitle, "title")
    return out


def strip_math(s):
    return re.sub(r"\$[^$]*\$", "", s)


ASCII_MATH = re.compile(r"\b(alpha|beta|theta|rho|infinity)\b|_|\^|->|\*")


# -- the tests -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "size"), CASES)
def test_legends_and_annotations_cover_no_data_and_no_text(figure, name, size):
    fig = figure(name, size)
    renderer = drawn(fig)
    lines, areas = data_of(fig, renderer)
    found = texts(fig)
    boxes = [(a, k) for a, k in found if k in ("legend", "annotation")]
    assert boxes or name in ("figure3",), "expected a legend or annotation to check"
    problems = []
    for art, kind in boxes:
        box = art.get_window_extent(renderer)
        for label in covers(box, lines, areas):
            problems.append(f"{kind} {getattr(art, 'get_text', lambda: '')()!r} covers {label}")
    for i, (a, ka) in enumerate(found):
        ba = a.get_window_extent(renderer)
        for b, kb in found[i + 1:]:
            if overlap(ba, b.get_window_extent(renderer)):
                problems.append(f"{ka} {_text(a)!r} overlaps {kb} {_text(b)!r}")
    assert problems == []


def _text(a):
    return a.get_text() if isinstance(a, Text) else "legend"


@pytest.mark.parametrize(("name", "size"), CASES)
def test_every_text_inside_the_figure(figure, name, size):
    fig = figure(name, size)
    renderer = drawn(fig)
    page = fig.bbox.padded(TOL)
    outside = [_text(a) for a, _ in texts(fig) if not page.containsx(a.get_window_extent(renderer).x0)
               or not page.contains(*a.get_window_extent(renderer).p1)
               or not page.contains(*a.get_window_extent(renderer).p0)]
    assert outside == []
    # labels inside a panel (contour labels) are not cut by its frame
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer).padded(TOL)
        for t in ax.texts:
            if t.get_visible() and t.get_text() and t.get_clip_on() and not isinstance(t, Annotation):
                box = t.get_window_extent(renderer)
                assert frame.contains(box.x0, box.y0), t.get_text()
                assert frame.contains(box.x1, box.y1), t.get_text()


@pytest.mark.parametrize(("name", "size"), CASES)
def test_print_size_and_fonts(figure, name, size):
    fig = figure(name, size)
    drawn(fig)
    width = fig.get_size_inches()[0]
    if size == "one-column":
        assert 3.2 <= width <= 3.5
    else:
        assert 6.5 <= width <= 7.2
    sizes = [t.get_fontsize() for a, _ in texts(fig) for t in (a.texts if isinstance(a, Legend) else [a])]
    assert min(sizes) >= 7


@pytest.mark.parametrize(("name", "size"), CASES)
def test_labels_are_mathtext(figure, name, size):
    fig = figure(name, size)
    drawn(fig)
    bad = []
    for a, _ in texts(fig):
        for t in (a.texts if isinstance(a, Legend) else [a]):
            s = t.get_text()
            if ASCII_MATH.search(strip_math(s)):
                bad.append(s)
    assert bad == []


MATH = {
    "figure1": [r"$\alpha$", "$r$", "A_n/C_n"],
    "figure2": [r"$\alpha", "$r", "B_n"],
    "figure3": [r"$\alpha", "$r", "A_n", "C_n"],
    "figure4": [r"\beta", r"\beta^*", "$r", "$g", "B_n", "P_n"],
}


@pytest.mark.parametrize("name", list(MATH))
def test_parameters_and_sequences_are_named_in_mathtext(figure, name):
    fig = figure(name, "two-column")
    every = " ".join(t.get_text() for a, _ in texts(fig) for t in (a.texts if isinstance(a, Legend) else [a]))
    every = every.replace("{", "").replace("}", "")
    for frag in MATH[name]:
        assert frag in every, frag
    assert "$" in fig.axes[0].get_ylabel()


ITERATION_AXES = {"figure2": 3, "figure3": 2, "figure4": 2, "fan": 1, "figure2-short": 3, "figure4-short": 2,
                  "fan-short": 1}


@pytest.mark.parametrize(("name", "size"), [(n, s) for n in ITERATION_AXES for s in SIZES])
def test_iteration_axes_have_whole_number_ticks(figure, name, size):
    fig = figure(name, size)
    drawn(fig)
    labelled = [ax for ax in fig.axes if re.match(r"(iteration|year) \$n\$", ax.get_xlabel())]
    # panels stacked on one shared axis carry its label once, below the last
    axes = [ax for ax in fig.axes if any(ax is b or ax.get_shared_x_axes().joined(ax, b) for b in labelled)]
    assert len(axes) == ITERATION_AXES[name]
    for ax in axes:
        ticks = tick_labels(ax.xaxis)
        assert len(ticks) >= 2 or ax not in labelled  # a stacked panel shows the last one's
        for loc, label in ticks:
            assert float(loc).is_integer(), (ax.get_xlabel(), loc)
            assert re.fullmatch(r"[0-9]+", label.get_text()), label.get_text()


@pytest.mark.parametrize(("name", "size"), CASES)
def test_markers_inside_the_frame(figure, name, size):
    fig = figure(name, size)
    renderer = drawn(fig)
    px = renderer.points_to_pixels
    cut = []
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        for line in ax.lines:
            if line.get_marker() in (None, "", " ", "none", "None") or not line.get_visible():
                continue
            disp = line.get_transform().transform(np.asarray(line.get_xydata(), float))
            every = line.get_markevery()
            disp = disp[::every] if isinstance(every, int) else disp
            disp = disp[np.isfinite(disp).all(axis=1)]
            r = px(line.get_markersize() + line.get_markeredgewidth()) / 2
            inner = frame.padded(-r + TOL)
            for x, y in disp:
                if frame.x0 <= x <= frame.x1 and frame.y0 <= y <= frame.y1 and not inner.contains(x, y):
                    cut.append((line.get_label(), x, y))
    assert cut == []


def test_one_and_two_columns_plot_the_same_data(report_figure):
    for name in plots.FIGURES:
        one, two = report_figure(name, "one-column"), report_figure(name, "two-column")
        assert one.csv_text() == two.csv_text()
        assert one.size == "one-column"
        assert two.size == "two-column"


def test_default_size_is_two_columns():
    assert plots.figure2().figure.get_size_inches()[0] == pytest.approx(7.0)
    with pytest.raises(ValueError, match="size: got 'a4'"):
        plots.figure1(size="a4")


def test_save_figure_redraws_at_another_size(tmp_path):
    data = plots.figure2()
    paths = plots.save_figure(data, tmp_path, size="one-column")
    assert paths["png"].exists()
    assert data.figure.get_size_inches()[0] == pytest.approx(7.0)  # the figure given is left as it was


@pytest.mark.parametrize("loc", ["upper left", "best", 2, (0.1, 0.1)])
def test_place_legend_takes_any_location_matplotlib_takes(loc):
    # named places are tried by the box the legend would take there; "best", a code or a point are drawn
    from symrecycle.io.figstyle import hits, obstacles, place_legend
    from symrecycle.report.figbase import new_figure

    fig = new_figure(3.4, 2.4)
    ax = fig.add_subplot()
    ax.plot(range(10), [x * x for x in range(10)], label="squares")
    leg = place_legend(ax, locations=(loc,))
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    inside = leg.get_bbox_to_anchor() is ax.bbox
    assert not inside or hits(leg.get_window_extent(renderer), obstacles(ax, renderer, exclude=(leg,))) == []
