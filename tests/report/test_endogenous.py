"""symrecycle.report.endogenous: the benefit map of endogenous progress, its fixed point, bounds and limits.

Expected answers are typed here (the package derives them); numbers are
checked against the model's own iteration (exact and float), against long
iteration of the map, and against mpmath at 40 digits.
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symrecycle.io.modelfile import load_model, loads_model, variant_path
from symrecycle.report import endogenous as E
from symrecycle.report.endogenous import base as E_base
from symrecycle.report.endogenous import closed as E_closed
from symrecycle.report.endogenous import numbers as E_numbers

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

R = sp.Rational
c, theta, B = E.c, E.theta, E.B


def reference_fixed_point(cv, tv, dps=40):
    """B* by bisection, independent of the package's solvers and bounds: h(B) = 1 + c B^(1-theta) - B is
    positive below B* and negative above (theta > 0). Geometric bisection from [1, 2^(2^k)]."""
    with mpmath.workdps(dps + 10):
        cm, tm = (mpmath.mpf(x.p) / x.q if isinstance(x, sp.Rational) else mpmath.mpf(x) for x in (cv, tv))
        assert tm > 0

        def h(x):
            return 1 + cm * x ** (1 - tm) - x

        lo, hi = mpmath.mpf(1), mpmath.mpf(2)
        while h(hi) > 0:
            lo, hi = hi, hi * hi
        while hi - lo > lo * mpmath.mpf(10) ** -(dps + 5):
            mid = mpmath.sqrt(lo * hi)
            lo, hi = (mid, hi) if h(mid) > 0 else (lo, mid)
        mid = (lo + hi) / 2
    with mpmath.workdps(dps):
        return +mid


@pytest.fixture(scope="module")
def m():
    return E.default_model()


@pytest.fixture(scope="module")
def sym(m):
    return m.symbols


# -- 1. the map -------------------------------------------------------------------------------------
def test_map_is_one_plus_c_b_to_one_minus_theta(m, sym):
    res = E.benefit_map(m)
    alpha, g, r, th = sym["alpha"], sym["g"], sym["r"], sym["theta"]
    assert sp.simplify(res.expr - (1 + alpha / (g * r) * B ** (1 - th))) == 0
    assert res.verified
    assert res.meta["coefficient"] == alpha / (g * r)
    assert res.meta["theta"] == th
    assert res.meta["initial"] == 1
    assert res.meta["eliminated"][0].name == "A_{n-1}"
    assert res.meta["canonical"] == 1 + c * B ** (1 - theta)
    assert any("exact iteration" in line for line in res.certificate)
    assert res.expr.free_symbols == {B, alpha, g, r, th}


@pytest.mark.parametrize("th", [0, R(1, 2), 1, R(1, 3)])
def test_map_equals_the_models_exact_iteration(m, sym, th):
    vals = {"r": R(13, 10), "g": R(5, 2), "alpha": R(9, 10), "theta": th, "C1": R(7, 3)}
    want = m.iterate(6, exact=True, metric="benefit", **vals)
    F = E.benefit_map(m).expr.subs({sym[k]: v for k, v in vals.items()})
    x = sp.Integer(1)
    for k, w in enumerate(want):
        if th in (0, 1):
            assert x == w, k  # rationals: equal exactly
        else:
            assert abs(sp.N(x - w, 40)) < 1e-35, k
        x = F.subs(B, w)


def test_a_metric_that_is_not_a_map_of_itself_is_refused(m):
    with pytest.raises(ValueError, match=r"'gain'.*does not reduce to a map of itself.*(P|C)_\{n-1\}"):
        E.benefit_map(m, "gain")
    with pytest.raises(ValueError, match="no metric 'nosuch'"):
        E.benefit_map(m, "nosuch")


def test_the_map_is_derived_for_other_models_too():
    """Plain kickstarting: B_n = A_n/C_n = 1 + (alpha/r) B_(n-1), from its model file."""
    kick = load_model(variant_path("kickstarting"))
    res = E.benefit_map(kick)
    r, alpha = kick.symbols["r"], kick.symbols["alpha"]
    assert sp.simplify(res.expr - (1 + alpha * B / r)) == 0
    assert res.verified
    assert "coefficient" not in res.meta  # not of the form 1 + c B^(1-theta) with a parameter theta
    for call in (E.benefit_limit, E.adjusted_growth, lambda x: E.evaluate(x, r=2.0, alpha=0.5)):
        with pytest.raises(ValueError, match="expected 1 - theta for a parameter theta in"):
            call(kick)


def test_a_metric_with_n_left_is_refused():
    toy = loads_model('''
name = "toy"
[parameters]
r = "(0, oo)"
[recurrence]
initial = "1"
next = "n + r*A[n-1]"
[metric]
benefit = "A[n]"
''')
    with pytest.raises(ValueError, match=r"does not reduce to a map of itself.*leaves n"):
        E.benefit_map(toy)


def test_gain_ratio(m, sym):
    res = E.gain_ratio(m)
    alpha, g, r, th = sym["alpha"], sym["g"], sym["r"], sym["theta"]
    assert sp.simplify(res.expr - E.B_n / E.B_prev * E.B_prev**th) == 0
    assert sp.simplify(res.meta["in_previous"] - (alpha / (g * r) + B ** (th - 1))) == 0
    assert res.meta["factor"] == B**th
    k = sp.Symbol("k", integer=True, positive=True)
    Bk = sp.IndexedBase("B")
    assert res.meta["product"] == Bk[sp.Symbol("n", integer=True, positive=True)] * sp.Product(
        Bk[k] ** th, (k, 1, sp.Symbol("n", integer=True, positive=True) - 1))
    assert res.verified
    # against float iteration of the model
    vals = {"r": 1.3, "g": 2.5, "alpha": 0.9, "theta": 0.4}
    b = m.iterate(40, metric="benefit", **vals)
    gain = m.iterate(40, metric="gain", **vals)
    f = sp.lambdify([alpha, g, r, th, B], res.meta["in_previous"])
    np.testing.assert_allclose(gain[1:] / gain[:-1], f(0.9, 2.5, 1.3, 0.4, b[:-1]), rtol=1e-13)
    np.testing.assert_allclose(gain, b * np.concatenate([[1], np.cumprod(b[:-1] ** 0.4)]), rtol=1e-13)


# -- 2. the fixed point -----------------------------------------------------------------------------
def test_closed_forms_at_theta_zero_and_one():
    zero = E.fixed_point(0)
    assert zero.expr == sp.Piecewise((1 / (1 - c), c < 1), (sp.oo, True))
    assert zero.verified
    one = E.fixed_point(1)
    assert one.expr == 1 + c
    assert one.verified
    assert E.fixed_point(Fraction(1, 1)).expr == 1 + c
    assert E.fixed_point(1.0).expr == 1 + c


def test_closed_form_at_one_half():
    res = E.fixed_point(R(1, 2))
    assert sp.simplify(res.expr - ((c + sp.sqrt(c**2 + 4)) / 2) ** 2) == 0
    assert res.verified
    assert E.fixed_point(0.5).expr == res.expr


@pytest.mark.parametrize("th", [R(1, 3), R(2, 3), R(1, 4), R(3, 4)])
def test_closed_forms_of_cubics_and_quartics_solve_the_fixed_point_equation(th):
    res = E.fixed_point(th)
    assert res.verified
    for cv in (0, R(1, 7), 1, R(5, 2), 40):
        b = sp.N(res.expr.subs(c, cv), 40)
        assert abs(sp.im(b)) < 1e-30
        b = sp.re(b)
        assert abs(1 + cv * b ** (1 - th) - b) < 1e-30 * b
        assert abs(b - sp.Float(E.fixed_point_mp(cv, th, dps=40), 40)) < 1e-30 * b


def test_quarter_closed_form_is_exact_but_loses_digits_in_float64_at_small_c_as_its_notes_say():
    res = E.fixed_point(R(1, 4))
    cv = R(1, 100)
    ref = reference_fixed_point(cv, R(1, 4))
    exact = sp.N(res.expr.subs(c, cv), 40)
    assert abs(sp.im(exact)) < 1e-30
    assert abs(sp.re(exact) - sp.Float(ref, 40)) < 1e-30 * ref
    with np.errstate(all="ignore"):
        got = complex(sp.lambdify(c, res.expr, modules="numpy")(0.01))
    assert not abs(got - float(ref)) <= 1e-6 * float(ref)  # float64: the radicals cancel
    (note,) = [x for x in res.notes if "badly conditioned in float64" in x]
    assert "at c = 0.01" in note
    assert "at c = 1000" not in note  # fine at large c
    assert not any("badly conditioned" in x for t in (0, R(1, 2), 1) for x in E.fixed_point(t).notes)


def test_no_radical_root_is_said():
    with pytest.raises(NotImplementedError, match=r"theta = 1/5.*no radical roots"):
        E.fixed_point(R(1, 5))
    with pytest.raises(NotImplementedError, match="degree"):
        E.fixed_point(0.123456789)


def test_fixed_point_piecewise_and_its_proofs():
    res = E.fixed_point()
    cases = {cond: v for v, cond in res.expr.args}
    assert cases[sp.And(sp.Eq(theta, 0), c < 1)] == 1 / (1 - c)
    assert cases[sp.Eq(theta, 0)] is sp.oo
    assert cases[sp.Eq(theta, 1)] == 1 + c
    assert cases[sp.true] == E.Bstar(c, theta)
    assert res.verified
    text = "\n".join(res.certificate)
    for fact in ("F is increasing (SymPy: True)", "F is concave (SymPy: True)", "and only one",
                 "increases monotonically", "< 1 for B* >= 1 (SymPy: True"):
        assert fact in text
    # closed forms are compared with fixed_point_mp; the Bstar branch (which is fixed_point_mp) is not
    ts = {R(0), R(1, 2), R(1)}
    count = sum(tv in ts for _, tv in E_base._GRID) + len(E_base._C_SAMPLES) * len(ts)
    assert "the closed forms equal fixed_point_mp (Newton" in text
    assert f"at {count} points (c, theta)" in text
    # the convergence rate F'(B*) = (1 - theta)(1 - 1/B*)
    assert sp.simplify(res.meta["rate"] - (1 - theta) * (1 - 1 / B)) == 0
    json.dumps(res.to_dict())
    assert r"B^{*}\left(c, \theta\right)" in res.latex()


def test_bstar_evaluates():
    v = E.Bstar(R(1, 2), R(1, 4)).evalf(30)
    assert abs(v - sp.Float(reference_fixed_point(R(1, 2), R(1, 4)), 40)) < 1e-28
    assert E.Bstar(R(3, 2), 0).evalf() is sp.oo


@settings(max_examples=40 * SCALE)
@given(st.floats(0, 5), st.floats(0.01, 1))
@example(0.0, 0.5)
@example(5.0, 0.01)  # B* ~ 1e70
@example(0.99, 1.0)
@example(1.0, 0.5)  # B* = golden ratio squared
def test_fixed_point_value_against_long_iteration(cv, tv):
    b = E.iterate_map(100_000, cv, tv)
    bstar = E.fixed_point_value(cv, tv)
    assert b[0] == 1
    assert np.all(np.diff(b) >= -1e-15 * b[1:])  # increases monotonically
    assert np.all(b <= bstar * (1 + 1e-12))
    # float64 iteration and Newton agree to rounding times the conditioning 1/(1 - F'(B*)) <= 1/theta
    assert b[-1] == pytest.approx(bstar, rel=2e-14 * (1 + 1 / tv))


@settings(max_examples=20 * SCALE)
@given(st.floats(0, 0.99))
def test_theta_zero_against_long_iteration(cv):
    b = E.iterate_map(100_000, cv, 0.0)
    assert b[-1] == pytest.approx(E.fixed_point_value(cv, 0.0), rel=1e-12)
    assert E.fixed_point_value(cv, 0.0) == pytest.approx(1 / (1 - cv), rel=1e-15)


def test_fixed_point_value_is_vectorized_and_matches_mpmath():
    cs = np.array([0, 1e-6, 0.1, 0.5, 0.9, 1, 2, 10, 100])[:, None]
    ts = np.array([0, 0.01, 0.2, 0.5, 0.8, 1])[None, :]
    got = E.fixed_point_value(cs, ts)
    assert got.shape == (9, 6)
    for i, j in np.ndindex(got.shape):
        cv, tv = float(cs[i, 0]), float(ts[0, j])
        want = E.fixed_point_mp(cv, tv, dps=40)
        if mpmath.isinf(want):
            assert got[i, j] == np.inf
            assert tv == 0
            assert cv >= 1
            continue
        # relative accuracy: a few ulps times the conditioning 1/(1 - F'(B*))
        rate = (1 - tv) * (1 - 1 / float(want))
        assert got[i, j] == pytest.approx(float(want), rel=8e-16 / (1 - rate)), (cv, tv)
    assert isinstance(E.fixed_point_value(0.5, 0.5), float)


def test_fixed_point_mp_is_exact_for_exact_inputs():
    golden = (1 + mpmath.sqrt(5)) / 2
    with mpmath.workdps(60):
        want = ((1 + mpmath.sqrt(5)) / 2) ** 2
        assert abs(E.fixed_point_mp(1, R(1, 2), dps=60) - want) < mpmath.mpf(10) ** -58
    assert float(E.fixed_point_mp(Fraction(1, 1), 0.5)) == pytest.approx(float(golden**2), rel=1e-15)
    assert E.fixed_point_mp(1, 0) == mpmath.inf
    assert E.fixed_point_mp(R(1, 2), 0) == 2


# -- bounds --------------------------------------------------------------------------------------------
def test_bounds_are_derived():
    res = E.bounds()
    assert res.verified
    L = res.meta["L"]
    assert res.meta["lower"] == sp.Max(1 + c, 1 + c ** (1 / theta))
    newton = (L**theta + c * theta * L) / (L**theta - c * (1 - theta))
    assert sp.simplify(res.meta["newton"] - newton) == 0
    assert res.meta["threshold"] == c ** (1 / theta)
    assert res.expr == sp.Tuple(res.meta["lower"], res.meta["upper"])
    text = "\n".join(res.certificate)
    assert "h(c**(1/theta)) = 1 > 0" in text
    assert "tight at theta = 1" in text
    assert "(True)" in text
    v0, cond0 = E.fixed_point(0).expr.args[0]
    assert f"theta = 0: B* = {sp.sstr(v0)} for {sp.sstr(cond0)}" in res.notes[0]
    json.dumps(res.to_dict())


@settings(max_examples=60 * SCALE)
@given(st.floats(0, 50), st.floats(1e-3, 1))
@example(0.0, 0.3)
@example(3.0, 1.0)
@example(1.1, 0.001953125)  # L = 1 + 1.1^512: U's float evaluation cancels
def test_bounds_hold(cv, tv):
    lo, hi = E.bracket(cv, tv)
    b = E.fixed_point_value(cv, tv)
    ref = reference_fixed_point(cv, tv, dps=30)
    if math.isinf(lo):  # c^(1/theta) beyond the float range: B* is too
        assert ref > sys.float_info.max
        assert math.isinf(b)
        return
    ref = float(ref)
    # float evaluation: c^(1/theta) is off by up to (1/theta) |log c| ulps, and U's denominator
    # L^theta - c (1 - theta) ~ c theta cancels, losing a further factor 1/theta
    tol = 1e-15 * (1 + (1 + abs(math.log(max(cv, 1e-300)))) / tv)
    assert lo <= ref * (1 + tol)
    assert ref <= hi * (1 + tol)
    # Newton in float64: rounding of h (about eps log B*) over |h'(B*)| = 1 - (1 - theta)(1 - 1/B*)
    cond = (1 + math.log(ref)) / (1 - (1 - tv) * (1 - 1 / ref))
    assert b == pytest.approx(ref, rel=4e-16 * cond)


def test_the_bounds_check_does_not_use_the_solvers():
    """bounds() brackets B* by the sign of h at L and U: it fails for a wrong upper bound (U := L)."""
    res = E.bounds()
    ok, line = E_closed._brackets_grid(res.meta["lower"], res.meta["upper"])
    assert ok
    assert "h(L) >= 0 >= h(U)" in line
    ok, line = E_closed._brackets_grid(res.meta["lower"], res.meta["lower"])
    assert not ok
    assert "FAILS" in line


def test_the_solvers_check_their_result(monkeypatch):
    """With a wrong upper bound (U := L < B*) Newton cannot move up: the solvers say so, not return L."""
    assert E.fixed_point_value(0.5, 0.25) == pytest.approx(float(reference_fixed_point(0.5, 0.25)), rel=1e-15)
    good = E_numbers._functions
    monkeypatch.setattr(E_numbers, "_functions",
                        lambda module: {**good(module), "upper": good(module)["lower"]})
    with pytest.raises(ArithmeticError, match=r"fixed_point_value: .* c = 0.5, theta = 0.25 is not a root"):
        E.fixed_point_value([0.5, 0.5], [1.0, 0.25])
    with pytest.raises(ArithmeticError, match=r"fixed_point_mp: .* c = 0.5, theta = 0.25 does not bracket"):
        E.fixed_point_mp(0.5, 0.25)


def test_fixed_point_value_where_only_the_upper_bound_overflows():
    """L = 1 + c^(1/theta) ~ 6.3e304 is finite, U overflows: Newton starts from a step from L."""
    cv, tv = 1e6, 1 / 50.8
    lo, hi = E.bracket(cv, tv)
    assert math.isfinite(lo)
    assert math.isinf(hi)
    ref = float(reference_fixed_point(cv, tv))
    assert math.isfinite(ref)
    # conditioning: (1 + log B*) / |h'(B*)| ~ 700 / theta
    assert E.fixed_point_value(cv, tv) == pytest.approx(ref, rel=4e-16 * 700 / tv)


@pytest.fixture(scope="module")
def bounds_mp():
    res = E.bounds()
    return [sp.lambdify(args, expr, modules="mpmath") for args, expr in (
        ((c, theta), res.meta["lower"]), ((c, theta), res.meta["upper"]),
        ((c, theta, res.meta["L"], res.meta["U"]), res.meta["secant"]))]


@pytest.mark.parametrize("cv", [R(1, 100), R(1, 2), R(9, 10), R(1), R(23, 2), R(40)])
@pytest.mark.parametrize("tv", [R(1, 50), R(1, 4), R(1, 2), R(9, 10)])
def test_bounds_and_the_refined_lower_bound_at_40_digits(bounds_mp, cv, tv):
    lower, upper, secant = bounds_mp
    b = reference_fixed_point(cv, tv)
    with mpmath.workdps(40):
        cm, tm = mpmath.mpf(cv.p) / cv.q, mpmath.mpf(tv.p) / tv.q
        assert abs(E.fixed_point_mp(cv, tv, dps=40) - b) <= b * mpmath.mpf(10) ** -35
        lo, hi = lower(cm, tm), upper(cm, tm)
        assert lo <= b * (1 + mpmath.mpf(10) ** -35)
        assert b <= hi * (1 + mpmath.mpf(10) ** -35)
        if hi - lo < lo * mpmath.mpf(10) ** -30:  # c^(1/theta) = 40^50 dominates: L = B* = U to 30 digits
            return
        s = secant(cm, tm, lo, hi)
        assert lo < s <= b
        assert b - s <= hi - b  # the chord's root is the closer bound here


def test_bounds_are_tight_at_theta_one_and_zero():
    cs = np.array([0.0, 0.1, 0.5, 0.99, 3.0, 40.0])
    lo, hi = E.bracket(cs, 1.0)
    np.testing.assert_allclose(lo, 1 + cs, rtol=1e-15)
    np.testing.assert_allclose(hi, 1 + cs, rtol=1e-15)
    # theta -> 0+ (c < 1): U tends to 1/(1 - c), the exact fixed point at theta = 0
    small = np.array([0.1, 0.5, 0.9])
    lo, hi = E.bracket(small, 1e-9)
    np.testing.assert_allclose(hi, 1 / (1 - small), rtol=1e-7)
    lo0, hi0 = E.bracket(small, 0.0)
    np.testing.assert_array_equal(lo0, hi0)
    np.testing.assert_allclose(lo0, 1 / (1 - small), rtol=1e-15)
    assert E.bracket(2.0, 0.0) == (math.inf, math.inf)


# -- 3. limits ------------------------------------------------------------------------------------------
def test_benefit_limit_in_the_models_parameters(m, sym):
    res = E.benefit_limit(m)
    alpha, g, r, th = sym["alpha"], sym["g"], sym["r"], sym["theta"]
    assert res.verified
    cases = {cond: v for v, cond in res.expr.args}
    assert sp.simplify(cases[sp.And(sp.Eq(th, 0), alpha < g * r)] - g * r / (g * r - alpha)) == 0
    assert cases[sp.Eq(th, 0)] is sp.oo
    assert sp.simplify(cases[sp.Eq(th, 1)] - (1 + alpha / (g * r))) == 0
    assert cases[sp.true] == E.Bstar(alpha / (g * r), th)
    assert "model.iterate" in "\n".join(res.certificate)


def test_limit_at_theta_zero_is_the_engines_limit_of_exogenous_progress():
    """kickstarting-effective (theta = 0) has a closed form: the engine's limit equals B* there."""
    eff = load_model(variant_path("kickstarting-effective"))
    for r, g, alpha in [(4.2, 2.5, 0.9), (1.3, 2.5, 0.9), (1.3, 1.5, 0.5), (0.5, 1.0, 0.9)]:
        want = eff.evaluate("limit", r=r, g=g, alpha=alpha)
        got = E.evaluate(r=r, g=g, alpha=alpha, theta=0.0)["fixed_point"]
        assert got == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("th", [0.0, 0.25, 0.5, 1.0])
