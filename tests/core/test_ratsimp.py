"""simplify_rational is SymPy's simplify, expression for expression, on rational expressions in powers.

The expected value of every comparison is ``sympy.simplify`` itself (an outside source): on the
branches the report's models meet, on hand-picked forms, and on random expressions.
"""

from __future__ import annotations

import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from symrecycle.core.ratsimp import is_rational_in_powers, simplify_rational

a, b, r, g, n, c = sp.symbols("alpha beta r g n C1", positive=True)
x, y = sp.symbols("x y")  # no assumptions: signs and zero unknown

#: branches met on the way to the report's results (the inputs of simplify in a derivation)
BRANCHES = [
    c * r**(n - 1) + c * r**n * (n - 1) / r,
    c * a**(n - 1) + c * r * (-a**(n - 1) + r**(n - 1)) / (-a + r),
    n * r**(1 - n) * r**(n - 1),
    r**(1 - n) * (-a**n + r**n) / (-a + r),
    c * b * (n - 1) + c,
    c * b * g * r * ((g * r)**(n - 1) - 1) / (g * r - 1) + c,
    r**(1 - n) * r**(n - 1) * (b * (n - 1) + 1),
    g**(1 - n) * r**(1 - n) * (c * b * g * r * ((g * r)**(n - 1) - 1) / (g * r - 1) + c) / c,
    (a**2 - 1) / (a - 1),
    (x**2 - y**2) / (x - y) + 1 / x,
    -x / (-y - 1),
    2 * (x + 1),
    sp.Integer(0) * x,
    x - x,
]


def test_equal_to_simplify_on_the_branches():
    for e in BRANCHES:
        assert simplify_rational(e) == sp.simplify(e), e


def test_other_expressions_go_to_simplify():
    for e in (sp.exp(x) * sp.exp(y), sp.sin(x)**2 + sp.cos(x)**2, x / 2.0 + y / 2.0):
        assert not is_rational_in_powers(e)
        assert simplify_rational(e) == sp.simplify(e)
    assert simplify_rational(sp.sin(x)**2 + sp.cos(x)**2) == 1


ATOMS = st.sampled_from([a, b, r, n, x, y, sp.Integer(2), sp.Integer(-1), sp.Rational(1, 3), sp.Integer(0)])


def _combine(children):
    two = st.tuples(children, children)
    exps = st.sampled_from([2, -1, n - 1, 1 - n, n])
    return st.one_of(
        two.map(lambda t: t[0] + t[1]),
        two.map(lambda t: t[0] * t[1]),
        two.map(lambda t: t[0] / t[1] if t[1] != 0 else t[0]),
        st.tuples(children, exps).map(lambda t: t[0]**t[1] if t[0] != 0 else t[0]),
    )


@given(st.recursive(ATOMS, _combine, max_leaves=8))
@example((r**2 * r**(n - 1))**(n - 1))  # powsimp writes it exp((n - 1)*(n + 1)*log(r))
def test_equal_to_simplify_on_random_expressions(e):
    if not is_rational_in_powers(e):  # zoo or nan from a division by zero
        return
    assert simplify_rational(e) == sp.simplify(e)
