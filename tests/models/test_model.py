"""Models, the registry, parameters and their domains, and Result objects."""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symrecycle as sr
from symrecycle.core import sym as _sym
from symrecycle.core.params import STANDARD, Parameter
from symrecycle.models.model import Metric, Model, SequenceDef, seq

n = sr.n
R = sp.Rational
registry_module = importlib.import_module("symrecycle.io.registry")


# -- registry --------------------------------------------------------------------------------


def test_models_lists_both_sorted():
    names = sr.models()
    assert {"kickstarting", "augmentation"} <= set(names)
    assert names == sorted(names)


@pytest.mark.parametrize("bad", ["nosuch", "Kickstarting", "", 3, None])
def test_get_model_unknown_name_lists_known(bad):
    with pytest.raises(ValueError, match="unknown model") as info:
        sr.get_model(bad)
    message = str(info.value)
    assert repr(bad) in message
    assert "augmentation" in message
    assert "kickstarting" in message


@pytest.mark.parametrize("name", ["kickstarting", "augmentation"])
def test_get_model_returns_the_named_model(name):
    m = sr.get_model(name)
    assert isinstance(m, Model)
    assert m.name == name
    assert m.metrics[0].name == "benefit"
    assert len(repr(m)) <= 400
    assert name in repr(m)
    assert m._repr_latex_().startswith("$$")
    assert m._repr_latex_().endswith("$$")


def test_model_validates_its_definition():
    C = seq("C")
    s = {k: p.symbol for k, p in STANDARD.items()}
    ok_seq = SequenceDef("C", s["C1"], s["r"] * C[n - 1])
    metric = Metric("benefit", C[n])
    with pytest.raises(ValueError, match="adjusted"):
        Model("m", "", (STANDARD["r"], STANDARD["C1"]), (ok_seq,), (metric,))  # adjusted "A" missing
    with pytest.raises(ValueError, match="metric"):
        Model("m", "", (STANDARD["r"], STANDARD["C1"]), (ok_seq,), (), adjusted="C")
    stray = SequenceDef("C", s["C1"], sp.Symbol("zeta") * C[n - 1])
    with pytest.raises(ValueError, match="zeta"):
        Model("m", "", (STANDARD["r"], STANDARD["C1"]), (stray,), (metric,), adjusted="C")


# -- symbols ---------------------------------------------------------------------------------


def test_symbols_by_name(kick, aug):
    assert set(kick.symbols) == {"r", "alpha", "C1", "n"}
    assert set(aug.symbols) == {"r", "g", "beta", "C1", "n"}
    for m in (kick, aug):
        assert m.symbols["n"] is sr.n
        assert m.symbols["r"] is STANDARD["r"].symbol
        assert m.symbols["r"].is_positive
        assert m.closed_form().expr.free_symbols <= set(m.symbols.values())
    assert kick.symbols["alpha"].is_nonnegative
    assert kick.symbols["alpha"].is_positive is None
    assert aug.symbols["beta"].is_nonnegative
    assert sr.n.is_integer
    assert sr.n.is_positive


def test_parameter_lookup(kick):
    assert kick.parameter("alpha") is STANDARD["alpha"]
    with pytest.raises(ValueError, match="beta") as info:
        kick.parameter("beta")
    assert "alpha" in str(info.value)  # lists the model's parameters


# -- Results -----------------------------------------------------------------------------------


def _all_results(m):
    out = [
        ("closed_form", m.closed_form()),
        ("benefit", m.benefit()),
        ("limit", m.limit()),
        ("iterations_to", m.iterations_to(0.99)),
    ]
    for p in m.parameters:
        if p.name == "C1":
            continue
        out += [
            (f"sensitivity({p.name})", m.sensitivity(p.name)),
            (f"sensitivity({p.name}, n)", m.sensitivity(p.name, n=sr.n)),
            (f"elasticity({p.name})", m.elasticity(p.name)),
            (f"elasticity({p.name}, n)", m.elasticity(p.name, n=sr.n)),
            (f"breakeven({p.name})", m.breakeven(p.name)),
        ]
    return out


