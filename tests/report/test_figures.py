"""Figures, checked through their data (Axes and CSV), their palette and their bytes."""

from __future__ import annotations

import csv
import io

import matplotlib as mpl
import numpy as np
import pytest

import symrecycle as sr
from symrecycle.report import figures as plots


@pytest.fixture(scope="module")
def figs(report_figure):
    return {name: report_figure(name) for name in plots.FIGURES}


def read_csv(data):
    return list(csv.DictReader(io.StringIO(data.csv_text())))


def test_figure1_is_the_limit_over_the_plane(figs):
    d = figs["figure1"]
    ax = d.figure.axes[0]
    rows = read_csv(d)
    r = np.array([float(x["r"]) for x in rows])
    a = np.array([float(x["alpha"]) for x in rows])
    lim = np.array([float(x["limit"]) for x in rows])
    assert len(rows) == len(d.values["r"]) * len(d.values["alpha"])
    assert r.min() == pytest.approx(1.1)
    assert r.max() == pytest.approx(12.0)
    assert a.min() == 0
    assert a.max() == 1
    np.testing.assert_allclose(lim, r / (r - a), rtol=1e-12)  # by hand: r/(r - alpha) for alpha < r
    mesh = ax.collections[0]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).ravel(), np.minimum(lim, 10.0), rtol=1e-12)
    assert mesh.get_cmap().name == "viridis"
    # the scenarios of Table 1 at alpha = 1
    xy = ax.lines[0].get_xydata()
    assert sorted(xy[:, 0]) == pytest.approx([1.3, 3.25, 4.2, 10.5])
    assert set(xy[:, 1]) == {1.0}
    assert "4.2x/yr: 1.312" in d.caption
    assert "1.3x/yr: 4.333" in d.caption


def test_figure2_benefit_and_limit_lines(figs):
    d = figs["figure2"]
    axes = [ax for ax in d.figure.axes if ax.lines]
    assert len(axes) == len(d.values["alpha"]) == 3
    rows = read_csv(d)
    for ax, alpha in zip(axes, d.values["alpha"]):
        for i, r in enumerate(d.values["r"]):
            line, lim = ax.lines[2 * i], ax.lines[2 * i + 1]
            n, b = line.get_xydata().T
            q = alpha / r
            by_hand = np.array([sum(q**k for k in range(int(k_n))) for k_n in n])
            np.testing.assert_allclose(b, by_hand, rtol=1e-12)
            assert lim.get_ydata()[0] == pytest.approx(r / (r - alpha), rel=1e-12)
            assert line.get_color() == plots.OKABE_ITO[i]
            csv_b = [float(x["benefit"]) for x in rows
                     if float(x["alpha"]) == alpha and float(x["r"]) == r and x["n"] != "inf"]
            np.testing.assert_array_equal(csv_b, b)
            (csv_lim,) = [float(x["benefit"]) for x in rows
                          if float(x["alpha"]) == alpha and float(x["r"]) == r and x["n"] == "inf"]
            assert csv_lim == lim.get_ydata()[0]
    assert "r = 1.3: 17.6" in d.caption  # log(0.01)/log(1/1.3) = 17.55...


def test_contributions_are_geometric_for_kickstarting():
    m = sr.get_model("kickstarting")
    M = plots.contributions(m, 6, r=3.0, alpha=0.75)
    C = 3.0 ** np.arange(6)
    for n in range(1, 7):
        for k in range(1, 7):
            want = 0.75 ** (n - k) * C[k - 1] if k <= n else 0.0
            assert M[n - 1, k - 1] == pytest.approx(want, rel=1e-15)
    np.testing.assert_allclose(M.sum(axis=1), m.iterate(6, r=3.0, alpha=0.75, sequence="A"), rtol=1e-14)


def test_contributions_of_augmentation_add_up():
    m = sr.get_model("augmentation")
    M = plots.contributions(m, 5, r=2.0, g=1.5, beta=0.5)
    np.testing.assert_allclose(M.sum(axis=1), m.iterate(5, r=2.0, g=1.5, beta=0.5, sequence="A"), rtol=1e-14)
    # iteration k >= 2 adds beta P_k C_k and keeps it
    assert M[4, 2] == pytest.approx(0.5 * 1.5**2 * 2.0**2)


def test_contributions_refuse_bad_input():
    m = sr.get_model("kickstarting")
    with pytest.raises(ValueError, match="n: got 0"):
        plots.contributions(m, 0, r=2.0, alpha=0.5)
    with pytest.raises(ValueError, match="source: got 'A'"):
        plots.contributions(m, 3, source="A", r=2.0, alpha=0.5)
    with pytest.raises(ValueError, match="alpha"):
        plots.contributions(m, 3, r=2.0, alpha=1.5)
    with pytest.raises(ValueError, match="parameter 'r': got '2', expected a real number"):
        plots.contributions(m, 3, r="2", alpha=0.5)


