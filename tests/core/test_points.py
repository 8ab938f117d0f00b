"""Sample points of a condition: exact points where it holds, the same for every caller."""

from __future__ import annotations

import sympy as sp

from symrecycle.core.conditions import holds_at
from symrecycle.core.params import STANDARD
from symrecycle.core.points import sample_points
from symrecycle.solve.asymptotics import limit_by_regime

PARAMS = [STANDARD[k] for k in ("r", "g", "beta")]
r, g, beta = (p.symbol for p in PARAMS)


def test_every_point_satisfies_the_condition_on_each_alternative():
    cond = (r >= 1) & (sp.Eq(beta, 0) | sp.Eq(g, 1)) & (sp.Eq(g, 1) | sp.Eq(g * r, 1))
    pts = sample_points(cond, PARAMS, 3)
    assert len(pts) == 3
    assert all(holds_at(cond, p) for p in pts)
    on_curve = sample_points(cond & sp.Ne(g, 1), PARAMS, 3)  # g r = 1 and beta = 0 there
    assert on_curve
    assert all(p[g] * p[r] == 1 and p[beta] == 0 and holds_at(cond, p) for p in on_curve)


def test_equalities_that_contradict_the_rest_have_no_point():
    assert sample_points(sp.Eq(g, 1) & sp.Eq(r, 1) & sp.Ne(g * r, 1), PARAMS) == []
    assert sample_points(sp.false, PARAMS) == []


def test_a_caller_changing_its_points_changes_no_one_elses():
    cond = (r > 1) & sp.Eq(beta, 0)
    first = sample_points(cond, PARAMS, 2)
    want = [dict(p) for p in first]
    first[0][r] = sp.Integer(-7)
    first.append({})
    assert sample_points(cond, PARAMS, 2) == want


def test_a_caller_changing_its_cases_of_a_limit_changes_no_one_elses():
    n = sp.Symbol("n", integer=True, positive=True)
    first = limit_by_regime(1 + r**n, PARAMS, n)
    want = list(first)
    first.clear()
    assert limit_by_regime(1 + r**n, PARAMS, n) == want == [(1, r < 1), (2, sp.Eq(r, 1)), (sp.oo, r > 1)]


def test_the_first_parameter_moves_too_when_there_are_many():
    # four parameters of six to eight grid values: 512 tuples in itertools.product's order kept r at
    # 1/5 and 4/5, and r > 1 had no point (its checks then said "no rational sample point")
    params = [STANDARD[k] for k in ("r", "g", "beta", "C1")]
    cond = (g > 1) & (r > 1) & sp.Ne(g * r, 1) & (beta * (g * r - 1) > 0)
    pts = sample_points(cond, params, 3)
    assert len(pts) == 3
    assert all(holds_at(cond, p) for p in pts)


def test_high_values_of_several_parameters_at_once_are_reached():
    # by the sum of indices alone, 512 tuples never reach g = 21/2 with r = 21/2 (four parameters)
    params = [STANDARD[k] for k in ("alpha", "beta", "r", "g")]
    cond = (g > 6) & (beta * r > 1)
    pts = sample_points(cond, params, 3)
    assert len(pts) == 3
    assert all(holds_at(cond, p) for p in pts)


def test_parameters_equal_but_for_their_symbols_get_points_in_their_own():
    # a Parameter compares by name and domain: the remembered points must not be another's
    from symrecycle.core.params import Parameter

    d1, d2 = sp.Dummy("mu", real=True), sp.Dummy("mu", real=True)
    p1, p2 = (Parameter("mu", 0, None, lower_open=True, symbol=d) for d in (d1, d2))
    assert p1 == p2
    for cond, p, d in ((d1 > 1, p1, d1), (d2 > 1, p2, d2), (sp.true, p2, d2), (sp.true, p1, d1)):
        pts = sample_points(cond, [p], 2)
        assert len(pts) == 2
        assert all(set(pt) == {d} for pt in pts)