RESULT_IDS = [
    (name, label)
    for name in ("kickstarting", "augmentation")
    for label in ["closed_form", "benefit", "limit", "iterations_to"]
    + [
        f"{q}({p}{at})"
        for p in {"kickstarting": ["r", "alpha"], "augmentation": ["r", "g", "beta"]}[name]
        for q, at in [("sensitivity", ""), ("sensitivity", ", n"), ("elasticity", ""), ("elasticity", ", n"),
                      ("breakeven", "")]
    ]
] + [("augmentation", "benefit[real]")]


@pytest.fixture
def model_by_name(kick, aug):
    return {"kickstarting": kick, "augmentation": aug}


def _result(m, label):
    if label == "benefit[real]":
        return m.benefit("real")
    return dict(_all_results(m))[label]


@pytest.mark.parametrize(("name", "label"), RESULT_IDS, ids=[f"{a}-{b}" for a, b in RESULT_IDS])
def test_every_result_is_verified(model_by_name, name, label):
    res = _result(model_by_name[name], label)
    assert isinstance(res, sr.Result)
    assert res.model == name
    assert res.certificate, "a Result without a certificate"
    assert res.verified, "\n".join(res.certificate)


@pytest.mark.parametrize(("name", "label"), RESULT_IDS, ids=[f"{a}-{b}" for a, b in RESULT_IDS])
def test_result_display(model_by_name, name, label):
    res = _result(model_by_name[name], label)
    tex = res.latex()
    assert tex.startswith(res.label + " = ")
    body = res.latex(lhs=False)
    assert tex == f"{res.label} = {body}"
    cases = res.cases
    none = r"\text{no solution}" if res.quantity == "breakeven" else r"\text{undefined}"
    for value, cond in cases:  # every case's value (nan in words), and its condition where there are several
        assert (none if value is sp.nan else _sym.latex(value)) in body
        if len(cases) > 1:
            assert cond.latex() in body
    assert (len(cases) > 1) == body.startswith(r"\begin{cases}")
    assert r"\text{NaN}" not in body
    assert "~" not in res.text()
    assert r"\neg" not in body
    mark = r"\quad \checkmark\ \text{verified}" if res.verified else r"\quad \text{NOT verified: "
    assert res._repr_latex_().startswith(f"$${tex}{mark}")
    assert res.title().startswith(f"{res.model} {res.quantity}")
    text = repr(res)
    assert len(text) <= 400
    assert "\n" not in text
    assert name in text
    assert res.quantity in text
    assert f"verified={res.verified}" in text


@pytest.mark.parametrize(
    ("name", "get"),
    [
        ("kickstarting", lambda m: m.limit()),
        ("kickstarting", lambda m: m.benefit()),
        ("augmentation", lambda m: m.limit()),
        ("augmentation", lambda m: m.sensitivity("beta")),
    ],
)
def test_result_latex_has_fractions_and_cases(model_by_name, name, get):
    tex = get(model_by_name[name]).latex()
    assert "\\frac" in tex
    assert "\\begin{cases}" in tex


def test_result_to_dict_is_json_and_round_trips(kick):
    res = kick.limit()
    d = json.loads(json.dumps(res.to_dict()))
    assert {"model", "quantity", "expression", "text", "latex", "conditions", "cases", "verified",
            "certificate", "notes"} <= set(d)
    assert d["model"] == "kickstarting"
    assert d["quantity"] == "limit"
    assert d["verified"] is True
    assert sp.sympify(d["expression"]) == res.expr  # srepr keeps the assumptions
    assert d["latex"] == res.latex()
    assert len(d["cases"]) == 2
    assert d["cases"][1]["value"] == "oo"