def test_figure3_stacks_add_up_to_the_benefit(figs):
    d = figs["figure3"]
    assert d.values["r"] == (4.8, 3.8)  # '380%' as an increase, and as a factor
    axes = [ax for ax in d.figure.axes if ax.patches]
    rows = read_csv(d)
    for ax, r in zip(axes, d.values["r"]):
        n_max = len(d.values["n"])
        heights = np.zeros(n_max)
        for p in ax.patches:
            heights[round(p.get_x() + p.get_width() / 2) - 1] += p.get_height()
        q = 0.9 / r
        by_hand = np.array([sum(q**k for k in range(n)) for n in range(1, n_max + 1)])
        np.testing.assert_allclose(heights, by_hand, rtol=1e-12)
        np.testing.assert_allclose(ax.lines[0].get_ydata(), by_hand, rtol=1e-12)
        assert ax.lines[1].get_ydata()[0] == pytest.approx(r / (r - 0.9))
        for row in rows:
            if float(row["r"]) == r:
                n, k = int(row["n"]), int(row["k"])
                assert float(row["share_of_C_n"]) == pytest.approx(q ** (n - k), rel=1e-12)
    assert "read as an increase of 380%" in d.caption


def test_figure4_breakevens_and_panels(figs):
    d = figs["figure4"]
    ax_a, _ax_b, ax_c, ax_d = d.figure.axes[:4]
    for (r, g), bstar in d.values["breakeven"].items():
        assert bstar == pytest.approx(1 - 1 / (g * r), rel=1e-12)  # by hand
        assert f"beta* = {bstar:.4f}" in d.caption
    # (a): B_n at r = 4.2, g = 2.5 by direct iteration
    r, g = d.values["settings"][0]
    for line, beta in zip(ax_a.lines, d.values["betas"]):
        n, b = line.get_xydata().T
        A, C, P, out = 1.0, 1.0, 1.0, []
        for k in range(1, int(n.max()) + 1):
            if k > 1:
                C, P = C * r, P * g
                A = beta * P * C + A
            out.append(A / (P * C))
        np.testing.assert_allclose(b, out, rtol=1e-12)
    # (c): every n crosses 1 at the breakeven beta
    bstar = d.values["breakeven"][d.values["settings"][0]]
    for line in ax_c.lines[: len(d.values["n_values"])]:
        x, y = line.get_xydata().T
        below, above = y[x < bstar - 0.01], y[x > bstar + 0.01]
        assert (below < 1).all()
        assert (above > 1).all()
    assert ax_c.lines[-1].get_xdata()[0] == pytest.approx(bstar)
    # (d): the breakeven of the limit against r, nan where g r <= 1
    for line, gv in zip(ax_d.lines, d.values["g"]):
        x, y = line.get_xydata().T
        ok = x * gv > 1
        np.testing.assert_allclose(y[ok], 1 - 1 / (gv * x[ok]), rtol=1e-12)
        assert np.isnan(y[~ok]).all()
    rows = read_csv(d)
    assert {x["panel"] for x in rows} == set("abcd")


def test_save_is_complete_and_deterministic(tmp_path, figs, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    d = figs["figure2"]
    one = plots.save_figure(d, tmp_path / "one")
    two = plots.save_figure(plots.figure2(), tmp_path / "two")
    for fmt in ("pdf", "png", "csv"):
        assert one[fmt].read_bytes() == two[fmt].read_bytes(), fmt
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == ["figure2.csv", "figure2.pdf", "figure2.png"]
    assert b"CreationDate" not in one["pdf"].read_bytes()
    assert one["png"].read_bytes().startswith(b"\x89PNG")
    assert one["csv"].read_text().splitlines()[0] == "alpha,r,n,benefit"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    dated = plots.save_figure(d, tmp_path / "dated")
    assert b"D:19700102" in dated["pdf"].read_bytes()


def test_style_does_not_leak(figs):
    before = dict(mpl.rcParams)
    plots.figure3()
    assert dict(mpl.rcParams) == before
    assert "matplotlib.pyplot" not in plots.__dict__


def test_each_font_is_embedded_once_as_truetype(tmp_path):
    # a ligature ("fi") or a letter beyond Latin-1 (alpha, the arrow) took an embedded subset of its own
    import re

    from symrecycle.report.figbase import FigureData, new_figure, save_figure

    fig = new_figure(3, 2)
    ax = fig.add_subplot()
    ax.plot([1, 2], [1, 2], label=r"first $\alpha \to \infty$ fit")
    ax.set_title(r"efficiency $\beta^*$ of the figure")
    ax.legend()
    paths = save_figure(FigureData("fonts", fig, ("x",), [(1,)], "Fonts."), tmp_path)
    pdf = paths["pdf"].read_bytes()
    subsets = set(re.findall(rb"/BaseFont /([A-Z]{6})\+([A-Za-z-]+)", pdf))  # (subset tag, font)
    assert sorted(name for _tag, name in subsets) == [b"DejaVuSans", b"DejaVuSans-Oblique"], subsets
    assert b"/FontFile2" in pdf  # TrueType (Type 42), not Type 3
    assert b"/Subtype /Type3" not in pdf
