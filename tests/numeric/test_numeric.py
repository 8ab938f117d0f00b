"""Tests of the numeric backend (``symrecycle.numeric.pool``): float and mpmath
evaluation of derived quantities, direct iteration, and the cross-check.

Every reference value here is computed independently of the package, in
mpmath at :data:`REF_DPS` digits, from formulas typed into this file:

* direct iteration of the recurrences of the report (``ref_*_iter``), used up
  to ``ITER_MAX`` iterations;
* the closed forms of the report (``ref_*_closed``), used beyond (n = 10**7),
  with the degenerate case (``mu == 1``, ``g*r == 1``) decided on the exact
  binary values of the float inputs;
* the geometric sums (``ref_*_sum``), which have no removable singularity and
  so can be finite-differenced at and near the degenerate points.

Float tolerance: :data:`TOL` = 1e-13 relative (the issue's requirement for the
benefit). A value beyond the float range must come back as ``inf``; a value
below it (subnormal or zero) may differ by one subnormal ulp in absolute terms.
"""

from __future__ import annotations

import math
import sys
import time
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import symrecycle as sr

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

KICK = sr.get_model("kickstarting")
AUG = sr.get_model("augmentation")

#: digits of every mpmath reference
REF_DPS = 60
#: the issue's relative tolerance for float evaluation of the benefit
TOL = 1e-13
#: derivatives: the generic branch of dB/dp has the degenerate factor squared
#: in its denominator, so allow 10x the benefit tolerance
SENS_TOL = 1e-12
#: references use direct iteration up to this n, the closed form beyond
ITER_MAX = 2000
FLOAT_MAX = mpmath.mpf(sys.float_info.max)
SUBNORMAL_ULP = mpmath.mpf(2) ** -1074

SETTINGS = settings(
    deadline=None,
    max_examples=120 * SCALE,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)


# -- independent references ----------------------------------------------------------------
def _mp(x):
    """The exact binary value of a float (or int) as an mpf at the current precision."""
    return mpmath.mpf(float(x)) if not isinstance(x, int) else mpmath.mpf(x)


def ref_kick_iter(r, alpha, n, C1=1.0):
    """Kickstarting benefit A_n / C_n by direct iteration at REF_DPS digits."""
    with mpmath.workdps(REF_DPS):
        r, alpha, C1 = _mp(r), _mp(alpha), _mp(C1)
        C = C1
        A = C1
        for _ in range(2, n + 1):
            C = r * C
            A = C + alpha * A
        return A / C


def ref_kick_closed(r, alpha, n):
    """B_n = (1 - mu^n) / (1 - mu), mu = alpha / r; n when mu == 1 (exactly)."""
    with mpmath.workdps(REF_DPS):
        if float(r) == float(alpha):
            return mpmath.mpf(n)
        mu = _mp(alpha) / _mp(r)
        return (1 - mu**n) / (1 - mu)


def ref_kick_sum(r, alpha, n):
    """B_n = sum_{k<n} (alpha/r)^k: no removable singularity (for finite differences)."""
    mu = alpha / r
    return mpmath.fsum(mu**k for k in range(n))


def ref_kick_limit(r, alpha):
    with mpmath.workdps(REF_DPS):
        if float(alpha) < float(r):
            return _mp(r) / (_mp(r) - _mp(alpha))
        return mpmath.inf


def ref_kick(r, alpha, n, C1=1.0):
    if n == math.inf:
        return ref_kick_limit(r, alpha)
    if n <= ITER_MAX:
        return ref_kick_iter(r, alpha, n, C1)
    return ref_kick_closed(r, alpha, n)


def ref_aug_iter(r, g, beta, n, C1=1.0):
    """Augmentation benefit A_n / (P_n C_n) by direct iteration at REF_DPS digits."""
    with mpmath.workdps(REF_DPS):
        r, g, beta, C1 = _mp(r), _mp(g), _mp(beta), _mp(C1)
        C, P, A = C1, mpmath.mpf(1), C1
        for _ in range(2, n + 1):
            C = r * C
            P = g * P
            A = beta * P * C + A
        return A / (P * C)


def ref_aug_closed(r, g, beta, n):
    """lam^(1-n) + beta (1 - lam^(1-n)) / (1 - 1/lam), lam = g r; 1 + beta (n-1) at lam == 1.

    g*r of two doubles is exact at 60 digits, so ``lam == 1`` is the exact test.
    """
    with mpmath.workdps(REF_DPS):
        lam = _mp(g) * _mp(r)
        beta = _mp(beta)
        if lam == 1:
            return 1 + beta * (n - 1)
        q = lam ** (1 - n)
        return q + beta * (1 - q) / (1 - 1 / lam)


def ref_aug_sum(r, g, beta, n):
    """B_n = lam^(1-n) (1 + beta sum_{k=1}^{n-1} lam^k): no removable singularity."""
    lam = g * r
    return lam ** (1 - n) * (1 + beta * mpmath.fsum(lam**k for k in range(1, n)))


def ref_aug_limit(r, g, beta):
    with mpmath.workdps(REF_DPS):
        lam = _mp(g) * _mp(r)
        beta = _mp(beta)
        if lam > 1:
            return beta * lam / (lam - 1)
        if lam == 1 and beta == 0:
            return mpmath.mpf(1)
        return mpmath.inf


def ref_aug(r, g, beta, n, C1=1.0):
    if n == math.inf:
        return ref_aug_limit(r, g, beta)
    if n <= ITER_MAX:
        return ref_aug_iter(r, g, beta, n, C1)
    return ref_aug_closed(r, g, beta, n)


def rel_error(got, ref):
    """Relative error of a float against an mpmath reference (0 if both are the same inf)."""
    with mpmath.workdps(REF_DPS):
        if mpmath.isinf(ref):
            return 0.0 if got == math.inf else math.inf
        if ref == 0:
            return abs(float(got))
        return float(abs(mpmath.mpf(got) - ref) / abs(ref))


def assert_float_close(got, ref, tol=TOL, where="", zero_atol=0.0):
    """``got`` (a float) equals the mpmath ``ref`` to ``tol`` relative.

    Beyond the float range the only right float is inf; below the normal range
    an error of one subnormal ulp is allowed. Where the true value is exactly 0
    (a derivative of a constant), a relative error means nothing and
    ``zero_atol`` bounds ``|got|`` instead.
    """
    assert isinstance(got, float), f"expected a float, got {type(got).__name__} at {where}"
    with mpmath.workdps(REF_DPS):
        if mpmath.isinf(ref) or abs(ref) > FLOAT_MAX:
            want = math.inf if ref > 0 else -math.inf
            assert got == want, f"expected {want} (reference {mpmath.nstr(ref, 20)}), got {got!r} at {where}"
            return
        assert math.isfinite(got), f"got {got!r}, reference {mpmath.nstr(ref, 20)} at {where}"
        err = abs(mpmath.mpf(got) - ref)
        ok = err <= tol * abs(ref) or err <= SUBNORMAL_ULP or (ref == 0 and err <= zero_atol)
        assert ok, (
            f"relative error {rel_error(got, ref):.3g} > {tol:g} at {where}: "
            f"got {got!r}, reference {mpmath.nstr(ref, 25)}"
        )


# -- sanity of the references themselves ---------------------------------------------------
@pytest.mark.parametrize(
    ("r", "alpha", "n"),
    [(2.0, 0.5, 30), (0.7, 0.7, 30), (0.7 * (1 + 1e-15), 0.7, 300), (10.5, 1.0, 400), (0.5, 0.9, 100)],
)
def test_kick_references_agree(r, alpha, n):
    with mpmath.workdps(REF_DPS):
        it, cl, sm = (
            ref_kick_iter(r, alpha, n),
            ref_kick_closed(r, alpha, n),
            ref_kick_sum(_mp(r), _mp(alpha), n),
        )
        assert abs(it - cl) <= mpmath.mpf(10) ** -35 * abs(it)
        assert abs(it - sm) <= mpmath.mpf(10) ** -50 * abs(it)