def test_result_cases_are_exclusive(kick):
    s = kick.symbols
    (_, finite), (_, infinite) = kick.limit().cases
    for r, alpha in [(2, R(1, 2)), (R(1, 2), R(1, 2)), (R(1, 3), 1), (1, 0)]:
        pt = {s["r"]: r, s["alpha"]: alpha}
        assert bool(finite.expr.subs(pt)) != bool(infinite.expr.subs(pt))
        assert bool(infinite.expr.subs(pt)) == (alpha >= r)


def test_result_depends_on_n(kick, aug):
    assert kick.benefit().depends_on_n
    assert not kick.limit().depends_on_n
    assert not aug.breakeven("beta").depends_on_n


# -- domains ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("alpha", Fraction(3, 2)), ("alpha", -0.01), ("alpha", 2),
        ("beta", 1.0000001), ("beta", -1),
        ("r", 0), ("r", -1), ("r", math.inf), ("r", math.nan),
        ("g", 0.0), ("C1", 0), ("C1", -3),
        ("alpha", True), ("r", "2"), ("r", None), ("r", 1j), ("r", sp.oo),
    ],
)
def test_parameter_validate_rejects_outside_domain(name, value):
    p = STANDARD[name]
    with pytest.raises(ValueError, match=f"parameter '{name}'") as info:
        p.validate(value)
    assert p.domain_text in str(info.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("alpha", 0), ("alpha", 1), ("alpha", 0.5), ("beta", Fraction(1, 3)), ("beta", sp.Rational(1, 2)),
     ("r", 1e-300), ("r", 10**9), ("g", Fraction(1, 7)), ("C1", 2.5)],
)
def test_parameter_validate_accepts_domain_and_returns_value(name, value):
    assert STANDARD[name].validate(value) is value


