"""Default histogram bins follow the data: no bar holds most of the mass; log bins where values span
decades."""

from __future__ import annotations

import numpy as np
import pytest

from symrecycle.uncertainty import montecarlo as M

SPECS = {"r": "lognormal 1.5 to 6", "alpha": "uniform 0.2 to 0.9"}


def largest_share(values, edges):
    counts, _ = np.histogram(values, edges)
    return counts.max() / values.size


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.0])
def test_lognormal_mass_is_spread(sigma):
    x = np.random.default_rng(7).lognormal(0.0, sigma, 50_000)
    assert largest_share(x, np.linspace(x.min(), x.max(), 51)) > 0.5  # the old default: 50 equal bins
    edges, log = M.histogram_bins(x)
    assert log  # more than two decades
    assert np.all(np.diff(np.log(edges)) == pytest.approx(np.log(edges[1] / edges[0])))
    assert len(edges) - 1 <= M.MAX_BINS
    assert largest_share(x, edges) <= 0.5
    assert edges[0] == x.min()
    assert edges[-1] == pytest.approx(x.max())


def test_log_only_where_positive_values_span_two_decades():
    rng = np.random.default_rng(1)
    assert M.histogram_bins(rng.uniform(1, 99, 1000))[1] is False
    assert M.histogram_bins(rng.uniform(1, 101, 1000))[1] is True
    assert M.histogram_bins(np.r_[0.0, rng.uniform(1, 1e6, 1000)])[1] is False
    assert M.histogram_bins(rng.uniform(1, 1e6, 1000), log=False)[1] is False
    with pytest.raises(ValueError, match="log=True needs positive values"):
        M.histogram_bins([-1.0, 2.0], log=True)
    with pytest.raises(ValueError, match="no finite value"):
        M.histogram_bins([np.nan, np.inf])


def test_far_tail_is_cut_not_the_bulk():
    x = np.random.default_rng(3).standard_cauchy(20_000)  # both signs: no log axis
    edges, log = M.histogram_bins(x)
    assert not log
    assert largest_share(x, edges) <= 0.5
    assert largest_share(x, np.linspace(x.min(), x.max(), 51)) > 0.5
    inside = np.mean((x >= edges[0]) & (x <= edges[-1]))
    assert 0.97 <= inside < 1  # the far 1 % of each tail is left out
    # a near side is not cut: values from 1 up with one far tail
    y = 1 + np.random.default_rng(4).pareto(0.7, 20_000)
    edges, log = M.histogram_bins(y, log=False)
    assert edges[0] == y.min()
    assert edges[-1] < y.max()


def test_bins_given_are_equal_over_all_values():
    x = np.random.default_rng(5).lognormal(0.0, 3.0, 1000)
    edges, log = M.histogram_bins(x, bins=7)
    assert log
    assert len(edges) == 8
    assert edges[0] == x.min()
    assert edges[-1] == pytest.approx(x.max())
    edges, log = M.histogram_bins(x, bins=7, log=False)
    np.testing.assert_allclose(edges, np.linspace(x.min(), x.max(), 8))
    assert M.histogram_bins(np.ones(5))[0].tolist() == [0.5, 1.5]
    assert len(M.histogram_bins(np.random.default_rng(6).normal(size=10**6))[0]) - 1 == M.MAX_BINS


def test_monte_carlo_histogram_default():
    # the limit r/(r - alpha) has a far tail (r near alpha) within two decades: linear bins, tail cut
    mc = M.monte_carlo("kickstarting", "limit", SPECS, 4000, seed=3)
    finite = mc.samples[np.isfinite(mc.samples)]
    assert 10 < finite.max() / finite.min() < 100
    ax = mc.histogram().axes[0]
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights.max() <= 0.5 * finite.size
    assert len(heights) <= M.MAX_BINS
    cut = finite.size - heights.sum()
    assert 0 < cut <= 0.011 * finite.size
    assert f"{int(cut)} beyond the axis, not shown" in ax.get_title()
    assert ax.get_xscale() == "linear"
    # r from just above alpha = 1: limits over three decades, a log axis by default
    wide = M.monte_carlo("kickstarting", "limit", {"r": "uniform 1.001 to 50", "alpha": 1}, 5000, seed=1)
    ax = wide.histogram().axes[0]
    assert ax.get_xscale() == "log"
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights.max() <= 0.5 * wide.size
    assert heights.sum() >= 0.99 * wide.size