@pytest.mark.parametrize(
    ("r", "g", "beta", "n"),
    [
        (2.0, 1.5, 0.3, 30),
        (0.5, 2.0, 0.3, 30),
        (0.5 * (1 + 1e-15), 2.0, 0.7, 300),
        (1 / 3, 3.0, 1.0, 50),
        (0.3, 0.9, 0.0, 40),
    ],
)
def test_aug_references_agree(r, g, beta, n):
    with mpmath.workdps(REF_DPS):
        it, cl = ref_aug_iter(r, g, beta, n), ref_aug_closed(r, g, beta, n)
        sm = ref_aug_sum(_mp(r), _mp(g), _mp(beta), n)
        assert abs(it - cl) <= mpmath.mpf(10) ** -25 * abs(it)
        assert abs(it - sm) <= mpmath.mpf(10) ** -50 * abs(it)


# -- strategies ------------------------------------------------------------------------------
#: growth rates: mostly the report's range, sometimes far out in the domain (0, oo)
growth = st.one_of(
    st.floats(min_value=1e-2, max_value=1e2, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
NUDGES = [1e-15, -1e-15, 4e-16, -4e-16, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-3, -1e-3, 0.03, -0.03]
n_values = st.one_of(
    st.integers(min_value=1, max_value=600),
    st.sampled_from([1, 2, 3, 399, 400, 401, 1000, 10**4, 10**5, 10**7]),
)
c1_values = st.sampled_from([1.0, 3.5, 1e-3, 1e6])


def _near(draw, x):
    """A float on, next to, or within a small relative distance of ``x`` (> 0)."""
    how = draw(st.sampled_from(["equal", "nudge", "ulp"]))
    if how == "equal":
        return x
    if how == "nudge":
        y = x * (1 + draw(st.sampled_from(NUDGES)))
    else:
        y = float(np.nextafter(x, draw(st.sampled_from([0.0, math.inf]))))
    return y if y > 0 and math.isfinite(y) else x


@st.composite
def kick_points(draw, n=n_values):
    alpha = draw(st.one_of(unit, st.sampled_from([0.0, 0.5, 1.0])))
    r = _near(draw, alpha) if alpha > 0 and draw(st.booleans()) else draw(growth)
    return r, alpha, draw(n), draw(c1_values)


@st.composite
def aug_points(draw, n=n_values):
    beta = draw(st.one_of(unit, st.sampled_from([0.0, 1.0])))
    g = draw(st.one_of(growth, st.sampled_from([0.5, 2.0, 3.0, 4.0, 10.0])))
    r = _near(draw, 1.0 / g) if draw(st.booleans()) else draw(growth)
    return r, g, beta, draw(n), draw(c1_values)


# -- the benefit against the references ------------------------------------------------------
KICK_EXAMPLES = [
    # exact degenerate points r == alpha
    (0.7, 0.7, 50, 1.0),
    (1.0, 1.0, 1, 1.0),
    (0.3, 0.3, 1000, 2.0),
    (1.0, 1.0, 10**7, 1.0),
    (0.7, 0.7, 10**7, 1.0),
    # within 1e-15 relative of r == alpha
    (0.7 * (1 + 1e-15), 0.7, 50, 1.0),
    (0.7 * (1 - 1e-15), 0.7, 50, 1.0),
    (0.7 * (1 + 1e-15), 0.7, 10**7, 1.0),
    (0.7 * (1 - 1e-15), 0.7, 10**7, 1.0),
    (float(np.nextafter(1.0, 0.0)), 1.0, 10**7, 1.0),
    (float(np.nextafter(1.0, 2.0)), 1.0, 500, 1.0),
    # the failures of a naive lambdify (docs/architecture.md, "Where SymPy alone stops")
    (10.5, 1.0, 400, 1.0),
    (1 + 1e-9, 1.0, 50, 1.0),
    (1.0, 1.0, 50, 1.0),
    # n = 1 and n = 10**7
    (2.0, 0.5, 1, 1.0),
    (0.5, 1.0, 1, 1.0),
    (2.0, 0.5, 10**7, 1.0),
    (1 + 1e-9, 1.0, 10**7, 1.0),
    (0.9, 1.0, 10**7, 1.0),
    (0.999, 1.0, 10**5, 1.0),
    # alpha = 0
    (3.0, 0.0, 100, 1.0),
    (0.01, 0.0, 10**7, 1.0),
    (1.0, 0.0, 1, 1.0),
    # growing terms
    (0.5, 0.9, 400, 1.0),
    (0.5, 0.9, 401, 1.0),
    (0.01, 1.0, 160, 1.0),
    # subnormal parameters one ulp apart (in the domain; B_2 = 1 + alpha/r = 1.5)
    (float(np.nextafter(5e-324, 1.0)), 5e-324, 2, 1.0),
]


def _kick_benefit_check(pt):
    r, alpha, n, C1 = pt
    got = KICK.evaluate("benefit", r=r, alpha=alpha, n=n, C1=C1)
    assert_float_close(got, ref_kick(r, alpha, n, C1), where=f"r={r!r}, alpha={alpha!r}, n={n}")


def _aug_benefit_check(pt):
    r, g, beta, n, C1 = pt
    got = AUG.evaluate("benefit", r=r, g=g, beta=beta, n=n, C1=C1)
    assert_float_close(got, ref_aug(r, g, beta, n, C1), where=f"r={r!r}, g={g!r}, beta={beta!r}, n={n}")


def _with_examples(examples):
    def deco(f):
        for ex in reversed(examples):
            f = example(pt=ex)(f)
        return f

    return deco


@SETTINGS
@given(pt=kick_points())
@_with_examples(KICK_EXAMPLES)
def test_kickstarting_benefit_matches_mpmath(pt):
    _kick_benefit_check(pt)


AUG_EXAMPLES = [
    # g*r == 1 exactly
    (0.5, 2.0, 0.3, 50, 1.0),
    (0.25, 4.0, 0.7, 1000, 1.0),
    (0.5, 2.0, 0.3, 10**7, 1.0),
    (0.25, 4.0, 0.7, 10**7, 1.0),
    (0.5, 2.0, 0.0, 50, 1.0),
    (0.5, 2.0, 1.0, 50, 1.0),
    (0.25, 4.0, 1.0, 10**7, 1.0),
    (0.5, 2.0, 0.0, 10**7, 1.0),
    # within 1e-15 relative of g*r == 1
    (0.5 * (1 + 1e-15), 2.0, 0.3, 50, 1.0),
    (0.5 * (1 - 1e-15), 2.0, 0.3, 50, 1.0),
    (0.25 * (1 + 1e-15), 4.0, 0.7, 10**7, 1.0),
    (0.25 * (1 - 1e-15), 4.0, 0.7, 10**7, 1.0),
    (1 / 3, 3.0, 0.5, 100, 1.0),
    (1 / 3, 3.0, 0.5, 10**7, 1.0),
    (1 / 10, 10.0, 0.2, 10**7, 1.0),
    # n = 1
    (2.0, 1.5, 0.3, 1, 1.0),
    (0.5, 2.0, 0.3, 1, 1.0),
    (0.1, 0.1, 1.0, 1, 1.0),
    # beta = 0 and beta = 1
    (2.0, 1.5, 0.0, 100, 1.0),
    (2.0, 1.5, 1.0, 100, 1.0),
    (0.9, 1.0, 0.0, 100, 1.0),
    (0.9, 1.0, 1.0, 100, 1.0),
    (2.0, 1.5, 0.0, 10**7, 1.0),
    (2.0, 1.5, 1.0, 10**7, 1.0),
    # lam < 1: growing lam^(1-n), inside and beyond the float range
    (0.9, 1.0, 0.5, 400, 1.0),
    (0.9, 1.0, 0.5, 401, 1.0),
    (0.9, 1.0, 0.5, 10**7, 1.0),
    (1.001, 1.0, 0.5, 10**5, 1.0),
    # lam = g*r far below 1 with few iterations (float path): lam^(1-n) must keep its digits
    (0.03125, 0.01, 0.0, 2, 1.0),
    (0.01, 0.01, 0.5, 5, 1.0),
    (0.02, 0.05, 1.0, 3, 1.0),
    (0.6327329382367896, 1e-6, 0.0, 2, 1.0),
    (1e-6, 1e-6, 0.5, 2, 1.0),
    (0.01, 1e-6, 0.0, 2, 1.0),
]


@SETTINGS
@given(pt=aug_points())
@_with_examples(AUG_EXAMPLES)
def test_augmentation_benefit_matches_mpmath(pt):
    _aug_benefit_check(pt)


def _ids(points):
    return [",".join(repr(x) for x in pt) for pt in points]


@pytest.mark.parametrize("pt", KICK_EXAMPLES, ids=_ids(KICK_EXAMPLES))
def test_kickstarting_benefit_pinned(pt):
    """The pinned examples one by one (a failing @example stops Hypothesis at the first)."""
    _kick_benefit_check(pt)


@pytest.mark.parametrize("pt", AUG_EXAMPLES, ids=_ids(AUG_EXAMPLES))
def test_augmentation_benefit_pinned(pt):
    """The pinned examples one by one (a failing @example stops Hypothesis at the first)."""
    _aug_benefit_check(pt)


def test_known_naive_lambdify_failures_values():
    """docs/architecture.md: a naive lambdify gives nan at r == alpha and r=10.5, n=400; 2e-9 at r=1+1e-9."""
    got = KICK.evaluate("benefit", r=0.7, alpha=0.7, n=50)
    assert got == 50.0
    got = KICK.evaluate("benefit", r=10.5, alpha=1.0, n=400)
    assert abs(got - 10.5 / 9.5) <= TOL * (10.5 / 9.5)
    got = KICK.evaluate("benefit", r=1 + 1e-9, alpha=1.0, n=50)
    assert rel_error(got, ref_kick_iter(1 + 1e-9, 1.0, 50)) <= TOL


@pytest.mark.parametrize("n", [1, 2, 50, 10**7])
def test_degenerate_benefit_is_exact(n):
    """r == alpha: B_n = n; g*r == 1: B_n = 1 + beta (n - 1) (exactly representable here)."""
    assert KICK.evaluate("benefit", r=0.7, alpha=0.7, n=n) == float(n)
    assert AUG.evaluate("benefit", r=0.5, g=2.0, beta=0.25, n=n) == 1 + 0.25 * (n - 1)
    assert AUG.evaluate("benefit", r=0.25, g=4.0, beta=0.0, n=n) == 1.0


# -- the limit (n = inf) -----------------------------------------------------------------------
@SETTINGS
@given(pt=kick_points(n=st.just(math.inf)))
@example(pt=(0.7, 0.7, math.inf, 1.0))
@example(pt=(0.7 * (1 + 1e-15), 0.7, math.inf, 1.0))
@example(pt=(0.7 * (1 - 1e-15), 0.7, math.inf, 1.0))
@example(pt=(2.0, 0.0, math.inf, 1.0))
@example(pt=(4.2, 1.0, math.inf, 1.0))
@example(pt=(10.5, 1.0, math.inf, 1.0))
@example(pt=(0.5, 1.0, math.inf, 1.0))
def test_kickstarting_limit(pt):
    r, alpha, n, C1 = pt
    ref = ref_kick_limit(r, alpha)
    where = f"r={r!r}, alpha={alpha!r}"
    assert_float_close(KICK.evaluate("benefit", r=r, alpha=alpha, n=n, C1=C1), ref, where=where)
    assert_float_close(KICK.evaluate("limit", r=r, alpha=alpha), ref, where=where)
    assert_float_close(KICK.evaluate("limit", r=r, alpha=alpha, n=math.inf), ref, where=where)


@SETTINGS
@given(pt=aug_points(n=st.just(math.inf)))
@example(pt=(0.5, 2.0, 0.3, math.inf, 1.0))
@example(pt=(0.5, 2.0, 0.0, math.inf, 1.0))
@example(pt=(0.5 * (1 + 1e-15), 2.0, 0.0, math.inf, 1.0))
@example(pt=(0.5 * (1 - 1e-15), 2.0, 0.0, math.inf, 1.0))
@example(pt=(0.5 * (1 + 1e-15), 2.0, 0.3, math.inf, 1.0))
@example(pt=(2.0, 1.5, 1.0, math.inf, 1.0))
@example(pt=(1 / 3, 3.0, 0.5, math.inf, 1.0))
def test_augmentation_limit(pt):
    r, g, beta, n, C1 = pt
    ref = ref_aug_limit(r, g, beta)
    where = f"r={r!r}, g={g!r}, beta={beta!r}"
    assert_float_close(AUG.evaluate("benefit", r=r, g=g, beta=beta, n=n, C1=C1), ref, where=where)
    assert_float_close(AUG.evaluate("limit", r=r, g=g, beta=beta), ref, where=where)


def test_limit_values_stated():
    assert KICK.evaluate("limit", r=4.2, alpha=1.0) == pytest.approx(4.2 / 3.2, rel=TOL)
    assert KICK.evaluate("limit", r=0.7, alpha=0.7) == math.inf
    assert KICK.evaluate("limit", r=0.5, alpha=0.7) == math.inf
    assert KICK.evaluate("limit", r=0.5, alpha=0.0) == 1.0


def test_limit_rejects_finite_n():
    with pytest.raises(ValueError, match="'n'"):
        KICK.evaluate("limit", r=2.0, alpha=0.5, n=5)


# -- broadcasting -----------------------------------------------------------------------------------
def test_broadcast_grid_shape_and_values():
    r = np.array([0.5, 0.7, 2.0, 10.5])[:, None, None]
    alpha = np.array([0.0, 0.5, 0.7, 1.0])[None, :, None]
    n = np.array([1, 2, 50, 400, 10**7])
    out = KICK.evaluate("benefit", r=r, alpha=alpha, n=n)
    assert isinstance(out, np.ndarray)
    assert out.shape == (4, 4, 5)
    assert out.dtype == float
    for i, j, k in np.ndindex(out.shape):
        ri, aj, nk = float(r[i, 0, 0]), float(alpha[0, j, 0]), int(n[k])
        assert_float_close(float(out[i, j, k]), ref_kick(ri, aj, nk), where=f"r={ri}, alpha={aj}, n={nk}")


def test_broadcast_mixed_finite_and_infinite_n():
    n = np.array([1.0, 3.0, 400.0, math.inf])
    out = KICK.evaluate("benefit", r=np.array([[2.0], [0.5]]), alpha=0.5, n=n)
    assert out.shape == (2, 4)
    for i, r in enumerate([2.0, 0.5]):
        for k, nk in enumerate(n):
            ref = ref_kick_limit(r, 0.5) if nk == math.inf else ref_kick(r, 0.5, int(nk))
            assert_float_close(float(out[i, k]), ref, where=f"r={r}, n={nk}")


def test_broadcast_augmentation_grid():
    r = np.array([0.25, 0.5, 2.0])[:, None, None, None]
    g = np.array([2.0, 4.0])[None, :, None, None]
    beta = np.array([0.0, 0.5, 1.0])[None, None, :, None]
    n = np.array([1, 7, 10**7])
    out = AUG.evaluate("benefit", r=r, g=g, beta=beta, n=n)
    assert out.shape == (3, 2, 3, 3)
    for idx in np.ndindex(out.shape):
        pt = (float(r.flat[idx[0]]), float(g.flat[idx[1]]), float(beta.flat[idx[2]]), int(n[idx[3]]))
        assert_float_close(float(out[idx]), ref_aug(*pt), where=str(pt))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"r": 2.0, "alpha": 0.5, "n": 3},
        {"r": 2, "alpha": 0, "n": 3},
        {"r": np.float64(2.0), "alpha": 0.5, "n": np.int64(3)},
        {"r": 2.0, "alpha": 0.5, "n": math.inf},
        {"r": 0.7, "alpha": 0.7, "n": 10**7},
    ],
)
def test_scalar_in_float_out(kwargs):
    out = KICK.evaluate("benefit", **kwargs)
    assert type(out) is float
    assert out == pytest.approx(
        float(ref_kick(float(kwargs["r"]), float(kwargs["alpha"]), kwargs["n"])), rel=TOL
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"r": [2.0, 3.0], "alpha": 0.5, "n": 3},
        {"r": 2.0, "alpha": np.array([0.5]), "n": 3},
        {"r": 2.0, "alpha": 0.5, "n": [1, 2]},
    ],
)
def test_array_in_ndarray_out(kwargs):
    out = KICK.evaluate("benefit", **kwargs)
    assert isinstance(out, np.ndarray)
    assert out.shape == np.broadcast_shapes(*[np.shape(v) for v in kwargs.values()])
    assert np.all(out >= 1.0)


