"""Tests for symrecycle.uncertainty.distributions: specs, domains, correlations, Monte Carlo, Sobol indices.

Statistical checks state their tolerance in terms of the Monte Carlo error
of the sample size used (a few standard errors), so that they fail when the
sampler is wrong and pass for any seed with overwhelming probability; the
seeds are fixed, so the runs are reproducible anyway.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from statistics import NormalDist

import numpy as np
import pytest

import symrecycle as sr
from symrecycle import uncertainty as U
from symrecycle.core.params import Parameter
from symrecycle.models.model import Metric, Model, SequenceDef, seq
from symrecycle.uncertainty import sampling as U_sampling

Z95 = NormalDist().inv_cdf(0.95)


def spearman(x, y):
    rx = np.argsort(np.argsort(x)).astype(float)
    ry = np.argsort(np.argsort(y)).astype(float)
    return float(np.corrcoef(rx, ry)[0, 1])


@pytest.fixture(scope="module")
def toy():
    """Q = a*b + 2c on [0, 1]^3: Sobol indices known in closed form."""
    a, b, c = (Parameter(x, 0, 1) for x in "abc")
    A = seq("A")
    return Model(
        "toy", "a*b + 2c", (a, b, c),
        (SequenceDef("A", a.symbol * b.symbol + 2 * c.symbol, A[sr.n - 1]),),
        (Metric("benefit", A[sr.n]),),
    )


# -- specs ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "kind", "args", "trunc"), [
    ("0.5", "fixed", (0.5,), False),
    ("fixed 2", "fixed", (2.0,), False),
    ("uniform 2 to 6", "uniform", (2.0, 6.0), False),
    ("uniform(2, 6)", "uniform", (2.0, 6.0), False),
    ("Uniform 2, 6", "uniform", (2.0, 6.0), False),
    ("loguniform 1e-1 to 10", "loguniform", (0.1, 10.0), False),
    ("log-uniform 1 to 10", "loguniform", (1.0, 10.0), False),
    ("normal(0.5, 0.1)", "normal", (0.5, 0.1), False),
    ("normal -1 .5", "normal", (-1.0, 0.5), False),
    ("lognormal 2 to 6", "lognormal", (2.0, 6.0), False),
    ("triangular(2, 3, 6)", "triangular", (2.0, 3.0, 6.0), False),
    ("normal(0.9, 0.1) truncated", "normal", (0.9, 0.1), True),
])
def test_parse_spec_forms_and_round_trip(text, kind, args, trunc):
    d = U.parse_spec(text)
    assert (d.kind, d.args, d.truncated) == (kind, args, trunc)
    assert U.parse_spec(d.text) == d
    assert U.parse_spec(d.text).text == d.text


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "empty"),
    ("gamma 2 3", "unknown distribution 'gamma'"),
    ("lognormal(2, 6)", "90% interval"),
    ("normal 1 to 2", "normal(MEAN, SD)"),
    ("uniform 6 to 2", "expected lo < hi"),
    ("loguniform 0 to 1", "expected lo > 0"),
    ("lognormal -1 to 1", "expected lo > 0"),
    ("normal(0, 0)", "sd > 0"),
    ("triangular(1, 5, 3)", "lo <= mode <= hi"),
    ("triangular(1, 3)", "takes 3 numbers, got 2"),
    ("uniform(1, 2", "missing ')'"),
    ("uniform(1,, 2)", "expected a number"),
    ("uniform 2 to 6; import os", "unexpected ';"),
    ("__import__('os').system('true')", "unexpected"),
    ("uniform 1e999 to 2", "finite"),
    ("fixed 1 truncated", "cannot be truncated"),
    ("1 truncated", "cannot be truncated"),
    ("uniform 1 to 2 " + "x" * 300, "longer than"),
    ("2 to 6", "start with a number or a distribution name"),
])
def test_parse_spec_errors_name_parameter_value_and_forms(text, fragment):
    with pytest.raises(ValueError, match="parameter 'r'") as err:
        U.parse_spec(text, "r")
    msg = str(err.value)
    assert fragment in msg
    assert "lognormal LO to HI" in msg  # the accepted forms are listed


def test_parse_spec_rejects_non_text():
    with pytest.raises(ValueError, match="parameter 'alpha': got 3"):
        U.parse_spec(3, "alpha")


def test_parse_specs_and_errors():
    specs = U.parse_specs(["r=lognormal 2 to 6", " alpha = uniform(0.2, 0.9) "])
    assert specs == {"r": U.lognormal(2, 6), "alpha": U.uniform(0.2, 0.9)}
    with pytest.raises(ValueError, match="expected NAME=DISTRIBUTION"):
        U.parse_specs(["r lognormal 2 to 6"])
    with pytest.raises(ValueError, match="given twice"):
        U.parse_specs(["r=1", "r=2"])
    with pytest.raises(ValueError, match="not a parameter name"):
        U.parse_specs(["r.x=1"])


def test_distribution_constructor_errors():
    with pytest.raises(ValueError, match="distribution kind: got 'beta'"):
        U.Distribution("beta", (1, 2))
    with pytest.raises(ValueError, match="uniform: got 1 numbers"):
        U.Distribution("uniform", (1,))
    with pytest.raises(ValueError, match="expected a real number"):
        U.normal("0", 1)
    with pytest.raises(ValueError, match="expected a finite number"):
        U.normal(math.nan, 1)


def test_ppf_and_cdf_agree_and_lognormal_interval():
    for d in (U.uniform(2, 6), U.loguniform(2, 6), U.normal(1, 2), U.lognormal(2, 6), U.triangular(2, 3, 6)):
        for p in (0.01, 0.05, 0.3, 0.5, 0.9, 0.99):
            assert d.cdf(float(d.ppf(p))) == pytest.approx(p, rel=1e-12)
    d = U.lognormal(2, 6)
    assert float(d.ppf(0.05)) == pytest.approx(2, rel=1e-13)
    assert float(d.ppf(0.95)) == pytest.approx(6, rel=1e-13)
    assert d.median == pytest.approx(math.sqrt(12), rel=1e-14)


# -- domains -------------------------------------------------------------------------------------
def test_support_leaving_domain_is_refused_with_mass_outside(kick):
    msg = r"parameter 'alpha': normal\(0.9, 0.1\) puts 0.159 of its probability outside the domain \[0, 1\]"
    with pytest.raises(ValueError, match=msg + ".*truncated"):
        U.draw(kick, {"alpha": "normal(0.9, 0.1)"}, 10, seed=0)
    with pytest.raises(ValueError, match=r"parameter 'alpha': fixed at 1.5, outside its domain \[0, 1\]"):
        U.draw(kick, {"alpha": 1.5}, 10, seed=0)
    with pytest.raises(ValueError, match="keeps 0 of its probability"):
        U.draw(kick, {"r": "normal(-50, 1) truncated"}, 10, seed=0)
    with pytest.raises(ValueError, match="model 'kickstarting' has no parameter 'g'"):
        U.draw(kick, {"g": 2}, 10, seed=0)


def test_truncation_conditions_on_the_domain(kick):
    n = 100_000
    x = U.draw(kick, {"alpha": "normal(0.9, 0.1) truncated"}, n, seed=3)["alpha"]
    assert x.min() >= 0
    assert x.max() <= 1
    # P(alpha <= 0.9 | 0 <= alpha <= 1) for the untruncated normal
    nd = NormalDist(0.9, 0.1)
    want = (nd.cdf(0.9) - nd.cdf(0)) / (nd.cdf(1) - nd.cdf(0))
    se = math.sqrt(want * (1 - want) / n)
    assert abs(np.mean(x <= 0.9) - want) < 5 * se


def test_support_touching_an_open_bound_never_reaches_it(kick):
    # r in (0, oo): uniform on [0, 2] and a truncated normal piled up at 0 never give r = 0
    x = U.draw(kick, {"r": "uniform 0 to 2", "alpha": "uniform 0 to 1"}, 70_000, seed=1)
    assert x["r"].min() > 0
    assert x["r"].max() <= 2
    assert x["alpha"].min() >= 0
    assert x["alpha"].max() <= 1
    y = U.draw(kick, {"r": "normal(0, 1e-300) truncated"}, 1000, seed=1)["r"]
    assert y.min() > 0


def test_no_sample_outside_the_domain_reaches_the_model(kick):
    seen = {"r": [], "alpha": []}

    class Spy:
        name, parameters, start = kick.name, kick.parameters, kick.start

        def parameter(self, name):
            return kick.parameter(name)

        def evaluate(self, quantity, **kw):
            for k in seen:
                seen[k].append(np.min(kw[k]))
            return kick.evaluate(quantity, **kw)

    U.monte_carlo(Spy(), "limit", {"r": "normal(0.5, 1) truncated", "alpha": "uniform 0 to 1"}, 2000, seed=2)
    assert min(seen["r"]) > 0
    assert min(seen["alpha"]) >= 0


# -- correlations ------------------------------------------------------------------------------
def test_correlation_matrix_validation():
    m = U.correlation_matrix(["r", "alpha", "g"], {("r", "alpha"): 0.5, ("alpha", "g"): -0.2})
    assert np.array_equal(m, [[1, 0.5, 0], [0.5, 1, -0.2], [0, -0.2, 1]])
    with pytest.raises(ValueError, match="'x' is not among the parameters"):
        U.correlation_matrix(["r", "alpha"], {("r", "x"): 0.5})
    with pytest.raises(ValueError, match="pairs a parameter with itself"):
        U.correlation_matrix(["r", "alpha"], {("r", "r"): 0.5})
    with pytest.raises(ValueError, match=r"got 1.5, expected a number in \[-1, 1\]"):
        U.correlation_matrix(["r", "alpha"], {("r", "alpha"): 1.5})
    with pytest.raises(ValueError, match="given twice"):
        U.correlation_matrix(["r", "alpha"], {("r", "alpha"): 0.5, ("alpha", "r"): 0.4})
    with pytest.raises(ValueError, match="not positive semidefinite"):
        U.correlation_matrix(["a", "b", "c"], {("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9})
    with pytest.raises(ValueError, match="expected a pair of parameter names"):
        U.correlation_matrix(["r", "alpha"], {"r,alpha": 0.5})


def test_parse_correlations():
    assert U.parse_correlations(["r,alpha=0.3", "g, beta = -1"]) == {("r", "alpha"): 0.3, ("g", "beta"): -1.0}
    with pytest.raises(ValueError, match="expected A,B=RHO"):
        U.parse_correlations(["r-alpha=0.3"])


def test_rank_correlation_is_reached_and_marginals_kept(kick):
    n = 60_000
    specs = {"r": "lognormal 2 to 6", "alpha": "uniform 0.2 to 0.9"}
    for rho in (0.6, -0.4):
        x = U.draw(kick, specs, n, seed=5, correlations={("r", "alpha"): rho})
        assert abs(spearman(x["r"], x["alpha"]) - rho) < 0.02
        for p in (5, 50, 95):  # marginal quantiles within ~5 standard errors of the exact ones
            band = 5 * math.sqrt(p / 100 * (1 - p / 100) / n)
            lo, hi = U.lognormal(2, 6).ppf([p / 100 - band, p / 100 + band])
            assert lo <= np.percentile(x["r"], p) <= hi
            lo, hi = U.uniform(0.2, 0.9).ppf([p / 100 - band, p / 100 + band])
            assert lo <= np.percentile(x["alpha"], p) <= hi
    x = U.draw(kick, specs, n, seed=5)
    assert abs(spearman(x["r"], x["alpha"])) < 0.02


def test_correlating_a_fixed_parameter_is_refused(kick):
    with pytest.raises(ValueError, match=r"'alpha' is fixed \(alpha = 1\)"):
        U.draw(kick, {"r": "uniform 2 to 3", "alpha": 1}, 10, seed=0, correlations={("r", "alpha"): 0.5})
    with pytest.raises(ValueError, match="'C1' is not among the parameters with a distribution: r, alpha"):
        U.draw(kick, {"r": "uniform 2 to 3", "alpha": "uniform 0 to 1"}, 10, seed=0,
               correlations={("r", "C1"): 0.5})
    with pytest.raises(ValueError, match="expected a pair of parameter names"):
        U.draw(kick, {"r": "uniform 2 to 3", "alpha": "uniform 0 to 1"}, 10, seed=0, correlations={"r": 0.5})


# -- Monte Carlo --------------------------------------------------------------------------------
def test_mc_quantiles_of_the_limit_match_the_analytic_answer(kick):
    """alpha = 1, r lognormal: the limit r/(r - 1) (oo for r <= 1) decreases in r, so its
    p-quantile is the limit at r's (1 - p)-quantile. The sample p-quantile lies between the
    true quantiles at p -+ 5 standard errors of an order statistic."""
    n = 200_000
    mc = U.monte_carlo(kick, "limit", {"r": "lognormal 2 to 6", "alpha": 1}, n, seed=11)
    mu, sigma = (math.log(2) + math.log(6)) / 2, (math.log(6) - math.log(2)) / (2 * Z95)
    for p in U.PERCENTS:
        se = math.sqrt(p / 100 * (1 - p / 100) / n)

        def limit_at(prob):
            r = math.exp(mu + sigma * NormalDist().inv_cdf(prob))
            return kick.evaluate("limit", r=r, alpha=1.0)

        lo, hi = limit_at(1 - p / 100 + 5 * se), limit_at(1 - p / 100 - 5 * se)
        assert lo <= mc.quantiles[p] <= hi
        assert hi - lo < 0.02 * hi  # the check is tight
    # r <= 1 has probability Phi(-mu/sigma) > 0: the limit is infinite there, so is the mean
    assert mc.mean == math.inf
    assert np.isinf(mc.samples).any()


def test_mc_mean_matches_the_integral(kick):
    # r = 2, alpha uniform on [0, 1/2]: E[2/(2 - alpha)] = 4 log(4/3)
    n = 100_000
    mc = U.monte_carlo(kick, "limit", {"r": 2, "alpha": "uniform 0 to 0.5"}, n, seed=4)
    se = np.std(mc.samples) / math.sqrt(n)
    assert abs(mc.mean - 4 * math.log(4 / 3)) < 5 * se
    assert mc.undefined == 0


def test_mc_is_reproducible_and_independent_of_chunks_and_other_parameters(kick):
    specs = {"r": "lognormal 2 to 6", "alpha": "triangular(0.1, 0.5, 0.9)"}
    a = U.monte_carlo(kick, "limit", specs, 70_000, seed=7)
    b = U.monte_carlo(kick, "limit", specs, 70_000, seed=7, chunk=999)
    c = U.monte_carlo(kick, "limit", specs, 70_000, seed=8)
    d = U.monte_carlo(kick, "limit", specs, 66_000, seed=7, keep_inputs=False)
    assert np.array_equal(a.samples, b.samples)
    assert np.array_equal(a.inputs["r"], b.inputs["r"])
    assert a.quantiles == b.quantiles
    assert not np.array_equal(a.samples, c.samples)
    assert np.array_equal(a.samples[:66_000], d.samples)
    assert d.inputs == {}
    e = U.draw(kick, {"r": "lognormal 2 to 6", "alpha": 1}, 70_000, seed=7)
    assert np.array_equal(e["r"], a.inputs["r"])  # r's draws do not depend on alpha's spec


def test_mc_over_iterations_and_fan_chart(kick):
    specs = {"r": "lognormal 2 to 6", "alpha": "uniform 0.2 to 0.9"}
    mc = U.monte_carlo(kick, "benefit", specs, 5000, seed=1, n=range(1, 13))
    assert mc.samples.shape == (5000, 12)
    assert mc.columns[0] == "benefit[n=1]"
    # B_1 = 1 exactly; B_n increases with n for alpha < r, so do its quantiles
    assert mc.quantiles[50][0] == 1
    assert np.all(np.diff(mc.quantiles[50]) > 0)
    at5 = U.monte_carlo(kick, "benefit", specs, 5000, seed=1, n=5)
    assert np.array_equal(at5.samples, mc.samples[:, 4])
    fig = mc.fan_chart()
    ax = fig.axes[0]
    assert np.array_equal(ax.lines[0].get_xydata(), np.column_stack([np.arange(1, 13), mc.quantiles[50]]))
    band = ax.collections[0].get_paths()[0].vertices
    assert np.isclose(band[:, 1].max(), mc.quantiles[95].max())
    assert np.isclose(band[:, 1].min(), 1)
    with pytest.raises(ValueError, match="fan_chart: needs the quantity at several finite iterations"):
        at5.fan_chart()


def test_histogram_data(kick):
    specs = {"r": "lognormal 1.5 to 6", "alpha": "uniform 0.2 to 0.9"}
    mc = U.monte_carlo(kick, "limit", specs, 20_000, seed=2)
    fig = mc.histogram(bins=40)
    ax = fig.axes[0]
    finite = np.isfinite(mc.samples)
    assert sum(p.get_height() for p in ax.patches) == finite.sum() < mc.size  # some limits are oo
    assert [ln.get_xdata()[0] for ln in ax.lines] == [mc.quantiles[5], mc.quantiles[50], mc.quantiles[95]]
    assert "not finite, not shown" in ax.get_title()
    assert mc.histogram(log=True).axes[0].get_xscale() == "log"


def test_mc_input_errors(kick):
    specs = {"r": "lognormal 2 to 6", "alpha": 1}
    for kw, msg in [
        ({"samples": 0}, "samples: got 0, expected an integer >= 1"),
        ({"seed": -1}, "seed: got -1, expected a non-negative integer"),
        ({"seed": 1.5}, "seed: got 1.5"),
        ({"n": 0}, "parameter 'n': got 0, expected an integer >= 1 or inf"),
        ({"n": "5"}, "parameter 'n': got '5'"),
        ({"n": [1, 2.5]}, "parameter 'n': got 2.5"),
        ({"chunk": 0}, "chunk: got 0"),
    ]:
        args = {"samples": 100, "seed": 0, **kw}
        with pytest.raises(ValueError, match=msg):
            U.monte_carlo(kick, "limit", specs, **args)
    with pytest.raises(ValueError, match="missing parameter 'alpha'"):
        U.monte_carlo(kick, "limit", {"r": 2}, 100, seed=0)
    with pytest.raises(ValueError, match="specs: got"):
        U.monte_carlo(kick, "limit", {}, 100, seed=0)
    with pytest.raises(ValueError, match="unknown quantity 'limits'"):
        U.monte_carlo(kick, "limits", specs, 100, seed=0)


def test_progress_and_model_by_name():
    calls = []
    mc = U.monte_carlo("augmentation", "benefit", {"r": "lognormal 2 to 6", "g": "lognormal 1.5 to 3",
                                                    "beta": "uniform 0 to 1"}, 3000, seed=0, n=10,
                       chunk=1000, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1000, 3000), (2000, 3000), (3000, 3000)]
    assert np.isfinite(mc.samples).all()
    assert mc.model == "augmentation"
    assert "beta ~ uniform 0 to 1" in mc.summary()
    d = mc.to_dict()
    assert d["quantiles"]["50"] == mc.quantiles[50]
    assert d["n"] == 10.0
    assert d["specs"]["g"] == "lognormal 1.5 to 3"
    assert json.loads(json.dumps(d)) == d
    assert "mean" in mc.summary()


def test_quantile_selection_matches_a_full_sort(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=50_001)
    x[::97] = np.inf
    x[::89] = np.nan
    full = U_sampling._quantiles_1d(x, U.PERCENTS)
    monkeypatch.setattr(U_sampling, "_SELECT_COPY", 1000)  # the path that does not copy the samples
    assert np.array_equal(U_sampling._quantiles_1d(x, U.PERCENTS), full)
    y = rng.normal(size=30_000)
    assert np.array_equal(U_sampling._quantiles_1d(y, U.PERCENTS), np.percentile(y, U.PERCENTS))


# -- CSV and figures on disk --------------------------------------------------------------------
def test_csv_round_trip_and_no_overwrite(kick, tmp_path):
    specs = {"r": "lognormal 1.5 to 6", "alpha": "uniform 0 to 1", "C1": 3}
    mc = U.monte_carlo(kick, "limit", specs, 2000, seed=9)
    path = tmp_path / "mc.csv"
    assert U.MonteCarlo.to_csv(mc, path) == str(path)
    back = U.read_csv(path)
    assert list(back) == ["r", "alpha", "C1", "limit"]
    assert np.array_equal(back["r"], mc.inputs["r"])
    assert np.array_equal(back["alpha"], mc.inputs["alpha"])
    assert np.array_equal(back["limit"], mc.samples)
    assert np.isinf(back["limit"]).any()
    assert np.all(back["C1"] == 3)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="exists; pass overwrite=True"):
        mc.to_csv(path)
    assert path.read_bytes() == before
    mc.to_csv(path, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["mc.csv"]  # no temporary file left
    wide = U.monte_carlo(kick, "benefit", {"r": "uniform 2 to 3", "alpha": 0.5}, 50, seed=1, n=[1, 10])
    wide.to_csv(tmp_path / "wide.csv")
    back = U.read_csv(tmp_path / "wide.csv")
    assert list(back) == ["r", "alpha", "benefit[n=1]", "benefit[n=10]"]
    assert np.array_equal(back["benefit[n=10]"], wide.samples[:, 1])


def test_failed_write_leaves_nothing(kick, tmp_path, monkeypatch):
    mc = U.monte_carlo(kick, "limit", {"r": "uniform 2 to 3", "alpha": 0.5}, 10, seed=1)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savetxt", boom)
    with pytest.raises(OSError, match="disk full"):
        mc.to_csv(tmp_path / "x.csv")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="is a directory"):
        mc.to_csv(tmp_path)


def test_save_figure(kick, tmp_path):
    mc = U.monte_carlo(kick, "limit", {"r": "uniform 2 to 3", "alpha": 0.5}, 100, seed=1)
    fig = mc.histogram()
    U.save_figure(fig, tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="exists"):
        U.save_figure(fig, tmp_path / "h.png")
    with pytest.raises(ValueError, match="unknown figure format 'txt'"):
        U.save_figure(fig, tmp_path / "h.txt")


def test_import_stays_light():
    code = ("import sys, symrecycle; before = set(sys.modules); import symrecycle.uncertainty.distributions; "
            "print(sorted({m.split('.')[0] for m in set(sys.modules) - before}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("matplotlib", "scipy", "SALib", "pandas"):
        assert heavy not in out


# -- sensitivity -------------------------------------------------------------------------------
def test_sobol_indices_of_a_model_with_a_known_answer(toy):
    """Q = ab + 2c, a, b, c ~ U(0, 1): Var Q = 7/144 + 1/3 = 55/144; S_a = S_b = 3/55,
    S_Ta = S_Tb = 4/55 (the ab interaction), S_c = S_Tc = 48/55."""
    spec = "uniform 0 to 1"
    t = U.sobol(toy, "limit", {"a": spec, "b": spec, "c": spec}, 4096, seed=3)
    want = {"a": (3 / 55, 4 / 55), "b": (3 / 55, 4 / 55), "c": (48 / 55, 48 / 55)}
    for name, (s1, st) in want.items():
        row = t.row(name)
        assert abs(row.S1 - s1) < 3 * row.S1_conf + 0.005
        assert abs(row.ST - st) < 3 * row.ST_conf + 0.005
        assert 0 < row.S1_conf < 0.05
        assert 0 < row.ST_conf < 0.05
    assert [r.name for r in t.rows] == ["c", "a", "b"] or [r.name for r in t.rows] == ["c", "b", "a"]
    # elasticities at the medians (a = b = c = 1/2, Q = 5/4): a b/Q = 1/5, 2c/Q = 4/5
    assert t.row("a").elasticity == pytest.approx(0.2, rel=1e-12)
    assert t.row("c").elasticity == pytest.approx(0.8, rel=1e-12)
    assert t.evaluations == 4096 * 5


def test_sobol_on_kickstarting_with_elasticities(kick):
    specs = {"r": "lognormal 3 to 6", "alpha": "uniform 0.2 to 0.9", "C1": "loguniform 1 to 100"}
    t = U.sobol(kick, "benefit", specs, 2048, seed=1, n=6)
    assert t.row("C1").S1 == 0
    assert t.row("C1").ST == 0
    assert t.rows[-1].name == "C1"
    r_med, a_med = math.sqrt(18), 0.55
    want = kick.evaluate("elasticity", wrt="r", n=6, r=r_med, alpha=a_med)
    assert t.row("r").elasticity == pytest.approx(want, rel=1e-12)
    assert t.row("r").median == pytest.approx(r_med)
    assert t == U.sobol(kick, "benefit", specs, 2048, seed=1, n=6)  # reproducible, intervals included
    d = t.to_dict()
    assert d["rows"][-1]["name"] == "C1"
    assert d["rows"][0]["ST"] == t.rows[0].ST
    assert d["evaluations"] == 2048 * 5
    text = str(t)
    assert "elasticity at medians" in text
    assert text.index("\nalpha") < text.index("\nC1")
    # one uncertain parameter carries all the variance
    one = U.sobol(kick, "limit", {"r": "lognormal 3 to 6", "alpha": 0.5}, 1024, seed=2)
    assert pytest.approx(1, abs=0.05) == one.row("r").S1
    assert one.row("alpha").fixed


def test_sobol_errors(kick):
    specs = {"r": "lognormal 3 to 6", "alpha": "uniform 0.2 to 0.9"}
    with pytest.raises(ValueError, match=r"samples: got 1000, expected a power of 2.*512 or 1024"):
        U.sobol(kick, "limit", specs, 1000, seed=0)
    with pytest.raises(ValueError, match="every parameter is fixed"):
        U.sobol(kick, "limit", {"r": 3, "alpha": 0.5}, 64, seed=0)
    with pytest.raises(ValueError, match=r"the limit is inf at .* sample points"):
        U.sobol(kick, "limit", {"r": "uniform 0.5 to 2", "alpha": "uniform 0 to 1"}, 64, seed=0)
    with pytest.raises(ValueError, match="does not vary"):
        U.sobol(kick, "limit", {"r": 3, "alpha": 0.5, "C1": "uniform 1 to 2"}, 64, seed=0)
    with pytest.raises(ValueError, match=r"conf_level: got 1\.5"):
        U.sobol(kick, "limit", specs, 64, seed=0, conf_level=1.5)
    with pytest.raises(ValueError, match="expected one iteration"):
        U.sobol(kick, "benefit", specs, 64, seed=0, n=[1, 2])


def test_local_elasticities(kick):
    e = U.local_elasticities(kick, {"r": "lognormal 2 to 8", "alpha": "uniform 0 to 1"})
    # at the medians r = 4, alpha = 1/2; the engine's elasticity of r/(r - alpha)
    assert e["r"] == pytest.approx(kick.evaluate("elasticity", wrt="r", r=4.0, alpha=0.5), rel=1e-14)
    assert e["alpha"] == pytest.approx(-e["r"], rel=1e-12)