def test_limits_against_the_models_iteration(m, th):
    vals = {"r": 1.3, "g": 2.5, "alpha": 0.9, "theta": th}
    v = E.evaluate(m, **vals)
    b = m.iterate(150, metric="benefit", **vals)
    assert np.all(np.diff(b) >= -1e-15)
    assert np.all(b <= v["fixed_point"] * (1 + 1e-13))
    assert b[-1] == pytest.approx(v["fixed_point"], rel=1e-13)
    # the model's own iteration (B_n increases to B*) lies within the bounds
    assert v["lower"] <= b[-1] * (1 + 1e-13)
    assert b[-1] <= v["upper"]
    gain = m.iterate(150, metric="gain", **vals)
    assert gain[-1] / gain[-2] == pytest.approx(v["gain_growth"], rel=1e-12)
    a = m.iterate(150, sequence="A", **vals)
    assert a[-1] / a[-2] == pytest.approx(v["adjusted_growth"], rel=1e-12)
    assert v["adjusted_growth"] == pytest.approx(1.3 * 2.5 * v["fixed_point"] ** th, rel=1e-15)
    # the convergence rate: (B* - B_n) shrinks by F'(B*) per step
    if 0 < th < 1:
        gaps = v["fixed_point"] - b[5:9]
        np.testing.assert_allclose(gaps[1:] / gaps[:-1], v["rate"], rtol=1e-2)