# -- arbitrary precision ------------------------------------------------------------------------------
DPS_POINTS_KICK = [
    (2.0, 0.5, 10),
    (0.7, 0.7, 50),
    (0.7 * (1 + 1e-15), 0.7, 50),
    (10.5, 1.0, 400),
    (1 + 1e-9, 1.0, 50),
    (0.5, 0.9, 300),
    (3.0, 0.0, 7),
    (2.0, 0.5, 1),
]


@pytest.mark.parametrize(("r", "alpha", "n"), DPS_POINTS_KICK)
def test_dps50_kickstarting(r, alpha, n):
    got = KICK.evaluate("benefit", dps=50, r=r, alpha=alpha, n=n)
    assert isinstance(got, mpmath.mpf)
    ref = ref_kick_iter(r, alpha, n)
    with mpmath.workdps(REF_DPS):
        assert abs(got - ref) <= mpmath.mpf(10) ** -45 * abs(ref), (got, ref)


DPS_POINTS_AUG = [
    (2.0, 1.5, 0.3, 10),
    (0.5, 2.0, 0.3, 50),
    (0.5 * (1 + 1e-15), 2.0, 0.7, 50),
    (1 / 3, 3.0, 0.5, 100),
    (0.9, 1.0, 0.0, 300),
    (2.0, 1.5, 1.0, 1),
    (1e-6, 1e-6, 0.5, 2),
]


