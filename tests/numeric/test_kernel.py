"""The float path's kernels (``symrecycle.numeric.kernel``): the same numbers as ``lambdify``, the
same points sent to mpmath, on blocks big enough for the scratch buffers and in-place operations.

The checks of the float path (non-finite values, grown powers, points near a degenerate set) are
decided by reductions first; these tests hold them to the point-by-point masks they replace.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symrecycle as sr
from symrecycle.numeric import kernel as K
from symrecycle.numeric.compile import compile_expr

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

KICK = sr.get_model("kickstarting")
AUG = sr.get_model("augmentation")
OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


# -- the reductions --------------------------------------------------------------------------------
def _pair_shapes():
    """Two shapes that broadcast together (axes of 1 on either side)."""
    base = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
    return base.flatmap(lambda s: st.tuples(st.just(s), hnp.broadcastable_shapes(s, min_side=0, max_side=4)))


_VALUES = st.one_of(st.floats(-3, 3, width=16), st.sampled_from([np.nan, np.inf, -np.inf, 0.0]))


@settings(max_examples=400 * SCALE, deadline=None)
@given(shapes=_pair_shapes(), op=st.sampled_from(sorted(OPS)), data=st.data())
def test_exists_and_forall_are_the_point_by_point_answers(shapes, op, data):
    sa, sb = shapes
    a = data.draw(hnp.arrays(np.float64, sa, elements=_VALUES))
    b = data.draw(hnp.arrays(np.float64, sb, elements=_VALUES))
    with np.errstate(invalid="ignore"):
        points = OPS[op](a, b)
    assert K.exists(a, op, b) == bool(points.any())
    assert K.forall(a, op, b) == bool(points.all())
    # a Python number on one side
    assert K.exists(a, op, 0.5) == bool(OPS[op](a, 0.5).any())


# -- kernels against lambdify ----------------------------------------------------------------------
x, y, m = sp.symbols("x y m", positive=True)
EXPRESSIONS = [
    x * (1 - (y / x) ** m) / (x - y),
    (x * y) ** (1 - m) * (y * x * ((x * y) ** (m - 1) - 1) + x * y - 1) / (x * y - 1),
    sp.sqrt(x) / y**2 - 3 * x ** sp.Rational(-1, 2) + x**3 / 7 + 2**m,
    sp.exp(-x) * sp.log(y) + sp.Abs(x - y) - sp.Min(x, y) + sp.Max(x, 2 * y, 1),
    sp.Function("logb")(y / x, (y - x) / x) / (y - x),
    -x / y - 2 * y / (x * (x + 1)) + sp.Rational(3, 4),
]


def _grid(rows, cols, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.uniform(0.2, 3.0, rows)[:, None]
    ys = rng.uniform(0.2, 3.0, cols)[None, :]
    ys[0, :3] = [xs[0, 0], xs[1, 0] * (1 + 1e-12), 1.0]  # on and next to x = y
    return xs, ys


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=range(len(EXPRESSIONS)))
@pytest.mark.parametrize("size", [(3, 5), (40, 60)])  # no scratch buffers / scratch buffers reused in place
def test_kernel_values_checks_and_screens_agree_with_lambdify(expr, size):
    xs, ys = _grid(*size)
    ms = np.full((1, 1), 7.0)
    checks = [sp.Abs(x - y), 0.01 * x, (y / x) ** m]
    screens = [(checks[0], "<", checks[1]), (checks[2], ">", sp.Float(1.5))]
    k = K.Kernel([x, y, m], expr, checks, [], screens, {})
    want = sp.lambdify([x, y, m], [expr, *checks], modules=[{"logb": K._logb}, "numpy"])
    with np.errstate(all="ignore"):
        ref = [np.broadcast_to(v, size) for v in want(xs, ys, ms)]
        for keep in (False, True):
            out = np.empty(size)
            got, answers, finite = k.run([xs, ys, ms], out, keep)
            np.testing.assert_allclose(out, ref[0], rtol=1e-13, equal_nan=True)
            assert finite == bool(np.isfinite(ref[0]).all())
            assert answers == [bool((ref[1] < ref[2]).any()), bool((ref[3] > 1.5).any())]
            if keep:
                for g, r in zip(got, ref[1:]):
                    np.testing.assert_allclose(np.broadcast_to(g, size), r, rtol=1e-13)
            else:
                assert got is None


def test_a_guard_that_fails_leaves_the_cases_to_lambdify():
    expr = sp.Piecewise((x / (x - y), y < x), (sp.oo, True))
    c = compile_expr(expr, [x, y])
    assert c.fast[0].kernel is not None
    assert c.fast[0].kernel.tests[0][-1]  # a guard
    xs = np.linspace(0.5, 2.0, 50)[:, None]
    ys = np.linspace(0.0, 1.0, 40)[None, :]
    with np.errstate(divide="ignore"):
        want = np.where(ys < xs, xs / (xs - ys), np.inf)
    np.testing.assert_allclose(c.floats({x: xs, y: ys}), want, rtol=1e-15)  # some blocks straddle y = x
    np.testing.assert_allclose(c.floats({x: xs + 1, y: ys}), (xs + 1) / (xs + 1 - ys), rtol=1e-15)


def test_a_case_at_few_points_is_computed_at_those_points_only():
    calls = []

    def value(a, b):
        calls.append(np.shape(a))
        return a + b

    xs, ys = np.arange(100.0)[:, None], np.zeros((1, 50))
    out = np.empty((100, 50))
    K.by_cases([(value, lambda a, b: a < 3), (lambda a, b: -a, None)], [xs, ys], out.shape, out)
    assert calls == [(150,)]  # the 3 rows of 50 points, gathered
    np.testing.assert_array_equal(out, np.where(xs < 3, xs + ys, -xs))


def test_a_failing_block_stops_the_others_and_raises():
    seen = []

    def block_fn(arrays, out):
        seen.append(out.shape)
        raise ZeroDivisionError("a block")

    rows = 10 * K.BLOCK  # ten blocks of one column
    with pytest.raises(ZeroDivisionError, match="a block"):
        K.in_blocks(block_fn, [np.zeros((1, 1))], (rows, 1))
    assert 1 <= len(seen) <= K.workers()  # each thread stops at its first failure


# -- the screens find every point the masks would ------------------------------------------------
def test_near_degenerate_points_inside_big_blocks_are_exact():
    """A 300 x 300 grid (two blocks, the thread pool) with points on and within 1e-12 .. 1e-3 of r = alpha."""
    alpha = np.linspace(0.0, 1.0, 300)[None, :]
    r = np.linspace(0.5, 1.5, 300)[:, None].copy()
    special = {10: 1e-12, 20: -1e-9, 30: 1e-6, 40: -1e-4, 50: 0.0}
    for i, rel in special.items():
        r[i, 0] = alpha[0, 60 + i] * (1 + rel)
    got = KICK.evaluate("benefit", r=r, alpha=alpha, n=50)
    for i, rel in special.items():
        ri, ai = float(r[i, 0]), float(alpha[0, 60 + i])
        want = float(KICK.evaluate("benefit", r=ri, alpha=ai, n=50, dps=40))
        assert got[i, 60 + i] == pytest.approx(want, rel=1e-13), rel
    # and the whole grid as the lambdify path gives it (kernels off)
    _assert_same_without_kernels(lambda: KICK.evaluate("benefit", r=r, alpha=alpha, n=50))


def _assert_same_without_kernels(evaluate, rtol=1e-13):
    got = evaluate()
    saved = K.Kernel.run
    K.Kernel.run = lambda self, arrays, out, keep=False: None
    try:
        want = evaluate()
    finally:
        K.Kernel.run = saved
    np.testing.assert_allclose(got, want, rtol=rtol, equal_nan=True)
    return got


def test_overflow_and_growth_inside_big_blocks_go_to_mpmath():
    # B_n ~ (alpha/r)^n beyond floats for small r; grown powers (g r)^(n-1) > e**64 for g r > 3.7
    r, alpha = np.geomspace(1e-5, 2.0, 120)[:, None], np.linspace(0.5, 1, 40)
    got = _assert_same_without_kernels(lambda: KICK.evaluate("benefit", r=r, alpha=alpha, n=300))
    assert np.isinf(got[0]).all()
    assert np.isfinite(got[-1]).all()
    ra, g = np.linspace(0.5, 12.0, 40)[:, None], np.linspace(0.5, 2.0, 30)[None, :]
    got = _assert_same_without_kernels(lambda: AUG.evaluate("benefit", r=ra, g=g, beta=0.5, n=50))
    for i, j in [(39, 29), (5, 3), (20, 10)]:
        want = AUG.evaluate("benefit", r=float(ra[i, 0]), g=float(g[0, j]), beta=0.5, n=50, dps=40)
        assert got[i, j] == pytest.approx(float(want), rel=1e-14)
    # n beyond GROWTH_STEPS: the exp(e*log(b)) form, powers past 1 flagged
    got = _assert_same_without_kernels(lambda: AUG.evaluate("benefit", r=ra, g=g, beta=0.5, n=400))
    want = AUG.evaluate("benefit", r=float(ra[30, 0]), g=float(g[0, 20]), beta=0.5, n=400, dps=40)
    assert got[30, 20] == pytest.approx(float(want), rel=1e-14)


def test_limits_across_their_cases_on_big_grids():
    r = np.linspace(0.5, 1.5, 200)[:, None]
    alpha = np.linspace(0.0, 1.0, 90)[None, :]
    got = _assert_same_without_kernels(lambda: KICK.evaluate("limit", r=r, alpha=alpha))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(got, np.where(alpha < r, r / (r - alpha), np.inf), rtol=1e-15)
    g = np.linspace(0.5, 2.5, 90)[None, :]
    beta = np.array([[[0.0]], [[0.5]]])
    got = _assert_same_without_kernels(lambda: AUG.evaluate("limit", r=r, g=g, beta=beta))
    assert got.shape == (2, 200, 90)
    assert math.isinf(got[1, 0, 0])
    assert got[0, -1, -1] == 0.0


@pytest.mark.parametrize("quantity", ["sensitivity", "elasticity"])
def test_derivatives_on_big_grids(quantity):
    r = np.linspace(0.3, 3.0, 70)[:, None]
    alpha = np.linspace(0.0, 1.0, 60)[None, :]
    got = _assert_same_without_kernels(lambda: KICK.evaluate(quantity, wrt="alpha", r=r, alpha=alpha, n=30),
                                       rtol=1e-12)
    i, j = 20, 33
    want = KICK.evaluate(quantity, wrt="alpha", r=float(r[i, 0]), alpha=float(alpha[0, j]), n=30, dps=40)
    assert got[i, j] == pytest.approx(float(want), rel=1e-12)
    with mpmath.workdps(30):
        assert np.isfinite(got).all()


def test_a_point_near_a_degenerate_set_whose_sides_share_a_large_term_goes_to_mpmath():
    # a + c = b + c: the difference a - b is small against the sides (c = 1000), not against its own terms
    a, b, c = sp.symbols("a b c", real=True)
    n = sp.Symbol("n", positive=True)
    generic = ((a + c) ** n - (b + c) ** n) / (a - b)
    expr = sp.Piecewise((n * (a + c) ** (n - 1), sp.Eq(a + c, b + c)), (generic, True))
    got = compile_expr(expr, [a, b, c, n]).floats({a: 0.001, b: 0.0011, c: 1000.0, n: 3.0})
    exact = {a: sp.Rational(0.001), b: sp.Rational(0.0011), c: 1000, n: 3}  # the binary values, exactly
    assert float(got) == pytest.approx(float(generic.subs(exact)), rel=1e-14)


def test_max_and_min_in_a_case_the_kernel_leaves_to_lambdify():
    r, alpha, n = sp.symbols("r alpha n", positive=True)
    expr = sp.Piecewise((r**n, r > 1), (sp.Max(r, alpha) * n, True))
    got = compile_expr(expr, [r, alpha, n]).floats({r: np.array([0.5, 3.0]), alpha: 0.7, n: 3.0})
    assert got.tolist() == pytest.approx([2.1, 27.0])


def test_an_integer_power_tower_iterates_to_inf_at_once():
    # A_1 = 2, A_n = A_{n-1}**A_{n-1}: exact integers would grow past any float and any time limit
    from symrecycle.io.modelfile import loads_model

    m = loads_model('name = "tower"\n[parameters]\nr = "(1, oo)"\n[recurrence]\ninitial = "2"\n'
                    'next = "A[n-1]**A[n-1]"\n[metric]\nbenefit = "A[n]"\n')
    floats = m.iterate(5, r=2.0, metric="benefit")
    assert floats.tolist()[:3] == [2.0, 4.0, 256.0]
    assert floats[-1] == math.inf
    digits = m.iterate(5, r=2.0, metric="benefit", dps=30)
    assert digits[3] == mpmath.mpf(256) ** 256
    assert digits[4] == mpmath.inf
