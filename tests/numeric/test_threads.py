"""Numbers right under threads: concurrent calls at different precisions each get their own digits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import mpmath

import symrecycle as sr


def exact_benefit(r, alpha, n):
    """B_n = A_n / C_n of kickstarting by this test's own Fraction loop (C_1 = 1)."""
    c, a = Fraction(1), Fraction(1)
    for _ in range(2, n + 1):
        c *= r
        a = c + alpha * a
    return a / c


def test_iterate_and_evaluate_at_two_precisions_from_eight_threads():
    m = sr.get_model("kickstarting")
    r, alpha = Fraction(37, 10), Fraction(93, 100)
    exact = exact_benefit(r, alpha, 30)
    before = mpmath.mp.dps

    def job(dps):
        return [(dps, m.iterate(30, dps=dps, metric="benefit", r=r, alpha=alpha)[-1],
                 m.evaluate("benefit", n=30, dps=dps, r=r, alpha=alpha)) for _ in range(12)]

    with ThreadPoolExecutor(8) as pool:
        results = [x for part in pool.map(job, [100, 5] * 4) for x in part]
    assert mpmath.mp.dps == before
    with mpmath.workdps(150):
        ref = mpmath.mpf(exact.numerator) / exact.denominator
        for dps, it, ev in results:
            for got in (it, ev):
                assert abs(got - ref) <= ref * mpmath.mpf(10) ** -(dps - 1), (dps, got)