def test_where_the_benefit_diverges(m):
    """theta = 0, alpha >= g r: B_n -> oo; the gain grows by alpha/(g r), adjusted compute by alpha."""
    vals = {"r": 0.5, "g": 1.0, "alpha": 0.9, "theta": 0.0}
    v = E.evaluate(m, **vals)
    assert v["fixed_point"] == math.inf
    assert math.isnan(v["rate"])
    assert v["gain_growth"] == pytest.approx(1.8, rel=1e-15)
    assert v["adjusted_growth"] == pytest.approx(0.9, rel=1e-15)
    gain = m.iterate(200, metric="gain", **vals)
    assert gain[-1] / gain[-2] == pytest.approx(1.8, rel=1e-12)


def test_gain_and_adjusted_growth_results(m, sym):
    alpha, g, r, th = sym["alpha"], sym["g"], sym["r"], sym["theta"]
    gg, ag = E.gain_growth(m), E.adjusted_growth(m)
    assert gg.verified
    assert ag.verified
    gcases = {cond: v for v, cond in gg.expr.args}
    acases = {cond: v for v, cond in ag.expr.args}
    star = E.Bstar(alpha / (g * r), th)
    assert gcases[sp.true] == star**th
    assert sp.simplify(acases[sp.true] - g * r * star**th) == 0
    assert sp.simplify(gcases[sp.Eq(th, 1)] - (1 + alpha / (g * r))) == 0
    assert gcases[sp.And(sp.Eq(th, 0), alpha < g * r)] == 1
    assert sp.simplify(gcases[sp.Eq(th, 0)] - alpha / (g * r)) == 0
    half = gcases[sp.Eq(th, R(1, 2))]  # sqrt(B*) at theta = 1/2: the root x of x^2 = 1 + c x
    x = sp.Symbol("x")
    assert sp.simplify((x**2 - 1 - alpha / (g * r) * x).subs(x, half)) == 0
    json.dumps(gg.to_dict())


