"""The quantity request (validated once, dispatched once) and parameters' defaults."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import symrecycle as sr
from symrecycle.core.params import STANDARD, Parameter, as_array
from symrecycle.core.request import WITH_RESPECT_TO, Request
from symrecycle.core.results import QUANTITIES
from symrecycle.io.modelfile import loads_model

n = sr.n


@pytest.fixture(scope="module")
def kick():
    return sr.get_model("kickstarting")


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("quantity", QUANTITIES)
def test_every_quantity_is_a_request(quantity):
    wrt = "alpha" if quantity in WITH_RESPECT_TO else None
    assert Request.make(quantity.replace("-", "_"), wrt=wrt).quantity == quantity


@pytest.mark.parametrize("quantity", WITH_RESPECT_TO)
def test_the_wrt_rule_is_one_rule(quantity, kick):
    with pytest.raises(ValueError, match=rf"quantity '{quantity}' needs a parameter \(wrt\)"):
        Request.make(quantity)
    with pytest.raises(ValueError, match="needs a parameter"):
        kick.derive(quantity)
    with pytest.raises(ValueError, match="needs a parameter"):
        kick.evaluate(quantity, r=4.2, alpha=0.5)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"quantity": "size"}, "unknown quantity 'size'; known: closed-form"),
    ({"quantity": 3}, "quantity: got 3"),
    ({"quantity": "iterations-to", "fraction": 1}, r"fraction: got 1, expected a number in \(0, 1\)"),
    ({"quantity": "iterations-to", "fraction": float("nan")}, "fraction: got nan"),
    ({"quantity": "iterations-to", "fraction": True}, "fraction: got True"),
    ({"quantity": "limit", "n": "n"}, "n: got 'n'"),
    ({"quantity": "breakeven", "wrt": "alpha", "of": "top"}, "of: got 'top'"),
])
def test_bad_requests_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Request.make(**kwargs)


def test_check_names_the_model_parameter_and_metric(kick):
    with pytest.raises(ValueError, match="model 'kickstarting' has no parameter 'beta'"):
        Request.make("sensitivity", wrt="beta").check(kick)
    with pytest.raises(ValueError, match="model 'kickstarting' has no metric 'gain'"):
        Request.make("limit", metric="gain").check(kick)


# -- dispatch --------------------------------------------------------------------------------
def test_derive_dispatches_to_the_model(kick):
    assert Request.make("limit").derive(kick) is kick.limit()
    assert Request.make("benefit").derive(kick) is kick.benefit()
    assert Request.make("sensitivity", wrt="alpha", n=n).derive(kick) is kick.sensitivity("alpha", n=n)
    assert Request.make("breakeven", wrt="alpha").derive(kick) is kick.breakeven("alpha")
    limit_breakeven = kick.breakeven("alpha", of="limit")
    assert Request.make("breakeven", wrt="alpha", of="limit").derive(kick) is limit_breakeven


def test_the_pair_is_the_quantity_at_n_and_in_the_limit(kick):
    at_n, at_inf = Request.make("sensitivity", wrt="alpha").pair(kick)
    assert at_n() is kick.sensitivity("alpha", n=n)
    assert at_inf() is kick.sensitivity("alpha")
    req = Request.make("breakeven", wrt="alpha", level=Fraction(6, 5))
    assert (req.at(n).of, req.at(None).of) == ("benefit", "limit")
    assert req.pair(kick)[1]() is kick.breakeven("alpha", level=Fraction(6, 5), of="limit")
    assert Request.make("limit").pair(kick)[0] is None
    assert Request.make("closed-form").pair(kick)[1] is None


def test_derive_and_evaluate_agree_through_the_request(kick):
    """The same request gives the same number symbolically and numerically."""
    vals = {"r": 3, "alpha": Fraction(1, 2)}
    res = kick.derive("elasticity", wrt="alpha")
    want = float(sp.piecewise_fold(res.expr).subs({kick.symbols[k]: v for k, v in vals.items()}))
    got = kick.evaluate("elasticity", wrt="alpha", **{k: float(v) for k, v in vals.items()})
    assert got == pytest.approx(want, rel=1e-13)


# -- defaults and the array validator ---------------------------------------------------------
def test_c1_defaults_to_one_by_declaration(kick):
    assert STANDARD["C1"].default == 1
    assert [p.name for p in kick.parameters if p.default is not None] == ["C1"]
    assert kick.iterate(3, r=2.0, alpha=0.5, sequence="A").tolist() == [1.0, 2.5, 5.25]
    assert kick.evaluate("closed-form", r=2.0, alpha=0.5, n=3) == 5.25
    assert kick.evaluate("closed-form", r=2.0, alpha=0.5, n=3, C1=2.0) == 10.5


def test_a_default_is_checked_against_the_domain():
    with pytest.raises(ValueError, match=r"parameter 'x': default 2 outside \[0, 1\]"):
        Parameter("x", 0, 1, default=2)
    with pytest.raises(ValueError, match=r"default 0\.5 must be an int or Fraction"):
        Parameter("x", 0, 1, default=0.5)
    assert Parameter("x", 0, 1, default=Fraction(1, 2)).default == Fraction(1, 2)


MODEL = """
name = "scaled"
[parameters]
r = "(0, oo)"
s = {{ domain = "(0, oo)"{default} }}
[recurrence]
initial = "s"
next = "s*r**(n-1) + A[n-1]/2"
[metrics.benefit]
expr = "A[n] / (s*r**(n-1))"
"""


def test_a_model_file_declares_a_default():
    m = loads_model(MODEL.format(default=', default = "3"'))
    assert m.parameter("s").default == 3
    assert m.iterate(2, r=2.0, sequence="A").tolist() == [3.0, 7.5]
    with pytest.raises(ValueError, match=r"parameters\.s\.default: parameter 's': default -1 outside"):
        loads_model(MODEL.format(default=', default = "-1"'))
    with pytest.raises(ValueError, match="missing parameter 's'"):
        loads_model(MODEL.format(default="")).iterate(2, r=2.0)


C1_MODEL = """
name = "scaled"
[parameters]
r = "(0, oo)"
C1 = "{domain}"
[recurrence]
initial = "C1"
next = "C1*r**(n-1) + A[n-1]/2"
[metrics.benefit]
expr = "A[n] / (C1*r**(n-1))"
"""


def test_a_standard_name_of_the_same_domain_brings_its_default():
    assert loads_model(C1_MODEL.format(domain="(0, oo)")).parameter("C1").default == 1
    assert loads_model(C1_MODEL.format(domain="[1, oo)")).parameter("C1").default is None


def test_one_array_validator_for_every_path():
    p = STANDARD["alpha"]
    assert as_array("alpha", [0, 0.5, 1], p).tolist() == [0.0, 0.5, 1.0]
    assert p.validate_array(np.array([0.25])).tolist() == [0.25]
    for bad, match in ((1.5, "got 1.5, outside its domain"), ("0.5", "expected a number"),
                       (float("nan"), "got nan"), (np.array([1 + 1j]), "expected real numbers")):
        with pytest.raises(ValueError, match=match):
            as_array("alpha", bad, p)
    with pytest.raises(ValueError, match="expected a positive integer or inf"):
        as_array("n", [1, 2.5], integer=True, allow_inf=True)


def test_the_benefit_at_infinite_n_is_its_limit(kick):
    at_n, at_inf = Request.make("benefit").pair(kick)
    assert at_n() is kick.benefit()
    assert at_inf() is kick.limit()
    assert kick.evaluate("benefit", r=2.0, alpha=0.5, n=float("inf")) == pytest.approx(4 / 3, rel=1e-15)
    assert kick.evaluate("benefit", r=2.0, alpha=0.5, n=[3, float("inf")]).tolist() == pytest.approx(
        [1.3125, 4 / 3], rel=1e-15)
