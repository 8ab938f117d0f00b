"""Maps x_(k+1) = F(x_k): fixed points and stability on textbook maps, and the limit of an iteration.

Expected answers are typed from the textbooks (logistic map, Beverton-Holt, Newton's map) and from the
fixed-point equation solved by hand; iteration is done here in mpmath, independently of the package.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from symrecycle.core.brackets import bracketed_root, fixed_point_mp, fixed_point_values
from symrecycle.core.fixedpoint import FixedPoint
from symrecycle.core.params import Parameter
from symrecycle.solve.maps import fixed_points, limit_of_map, special_values

x = sp.Symbol("x", positive=True)
B = sp.Symbol("B", positive=True)
TH, C = Parameter("theta", 0, 1), Parameter("c", 0, None)
th, c = TH.symbol, C.symbol
ENDO = 1 + c * B ** (1 - th)


def by_value(infos):
    return {sp.simplify(f.value): f for f in infos}


# -- fixed points and stability ----------------------------------------------------------------------
def test_logistic_map_fixed_points_and_stability():
    lam = Parameter("lam", 0, 4, lower_open=True)
    X = sp.Symbol("x", real=True)
    fps = by_value(fixed_points(lam.symbol * X * (1 - X), X, [lam]))
    L = lam.symbol
    assert set(fps) == {0, sp.simplify(1 - 1 / L)}
    zero, other = fps[0], fps[sp.simplify(1 - 1 / L)]
    assert zero.rate == L
    assert zero.stable.text() == "lam < 1"
    assert sp.expand(other.rate) == 2 - L
    assert other.stable.text() == "1 < lam < 3"  # the textbook range of the non-trivial fixed point
    assert other.monotone.text() == "1 < lam <= 2"
    assert other.oscillating.text() == "2 < lam < 3"


def test_beverton_holt_fixed_point_and_its_stability():
    R, M = Parameter("R", 0, None, lower_open=True), Parameter("M", 0, None, lower_open=True)
    F = R.symbol * x / (1 + x / M.symbol)
    fps = by_value(fixed_points(F, x, [R, M]))
    star = sp.simplify(M.symbol * (R.symbol - 1))
    assert star in fps
    assert sp.simplify(fps[star].rate - 1 / R.symbol) == 0
    assert fps[star].stable.text() == "R > 1"
    assert fps[0].stable.text() == "R < 1"


def test_newtons_map_for_a_square_root_is_superattracting():
    a = Parameter("a", 0, None, lower_open=True)
    X = sp.Symbol("x", real=True)
    fps = by_value(fixed_points((X + a.symbol / X) / 2, X, [a]))
    root = sp.sqrt(a.symbol)
    assert set(fps) == {root, -root}
    assert fps[root].rate == 0
    assert fps[root].stable.text() == "always"


def test_beverton_holt_limit_from_below_is_proved():
    R, M = Parameter("R", 2, None, lower_open=True), Parameter("M", 0, None, lower_open=True)
    (case,) = limit_of_map(R.symbol * x / (1 + x / M.symbol), x, M.symbol / 2, [R, M])
    assert case.proved
    assert sp.simplify(case.value - M.symbol * (R.symbol - 1)) == 0
    assert sp.simplify(case.rate - 1 / R.symbol) == 0


# -- the endogenous map 1 + c B^(1 - theta) ------------------------------------------------------------
def test_special_values_are_where_the_map_is_affine_or_constant():
    assert special_values(ENDO, B, [TH, C]) == [sp.Eq(th, 0), sp.Eq(th, 1)]


def test_limit_by_regime_with_closed_forms_at_theta_zero_and_one():
    cases = {case.condition: case for case in limit_of_map(ENDO, B, 1, [TH, C])}
    assert all(case.proved for case in cases.values())
    assert sp.simplify(cases[sp.And(sp.Eq(th, 0), c < 1)].value - 1 / (1 - c)) == 0
    assert cases[sp.And(sp.Eq(th, 0), c >= 1)].value is sp.oo
    assert cases[sp.Eq(th, 1)].value == 1 + c
    generic = cases[sp.And(th > 0, th < 1)]
    assert generic.value == FixedPoint(sp.Lambda(B, ENDO), 1)
    text = "\n".join(generic.lines)
    for step in ("F(x0) - x0", "F is increasing", "at most one fixed point above x0", "exists"):
        assert step in text


@pytest.mark.parametrize(("t", "typed"), [
    (sp.Rational(1, 2), ((c + sp.sqrt(c**2 + 4)) / 2) ** 2),  # B = y**2, y**2 - c y - 1 = 0
    (sp.Integer(1), 1 + c),
])
def test_closed_forms_at_special_theta_come_from_the_general_solver(t, typed):
    (case,) = limit_of_map(ENDO.subs(th, t), B, 1, [C])
    assert case.proved
    assert not case.value.has(FixedPoint)
    assert sp.simplify(case.value - typed) == 0


def test_theta_zero_from_the_general_solver():
    cases = limit_of_map(ENDO.subs(th, 0), B, 1, [C])
    assert [k.condition for k in cases] == [c < 1, c >= 1]
    assert sp.simplify(cases[0].value - 1 / (1 - c)) == 0
    assert cases[1].value is sp.oo


def test_newtons_map_from_above_is_seen_going_down_but_not_proved():
    a = Parameter("a", 0, None, lower_open=True)
    (case,) = limit_of_map((x + a.symbol / x) / 2, x, a.symbol + 1, [a])  # x0 = a + 1 > sqrt(a)
    assert "downward" in case.lines[0]
    # F'(x) = (1 - a/x**2)/2 >= 0 above sqrt(a) needs the square root inside the sign proof
    assert not case.proved


def test_beverton_holt_from_above_decreases_to_its_fixed_point():
    R, M = Parameter("R", 2, None, lower_open=True), Parameter("M", 0, None, lower_open=True)
    (case,) = limit_of_map(R.symbol * x / (1 + x / M.symbol), x, M.symbol * R.symbol, [R, M])
    assert case.proved
    assert sp.simplify(case.value - M.symbol * (R.symbol - 1)) == 0


def test_a_map_whose_direction_is_not_proved_is_not_called_proved():
    c2 = Parameter("c", 0, 2)
    # 1 + c/x from x0 = 1: F(1) - 1 = c >= 0, but F decreases (an oscillating approach)
    (case,) = limit_of_map(1 + c2.symbol / x, x, 1, [c2])
    assert not case.proved
    # and from x0 = 2, where F(2) - 2 = c/2 - 1 changes sign with c, the direction is not known
    (case,) = limit_of_map(1 + c2.symbol / x, x, 2, [c2])
    assert not case.proved


# -- the root finder ---------------------------------------------------------------------------------
def _iterate_mp(f, x0, dps=60, steps=100000):
    """The map iterated in mpmath until two iterates agree at dps digits (independent of the package)."""
    with mpmath.workdps(dps + 10):
        prev, cur = mpmath.mpf(x0), f(mpmath.mpf(x0))
        for _ in range(steps):
            if abs(cur - prev) <= mpmath.mpf(10) ** (-dps - 5) * abs(cur):
                return cur
            prev, cur = cur, f(cur)
    raise AssertionError("no convergence")


@pytest.mark.parametrize(("cv", "tv"), [(0.5, 0.25), (3.0, 0.5), (0.01, 0.9), (20.0, 0.1)])
def test_fixed_point_against_long_iteration(cv, tv):
    want = _iterate_mp(lambda b: 1 + cv * b ** (1 - tv), 1)
    with mpmath.workdps(50):
        got = fixed_point_mp(lambda b: 1 + cv * b ** (1 - tv), 1)
        assert abs(got - want) <= mpmath.mpf(10) ** -45 * want
    floats = fixed_point_values(lambda b, i: 1 + cv * b ** (1 - tv), np.ones(3))
    np.testing.assert_allclose(floats, float(want), rtol=4e-16)


def test_float_root_finder_is_vectorized_and_brackets_its_roots():
    cs = np.array([0.0, 0.1, 1.0, 10.0, 1000.0])
    root, lo, hi = bracketed_root(lambda b, i: 1 + cs[i] * np.sqrt(b) - b, np.ones(5), np.full(5, 1e7))
    want = ((cs + np.sqrt(cs**2 + 4)) / 2) ** 2
    np.testing.assert_allclose(root, want, rtol=4e-16)
    assert np.all(np.minimum(lo, hi) <= root)
    assert np.all(root <= np.maximum(lo, hi))


def test_fixed_point_evaluates_and_differentiates_implicitly():
    star = FixedPoint(sp.Lambda(B, ENDO), 1)
    assert abs(star.subs({c: 1, th: sp.Rational(1, 2)}).evalf(30) - ((1 + sp.sqrt(5)) / 2) ** 2) < 1e-28
    d = sp.diff(star, c).subs({c: 1, th: sp.Rational(1, 2)}).evalf(30)
    with mpmath.workdps(60):  # a 60-digit central difference of the iterated sequence's limit
        h = mpmath.mpf(10) ** -20
        fd = (_iterate_mp(lambda b: 1 + (1 + h) * mpmath.sqrt(b), 1)
              - _iterate_mp(lambda b: 1 + (1 - h) * mpmath.sqrt(b), 1)) / (2 * h)
        fd = mpmath.nstr(fd, 35)
    assert abs(d - sp.Float(fd, 30)) < 1e-25
    assert sp.latex(star) == r"\operatorname{fix}\left(B \mapsto B^{1 - \theta} c + 1\right)"


def test_a_map_with_a_pole_above_its_start_is_not_proved():
    # F(x) = 1 + c/(3 - x): increasing from x0 = 1, but it jumps at x = 3, where no fixed point need lie
    (case,) = limit_of_map(1 + c / (3 - x), x, 1, [C])
    assert not case.proved
    assert any("NOT proved continuous" in line for line in case.lines)


# -- review regressions: cases a proof must not skip --------------------------------------------------
def test_a_sign_is_proved_at_every_corner_of_closed_ends():
    from symrecycle.solve.signs import sign_on

    a, b = Parameter("a", 0, 1), Parameter("b", 0, 1)
    assert sign_on(1 - a.symbol * b.symbol, [a, b]) == "nonneg"  # 0 at a = b = 1, not positive


def test_a_map_that_is_the_identity_at_a_corner_is_not_proved():
    a, b = Parameter("a", 0, 1), Parameter("b", 0, 1)
    ab = a.symbol * b.symbol
    (case,) = limit_of_map(ab * x + (1 - ab) * (1 + sp.sqrt(x)), x, 1, [a, b])  # F(x) = x at a = b = 1
    assert not case.proved


def test_a_power_of_a_shifted_variable_is_split_where_the_map_is_affine():
    # 1 + c ((1 + x)/2)**theta is affine at theta = 1: A_n = A_(n-1) + 2 at c = 2 diverges
    cases = {k.condition: k for k in limit_of_map(1 + c * ((1 + x) / 2) ** th, x, 1, [TH, C])}
    assert cases[sp.And(sp.Eq(th, 1), c >= 2)].value is sp.oo
    assert sp.simplify(cases[sp.And(sp.Eq(th, 1), c < 2)].value - (2 + c) / (2 - c)) == 0


def test_a_rational_map_is_split_where_its_growth_changes():
    # (1 + a x / 2 + k (x - 1))/(1 + k (x - 1)) is affine at k = 0, and diverges there for a >= 2
    k, a = Parameter("k", 0, 1), Parameter("a", 0, 4)
    K, A = k.symbol, a.symbol
    cases = {c.condition: c for c in limit_of_map((1 + A * x / 2 + K * (x - 1)) / (1 + K * (x - 1)), x, 1,
                                                   [k, a])}
    assert cases[sp.And(sp.Eq(K, 0), A >= 2)].value is sp.oo
    assert all(c.proved for c in cases.values())