def test_parameter_domains(kick):
    assert STANDARD["alpha"].domain_text == "[0, 1]"
    assert STANDARD["r"].domain_text == "(0, oo)"
    assert not STANDARD["r"].contains(0)
    assert STANDARD["alpha"].contains(0)
    pts = STANDARD["alpha"].interior_points()
    assert pts
    assert all(0 < p < 1 for p in pts)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "not an id"}, "identifier"),
        ({"name": "x", "lower": 0.5}, "int or Fraction"),
        ({"name": "x", "lower": 2, "upper": 1}, "exceeds"),
    ],
)
def test_parameter_rejects_bad_definition(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Parameter(**kwargs)


def test_iterate_exact_rejects_values_outside_the_domain(kick, aug):
    # the model knows the domains; iterating outside them gives numbers no Result applies to
    cases = [
        (kick, {"r": 2, "alpha": 2, "C1": 1}, "alpha"),
        (kick, {"r": -1, "alpha": R(1, 2), "C1": 1}, "r"),
        (aug, {"r": 2, "g": 2, "beta": R(3, 2), "C1": 1}, "beta"),
        (aug, {"r": 2, "g": 2, "beta": R(1, 2), "C1": 0}, "C1"),
    ]
    for model, values, bad in cases:
        with pytest.raises(ValueError, match=f"'{bad}'"):
            model.iterate_exact(values, 3)


def test_iterate_exact_rejects_unknown_parameter(kick):
    with pytest.raises(ValueError, match="beta"):
        kick.iterate_exact({"r": 2, "alpha": R(1, 2), "C1": 1, "beta": 1}, 3)


# -- public names --------------------------------------------------------------------------------------


def _modules_with_all():
    names = ["symrecycle"] + [m.name for m in pkgutil.walk_packages(sr.__path__, "symrecycle.")
                              if m.name != "symrecycle.__main__"]
    return [name for name in names if hasattr(importlib.import_module(name), "__all__")]


@pytest.mark.parametrize("module", _modules_with_all())
def test_all_names_resolve(module):
    mod = importlib.import_module(module)
    assert mod.__all__
    assert len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name


def test_package_exports_the_engine():
    for name in ["models", "get_model", "Recurrence", "ClosedForm", "Result", "Parameter", "n"]:
        assert name in sr.__all__
    assert sr.n is importlib.import_module("symrecycle.core.params").n
    assert isinstance(sr.__version__, str)


def test_register_adds_a_model():
    # kept last in this module: it clears get_model's cache
    C, A = seq("C"), seq("A")
    s = {k: p.symbol for k, p in STANDARD.items()}

    def toy():
        # kickstarting with alpha = 1: B_n = sum_{j<n} r^(-j) -> r/(r - 1) for r > 1
        return Model(
            "toy", "full re-use", (STANDARD["r"], STANDARD["C1"]),
            (SequenceDef("C", s["C1"], s["r"] * C[n - 1]), SequenceDef("A", C[1], C[n] + A[n - 1])),
            (Metric("benefit", A[n] / C[n]),),
        )

    sr.register("toy", toy)
    try:
        assert "toy" in sr.models()
        m = sr.get_model("toy")
        lim = m.limit()
        assert lim.verified
        r = m.symbols["r"]
        assert lim.expr.subs(r, 2) == 2
        assert lim.expr.subs(r, 1) == sp.oo
        assert lim.expr.subs(r, R(1, 2)) == sp.oo
    finally:
        registry_module._REGISTRY.pop("toy", None)
        sr.get_model.cache_clear()
    with pytest.raises(ValueError, match="toy"):
        sr.get_model("toy")


def test_an_unverified_result_says_so_where_it_is_shown():
    # a notebook shows _repr_latex_ before the repr: the mark and the failed check must be in it
    from symrecycle.core.results import Result

    bad = Result("k", "limit", sp.Integer(1), "L", verified=False,
                 certificate=("derived", "limit check FAILED at {r: 1/5}: value 1 & 50%_x"))
    assert bad.failed() == "limit check FAILED at {r: 1/5}: value 1 & 50%_x"
    shown = bad._repr_latex_()
    assert r"\text{NOT verified: limit check FAILED at r: 1/5 : value 1 50 x}" in shown
    good = Result("k", "limit", sp.Integer(1), "L", verified=True, certificate=("derived",))
    assert good.failed() is None
    assert good._repr_latex_() == r"$$L = 1\quad \checkmark\ \text{verified}$$"


def test_summary_names_what_each_result_is(model_by_name):
    aug = model_by_name["augmentation"]
    assert aug.sensitivity("g").title() == "augmentation sensitivity to g of the benefit, at the limit"
    assert aug.breakeven("beta").title() == "augmentation breakeven beta* where the benefit = 1"
    assert aug.closed_form().title() == "augmentation closed-form of A"


# -- exact checks: sums written out --------------------------------------------------------------------
_K, _J = sp.symbols("k j", integer=True)


@given(st.integers(-2, 6), st.integers(-3, 8), st.fractions(-3, 3, max_denominator=5),
       st.integers(0, 3), st.booleans())
@settings(max_examples=60)
def test_sums_written_out_are_what_doit_gives(lo, hi, q, power, nested):
    from symrecycle.models.checks import written_out

    # 0 to a negative power is undefined: there the two say nan or zoo, by the order they add in
    assume(q != 0 or lo >= 1)
    summand = sp.Rational(q.numerator, q.denominator) ** _K * _K ** power + 1
    if nested:  # an inner sum whose bound is the outer index
        summand = summand * sp.Sum(_J ** 2 - _K, (_J, 0, _K))
    s = sp.Sum(summand, (_K, lo, hi))
    got = written_out(s)
    if hi - lo < -1:  # reversed bounds: left to doit (whose own assertion fails on some of them)
        assert got == s
    else:
        if not nested or lo >= 0:  # (an inner sum from 0 to a negative k is reversed)
            assert not got.has(sp.Sum)
        assert got.doit() == s.doit()
    assert written_out(sp.Sum(_K * q, (_K, lo, _J))).has(sp.Sum)  # a symbolic bound stays a sum
    shadowed = sp.Sum(_K * sp.Sum(_K, (_K, 1, _J)), (_K, 1, 2))  # its summand binds k again
    assert written_out(shadowed) == shadowed
