"""``at_point`` (an expression at a point of numbers, as ``subs`` gives it wherever it is defined) and
``decided`` (a condition at a rational point, in fractions), against SymPy's own substitution."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symrecycle.core.conditions import branch_at, holds_at
from symrecycle.core.sym import at_point
from symrecycle.core.truth import decided

a, b, r = sp.symbols("a b r", real=True)
SYMBOLS = (a, b, r)

small = st.builds(sp.Rational, st.integers(-6, 6), st.sampled_from([1, 2, 3]))
points = st.fixed_dictionaries(dict.fromkeys(SYMBOLS, small))
#: examples of each property: SymPy's subs, the reference, takes milliseconds on each
EXAMPLES = max(10, settings.default.max_examples // 3)


@st.composite
def polynomials(draw):
    """A polynomial of degree at most 2 in a, b, r with small rational coefficients (defined everywhere)."""
    monomials = [sp.Integer(1), a, b, r, a * r, b**2]
    coeffs = draw(st.lists(small, min_size=len(monomials), max_size=len(monomials)))
    return sp.Add(*[c * m for c, m in zip(coeffs, monomials)])


relations = st.builds(lambda op, p, q: op(p, q), st.sampled_from([sp.Lt, sp.Le, sp.Gt, sp.Ge, sp.Eq, sp.Ne]),
                      polynomials(), small)
conditions = st.recursive(relations, lambda inner: st.one_of(
    st.builds(lambda x, y: sp.And(x, y), inner, inner),
    st.builds(lambda x, y: sp.Or(x, y), inner, inner),
    st.builds(sp.Not, inner)), max_leaves=4)


@settings(max_examples=EXAMPLES)
@given(conditions, points)
def test_a_condition_is_what_subs_makes_of_it(cond, point):
    assert at_point(cond, point) == cond.subs(point)


@settings(max_examples=EXAMPLES)
@given(polynomials(), polynomials(), conditions, points)
def test_a_piecewise_is_what_subs_makes_of_it(p, q, cond, point):
    pw = sp.Piecewise((p, cond), (q, True))
    assert at_point(pw, point) == pw.subs(point)


@settings(max_examples=EXAMPLES)
@given(polynomials(), conditions, st.dictionaries(st.sampled_from(SYMBOLS), small, min_size=1, max_size=2))
def test_a_partial_point_leaves_the_other_symbols(p, cond, point):
    pw = sp.Piecewise((p, cond), (0, True))
    assert at_point(pw, point) == pw.subs(point)


def test_where_the_expression_is_undefined_the_order_of_the_symbols_decides_nothing():
    # subs puts b = 0 first (0 / (r - 1) is 0) and says 0; renamed so that r comes first, it says nan
    assert (b / (r - 1)).subs({b: 0, r: 1}) == 0
    assert at_point(b / (r - 1), {b: 0, r: 1}) is sp.nan
    assert at_point(b / (r - 1), {r: 1, b: 0}) is sp.nan
    assert not holds_at(b / (r - 1) < 1, {b: 0, r: 1})  # undefined there: not held


def test_one_operand_decides_a_conjunction_or_a_disjunction_as_subs_does():
    complex_rel = sp.I * a < 1  # no order at a number: TypeError
    with pytest.raises(TypeError):
        complex_rel.subs(a, 1)
    assert at_point(sp.Eq(a, r) | complex_rel, {a: 1, r: 1}) is sp.true
    assert at_point(sp.Eq(a, r) & complex_rel, {a: 1, r: 2}) is sp.false
    for cond in (sp.Eq(a, r) & complex_rel, sp.Eq(a, r) | complex_rel):
        point = {a: 1, r: 1} if isinstance(cond, sp.And) else {a: 1, r: 2}
        with pytest.raises(TypeError):
            cond.subs(point)
        with pytest.raises(TypeError):
            at_point(cond, point)


def test_a_piecewise_substitutes_into_no_case_that_fails():
    pw = sp.Piecewise((1 / (r - 1), r > 1), (r, True))
    assert at_point(pw, {r: 1}) == 1
    assert at_point(sp.Piecewise((a, r > 1), (b, r < 0)), {r: sp.Rational(1, 2)}) is sp.nan
    assert branch_at(sp.Piecewise((a, r > 1), (b, True)), {r: 2}) == a


def test_bound_symbols_and_other_points_go_to_subs():
    k, n = sp.symbols("k n", integer=True)
    s = sp.Sum(k * a, (k, 1, n))
    assert at_point(s, {k: 5, a: 2}) == s.subs({k: 5, a: 2}) == sp.Sum(2 * k, (k, 1, n))
    assert at_point(a + r, {a: r}) == 2 * r  # a value that is not a number: subs, one after another
    assert at_point(a * r, {a: 2, r: sp.Rational(1, 3)}) == sp.Rational(2, 3)
    assert at_point(a * r, {a: 0.5, r: 2}) == 1.0  # Python numbers too


@settings(max_examples=EXAMPLES)
@given(conditions, points)
def test_fractions_decide_a_polynomial_condition_as_sympy_does(cond, point):
    held = decided(cond, point)
    assert held is not None  # sums, products and integer powers of rationals: always decided
    assert held == (cond.subs(point) is sp.true)


def test_what_fractions_cannot_decide_is_left_to_sympy():
    assert decided(sp.sqrt(r) < 2, {r: 1}) is None  # a root
    assert decided(a / (r - 1) > 0, {a: 1, r: 1}) is None  # a division by 0 there
    assert decided(a < r, {a: 1}) is None  # r without a value
    assert decided(a < r, {a: 1, r: sp.sqrt(2)}) is None  # a value that is not rational
    assert decided(a < r, {a: 0.5, r: 1}) is None  # nor a float
    assert decided(sp.Eq(a * r, 1) & (a > 0), {a: sp.Rational(2, 3), r: sp.Rational(3, 2)}) is True
    assert not holds_at(a / (r - 1) > 0, {a: 1, r: 1})  # and SymPy says it is not held


@settings(max_examples=EXAMPLES)
@given(polynomials(), points, st.sampled_from([-1, 0, 1]))
def test_fractions_decide_on_the_boundary_as_sympy_does(p, point, shift):
    # the polynomial against its own value at the point (give or take one): equalities hold there exactly
    bound = p.subs(point) + sp.Rational(shift, 2)
    for op in (sp.Lt, sp.Le, sp.Gt, sp.Ge, sp.Eq, sp.Ne):
        cond = op(p, bound)
        assert decided(cond, point) == (cond.subs(point) is sp.true), op
