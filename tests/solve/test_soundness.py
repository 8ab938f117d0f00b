"""Regression tests for results that were once wrong and marked verified, or right and marked unverified.

Each model is written as a user would write its file; each answer is checked
against this file's own exact iteration (Fractions, or SymPy Rationals with
a symbolic parameter for derivatives), not the package's iterator.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from symrecycle.core.params import n
from symrecycle.core.results import NotDerived
from symrecycle.io.modelfile import loads_model
from symrecycle.models import checks

R = sp.Rational

MODEL = """
name = "{name}"
[parameters]
{params}
[recurrence]
start = 1
initial = "{initial}"
next = "{next}"
[metric]
benefit = "A[n]"
"""


def model(name, params, initial, nxt):
    return loads_model(MODEL.format(name=name, params=params, initial=initial, next=nxt))


def iterate(first, step, count):
    """A_1..A_count by the recurrence ``A_k = step(A_{k-1}, k)``, exactly."""
    x, out = first, [first]
    for k in range(2, count + 1):
        x = step(x, k)
        out.append(x)
    return out


def value(result, m, point, k=None):
    e = result.expr if k is None else result.expr.subs(n, k)
    return sp.piecewise_fold(e.subs({m.symbols[s]: v for s, v in point.items()}))


@pytest.fixture(scope="module")
def two_lines():
    # A_1 = alpha r, A_n = alpha A_{n-1} + (alpha r)^n: degenerate on alpha = 0 and on r = 1
    return model("two-lines", 'alpha = "[0, 1]"\nr = "(0, oo)"', "alpha*r", "alpha*A[n-1] + (alpha*r)**n")


def two_lines_exact(alpha, r, count):
    return iterate(R(alpha) * r, lambda x, k: alpha * x + (R(alpha) * r) ** k, count)


@pytest.mark.parametrize(("alpha", "r"), [(R(1, 2), 1), (1, 1), (0, 1), (0, 3), (R(1, 3), 2), (1, R(1, 2))])
def test_two_lines_closed_form_on_every_component(two_lines, alpha, r):
    cf = two_lines.closed_form()
    assert cf.verified
    want = two_lines_exact(alpha, r, 7)
    assert [value(cf, two_lines, {"alpha": alpha, "r": r}, k) for k in range(1, 8)] == want


def test_two_lines_limit(two_lines):
    lim = two_lines.limit()
    assert lim.verified
    assert value(lim, two_lines, {"alpha": 1, "r": 1}) == sp.oo  # A_n = n
    assert value(lim, two_lines, {"alpha": R(1, 2), "r": 1}) == 0  # n / 2^n
    assert value(lim, two_lines, {"alpha": 1, "r": R(1, 2)}) == 1  # sum of 2^-k
    assert value(lim, two_lines, {"alpha": 0, "r": 5}) == 0


def test_a_condition_with_a_free_coefficient_is_not_divided_by_it():
    # A_1 = c, A_n = a A_{n-1} + b: at a > 1, b = c = 0 the sequence is 0
    m = model("affine", 'a = "(0, oo)"\nb = "(-oo, oo)"\nc = "(-oo, oo)"', "c", "a*A[n-1] + b")
    lim = m.limit()
    assert lim.verified
    assert value(lim, m, {"a": 2, "b": 0, "c": 0}) == 0
    assert value(lim, m, {"a": 2, "b": -1, "c": 1}) == 1  # the fixed point b/(1-a) = 1 from the start
    assert value(lim, m, {"a": 2, "b": 1, "c": 1}) == sp.oo
    assert value(lim, m, {"a": R(1, 2), "b": 1, "c": 5}) == 2


def test_derivative_on_the_degenerate_set_is_finite_and_right():
    # growing annuity A_n = (1 + i) A_{n-1} + p (1 + g)^n, A_1 = p (1 + g); d/di at i = g
    m = model("annuity", 'i = "(-1, oo)"\ng = "(-1, oo)"\np = "(0, oo)"', "p*(1 + g)",
              "(1 + i)*A[n-1] + p*(1 + g)**n")
    sens = m.sensitivity("i", n=5)
    assert sens.verified, sens.certificate
    x = sp.Symbol("x")
    a5 = iterate(R(11, 10), lambda y, k: (1 + x) * y + R(11, 10) ** k, 5)[-1]  # A_5: a polynomial in i
    for iv in (R(1, 10), R(1, 5)):
        assert value(sens, m, {"i": iv, "g": R(1, 10), "p": 1}) == sp.diff(a5, x).subs(x, iv)


def test_a_nan_derivative_fails_its_check_where_the_difference_is_finite():
    m = model("kick", 'alpha = "[0, 1]"\nr = "(0, oo)"', "1", "alpha*A[n-1] + r**(n-1)")
    q = m.benefit().expr
    ok, lines = checks.check_derivative(m, q, sp.nan, m.symbols["alpha"], 5)
    assert not ok
    assert "differs from the finite difference" in lines[0]


def test_square_coefficient_meets_the_forcing_on_two_points():
    # A_n = a^2 A_{n-1} + a^n: a^2 = a at a = 0 and a = 1 (once a bare ValueError)
    m = model("square", 'a = "(-oo, oo)"', "1", "a**2*A[n-1] + a**n")
    cf = m.closed_form()
    assert cf.verified
    for av in (0, 1, 2, -1, R(1, 2)):
        want = iterate(sp.Integer(1), lambda x, k, av=av: av**2 * x + R(av) ** k, 6)
        assert [value(cf, m, {"a": av}, k) for k in range(1, 7)] == want, av


def test_unknown_sign_factor_is_verified():
    # A_n = C_n + alpha (1 - d) A_{n-1}, C_n = C1 r^(n-1): once unverified (1 - d has no known sign)
    m = model("decay", 'alpha = "[0, 1]"\nd = "[0, 1]"\nr = "(0, oo)"\nC1 = "(0, oo)"', "C1",
              "C1*r**(n-1) + alpha*(1 - d)*A[n-1]")
    assert m.closed_form().verified
    assert m.limit().verified


def test_complex_characteristic_values_give_a_result_not_a_crash():
    m = model("complex", 'C1 = "(0, oo)"', "C1", "(-n**2 + 3*n - 14)*A[n-1] + (n**3 - 4*n**2 + 18*n - 14)")
    cf = m.closed_form()  # unrolled: a product of rising factorials with complex arguments
    assert cf.verified, cf.certificate
    with pytest.raises(NotDerived, match="model 'complex'"):
        m.limit()


def test_exact_loop_helper_matches_fractions():
    # the helper above against plain Fractions (the tests' own loop is itself checked)
    got = two_lines_exact(R(1, 2), 3, 4)
    x, want = Fraction(3, 2), [Fraction(3, 2)]
    for k in range(2, 5):
        x = Fraction(1, 2) * x + Fraction(3, 2) ** k
        want.append(x)
    assert [Fraction(int(v.p), int(v.q)) for v in got] == want


@pytest.mark.parametrize("names", [("s", "r"), ("zeta", "b"), ("b", "a")])
def test_renaming_the_parameters_changes_no_value(two_lines, names):
    x, y = names
    params = f'{x} = "[0, 1]"\n{y} = "(0, oo)"'
    m = model(f"renamed-{x}-{y}", params, f"{x}*{y}", f"{x}*A[n-1] + ({x}*{y})**n")
    lim, cf = m.limit(), m.closed_form()
    assert lim.verified
    assert cf.verified
    for av, rv in [(1, 1), (R(1, 2), 1), (0, 1), (0, 3), (1, R(1, 2)), (R(1, 3), 2)]:
        assert value(lim, m, {x: av, y: rv}) == value(two_lines.limit(), two_lines, {"alpha": av, "r": rv})
        for k in (1, 2, 5):
            assert value(cf, m, {x: av, y: rv}, k) == two_lines_exact(av, rv, k)[-1]


def test_derivative_where_a_zero_base_meets_the_forcing():
    # A_n = alpha^2 A_{n-1} + (alpha r)^n: at alpha = 0 every term is degenerate; d/dalpha of A_5 there is 0
    m = model("zero-base", 'alpha = "[0, 1]"\nr = "(0, oo)"', "1", "alpha**2*A[n-1] + (alpha*r)**n")
    sens = m.sensitivity("alpha", n=5)
    assert sens.verified, sens.certificate
    x, y = sp.symbols("x y")
    a5 = iterate(sp.Integer(1), lambda v, k: x**2 * v + (x * y) ** k, 5)[-1]
    for av, rv in [(0, 1), (0, 3), (1, 1), (R(1, 2), 2), (R(1, 3), R(1, 2))]:
        want = sp.diff(a5, x).subs({x: av, y: rv})
        assert value(sens, m, {"alpha": av, "r": rv}) == want, (av, rv)


def test_derivative_of_a_rising_factorial_at_a_given_n():
    # A_n = (n + a) A_{n-1} / n, A_1 = 1: a product of rising factorials
    m = model("rising", 'a = "(0, oo)"', "1", "(n + a)*A[n-1]/n")
    sens = m.sensitivity("a", n=5)
    assert sens.verified, sens.certificate
    x = sp.Symbol("x")
    a5 = iterate(sp.Integer(1), lambda v, k: (k + x) * v / k, 5)[-1]
    for av in (1, R(1, 2), 3):
        assert value(sens, m, {"a": av}) == sp.diff(a5, x).subs(x, av)


def test_a_shifted_power_is_finite_where_its_base_is_zero():
    # (alpha r)^(n-1) is 0^(n-1) at alpha = 0, not 0^n / 0
    m = model("shifted", 'alpha = "[0, 1]"\nr = "(0, oo)"', "1", "alpha*A[n-1] + (alpha*r)**(n - 1)")
    cf = m.closed_form()
    assert cf.verified
    for av, rv in [(0, 2), (0, 1), (R(1, 2), 1), (R(1, 2), 3), (1, R(1, 2))]:
        want = iterate(sp.Integer(1), lambda v, k, av=av, rv=rv: av * v + (R(av) * rv) ** (k - 1), 6)
        assert [value(cf, m, {"alpha": av, "r": rv}, k) for k in range(1, 7)] == want


def test_a_base_positive_on_a_half_line_has_a_limit():
    # growing annuity with g in (-1, oo): the base 1 + g is positive there
    m = model("annuity-limit", 'i = "[0, oo)"\ng = "(-1, oo)"\np = "(0, oo)"', "p*(1 + g)",
              "(1 + i)*A[n-1] + p*(1 + g)**n")
    lim = m.limit()
    assert lim.verified
    assert value(lim, m, {"i": 0, "g": R(-1, 2), "p": 1}) == 1  # sum of 2^-k
    assert value(lim, m, {"i": R(1, 10), "g": R(-1, 2), "p": 1}) == sp.oo


@pytest.mark.parametrize("wrt", ["alpha", "r", "s"])
def test_derivative_with_two_terms_that_meet_the_coefficient(wrt):
    # A_n = alpha A_{n-1} + (alpha r)^n + (alpha s)^n: cases alpha = 0, r = 1, s = 1 and r = s = 1
    m = model("two-terms", 'alpha = "[0, 1]"\nr = "(0, oo)"\ns = "(0, oo)"', "1",
              "alpha*A[n-1] + (alpha*r)**n + (alpha*s)**n")
    sens = m.sensitivity(wrt, n=5)
    assert sens.verified, sens.certificate
    x, y, z = sp.symbols("x y z")
    a5 = iterate(sp.Integer(1), lambda v, k: x * v + (x * y) ** k + (x * z) ** k, 5)[-1]
    var = {"alpha": x, "r": y, "s": z}[wrt]
    for av, rv, sv in [(R(1, 2), 1, 2), (R(1, 2), 2, 1), (R(1, 2), 1, 1), (0, 2, 3), (R(1, 3), 3, R(1, 2))]:
        want = sp.diff(a5, var).subs({x: av, y: rv, z: sv})
        assert value(sens, m, {"alpha": av, "r": rv, "s": sv}) == want, (av, rv, sv)


def no_limit(seq):
    """Consecutive terms at the end stay apart: the sequence has no limit (as far as 40 terms show)."""
    return abs(seq[-1] - seq[-2]) >= abs(seq[-21] - seq[-22]) / 2 > 0


def test_negative_coefficient_limits_by_modulus():
    # A_n = -a A_{n-1} + 1, A_1 = 1: 1/(1+a) for a < 1; 1, 0, 1, 0 at a = 1; unbounded for a > 1
    m = model("alternating", 'a = "(0, oo)"', "1", "-a*A[n-1] + 1")
    lim = m.limit()
    assert lim.verified
    for av in (R(1, 3), R(1, 2)):
        seq = iterate(Fraction(1), lambda x, k, av=av: -Fraction(av) * x + 1, 60)
        assert abs(seq[-1] - Fraction(1) / (1 + Fraction(av))) < Fraction(1, 10**6)
        assert value(lim, m, {"a": av}) == 1 / (1 + av)
    for av in (1, 2):
        assert no_limit(iterate(Fraction(1), lambda x, k, av=av: -av * x + 1, 40))
        assert value(lim, m, {"a": av}) is sp.nan


@pytest.mark.parametrize(("a", "b", "c"), [(-1, 0, 1), (-1, 2, -1), (-3, 4, 1), (-3, 1, 1), (2, -1, 1),
                                           (R(-1, 2), 3, 5), (1, 0, 4)])
def test_affine_map_with_a_coefficient_of_either_sign(a, b, c):
    # A_1 = c, A_n = a A_{n-1} + b, all three real: the limit on every side of a = +-1
    m = model("affine-real", 'a = "(-oo, oo)"\nb = "(-oo, oo)"\nc = "(-oo, oo)"', "c", "a*A[n-1] + b")
    lim = m.limit()
    assert lim.verified
    seq = iterate(Fraction(c), lambda x, k: Fraction(a) * x + b, 60)
    got = value(lim, m, {"a": a, "b": b, "c": c})
    if got is sp.nan:
        assert no_limit(seq)
    else:
        assert seq[-1] == seq[-2] or abs(seq[-1] - Fraction(int(got.p), int(got.q))) < Fraction(1, 10**6)


def test_a_free_base_of_either_sign_against_a_decaying_coefficient():
    # A_n = -A_{n-1}/2 + a^n, a in [-2, 2]
    m = model("either-sign", 'a = "[-2, 2]"', "1", "-A[n-1]/2 + a**n")
    lim = m.limit()
    assert lim.verified
    assert value(lim, m, {"a": 1}) == R(2, 3)
    assert value(lim, m, {"a": R(-3, 4)}) == 0
    for av in (-1, R(-3, 2), -2):
        assert no_limit(iterate(Fraction(1), lambda x, k, av=av: -x / 2 + Fraction(av) ** k, 40))
        assert value(lim, m, {"a": av}) is sp.nan
    assert value(lim, m, {"a": R(3, 2)}) == sp.oo


def test_an_oscillating_base_beside_a_growing_one_is_refused_by_name():
    m = model("both", 'a = "(-5, 5)"', "1", "a*A[n-1] + 3**n")
    with pytest.raises(NotDerived, match="comparison by modulus"):
        m.limit()
