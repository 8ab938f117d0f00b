"""Models without closed forms: the metric as a map of itself, its limit by regime, sensitivities by implicit
differentiation, breakevens and bounds of the limit; through the API and the command line.

The reference numbers iterate the models' recurrences here, in mpmath, independently of the package; the
endogenous-progress values are those the family-specific module gave before the general engine replaced it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import mpmath
import numpy as np
import pytest
import sympy as sp

import symrecycle as sr
from symrecycle.core.fixedpoint import FixedPoint
from symrecycle.io.modelfile import load_model, variant_path
from symrecycle.models import maps

FED = textwrap.dedent("""\
    name = "progress-fed"
    description = "kickstarting whose progress per iteration is fed by the previous benefit"

    [parameters]
    r = { domain = "(0, oo)" }
    g = { domain = "[1, oo)" }
    alpha = { domain = "[0, 1]" }
    k = { domain = "(0, 1]" }
    C1 = { domain = "(0, oo)", default = "1" }

    [sequences.C]
    initial = "C1"
    next = "r*C[n-1]"

    [sequences.P]
    initial = "1"
    next = "g*P[n-1]*(1 + k*(A[n-1]/(P[n-1]*C[n-1]) - 1))"

    [sequences.A]
    initial = "C[1]"
    next = "P[n]*C[n] + alpha*A[n-1]"

    [metrics.benefit]
    expr = "A[n] / (P[n]*C[n])"
    """)

BEVERTON_HOLT = textwrap.dedent("""\
    name = "beverton-holt"
    description = "a population x[n] = R x[n-1] / (1 + x[n-1]/M) from x = 1"

    [parameters]
    R = { domain = "(2, oo)" }
    M = { domain = "(1, oo)" }

    [recurrence]
    initial = "1"
    next = "R*x[n-1]/(1 + x[n-1]/M)"
    sequence = "x"

    [metric]
    benefit = "x[n]"
    """)

#: (r, g, alpha, theta) -> fixed point, rate F'(B*), gain growth, adjusted growth (the earlier module's)
BEFORE = {
    (1.3, 2.5, 0.9, 0.5): (1.3179081987194436, 0.12061090409344967, 1.1480018287091025, 3.731005943304583),
    (1.3, 2.5, 0.9, 1.0): (1.276923076923077, 0.0, 1.276923076923077, 4.15),
    (4.2, 1.5, 1.0, 0.25): (1.1796720009098176, 0.11423005765876844, 1.042174200797848, 6.565697465026443),
    (2.0, 1.0, 0.5, 0.75): (1.2651396156925727, 0.052393350979573095, 1.1928994582607868, 2.3857989165215736),
    (1.1, 1.0, 1.0, 0.1): (4.566229184219342, 0.7029008261104469, 1.1640074784223644, 1.280408226264601),
    (5.75, 3.0, 1.0, 0.9): (1.0583004353860375, 0.00550887379771049, 1.0523206125514546, 18.152530566512592),
}


@pytest.fixture(scope="module")
def endo():
    return sr.get_model("endogenous-progress")


def benefit_by_iteration(r, g, alpha, theta, dps=60, steps=20000):
    """lim B_n of endogenous progress: C, P, A iterated in mpmath until B_n settles (this file's own loop)."""
    with mpmath.workdps(dps + 15):
        r, g, alpha, theta = (mpmath.mpf(v) for v in (r, g, alpha, theta))
        C, P = mpmath.mpf(1), mpmath.mpf(1)
        A = C
        b = A / (P * C)
        for _ in range(steps):
            Cn = r * C
            Pn = g * P * (A / (P * C)) ** theta
            A, C, P = Pn * Cn + alpha * A, Cn, Pn
            nb = A / (P * C)
            if abs(nb - b) <= mpmath.mpf(10) ** (-dps - 5) * nb:
                return nb
            b = nb
    raise AssertionError("no convergence")


def test_endogenous_limit_by_regime(endo):
    res = endo.limit()
    r, g, a, t = (endo.symbols[k] for k in ("r", "g", "alpha", "theta"))
    Bs = sp.Symbol("B", positive=True)
    cases = {c: v for v, c in res.expr.args}
    assert sp.simplify(cases[sp.And(sp.Eq(t, 0), a < g * r)] - g * r / (g * r - a)) == 0
    assert cases[sp.And(sp.Eq(t, 0), a >= g * r)] is sp.oo
    assert sp.simplify(cases[sp.Eq(t, 1)] - (1 + a / (g * r))) == 0
    assert cases[sp.true] == FixedPoint(sp.Lambda(Bs, 1 + a / (g * r) * Bs ** (1 - t)), 1)
    assert res.verified
    text = "\n".join(res.certificate)
    assert "equal the model's exact iteration" in text
    assert "equals the model's float iteration" in text
    rate = {c: v for v, c in res.meta["rate"].args}  # F'(B*): the rate of approach
    assert sp.simplify(rate[sp.And(sp.Eq(t, 0), a < g * r)] - a / (g * r)) == 0
    assert rate[sp.Eq(t, 1)] == 0
    assert [c.text() for _, c in res.cases] == ["theta = 0 and alpha < g*r", "theta = 0 and alpha >= g*r",
                                                "theta = 1", "0 < theta < 1"]


def test_endogenous_numbers_are_the_earlier_ones_and_the_iterated_limit(endo):
    parts = None
    for (r, g, a, t), (star, rate, gain, adjusted) in BEFORE.items():
        got = endo.evaluate("limit", r=r, g=g, alpha=a, theta=t)
        assert got == pytest.approx(star, rel=2e-15)
        assert got == pytest.approx(float(benefit_by_iteration(r, g, a, t, dps=20)), rel=2e-15)
        if parts is None:
            from symrecycle.report.variants_endogenous import derived_parts, values_at

            parts = derived_parts(endo)
        v = values_at(endo, parts, r=r, g=g, alpha=a, theta=t)
        assert v["rate"] == pytest.approx(rate, abs=1e-14)
        assert v["gain_growth"] == pytest.approx(gain, rel=1e-13)
        assert v["adjusted_growth"] == pytest.approx(adjusted, rel=1e-13)
        assert v["lower"] <= got * (1 + 1e-15)
        if np.isfinite(v["upper"]):
            assert got <= v["upper"] * (1 + 1e-15)


def test_limit_at_any_precision_and_vectorized(endo):
    with mpmath.workdps(40):
        want = benefit_by_iteration("1.3", "2.5", "0.9", "0.5", dps=40)
        got = endo.evaluate("limit", r=sp.Rational(13, 10), g=sp.Rational(5, 2), alpha=sp.Rational(9, 10),
                            theta=sp.Rational(1, 2), dps=35)
        assert abs(got - want) <= mpmath.mpf(10) ** -33 * want
    thetas = np.linspace(0, 1, 11)
    grid = endo.evaluate("limit", r=1.3, g=2.5, alpha=0.9, theta=thetas)
    for tv, v in zip(thetas, grid):
        assert v == pytest.approx(float(benefit_by_iteration(1.3, 2.5, 0.9, tv, dps=20)), rel=4e-15)


@pytest.mark.parametrize("wrt", ["theta", "alpha", "r"])
def test_implicit_derivatives_against_finite_differences_of_iteration(endo, wrt):
    point = {"r": "1.3", "g": "2.5", "alpha": "0.9", "theta": "0.5"}
    res = endo.sensitivity(wrt)
    assert res.verified
    got = endo.evaluate("sensitivity", wrt=wrt, dps=30,
                        **{k: sp.Rational(v) for k, v in point.items()})
    with mpmath.workdps(60):
        h = mpmath.mpf(10) ** -20
        up = dict(point, **{wrt: mpmath.mpf(point[wrt]) + h})
        down = dict(point, **{wrt: mpmath.mpf(point[wrt]) - h})
        fd = (benefit_by_iteration(**up) - benefit_by_iteration(**down)) / (2 * h)
        assert abs(got - fd) <= mpmath.mpf(10) ** -25 * max(1, abs(fd))


def test_breakeven_of_the_limit_is_derived_from_the_map(endo):
    res = endo.breakeven("alpha", level=sp.Rational(6, 5), of="limit")
    r, g, t = (endo.symbols[k] for k in ("r", "g", "theta"))
    (generic,) = [v for v, c in res.expr.args if v.has(t)]
    # 1 + c L^(1 - theta) = L at L = 6/5, c = alpha/(g r): alpha = g r (L - 1) L^(theta - 1)
    assert sp.simplify(generic - g * r / 5 * sp.Rational(6, 5) ** (t - 1)) == 0
    assert endo.evaluate("limit", r=1.3, g=2.5, theta=0.5,
                         alpha=float(generic.subs({r: 1.3, g: 2.5, t: 0.5}))) == pytest.approx(1.2, rel=1e-14)


def test_a_nonlinear_first_order_recurrence(tmp_path):
    path = tmp_path / "bh.toml"
    path.write_text(BEVERTON_HOLT)
    m = load_model(path)
    res = m.limit()
    R, M = m.symbols["R"], m.symbols["M"]
    assert sp.simplify(res.expr - M * (R - 1)) == 0  # the textbook fixed point, proved to be reached
    assert res.verified
    assert m.evaluate("limit", R=3.0, M=10.0) == pytest.approx(20.0, rel=1e-15)
    assert float(m.iterate(200, R=3.0, M=10.0)[-1]) == pytest.approx(20.0, rel=1e-12)


def test_a_metric_that_is_not_a_map_of_itself_is_said():
    m = load_model(variant_path("endogenous-progress"))
    with pytest.raises(sr.NotDerived, match="does not reduce to a map of itself"):
        maps.metric_map(m, m.metric("gain"))


def run(*args):
    return subprocess.run([sys.executable, "-m", "symrecycle", *args], capture_output=True, text=True,
                          timeout=300)


def test_a_coupled_user_model_through_the_command_line(tmp_path, forked):
    model = tmp_path / "fed.toml"
    model.write_text(FED)
    at = ["--set", "r=1.3", "--set", "g=1.2", "--set", "alpha=0.9", "--set", "k=0.5"]
    want = float(load_model(model).iterate(400, r=1.3, g=1.2, alpha=0.9, k=0.5)[-1])
    claims = tmp_path / "claims.toml"
    claims.write_text(textwrap.dedent(f"""\
        [[claim]]
        id = "fed-limit"
        model = "{model.as_posix()}"
        quantity = "limit"
        params = {{ r = "1.3", g = "1.2", alpha = "0.9", k = "0.5" }}
        stated = "{want:.2f}"
        source = "this test"
        """))
    derived, ev, mc, checked = forked([
        ("derive", str(model), "limit", "--format", "json"),
        ("eval", str(model), "limit", *at),
        ("mc", str(model), "limit", "--set", "r=1.3", "--set", "g=1.2", "--set", "alpha=uniform(0.5, 1)",
         "--set", "k=0.5", "--samples", "200", "--format", "json"),
        ("check", str(claims), "--format", "json"),
    ], tmp_path)

    assert derived.returncode == 0, derived.stderr
    d = json.loads(derived.stdout)
    assert d["verified"] is True
    assert d["text"].startswith("FixedPoint(Lambda(x, ")

    assert ev.returncode == 0, ev.stderr
    assert float(ev.stdout) == pytest.approx(want, rel=1e-14)

    assert mc.returncode == 0, mc.stderr
    q = json.loads(mc.stdout)["quantiles"]
    top = float(load_model(model).iterate(400, r=1.3, g=1.2, alpha=1.0, k=0.5)[-1])  # it grows with alpha
    assert 1 < q["5"] < q["50"] < q["95"] < top

    assert checked.returncode == 0, checked.stderr
    (claim,) = json.loads(checked.stdout)
    assert claim["verdict"] == "consistent"
    assert claim["computed"] == pytest.approx(want, rel=1e-14)


def benefit_at(n, r, g, alpha, theta):
    """B_n of endogenous progress by this file's own exact loop (Fraction; theta 0 or 1 keeps it rational)."""
    from fractions import Fraction

    r, g, alpha = Fraction(r), Fraction(g), Fraction(alpha)
    C, P = Fraction(1), Fraction(1)
    A = C
    for _ in range(n - 1):
        Cn = r * C
        Pn = g * P * (A / (P * C)) ** theta
        A, C, P = Pn * Cn + alpha * A, Cn, Pn
    return A / (P * C)


def test_the_metric_at_n_by_iteration_through_eval_and_mc(endo):
    at = {"r": "13/10", "g": "5/2", "alpha": "9/10"}
    for theta in (0, 1):
        want = [float(benefit_at(k, *at.values(), theta)) for k in (1, 2, 7)]
        got = endo.evaluate("benefit", n=np.array([1, 2, 7]), theta=theta, **{k: float(sp.Rational(v))
                                                                            for k, v in at.items()})
        np.testing.assert_allclose(got, want, rtol=1e-15)
    exact = endo.evaluate("benefit", n=7, theta=1, dps=40, **{k: sp.Rational(v) for k, v in at.items()})
    with mpmath.workdps(40):
        b = benefit_at(7, *at.values(), 1)
        assert abs(exact - mpmath.mpf(b.numerator) / b.denominator) < mpmath.mpf(10) ** -38
    ev = run("eval", "endogenous-progress", "benefit", "--set", "r=1.3", "--set", "g=2.5",
             "--set", "alpha=0.9", "--set", "theta=1", "--n", "7")
    assert ev.returncode == 0, ev.stderr
    assert float(ev.stdout) == pytest.approx(float(benefit_at(7, *at.values(), 1)), rel=1e-15)


def test_a_breakeven_solution_sympy_cannot_confirm_is_kept_and_said(endo):
    res = endo.breakeven("theta", level=sp.Rational(3, 2), of="limit")
    assert not res.verified
    assert any("NOT decided" in line for line in res.certificate)
    a, g, r = (endo.symbols[k] for k in ("alpha", "g", "r"))
    point = {a: sp.Rational(2, 5), g: 1, r: 1}  # c = 2/5: theta* = 1 - log(2c)/log(2/3), inside (0, 1)
    (value,) = [v.subs(point) for v, c in res.expr.args if v.has(a) and sp.And(c).subs(point) is sp.true]
    want = 1 - sp.log(sp.Rational(4, 5)) / sp.log(sp.Rational(2, 3))
    assert abs(sp.N(value - want, 30)) < 1e-25
    assert endo.evaluate("limit", alpha=0.4, g=1.0, r=1.0, theta=float(want)) == pytest.approx(1.5, rel=1e-14)


# -- review regressions: numbers at the edges ---------------------------------------------------------
def test_ill_conditioned_fixed_points_keep_their_digits_in_float(endo):
    # theta -> 0 with alpha = g r: B* grows like 1/(theta log B*); F(x) - x cancels in floats
    for theta in (1e-20, 1e-12, 1e-3):
        want = benefit_by_fixed_point(theta)
        got = endo.evaluate("limit", alpha=1.0, g=1.0, r=1.0, theta=theta)
        assert got == pytest.approx(float(want), rel=1e-13), theta


def benefit_by_fixed_point(theta, dps=40):
    """1 + B**(1 - theta) = B by bisection on log B (this file's own, at 40 digits)."""
    with mpmath.workdps(dps):
        t = mpmath.mpf(theta)
        lo, hi = mpmath.mpf(0), mpmath.mpf(200)  # log B
        for _ in range(400):
            mid = (lo + hi) / 2
            if 1 + mpmath.exp((1 - t) * mid) - mpmath.exp(mid) > 0:
                lo = mid
            else:
                hi = mid
        return mpmath.exp(lo)


def test_a_fixed_point_beyond_floats_at_any_precision(endo):
    got = endo.evaluate("limit", r=sp.Rational(1, 10**300), alpha=1, g=1, theta=sp.Rational(1, 2), dps=30)
    with mpmath.workdps(30):
        c = mpmath.mpf(10) ** 300
        assert abs(got / (((c + mpmath.sqrt(c**2 + 4)) / 2) ** 2) - 1) < mpmath.mpf(10) ** -25


def test_a_root_finder_that_closes_on_a_pole_or_on_rounding_gives_nan(tmp_path):
    x = sp.Symbol("x", positive=True)
    assert FixedPoint(sp.Lambda(x, x + 1), 1).evalf() is sp.nan  # x + 1 = x only in rounding
    path = tmp_path / "pole.toml"
    path.write_text('name = "pole"\n[parameters]\nc = "(0, oo)"\n[recurrence]\ninitial = "1/2"\n'
                    'next = "c*A[n-1]/(1 + A[n-1])"\n[metric]\nbenefit = "A[n]"\n')
    m = load_model(path)
    assert not m.limit().verified
    assert np.isnan(m.evaluate("limit", c=0.846))  # the bracket closes on the pole x = -1


def test_a_parameter_named_as_the_map_variable_is_not_captured(tmp_path):
    text = (variant_path("endogenous-progress").read_text().replace("g = {", "B = {")
            .replace("g*P[n-1]", "B*P[n-1]").replace("(r*g)", "(r*B)"))
    path = tmp_path / "renamed.toml"
    path.write_text(text)
    m = load_model(path)
    res = m.limit()
    assert res.verified
    at = {"B": 2.0, "r": 1.0, "alpha": 0.5, "theta": 0.3}
    assert m.evaluate("limit", **at) == pytest.approx(float(m.iterate(300, last=True, **at)), rel=1e-13)


def test_a_map_with_lambertw_evaluates_in_float(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('name = "w"\n[parameters]\nc = "(0, 1)"\ntheta = "(0, 1)"\n[recurrence]\ninitial = "1"\n'
                    'next = "1 + c*A[n-1]**theta"\n[metric]\nbenefit = "A[n] + log(A[n])"\n')
    m = load_model(path)
    assert m.limit().expr.has(sp.LambertW)
    want = float(m.iterate(400, last=True, c=0.5, theta=0.5))
    assert m.evaluate("limit", c=0.5, theta=0.5) == pytest.approx(want, rel=1e-13)


def test_iterations_to_by_iteration(endo):
    # theta = 0 is kickstarting with effective growth g r: B_n = (1 - c**n)/(1 - c), c = alpha/(g r), and
    # |B_n - L| = c**n/(1 - c) <= (1 - f) L exactly where c**n <= 1 - f: c = 1/1.1, f = 0.9999 from n = 97
    assert endo.evaluate("iterations-to", fraction=0.9999, r=1.1, g=1.0, alpha=1.0, theta=0.0) == 97
    # theta = 1: B_2 = 1 + alpha/(g r) is the limit already
    assert endo.evaluate("iterations-to", fraction=0.99, r=1.3, g=2.5, alpha=0.9, theta=1.0) == 2
    got = endo.evaluate("iterations-to", fraction=0.99, r=1.3, g=2.5, alpha=0.9, theta=np.array([0.5, 1.0]))
    seq = endo.iterate(10, r=1.3, g=2.5, alpha=0.9, theta=0.5)
    star = endo.evaluate("limit", r=1.3, g=2.5, alpha=0.9, theta=0.5)
    first = 1 + int(np.nonzero(np.abs(seq - star) <= 0.01 * star)[0][0])
    assert got.tolist() == [first, 2]
    with pytest.raises(sr.NotDerived, match="comes by iteration"):
        endo.iterations_to(0.99)


def test_the_maps_certificate_fails_on_a_wrong_map(endo):
    red = maps.metric_map(endo, endo.metric())
    assert red.verified
    wrong = red.F + red.x / 1000  # off by a little
    ok, line = maps._certify(endo, endo.metric(), wrong, red.x, red.initial)
    assert not ok
    assert "differs from exact iteration" in line


def test_values_not_proved_equal_are_compared_to_30_digits():
    """W(x) + log W(x) = log x, which SymPy does not prove: equal to 30 digits, not exactly; a difference
    of 1e-25 is one, of 1e-35 is not."""
    x = sp.sqrt(2) + 1
    a, b = sp.LambertW(x) + sp.log(sp.LambertW(x)), sp.log(x)
    assert maps._same(a, b) == (True, False)
    assert maps._same(a, b + sp.Rational(1, 10**25)) == (False, False)
    assert maps._same(a, b + sp.Rational(1, 10**35)) == (True, False)
    assert maps._same(x**2, 3 + 2 * sp.sqrt(2)) == (True, True)


def test_a_case_whose_every_point_is_skipped_is_not_verified(endo):
    met = endo.metric()
    cases, _lines, ok, _red = maps.limit(endo, met)
    assert ok
    finite = [c for v, c in cases if v is not sp.oo]
    assert finite
    # a slow approach (|F'| above the check's bound) at every sample point: nothing of those cases is
    # iterated, and the check says so instead of passing on the points it compared
    slow = {c: sp.Float(0.99) for _, c in cases}
    verdict, line = maps._check_by_iteration(endo, met, cases, slow)
    assert verdict is False
    assert "NOT compared with iteration" in line