@pytest.mark.parametrize(("r", "g", "beta", "n"), DPS_POINTS_AUG)
def test_dps50_augmentation(r, g, beta, n):
    got = AUG.evaluate("benefit", dps=50, r=r, g=g, beta=beta, n=n)
    assert isinstance(got, mpmath.mpf)
    ref = ref_aug_iter(r, g, beta, n)
    with mpmath.workdps(REF_DPS):
        assert abs(got - ref) <= mpmath.mpf(10) ** -45 * abs(ref), (got, ref)


@pytest.mark.parametrize(("r", "alpha"), [(2.0, 0.5), (0.7 * (1 + 1e-15), 0.7), (4.2, 1.0)])
def test_dps50_limit(r, alpha):
    got = KICK.evaluate("limit", dps=50, r=r, alpha=alpha)
    assert isinstance(got, mpmath.mpf)
    ref = ref_kick_limit(r, alpha)
    with mpmath.workdps(REF_DPS):
        assert abs(got - ref) <= mpmath.mpf(10) ** -45 * abs(ref), (got, ref)


def test_dps50_infinite_limit_and_array():
    assert mpmath.isinf(KICK.evaluate("limit", dps=50, r=0.7, alpha=0.7))
    out = KICK.evaluate("benefit", dps=50, r=2.0, alpha=0.5, n=[1, 10, 400])
    assert isinstance(out, np.ndarray)
    assert out.shape == (3,)
    for got, n in zip(out, [1, 10, 400], strict=True):
        assert isinstance(got, mpmath.mpf)
        ref = ref_kick_iter(2.0, 0.5, n)
        with mpmath.workdps(REF_DPS):
            assert abs(got - ref) <= mpmath.mpf(10) ** -45 * abs(ref)


@pytest.mark.parametrize("dps", [0, -5, 2.5])
def test_bad_dps(dps):
    with pytest.raises(ValueError, match="dps"):
        KICK.evaluate("benefit", dps=dps, r=2.0, alpha=0.5, n=3)


# -- sensitivities -----------------------------------------------------------------------------------
FD_H = mpmath.mpf(10) ** -20


def central_difference(f, x, scale):
    """(f(x+h) - f(x-h)) / 2h at REF_DPS digits, h = 1e-20 * scale.

    ``scale`` is the size on which f varies (r for alpha, since B depends on
    alpha/r; the parameter itself for r and g; 1 for beta). Used on the
    polynomial sum formulas (and the closed form away from its singular set):
    truncation ~h^2, rounding ~1e-60/1e-20 = 1e-40 relative.
    """
    with mpmath.workdps(REF_DPS):
        x = _mp(x)
        h = FD_H * _mp(scale)
        return (f(x + h) - f(x - h)) / (2 * h)


SENS_KICK = [
    (2.0, 0.5, 10),
    (0.7, 0.7, 10),
    (0.7, 0.7, 200),
    (0.7 * (1 + 1e-15), 0.7, 10),
    (0.7 * (1 - 1e-15), 0.7, 10),
    (0.7 * (1 + 1e-9), 0.7, 100),
    (1 + 1e-9, 1.0, 50),
    (0.7 * (1 + 1e-3), 0.7, 30),
    (0.7 * (1 + 0.05), 0.7, 30),
    (10.5, 1.0, 400),
    (0.5, 0.9, 60),
    (3.0, 0.0, 5),
    (2.0, 0.5, 1),
]


@pytest.mark.parametrize(("r", "alpha", "n"), SENS_KICK)
def test_kickstarting_sensitivity_alpha(r, alpha, n):
    got = KICK.evaluate("sensitivity", wrt="alpha", r=r, alpha=alpha, n=n)
    if n == 1:
        assert got == 0.0
        return
    with mpmath.workdps(REF_DPS):
        ref = central_difference(lambda a: ref_kick_sum(_mp(r), a, n), alpha, r)
    assert_float_close(got, ref, tol=SENS_TOL, where=f"r={r!r}, alpha={alpha!r}, n={n}")


@pytest.mark.parametrize(("r", "alpha", "n"), SENS_KICK)
def test_kickstarting_sensitivity_r(r, alpha, n):
    got = KICK.evaluate("sensitivity", wrt="r", r=r, alpha=alpha, n=n)
    with mpmath.workdps(REF_DPS):
        ref = central_difference(lambda x: ref_kick_sum(x, _mp(alpha), n), r, r)
    if ref == 0:
        assert got == 0.0
        return
    with mpmath.workdps(REF_DPS):
        err = abs(mpmath.mpf(got) - ref) / abs(ref)
    assert err <= SENS_TOL, f"r={r!r}, alpha={alpha!r}, n={n}: got {got!r}, ref {mpmath.nstr(ref, 20)}"


