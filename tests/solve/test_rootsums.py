"""Numeric characteristic factors solved over their roots: sums over roots, their limits and numbers.

Closed forms are compared with this file's own loop over ``fractions.Fraction``;
the Schur-Cohn test with numpy's roots.
"""

from __future__ import annotations

from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symrecycle.core.params import n
from symrecycle.core.results import NotDerived
from symrecycle.io.modelfile import loads_model
from symrecycle.solve.rootsums import modulus_bound, rootsum_zero, schur_inside

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

z = sp.Symbol("z")


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=2, max_size=6).filter(lambda c: c[-1] != 0))
def test_schur_cohn_agrees_with_numpy_roots(coeffs):
    moduli = np.abs(np.roots(coeffs[::-1]))
    top = moduli.max()
    if abs(top - 1) > 1e-6:  # away from the circle (a multiple root there moves by ~eps**(1/k) in floats)
        assert schur_inside(coeffs) == (top < 1)


def test_modulus_bound_is_just_above_the_roots():
    for f in (z**4 - z**3 + z**2 + z - 1, 23 * z**3 + 3 * z**2 + 2 * z - 5, z**3 - z**2 - 1, z**2 + 1):
        top = max(abs(complex(r)) for r in sp.Poly(f).nroots(n=30))
        bound = modulus_bound(sp.Poly(f, z))
        assert top < bound < top * (1 + 1e-6) + 1e-6


def test_a_sum_over_roots_is_zero_only_where_it_is():
    f = z**3 - z**2 - 1

    def s(k, c=1):
        return sp.RootSum(f, sp.Lambda(z, c * z ** (n + k)))

    assert rootsum_zero(s(3) - s(2) - s(0))
    assert rootsum_zero(s(3, n) - s(2, n) - s(0, n))  # coefficients in n
    assert not rootsum_zero(s(3) - s(2))
    assert not rootsum_zero(s(3) - s(2) - s(0) + 2**n)


CUBIC = """
name = "cubic"
[parameters]
r = "(1, oo)"
[sequences.C]
initial = "1"
next = "r*C[n-1]"
[sequences.A]
initial = ["1", "1", "1"]
next = "C[n] - 3*A[n-1]/23 - 2*A[n-2]/23 + 5*A[n-3]/23"
[metric]
benefit = "A[n]/C[n]"
"""


def cubic_by_hand(r, count):
    A, C = [F(1), F(1), F(1)], [F(1)]
    for _ in range(count - 1):
        C.append(r * C[-1])
    while len(A) < count:
        k = len(A)
        A.append(C[k] - F(3, 23) * A[-1] - F(2, 23) * A[-2] + F(5, 23) * A[-3])
    return [a / c for a, c in zip(A, C)]


@pytest.fixture(scope="module")
def cubic():
    return loads_model(CUBIC)


def test_a_cubic_with_a_complex_pair_beside_a_forcing(cubic):
    cf = cubic.closed_form()
    assert cf.verified, cf.certificate
    assert cf.expr.has(sp.RootSum)
    assert not cf.expr.has(sp.I)
    r, nn = cubic.symbols["r"], cubic.symbols["n"]
    want = cubic_by_hand(F(2), 14)
    got = [cf.expr.subs({r: 2, nn: k}) / 2 ** (k - 1) for k in range(1, 15)]
    assert got == [sp.Rational(w.numerator, w.denominator) for w in want]


def test_its_numbers_in_floats_and_mpmath(cubic):
    want = cubic_by_hand(F(5, 2), 40)
    for k in (1, 3, 7, 40):
        value = cubic.evaluate("benefit", n=k, r=2.5)
        assert abs(float(value) - float(want[k - 1])) <= 1e-13 * abs(float(want[k - 1]))
        precise = cubic.evaluate("benefit", n=k, r=F(5, 2), dps=40)
        with mpmath.workdps(40):
            w = mpmath.mpf(want[k - 1].numerator) / want[k - 1].denominator
            assert abs(mpmath.mpf(precise) - w) <= mpmath.mpf(10) ** -35 * abs(w)


def test_its_limit_is_proved_by_the_modulus_of_the_roots(cubic):
    lim = cubic.limit()
    assert lim.verified
    r = cubic.symbols["r"]
    assert sp.cancel(lim.expr - 23 * r**3 / (23 * r**3 + 3 * r**2 + 2 * r - 5)) == 0
    far = cubic_by_hand(F(3, 2), 120)[-1]
    assert abs(float(far) - float(lim.expr.subs(r, sp.Rational(3, 2)))) < 1e-15