# -- inputs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: E.fixed_point_value(-0.5, 0.5), r"parameter 'c': got -0.5, outside its domain \[0, oo\)"),
        (lambda: E.fixed_point_value(0.5, 1.5), r"parameter 'theta': got 1.5, outside its domain \[0, 1\]"),
        (lambda: E.fixed_point_value([0.5, 0.2], [0.5, -0.25]),
         r"parameter 'theta': got -0.25, outside its domain \[0, 1\]"),
        (lambda: E.fixed_point_value(float("nan"), 0.5), r"parameter 'c': got nan, expected a finite number"),
        (lambda: E.fixed_point_value("0.5", 0.5), r"parameter 'c': got '0.5', expected a real number"),
        (lambda: E.bracket(0.5, 2), r"parameter 'theta': got 2.0, outside its domain \[0, 1\]"),
        (lambda: E.fixed_point_mp(-1, 0.5), r"parameter 'c': got -1, outside its domain \[0, oo\)"),
        (lambda: E.fixed_point_mp(1, R(3, 2)), r"parameter 'theta': got 3/2, outside its domain \[0, 1\]"),
        (lambda: E.fixed_point_mp(1, 0.5, dps=0), r"dps: got 0"),
        (lambda: E.fixed_point(2), r"parameter 'theta': got 2, outside its domain \[0, 1\]"),
        (lambda: E.fixed_point(sp.sqrt(2) / 2), r"parameter 'theta': got sqrt\(2\)/2, expected a rational"),
        (lambda: E.iterate_map(10, -1.0, 0.5), r"parameter 'c': got -1.0, outside its domain"),
        (lambda: E.iterate_map(0, 1.0, 0.5), r"parameter 'count': got 0"),
        (lambda: E.evaluate(r=1.3, g=2.5, alpha=1.5, theta=0.5),
         r"parameter 'alpha': got 1.5, outside its domain \[0, 1\]"),
        (lambda: E.evaluate(r=1.3, g=0.5, alpha=0.5, theta=0.5),
         r"parameter 'g': got 0.5, outside its domain \[1, oo\)"),
        (lambda: E.evaluate(r=1.3, alpha=0.5, theta=0.5), r"missing parameter 'g' \(domain \[1, oo\)\)"),
        (lambda: E.evaluate(r=1.3, g=2, alpha=0.5, theta=0.5, rho=1), r"no parameter 'rho'"),
    ],
)

def test_bad_input_names_parameter_value_and_domain(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_evaluate_broadcasts(m):
    v = E.evaluate(m, r=np.array([1.3, 4.2])[:, None], g=2.5, alpha=0.9, theta=np.array([0.0, 0.5, 1.0]))
    assert v["fixed_point"].shape == (2, 3)
    for i, r in enumerate((1.3, 4.2)):
        for j, th in enumerate((0.0, 0.5, 1.0)):
            one = E.evaluate(m, r=r, g=2.5, alpha=0.9, theta=th)
            assert v["fixed_point"][i, j] == one["fixed_point"]
            assert v["gain_growth"][i, j] == one["gain_growth"]
    np.testing.assert_allclose(v["c"], 0.9 / (2.5 * np.array([[1.3], [4.2]])) * np.ones((1, 3)), rtol=1e-15)


def test_public_names_resolve():
    assert len(set(E.__all__)) == len(E.__all__)
    for name in E.__all__:
        assert getattr(E, name) is not None, name