@pytest.mark.parametrize(("r", "n"), [(0.7, 10), (0.7, 200), (1.0, 50), (0.3, 2), (0.05, 1000), (1e-200, 7)])
def test_sensitivity_at_degenerate_point_formula(r, n):
    """At r == alpha, dB/dalpha = n(n-1)/(2r)."""
    got = KICK.evaluate("sensitivity", wrt="alpha", r=r, alpha=r, n=n)
    want = mpmath.mpf(n * (n - 1)) / (2 * _mp(r))
    assert_float_close(got, want, tol=TOL, where=f"r=alpha={r!r}, n={n}")


@pytest.mark.parametrize(
    ("r", "alpha"),
    [(2.0, 0.5), (4.2, 1.0), (0.7 * (1 + 1e-9), 0.7), (0.7 * (1 + 1e-15), 0.7), (3.0, 0.0), (10.5, 1.0)],
)
def test_limit_sensitivity(r, alpha):
    """d/dalpha r/(r-alpha) = r/(r-alpha)^2 and d/dr = -alpha/(r-alpha)^2 (n omitted or inf)."""
    with mpmath.workdps(REF_DPS):
        R, A = _mp(r), _mp(alpha)
        d_alpha = R / (R - A) ** 2
        d_r = -A / (R - A) ** 2
    for kw in ({}, {"n": math.inf}):
        assert_float_close(
            KICK.evaluate("sensitivity", wrt="alpha", r=r, alpha=alpha, **kw),
            d_alpha,
            where=f"r={r!r}, alpha={alpha!r}",
        )
        got = KICK.evaluate("sensitivity", wrt="r", r=r, alpha=alpha, **kw)
        if alpha == 0:
            assert got == 0.0
        else:
            assert_float_close(-got, -d_r, where=f"r={r!r}, alpha={alpha!r}")


@SETTINGS
@given(pt=kick_points(n=st.integers(min_value=2, max_value=300)))
@example(pt=(0.7, 0.7, 300, 1.0))
@example(pt=(0.7 * (1 + 1e-15), 0.7, 300, 1.0))
@example(pt=(1e-6, 0.5, 2, 1.0))  # dB_2/dalpha = 1/r exactly
def test_kickstarting_sensitivity_alpha_property(pt):
    r, alpha, n, _ = pt
    got = KICK.evaluate("sensitivity", wrt="alpha", r=r, alpha=alpha, n=n)
    with mpmath.workdps(REF_DPS):
        ref = central_difference(lambda a: ref_kick_sum(_mp(r), a, n), alpha, r)
    assert_float_close(got, ref, tol=SENS_TOL, where=f"r={r!r}, alpha={alpha!r}, n={n}")


SENS_AUG = [
    (2.0, 1.5, 0.3, 10),
    (0.5, 2.0, 0.3, 10),
    (0.25, 4.0, 0.7, 100),
    (0.5 * (1 + 1e-15), 2.0, 0.3, 10),
    (0.5 * (1 - 1e-12), 2.0, 0.3, 50),
    (1 / 3, 3.0, 0.5, 40),
    (0.9, 1.0, 0.0, 30),
    (2.0, 1.5, 1.0, 30),
]


@pytest.mark.parametrize("wrt", ["g", "beta", "r"])
@pytest.mark.parametrize(("r", "g", "beta", "n"), SENS_AUG)
def test_augmentation_sensitivity(wrt, r, g, beta, n):
    pt = {"r": r, "g": g, "beta": beta}
    got = AUG.evaluate("sensitivity", wrt=wrt, n=n, **pt)

    def f(x):
        args = {k: _mp(v) for k, v in pt.items()}
        args[wrt] = x
        return ref_aug_sum(args["r"], args["g"], args["beta"], n)

    with mpmath.workdps(REF_DPS):
        ref = central_difference(f, pt[wrt], 1.0 if wrt == "beta" else pt[wrt])
        if ref == 0:
            assert got == 0.0
            return
        err = abs(mpmath.mpf(got) - ref) / abs(ref)
    assert err <= SENS_TOL, (
        f"d/d{wrt} at {pt}, n={n}: got {got!r}, ref {mpmath.nstr(ref, 20)}, rel {float(err):.3g}"
    )


@pytest.mark.parametrize(("r", "alpha", "n"), [(2.0, 0.5, 5), (0.7, 0.7, 20)])
def test_elasticity_matches_definition(r, alpha, n):
    """(alpha / B) dB/dalpha, at a generic and at the degenerate point."""
    got = KICK.evaluate("elasticity", wrt="alpha", r=r, alpha=alpha, n=n)
    with mpmath.workdps(REF_DPS):
        d = central_difference(lambda a: ref_kick_sum(_mp(r), a, n), alpha, r)
        ref = _mp(alpha) * d / ref_kick_iter(r, alpha, n)
    assert_float_close(got, ref, tol=SENS_TOL, where=f"r={r}, alpha={alpha}, n={n}")


def test_closed_form_and_iterations_to():
    """A_n = C1 r^(n-1) B_n, and n* = log(1 - f) / log(alpha / r) for the kickstarting limit."""
    got = KICK.evaluate("closed-form", r=2.0, alpha=0.5, n=5, C1=3.0)
    assert got == pytest.approx(3.0 * 16 * float(ref_kick_iter(2.0, 0.5, 5)), rel=TOL)
    got = KICK.evaluate("iterations-to", r=2.0, alpha=0.5, fraction=0.99)
    assert got == pytest.approx(math.log(0.01) / math.log(0.25), rel=TOL)
    assert KICK.evaluate("iterations-to", r=0.7, alpha=0.7) == math.inf


# -- no warnings on degenerate grids ------------------------------------------------------------------
def ref_kick_dalpha(r, alpha, n):
    """dB_n/dalpha = S'(mu)/r with S'(mu) = ((1 - mu^n) - n mu^(n-1) (1 - mu)) / (1 - mu)^2.

    At mu = 1 (r == alpha exactly): n(n-1)/(2r).
    """
    with mpmath.workdps(REF_DPS):
        R, A = _mp(r), _mp(alpha)
        if float(r) == float(alpha):
            return mpmath.mpf(n * (n - 1)) / (2 * R)
        mu = A / R
        return ((1 - mu**n) - n * mu ** (n - 1) * (1 - mu)) / (1 - mu) ** 2 / R