def test_dominant_roots_of_modulus_above_one_are_refused_by_name():
    m = loads_model('name = "cows"\n[parameters]\nr = "(0, oo)"\n[recurrence]\ninitial = ["1", "1", "1"]\n'
                    'next = "A[n-1] + A[n-3]"\n[metric]\nbenefit = "A[n]"\n')
    assert m.closed_form().verified
    with pytest.raises(NotDerived, match="sum over the roots of"):
        m.limit()


def test_a_forcing_base_that_may_be_a_root_is_refused_by_name():
    # r**3 - r**2 - 1 = 0 at r = 1.4656..., inside (0, oo)
    m = loads_model('name = "cows"\n[parameters]\nr = "(0, oo)"\n[recurrence]\ninitial = ["1", "1", "1"]\n'
                    'next = "A[n-1] + A[n-3] + r**n"\n[metric]\nbenefit = "A[n]"\n')
    with pytest.raises(NotDerived, match="may be a root"):
        m.closed_form()


SYSTEM = """
name = "rotating"
[parameters]
g = "(1, oo)"
[sequences.X]
initial = "1"
next = "X[n-1]/2 - Y[n-1]/2 + g**n"
[sequences.Y]
initial = "0"
next = "X[n-1]/2 + Y[n-1]/2"
[sequences.K]
initial = "0"
next = "X[n-1] + K[n-1]/3"
[metric]
benefit = "K[n] / g**n"
"""


def test_a_3x3_system_with_a_complex_pair_and_its_limit():
    # eigenvalues 1/2 +- i/2 and 1/3; forcing g**n with g > 1. X and Y (a 2x2 system) oscillate in sines;
    # K, fed by X, is solved with them as one 3x3 system (its complex pair summed over roots)
    m = loads_model(SYSTEM)
    g, nn = m.symbols["g"], m.symbols["n"]
    for gv in (F(3, 2), F(4)):
        X, Y, K = [F(1)], [F(0)], [F(0)]
        for k in range(2, 15):
            x, y = X[-1], Y[-1]
            X, Y, K = [*X, x / 2 - y / 2 + gv**k], [*Y, x / 2 + y / 2], [*K, x + K[-1] / 3]
        for name, seq in (("X", X), ("Y", Y), ("K", K)):
            cf = m.closed_form(name)
            assert cf.verified, (name, cf.certificate)
            got = [cf.expr.subs({g: sp.Rational(gv.numerator, gv.denominator), nn: k}) for k in range(1, 15)]
            assert got == [sp.Rational(v.numerator, v.denominator) for v in seq], name
    lim = m.limit()
    assert lim.verified
    assert sp.cancel(lim.expr - 3 * g * (2 * g - 1) / ((3 * g - 1) * (2 * g**2 - 2 * g + 1))) == 0


def test_a_sum_whose_polynomial_names_another_variable_is_not_taken_for_zero():
    # SymPy's cache may hand back a RootSum whose polynomial is in w while its Lambda is in z: read in w
    # as a polynomial in z it is a constant, and everything would be 0 modulo it
    w = sp.Symbol("w")
    rs = sp.RootSum(sp.Poly(w**3 - w - 1, w), sp.Lambda(z, z**n))
    assert rs.subs(n, 4) == 2
    assert not rootsum_zero(rs)
    poly = sp.Poly(w**3 - w - 1, w)
    assert not rootsum_zero(rs - sp.RootSum(poly, sp.Lambda(z, z ** (n - 2) + z ** (n - 1))))
    assert rootsum_zero(rs - sp.RootSum(poly, sp.Lambda(z, z ** (n - 2) + z ** (n - 3))))


def test_growing_sums_over_roots_take_the_precise_path():
    # plastic number rho = 1.3247...: A - B is 0 for every n, and its float terms grow like rho**n
    from symrecycle.numeric.compile import compile_expr

    f = z**3 - z - 1
    diff = sp.RootSum(f, sp.Lambda(z, z**n)) - sp.RootSum(f, sp.Lambda(z, z ** (n - 2) + z ** (n - 3)))
    assert compile_expr(diff, [n]).floats({n: np.array([300.0, 1000.0])}).tolist() == [0.0, 0.0]