def test_no_warning_on_degenerate_kickstarting_grid():
    r = np.array([0.5, 0.7, 1.0, 2.0, 10.5])[:, None, None]
    alpha = np.array([0.0, 0.5, 0.7, 1.0])[None, :, None]
    n = np.array([1, 2, 400, 10**7, math.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = KICK.evaluate("benefit", r=r, alpha=alpha, n=n)
        lim = KICK.evaluate("limit", r=r[..., 0], alpha=alpha[..., 0])
        sens = KICK.evaluate("sensitivity", wrt="alpha", r=r, alpha=alpha, n=n[:4])
        el = KICK.evaluate("elasticity", wrt="r", r=r, alpha=alpha, n=n[:4])
    assert b.shape == (5, 4, 5)
    assert lim.shape == (5, 4)
    assert sens.shape == el.shape == (5, 4, 4)
    # degenerate entries: r == alpha gives B_n = n and dB/dalpha = n(n-1)/(2r)
    for i, j in [(0, 1), (1, 2), (2, 3)]:
        rv = float(r[i, 0, 0])
        np.testing.assert_array_equal(b[i, j, :4], n[:4])
        assert b[i, j, 4] == math.inf
        np.testing.assert_allclose(sens[i, j], n[:4] * (n[:4] - 1) / (2 * rv), rtol=TOL)
    # alpha = 0: B_n = 1 everywhere, limit 1, elasticity wrt r 0
    np.testing.assert_array_equal(b[:, 0, :], 1.0)
    np.testing.assert_array_equal(lim[:, 0], 1.0)
    # (the elasticity is exactly 0 there; allow 1e-14 absolute, it is a dimensionless O(1) quantity)
    np.testing.assert_allclose(el[:, 0, :], 0.0, rtol=0, atol=1e-14)
    # every entry against the references (inf where the true value is beyond the float range)
    for i, j, k in np.ndindex(b.shape):
        rv, av, nv = float(r[i, 0, 0]), float(alpha[0, j, 0]), n[k]
        where = f"r={rv}, alpha={av}, n={nv}"
        nn = math.inf if nv == math.inf else int(nv)
        assert_float_close(float(b[i, j, k]), ref_kick(rv, av, nn), where=where)
        if k < 4:
            # (exactly 0 at n = 1 and at alpha = 0 for n = 1: allow 1e-14 absolute there)
            assert_float_close(
                float(sens[i, j, k]),
                ref_kick_dalpha(rv, av, int(nv)),
                tol=SENS_TOL,
                where=where,
                zero_atol=1e-14,
            )


def test_no_warning_on_degenerate_augmentation_grid():
    r = np.array([0.25, 0.5, 1 / 3, 2.0])[:, None, None, None]
    g = np.array([2.0, 3.0, 4.0])[None, :, None, None]
    beta = np.array([0.0, 0.5, 1.0])[None, None, :, None]
    n = np.array([1, 2, 400, 10**7, math.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = AUG.evaluate("benefit", r=r, g=g, beta=beta, n=n)
        sens = AUG.evaluate("sensitivity", wrt="g", r=r, g=g, beta=beta, n=n[:4])
    assert b.shape == (4, 3, 3, 5)
    assert sens.shape == (4, 3, 3, 4)
    # g*r == 1 exactly at (r=0.25, g=4) and (r=0.5, g=2): B_n = 1 + beta (n - 1)
    for i, j in [(0, 2), (1, 0)]:
        for k, bv in enumerate([0.0, 0.5, 1.0]):
            np.testing.assert_array_equal(b[i, j, k, :4], 1 + bv * (n[:4] - 1))
    for idx in np.ndindex(b.shape):
        rv, gv, bv, nv = float(r.flat[idx[0]]), float(g.flat[idx[1]]), float(beta.flat[idx[2]]), n[idx[3]]
        where = f"r={rv}, g={gv}, beta={bv}, n={nv}"
        nn = math.inf if nv == math.inf else int(nv)
        assert_float_close(float(b[idx]), ref_aug(rv, gv, bv, nn), where=where)
        if nn == math.inf:
            continue
        # d/dg by a central difference: of the sum formula (no singularity) up to n = 400,
        # of the closed form at n = 10**7 (its cancellation costs < 20 of the 60 digits here)
        if nn <= 400:
            f = lambda x, rv=rv, bv=bv, nn=nn: ref_aug_sum(_mp(rv), x, _mp(bv), nn)  # noqa: E731
        else:
            f = lambda x, rv=rv, bv=bv, nn=nn: _aug_closed_mp(_mp(rv), x, _mp(bv), nn)  # noqa: E731
        with mpmath.workdps(REF_DPS):
            ref = central_difference(f, gv, gv)
        # at n = 1 the benefit is the constant 1: the derivative is exactly 0, allow 1e-14 absolute
        assert_float_close(float(sens[idx]), ref, tol=SENS_TOL, where=where, zero_atol=1e-14)


def _aug_closed_mp(r, g, beta, n):
    """The generic closed form at mpf arguments (no case split: used off lam == 1 only)."""
    lam = g * r
    q = lam ** (1 - n)
    return q + beta * (1 - q) / (1 - 1 / lam)


# -- input validation ---------------------------------------------------------------------------------
GOOD_KICK = {"r": 2.0, "alpha": 0.5, "n": 5}
GOOD_AUG = {"r": 2.0, "g": 1.5, "beta": 0.5, "n": 5}


def _kick(**bad):
    return KICK.evaluate("benefit", **{**GOOD_KICK, **bad})


def _aug(**bad):
    return AUG.evaluate("benefit", **{**GOOD_AUG, **bad})


def test_reference_inputs_are_valid():
    assert _kick() == pytest.approx(float(ref_kick_iter(2.0, 0.5, 5)), rel=TOL)
    assert _aug() == pytest.approx(float(ref_aug_iter(2.0, 1.5, 0.5, 5)), rel=TOL)


@pytest.mark.parametrize(
    ("bad", "name"),
    [
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"r": 0}, "r"),
        ({"r": 0.0}, "r"),
        ({"r": -1}, "r"),
        ({"C1": 0.0}, "C1"),
        ({"alpha": [0.5, 1.5]}, "alpha"),
    ],
    ids=["alpha=1.5", "alpha=-0.1", "r=0", "r=0.0", "r=-1", "C1=0", "alpha-array-with-1.5"],
)
def test_out_of_domain_kickstarting(bad, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        _kick(**bad)


@pytest.mark.parametrize(
    ("bad", "name"),
    [
        ({"beta": -0.1}, "beta"),
        ({"beta": 1.5}, "beta"),
        ({"g": 0.0}, "g"),
        ({"g": -2.0}, "g"),
        ({"r": -1.0}, "r"),
    ],
    ids=["beta=-0.1", "beta=1.5", "g=0", "g=-2", "r=-1"],
)
def test_out_of_domain_augmentation(bad, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        _aug(**bad)


@pytest.mark.parametrize("name", ["alpha", "r", "C1", "n"])
def test_nan_rejected(name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        _kick(**{name: math.nan})


def test_nan_in_array_rejected():
    with pytest.raises(ValueError, match="'alpha'"):
        _kick(alpha=np.array([0.5, np.nan]))


@pytest.mark.parametrize(
    ("name", "value"),
    [("r", math.inf), ("r", -math.inf), ("alpha", math.inf), ("C1", math.inf), ("n", -math.inf)],
)
def test_inf_where_not_allowed(name, value):
    with pytest.raises(ValueError, match=f"'{name}'"):
        _kick(**{name: value})


def test_inf_g_rejected():
    with pytest.raises(ValueError, match="'g'"):
        _aug(g=math.inf)


@pytest.mark.parametrize(
    "value", ["abc", None, b"1", 1 + 2j, [0.5, "x"]], ids=["str", "None", "bytes", "complex", "mixed-list"]
)
@pytest.mark.parametrize("name", ["alpha", "r"])
def test_non_numeric_rejected(name, value):
    with pytest.raises(ValueError, match=f"'{name}'"):
        _kick(**{name: value})


@pytest.mark.parametrize("value", ["abc", None])
def test_non_numeric_n_rejected(value):
    with pytest.raises(ValueError, match="'n'"):
        _kick(n=value)


@pytest.mark.parametrize("value", [2.5, 1.0000001, [1, 2.5]], ids=["2.5", "1.0000001", "array"])
def test_non_integer_n_rejected(value):
    with pytest.raises(ValueError, match="'n'"):
        _kick(n=value)


@pytest.mark.parametrize("value", [0, -3, 0.0, np.array([1, 0])], ids=["0", "-3", "0.0", "array-with-0"])
def test_non_positive_n_rejected(value):
    with pytest.raises(ValueError, match="'n'"):
        _kick(n=value)


@pytest.mark.parametrize(
    "value",
    [np.int64(2**62), 2**62, np.array([1, 2**62], dtype=np.int64), 10**30],
    ids=["int64-2**62", "int-2**62", "int64-array", "int-10**30"],
)

def test_huge_integer_n_rejected(value):
    with pytest.raises(ValueError, match="'n'"):
        _kick(n=value)


def test_unknown_parameter_rejected():
    with pytest.raises(ValueError, match="gamma"):
        _kick(gamma=1.0)
    with pytest.raises(ValueError, match="alpha"):
        _aug(alpha=0.5)  # augmentation has no alpha


def test_missing_parameter_rejected():
    with pytest.raises(ValueError, match="'alpha'"):
        KICK.evaluate("benefit", r=2.0, n=5)


def test_sensitivity_unknown_wrt_rejected():
    with pytest.raises(ValueError, match="gamma"):
        KICK.evaluate("sensitivity", wrt="gamma", r=2.0, alpha=0.5, n=5)


@pytest.mark.parametrize("n", [2.5, 0, -1, True])
def test_iterate_rejects_bad_n(n):
    with pytest.raises(ValueError, match="'n'"):
        KICK.iterate(n, r=2.0, alpha=0.5)


@pytest.mark.parametrize("kwargs", [{"exact": False}, {"exact": True}, {"dps": 30}])
def test_iterate_rejects_out_of_domain(kwargs):
    with pytest.raises(ValueError, match="'alpha'"):
        KICK.iterate(5, r=2.0, alpha=1.5, **kwargs)


# -- direct iteration ---------------------------------------------------------------------------------
ITER_KICK = [(2.0, 0.5), (0.7, 0.7), (0.3, 0.9), (3.0, 0.0), (1 + 1e-9, 1.0), (10.5, 1.0)]
ITER_AUG = [(2.0, 1.5, 0.3), (0.5, 2.0, 0.3), (0.25, 4.0, 1.0), (0.9, 1.0, 0.0), (1 / 3, 3.0, 0.5)]


def _rel_close_exact(floats, exact, tol):
    assert len(floats) == len(exact)
    for k, (f, e) in enumerate(zip(floats, exact, strict=True)):
        e = mpmath.mpf(int(e.p)) / int(e.q)  # exact Rational
        assert abs(mpmath.mpf(float(f)) - e) <= tol * abs(e), f"term {k + 1}: {f!r} vs {e}"


@pytest.mark.parametrize(("r", "alpha"), ITER_KICK)
@pytest.mark.parametrize("metric", [None, "benefit"])
def test_iterate_float_equals_exact_kickstarting(r, alpha, metric):
    n = 15
    fl = KICK.iterate(n, r=r, alpha=alpha, C1=3.0, metric=metric)
    ex = KICK.iterate(n, r=r, alpha=alpha, C1=3.0, metric=metric, exact=True)
    assert isinstance(fl, np.ndarray)
    assert fl.shape == (n,)
    with mpmath.workdps(REF_DPS):
        _rel_close_exact(fl, ex, 1e-14)


@pytest.mark.parametrize(("r", "g", "beta"), ITER_AUG)
@pytest.mark.parametrize("metric", [None, "benefit", "real"])
def test_iterate_float_equals_exact_augmentation(r, g, beta, metric):
    n = 12
    fl = AUG.iterate(n, r=r, g=g, beta=beta, metric=metric)
    ex = AUG.iterate(n, r=r, g=g, beta=beta, metric=metric, exact=True)
    assert fl.shape == (n,)
    with mpmath.workdps(REF_DPS):
        _rel_close_exact(fl, ex, 1e-14)


def test_iterate_exact_kickstarting_values():
    """A_n for r=2, alpha=1/2, C1=1: 1, 5/2, 21/4, 85/8 (A_n = 2^(n-1) + A_{n-1}/2)."""
    import sympy as sp

    assert KICK.iterate(4, r=2, alpha=sp.Rational(1, 2), exact=True, sequence="A") == [
        1,
        sp.Rational(5, 2),
        sp.Rational(21, 4),
        sp.Rational(85, 8),
    ]


def _fraction_kick(r, alpha, n, C1=1):
    """Exact A_k and B_k = A_k / C_k, k = 1..n, in Fractions (floats converted exactly)."""
    from fractions import Fraction

    r, alpha, C = Fraction(r), Fraction(alpha), Fraction(C1)
    A = C
    seq, ben = [A], [A / C]
    for _ in range(2, n + 1):
        C = r * C
        A = C + alpha * A
        seq.append(A)
        ben.append(A / C)
    return seq, ben


@pytest.mark.parametrize(("r", "alpha"), [(1 + 1e-9, 1.0), (10.5, 1.0), (2.0, 0.5), (0.7, 0.7)])
def test_iterate_exact_is_exact(r, alpha):
    """exact=True must equal rational arithmetic on the exact binary values of the inputs."""
    import sympy as sp

    n = 10
    seq, ben = _fraction_kick(r, alpha, n)
    want_seq = [sp.Rational(x.numerator, x.denominator) for x in seq]
    want_ben = [sp.Rational(x.numerator, x.denominator) for x in ben]
    assert KICK.iterate(n, r=r, alpha=alpha, exact=True, sequence="A") == want_seq
    assert KICK.iterate(n, r=r, alpha=alpha, exact=True, metric="benefit") == want_ben


def test_iterate_mpmath_matches_reference():
    for n in (1, 7, 200):
        got = KICK.iterate(n, dps=REF_DPS, metric="benefit", r=0.7, alpha=0.7 * (1 - 1e-15))
        assert len(got) == n
        ref = ref_kick_iter(0.7, 0.7 * (1 - 1e-15), n)
        with mpmath.workdps(REF_DPS):
            assert abs(got[-1] - ref) <= mpmath.mpf(10) ** -50 * ref
        got = AUG.iterate(n, dps=REF_DPS, metric="benefit", r=1 / 3, g=3.0, beta=0.5)
        ref = ref_aug_iter(1 / 3, 3.0, 0.5, n)
        with mpmath.workdps(REF_DPS):
            assert abs(got[-1] - ref) <= mpmath.mpf(10) ** -50 * ref


def test_iterate_vectorized_kickstarting():
    r = np.array([0.5, 2.0, 10.5])[:, None]
    alpha = np.array([0.0, 0.5, 0.7, 1.0])[None, :]
    n = 9
    out = KICK.iterate(n, r=r, alpha=alpha, metric="benefit")
    assert out.shape == (3, 4, n)
    for i, j in np.ndindex(3, 4):
        one = KICK.iterate(n, r=float(r[i, 0]), alpha=float(alpha[0, j]), metric="benefit")
        np.testing.assert_allclose(out[i, j], one, rtol=1e-15, atol=0)
        with mpmath.workdps(REF_DPS):
            for k in range(n):
                ref = ref_kick_iter(float(r[i, 0]), float(alpha[0, j]), k + 1)
                assert abs(out[i, j, k] - ref) <= 1e-14 * ref
    seq = KICK.iterate(n, r=r, alpha=alpha, sequence="A")
    assert seq.shape == (3, 4, n)
    np.testing.assert_allclose(seq[..., 0], 1.0)


def test_iterate_vectorized_augmentation():
    g = np.array([1.5, 2.0])
    beta = np.array([[0.0], [0.5], [1.0]])
    out = AUG.iterate(6, r=0.5, g=g, beta=beta, metric="benefit")
    assert out.shape == (3, 2, 6)
    for i, j in np.ndindex(3, 2):
        for k in range(6):
            ref = ref_aug_iter(0.5, float(g[j]), float(beta[i, 0]), k + 1)
            assert abs(out[i, j, k] - float(ref)) <= 1e-14 * float(ref)


# -- cross-check -------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [KICK, AUG], ids=lambda m: m.name)
def test_cross_check(model):
    t = time.perf_counter()
    cc = sr.cross_check(model, samples=200, seed=0)
    assert isinstance(cc, sr.CrossCheck)
    assert cc.samples == 200
    assert cc.model == model.name
    assert cc.max_rel_error <= 1e-13, str(cc)
    assert set(cc.worst_point) >= {p.name for p in model.parameters} | {"n"}
    assert time.perf_counter() - t < 60


@pytest.mark.parametrize("name", ["kickstarting", "augmentation"])
def test_cross_check_closed_form_and_wide_sample(name):
    """The closed form A_n itself, over five decades of r and g, against mpmath iteration."""
    rep = sr.cross_check(sr.get_model(name), samples=150, seed=7, quantity="closed-form")
    assert rep.quantity == "closed-form"
    assert rep.max_rel_error <= 1e-13, str(rep)


def test_cross_check_rejects_unknown_quantity():
    with pytest.raises(ValueError, match="quantity"):
        sr.cross_check(KICK, samples=3, quantity="limit")


def test_evaluate_beyond_the_float_range_is_inf_and_below_it_zero():
    # B_n ~ (alpha/r)^n: about 10^1500 here, beyond floats
    assert KICK.evaluate("benefit", r=1e-5, alpha=1.0, n=300) == np.inf
    # augmentation with g*r >> 1 and beta = 0: B_n = (g r)^(1-n), about 10^-848
    assert AUG.evaluate("benefit", r=0.7127876151867897, g=8216.373273967012, beta=0.0, n=226) == 0.0


def test_dps_takes_exact_inputs_exactly():
    """A Fraction input is not rounded to the nearest float on the mpmath path."""
    from fractions import Fraction

    exact = KICK.iterate(10, r=Fraction(42, 10), alpha=1, exact=True, metric="benefit")[-1]
    got = KICK.evaluate("benefit", r=Fraction(42, 10), alpha=1, n=10, dps=40)
    with mpmath.workdps(50):
        want = mpmath.mpf(int(exact.p)) / int(exact.q)
        assert abs(got - want) <= mpmath.mpf(10) ** -38 * want
    # the float 4.2 is another number: the two differ from the 17th digit on
    floaty = KICK.evaluate("benefit", r=4.2, alpha=1, n=10, dps=40)
    assert abs(floaty - got) > mpmath.mpf(10) ** -20


def test_float_iteration_recovers_from_overflow():
    """r**n overflows floats by n = 600 at r = 4.2; the benefit stays 1.3125 (= 4.2/3.2)."""
    naive = KICK.iterate(600, r=4.2, alpha=1.0, metric="benefit", naive=True)
    assert np.isnan(naive[-1])
    seq = KICK.iterate(600, r=np.array([4.2, 1.5]), alpha=1.0, metric="benefit")
    assert seq.shape == (2, 600)
    assert np.all(np.isfinite(seq))
    np.testing.assert_allclose(seq[:, -1], [4.2 / 3.2, 3.0], rtol=1e-14)
    last = KICK.iterate(600, r=np.array([4.2, 1.5]), alpha=1.0, metric="benefit", last=True)
    np.testing.assert_allclose(last, seq[:, -1], rtol=0)


def test_mpmath_iteration_to_the_last_term_alone_is_the_last_of_the_whole():
    # the overflowed float points go to mpmath with last=True: only the term at n is computed there
    for kw in ({"metric": "benefit"}, {"sequence": "A"}, {"sequence": "C"}):
        whole = KICK.iterate(600, dps=30, r=4.2, alpha=0.75, **kw)
        last = KICK.iterate(600, dps=30, last=True, r=4.2, alpha=0.75, **kw)
        assert len(whole) == 600
        assert last == whole[-1:]
    assert float(KICK.iterate(3, dps=30, last=True, r=2, alpha=0.5, metric="benefit")[0]) == 1.3125


def test_terms_at_a_few_iterations_are_those_of_the_whole_iteration():
    from symrecycle.numeric.iterate import iterate, iterate_at

    m = sr.get_model("reuse-decay")
    vals = {"r": 1.5, "alpha": 0.5, "rho": 0.9}
    at = [40, 3, 41, 1]
    for kw in ({"metric": "benefit"}, {"sequence": "C"}, {}):  # {}: the adjusted compute A
        whole = iterate(m, 41, dps=30, **kw, **vals)
        assert iterate_at(m, at, 30, vals, **kw) == [whole[k - 1] for k in at]
    for bad in ([0], [], [2.5], [True]):
        with pytest.raises(ValueError, match="parameter 'at'"):
            iterate_at(m, bad, 30, vals)
    with pytest.raises(ValueError, match="parameter 'dps': got None"):
        iterate_at(m, at, None, vals)


# -- sums without a finite closed form ---------------------------------------------------------
def test_compiled_sums_against_closed_forms_and_mpmath():
    import sympy as sp

    from symrecycle.numeric.compile import CompiledSums, compile_expr

    x, k = sp.Symbol("x", positive=True), sp.Symbol("k", integer=True)
    geo = compile_expr(sp.Sum(x**k, (k, 0, sr.n)), (x, sr.n))
    assert isinstance(geo, CompiledSums)
    xs, ns = np.array([0.5, 0.999, 1.0, 1.5]), np.array([[1], [7], [200]])
    want = np.where(xs == 1, ns + 1, (1 - xs ** (ns + 1)) / (1 - np.where(xs == 1, 0.5, xs)))
    np.testing.assert_allclose(geo.floats({x: xs, sr.n: ns}), want, rtol=1e-13)
    # alternating terms cancel down to exp(-30) ~ 9e-14 of the largest term: the float sum has no
    # correct digit, so the point goes to mpmath
    alt = compile_expr(sp.Sum((-x) ** k / sp.factorial(k), (k, 0, sr.n)), (x, sr.n))
    got = float(alt.floats({x: np.asarray(30.0), sr.n: np.asarray(150.0)}))
    assert got == pytest.approx(math.exp(-30), rel=1e-13)
    with pytest.raises(ValueError, match="a sum of 1000001 terms, expected at most 1000000"):
        geo.floats({x: xs, sr.n: np.asarray(1e6)})
    with pytest.raises(ValueError, match="needs a finite n"):
        geo.floats({x: xs, sr.n: np.asarray(np.inf)})


def test_float_iteration_recomputes_points_through_subnormals():
    m = sr.get_model("reuse-decay")
    vals = {"r": 0.3, "alpha": 0.5, "rho": 0.97}  # C_n = 0.3^(n-1) is subnormal near n = 590
    ref = float(m.iterate(600, metric="benefit", dps=40, **vals)[-1])
    assert float(m.iterate(600, metric="benefit", last=True, **vals)) == pytest.approx(ref, rel=1e-14)
    naive = float(m.iterate(600, metric="benefit", last=True, naive=True, **vals))
    assert abs(naive / ref - 1) > 1e-12  # the plain float iteration lost digits there
    assert float(m.evaluate("benefit", n=600, **vals)) == pytest.approx(ref, rel=1e-14)


def test_a_model_iterated_again_at_another_precision_computes_at_that_precision():
    # the step functions are compiled once per model: each call still computes at its own precision
    # (a constant 1/3 in the step, read at the precision of the call)
    from fractions import Fraction

    from symrecycle.io.modelfile import model_from_dict

    m = model_from_dict({"name": "thirds", "parameters": {"c": "(0, oo)"}, "metric": {"benefit": "A[n]"},
                         "recurrence": {"initial": "c", "next": "A[n-1]/3 + 1"}})
    n, c = 30, Fraction(1, 2)
    x = c
    for _ in range(n - 1):
        x = x / 3 + 1
    errs = {}
    for dps in (15, 60, 15, 60):
        got = m.iterate(n, dps=dps, c=c)[-1]
        with mpmath.workdps(100):
            errs.setdefault(dps, []).append(abs(mpmath.mpf(got) - mpmath.mpf(x.numerator) / x.denominator))
    assert all(e < mpmath.mpf(10) ** -55 for e in errs[60])
    assert all(e > mpmath.mpf(10) ** -40 for e in errs[15])  # not the 60 digits of the other calls
