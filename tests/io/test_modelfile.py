"""User-defined models from TOML files, and the report's variants shipped as model files."""

from __future__ import annotations

import itertools
import textwrap
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symrecycle as sr
from symrecycle.io import modelfile as usermodels
from symrecycle.io.modelfile import (
    NoClosedForm,
    load_model,
    loads_model,
    parse_domain,
    variant_path,
    variants,
)
from symrecycle.models.model import Model

n = sr.n
R = sp.Rational

ISSUE_EXAMPLE = textwrap.dedent('''\
    name = "my-kickstarting"
    description = "kickstarting, restated"
    [parameters]
    r = { domain = "(0, oo)", description = "compute growth per iteration" }
    alpha = { domain = "[0, 1]", description = "re-use efficiency" }
    C1 = { domain = "(0, oo)", description = "first run's compute" }
    [recurrence]
    start = 1
    initial = "C1"                          # A[1]
    next = "C1*r**(n-1) + alpha*A[n-1]"     # A[n]
    [metric]
    benefit = "A[n] / (C1*r**(n-1))"
    ''')

SHIPPED = {
    "kickstarting", "augmentation", "kickstarting-effective", "kickstarting-lower-alpha",
    "kickstarting-augmentation", "reuse-decay", "endogenous-progress",
}
NUMERIC_ONLY = {"endogenous-progress"}


def same(a, b):
    """Equal after simplify, branch by branch for Piecewise."""
    if a == b:
        return True
    if isinstance(a, sp.Piecewise) or isinstance(b, sp.Piecewise):
        if not (isinstance(a, sp.Piecewise) and isinstance(b, sp.Piecewise)) or len(a.args) != len(b.args):
            return False
        return all(
            (va == vb or sp.simplify(va - vb) == 0)
            and (ca == cb or sp.simplify(sp.Equivalent(ca, cb)) is sp.true)
            for (va, ca), (vb, cb) in zip(a.args, b.args)
        )
    return sp.simplify(a - b) == 0


@pytest.fixture(scope="module")
def user_kick():
    return load_model(variant_path("kickstarting"))


@pytest.fixture(scope="module")
def user_aug():
    return load_model(variant_path("augmentation"))


@pytest.fixture(scope="module")
def shipped():
    return {name: load_model(path) for name, path in variants().items()}


def write(tmp_path, text, name="m.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


# -- the issue's format ------------------------------------------------------------------------


def test_issue_example_loads_and_derives(tmp_path, kick):
    m = load_model(write(tmp_path, ISSUE_EXAMPLE, "my.toml"))
    assert isinstance(m, Model)
    assert isinstance(m, Model)
    assert m.name == "my-kickstarting"
    assert m.description == "kickstarting, restated"
    assert [p.name for p in m.parameters] == ["r", "alpha", "C1"]
    assert m.parameter("alpha").domain_text == "[0, 1]"
    assert m.parameter("alpha").description == "re-use efficiency"
    assert [s.name for s in m.sequences] == ["A"]
    assert m.adjusted == "A"
    assert m.start == 1
    assert m.source == str(tmp_path / "my.toml")
    assert m.has_closed_form()
    assert same(m.limit().expr, kick.limit().expr)
    assert m.limit().verified


def test_sr_load_model_and_get_model_take_a_path(tmp_path):
    p = write(tmp_path, ISSUE_EXAMPLE, "my.toml")
    assert "load_model" in sr.__all__
    assert sr.load_model is load_model
    for arg in (str(p), p):
        m = sr.get_model(arg)
        assert isinstance(m, Model)
        assert m.name == "my-kickstarting"
    # a file without the .toml suffix, named by its path
    q = tmp_path / "model.txt"
    q.write_text(ISSUE_EXAMPLE)
    assert sr.get_model(str(q)).name == "my-kickstarting"


def test_get_model_rereads_an_edited_file(tmp_path):
    p = write(tmp_path, ISSUE_EXAMPLE, "my.toml")
    assert sr.get_model(str(p)).name == "my-kickstarting"
    p.write_text(ISSUE_EXAMPLE.replace("my-kickstarting", "edited"))
    assert sr.get_model(str(p)).name == "edited"


def test_get_model_registered_names_and_unknown_names(tmp_path, monkeypatch):
    assert sr.get_model("kickstarting") is sr.get_model("kickstarting")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kickstarting").write_text("not toml at all [")
    assert sr.get_model("kickstarting").name == "kickstarting"  # the registry wins over a stray file
    with pytest.raises(ValueError, match=r"unknown model 'nosuch'.*path of a \.toml model file"):
        sr.get_model("nosuch")
    with pytest.raises(ValueError, match=r"model file 'missing\.toml': no such file"):
        sr.get_model("missing.toml")


def test_several_sequences_metric_tables_and_defaults(tmp_path):
    m = load_model(write(tmp_path, '''
        [parameters]
        q = { domain = "(0, 1)" }
        k = "(0, oo)"
        [sequences.X]
        initial = "k"
        next = "q*X[n-1]"
        [sequences.Y]
        initial = "X[1]"
        next = "X[n] + Y[n-1]"
        description = "running total"
        [metrics.total]
        expr = "Y[n]"
        description = "the total"
        latex = "T_{n}"
        [metrics.share]
        expr = "X[n]/Y[n]"
        ''', "geometric.toml"))
    assert m.name == "geometric"  # default: the file name
    assert m.adjusted == "Y"  # default: the last sequence when there is no A
    assert [s.name for s in m.sequences] == ["X", "Y"]
    assert m.sequences[1].description == "running total"
    assert [x.name for x in m.metrics] == ["total", "share"]
    assert m.metric("total").latex == "T_{n}"
    q, k = m.symbols["q"], m.symbols["k"]
    assert q.is_positive
    assert m.parameter("q").domain_text == "(0, 1)"
    # the engine derives Y_n = k (1 - q^n)/(1 - q) and its limit k/(1 - q)
    lim = m.limit().expr
    assert sp.simplify(lim.subs({q: R(1, 3), k: 2}) - 3) == 0
    assert m.iterate(4, q=0.5, k=1.0, sequence="Y").tolist() == [1.0, 1.5, 1.75, 1.875]


def test_start_index_other_than_one(tmp_path):
    m = load_model(write(tmp_path, '''
        start = 3
        [parameters]
        r = "(0, oo)"
        [sequences.A]
        initial = "1"
        next = "r*A[n-1] + 1"
        [metric]
        benefit = "A[n]"
        '''))
    assert m.start == 3
    cf = m.closed_form().expr
    r = m.symbols["r"]
    assert isinstance(cf, sp.Piecewise)
    assert all(sp.simplify(v.subs(n, 3)) == 1 for v, _ in cf.args)  # every branch starts at A[3] = 1
    assert m.iterate_exact({"r": 2}, 3)["A"] == [1, 3, 7]
    assert sp.simplify(cf.subs({r: 2, n: 5}) - 7) == 0


def test_numbers_may_be_toml_numbers(tmp_path):
    m = load_model(write(tmp_path, '''
        [parameters]
        r = "(0, oo)"
        [recurrence]
        initial = 1
        next = "0.5*A[n-1] + r"
        [metric]
        benefit = "A[n]"
        '''))
    assert m.sequences[0].initial == 1
    assert m.sequences[0].next == R(1, 2) * sp.IndexedBase("A")[n - 1] + m.symbols["r"]


# -- restating the report's models reproduces the built-in results exactly ----------------------


@pytest.mark.parametrize("quantity", ["closed-form", "benefit", "limit", "iterations-to"])
def test_restated_kickstarting_reproduces_builtin(user_kick, kick, quantity):
    mine, builtin = user_kick.derive(quantity), kick.derive(quantity)
    assert same(mine.expr, builtin.expr)
    assert mine.verified == builtin.verified


@pytest.mark.parametrize("quantity", ["sensitivity", "elasticity", "breakeven"])
@pytest.mark.parametrize("wrt", ["alpha", "r"])
def test_restated_kickstarting_calculus_matches(user_kick, kick, quantity, wrt):
    assert same(user_kick.derive(quantity, wrt=wrt).expr, kick.derive(quantity, wrt=wrt).expr)


def test_restated_kickstarting_has_the_same_parameters_and_numbers(user_kick, kick):
    for mine, builtin in zip(user_kick.parameters, kick.parameters):
        assert mine == builtin  # name, domain and description
        assert mine.symbol == builtin.symbol  # same name and assumptions
    pts = {"r": np.array([1.3, 4.2, 10.5]), "alpha": np.array([0.5, 0.9, 1.0])}
    np.testing.assert_array_equal(user_kick.evaluate("limit", **pts), kick.evaluate("limit", **pts))
    # the file writes C_n as C1*r**(n-1), a power where the built-in multiplies by r each step:
    # the same numbers up to a few roundings
    np.testing.assert_allclose(user_kick.iterate(30, metric="benefit", **pts),
                               kick.iterate(30, metric="benefit", **pts), rtol=1e-14)
    assert user_kick.iterate(8, exact=True, metric="benefit", r=R(21, 5), alpha=R(9, 10)) == \
        kick.iterate(8, exact=True, metric="benefit", r=R(21, 5), alpha=R(9, 10))
    check = sr.cross_check(user_kick, samples=30, seed=1)
    assert check.max_rel_error < 1e-10  # float evaluation against 40-digit mpmath iteration


@pytest.mark.parametrize("quantity", ["closed-form", "benefit", "limit"])
@pytest.mark.parametrize("metric", ["benefit", "real"])
def test_restated_augmentation_reproduces_builtin(user_aug, aug, quantity, metric):
    mine, builtin = user_aug.derive(quantity, metric=metric), aug.derive(quantity, metric=metric)
    assert same(mine.expr, builtin.expr)
    assert mine.verified == builtin.verified


def test_restated_augmentation_has_the_same_definition(user_aug, aug):
    assert [s.name for s in user_aug.sequences] == [s.name for s in aug.sequences]
    for mine, builtin in zip(user_aug.sequences, aug.sequences):
        assert mine.initial == builtin.initial
        assert mine.next == builtin.next
    assert [m.expr for m in user_aug.metrics] == [m.expr for m in aug.metrics]
    assert [p.name for p in user_aug.parameters] == [p.name for p in aug.parameters]


# -- the shipped variants --------------------------------------------------------------------


def test_every_shipped_variant_loads(shipped):
    assert set(shipped) == SHIPPED
    for name, m in shipped.items():
        assert m.metrics[0].name == "benefit"
        assert m.description
        assert m.has_closed_form() == (name not in NUMERIC_ONLY), name
        assert Path(m.source).name == f"{name}.toml"
    with pytest.raises(ValueError, match=r"unknown model file 'nosuch'; shipped: augmentation"):
        variant_path("nosuch")


def _points(model, extra=()):
    """Exact points on the domains: a small grid plus degenerate ones."""
    grid = {"r": [R(1, 2), R(3, 2), 4], "g": [1, R(3, 2)], "alpha": [0, R(1, 2), 1],
            "beta": [0, R(1, 2), 1], "C1": [1]}
    names = [p.name for p in model.parameters]
    pts = [dict(zip(names, vals)) for vals in itertools.product(*(grid[k] for k in names))]
    return pts + list(extra)


def _value(model, expr, pt, k=None):
    e = expr.subs({model.symbols[a]: v for a, v in pt.items()})
    return sp.simplify(e if k is None else e.subs(n, k))


def test_algorithmic_progress_readings_side_by_side(shipped):
    """The report's two readings give the same benefit: r g / (r g - alpha) in the limit."""
    eff, low = shipped["kickstarting-effective"], shipped["kickstarting-lower-alpha"]
    assert [p.name for p in eff.parameters] == [p.name for p in low.parameters]
    degenerate = [{"r": R(1, 2), "g": 1, "alpha": R(1, 2), "C1": 1},
                  {"r": R(1, 3), "g": 3, "alpha": 1, "C1": 1}]  # alpha = r g
    for pt in _points(eff, degenerate):
        for k in (1, 2, 5):
            assert _value(eff, eff.benefit().expr, pt, k) == _value(low, low.benefit().expr, pt, k)
        assert _value(eff, eff.limit().expr, pt) == _value(low, low.limit().expr, pt)
    r, g, alpha = (eff.symbols[k] for k in ("r", "g", "alpha"))
    generic = sp.piecewise_fold(eff.limit().expr).args[0][0]
    assert sp.simplify(generic - r * g / (r * g - alpha)) == 0
    # the report's Figure 3 case: alpha = 0.9, effective compute growing 3.8x: under 1.5
    assert eff.evaluate("limit", r=3.8, g=1.0, alpha=0.9) < 1.5


def test_combined_model_nests_augmentation_and_effective_kickstarting(shipped, aug):
    both = shipped["kickstarting-augmentation"]
    eff = shipped["kickstarting-effective"]
    alpha, beta = both.symbols["alpha"], both.symbols["beta"]
    degenerate = [{"r": R(1, 2), "g": 2, "alpha": 1, "beta": R(1, 2), "C1": 1}]  # g r = 1 = alpha
    for pt in _points(both, degenerate):
        for k in (1, 2, 5):
            if pt["alpha"] == 1:  # alpha = 1 is the report's augmentation
                for met in ("benefit", "real"):
                    rest = {a: v for a, v in pt.items() if a != "alpha"}
                    want = _value(aug, aug.benefit(met).expr, rest, k)
                    assert _value(both, both.benefit(met).expr, pt, k) == want
            if pt["beta"] == 1 and pt["g"] >= 1:  # beta = 1 is kickstarting with effective compute
                want = _value(eff, eff.benefit().expr, {a: v for a, v in pt.items() if a != "beta"}, k)
                assert _value(both, both.benefit().expr, pt, k) == want
    assert both.limit().verified
    g, r = both.symbols["g"], both.symbols["r"]
    generic = [v for v, c in both.limit().expr.args if c == (alpha < g * r)]
    assert len(generic) == 1
    assert sp.simplify(generic[0] - beta * g * r / (g * r - alpha)) == 0
    assert _value(both, both.limit().expr.subs(alpha, 1), {"r": 2, "g": 2, "beta": R(1, 2), "C1": 1}) == \
        _value(aug, aug.limit().expr, {"r": 2, "g": 2, "beta": R(1, 2), "C1": 1})


QUANTITY_CALLS = [
    ("closed_form", lambda m: m.closed_form()),
    ("benefit", lambda m: m.benefit()),
    ("sensitivity", lambda m: m.sensitivity("alpha", n=sr.n)),
    ("elasticity", lambda m: m.elasticity("alpha", n=sr.n)),
    ("breakeven", lambda m: m.breakeven("alpha")),
    ("derive", lambda m: m.derive("closed-form")),
]


@pytest.mark.parametrize("name", sorted(NUMERIC_ONLY))
@pytest.mark.parametrize(("what", "call"), QUANTITY_CALLS)
def test_coupled_models_refuse_symbolic_methods_clearly(shipped, name, what, call):
    m = shipped[name]
    start = time.perf_counter()
    with pytest.raises(NotImplementedError) as info:
        call(m)
    assert time.perf_counter() - start < 5
    assert isinstance(info.value, NoClosedForm)
    message = str(info.value)
    assert f"model {name!r}: no closed form is derived for this model" in message
    assert "Numeric iteration is available" in message
    assert "a coupled system" in message
    assert m.closed_form_problem() == message


@pytest.mark.parametrize("name", sorted(NUMERIC_ONLY))
def test_coupled_models_derive_what_goes_through_their_map(shipped, name):
    m = shipped[name]  # the limit and what is derived from it: through the benefit's map of itself
    for res in (m.limit(), m.sensitivity("alpha"), m.elasticity("alpha"), m.derive("limit"),
                m.breakeven("alpha", level=R(6, 5), of="limit")):
        assert res.verified, res.quantity
    with pytest.raises(sr.NotDerived, match=r"nonlinear map.*rate of approach F'\(x\*\)"):
        m.iterations_to(0.9)
    # the metric at n: by direct iteration, n = inf its limit
    at = {"r": 4.2, "alpha": 0.5, "g": 1.5, "theta": 0.5}
    got = m.evaluate("benefit", n=np.array([1, 5, np.inf]), **at)
    assert got.tolist() == [1.0, m.iterate(5, last=True, **at), m.evaluate("limit", **at)]


def test_reuse_decay_iterates_and_reduces_to_kickstarting(shipped, kick):
    m = shipped["reuse-decay"]
    # rho = 1: kickstarting, exactly
    for r, alpha in [(R(21, 5), R(1, 2)), (R(3, 2), 1), (R(1, 2), R(1, 2))]:
        got = m.iterate(6, exact=True, metric="benefit", r=r, alpha=alpha, rho=1)
        want = [_value(kick, kick.benefit().expr, {"r": r, "alpha": alpha, "C1": 1}, k) for k in range(1, 7)]
        assert got == want
    # the efficiency sequence is alpha rho^(n-1)
    eff = m.iterate(5, exact=True, metric="efficiency", r=2, alpha=R(1, 2), rho=R(1, 3))
    assert eff == [R(1, 2) * R(1, 3) ** k for k in range(5)]
    # floats, mpmath and exact agree
    vals = {"r": R(3, 2), "alpha": R(9, 10), "rho": R(4, 5)}
    exact = m.iterate(12, exact=True, metric="benefit", **vals)
    floats = m.iterate(12, metric="benefit", **{k: float(v) for k, v in vals.items()})
    mp = m.iterate(12, dps=30, metric="benefit", **vals)
    np.testing.assert_allclose(floats, [float(x) for x in exact], rtol=1e-13)  # a few roundings per step
    assert all(abs(float(a) - float(b)) < 1e-25 for a, b in zip(mp, exact))


def test_reuse_decay_closed_form_is_a_certified_sum(shipped):
    m = shipped["reuse-decay"]
    syms = m.symbols
    r, alpha, rho, C1 = (syms[k] for k in ("r", "alpha", "rho", "C1"))
    cf = m.closed_form()
    assert cf.verified
    assert isinstance(cf.expr, sp.Sum)
    k = cf.expr.limits[0][0]
    assert cf.expr.limits[0][1:] == (1, n)
    # the unrolled sum: sum_k C1 r^(k-1) prod_{j=k+1}^{n} alpha rho^(j-1)
    want = C1 * r ** (k - 1) * alpha ** (n - k) * rho ** ((n * (n - 1) - k * (k - 1)) / 2)
    assert sp.simplify(cf.expr.function - want) == 0
    assert any("P(n,k) = a(n) P(n-1,k)" in line and "(ok)" in line for line in cf.certificate)
    vals = {"r": R(3, 2), "alpha": R(9, 10), "rho": R(4, 5), "C1": 2}
    exact = m.iterate_exact(vals, 7)["A"]
    at = {syms[a]: v for a, v in vals.items()}
    assert [cf.expr.subs(at).subs(n, j).doit() for j in range(1, 8)] == exact
    b = m.benefit()
    assert b.verified
    assert not b.expr.has(C1)
    # floats from the sum against the iteration, at n up to 600
    grid = {"r": np.array([[0.3], [1.3], [4.2]]), "alpha": np.array([0.0, 0.5, 1.0]), "rho": 0.97}
    got = m.evaluate("benefit", n=600, **grid)
    np.testing.assert_allclose(got, m.iterate(600, metric="benefit", last=True, **grid), rtol=1e-13)


def test_reuse_decay_limit_from_the_metric_recurrence(shipped, kick):
    m = shipped["reuse-decay"]
    r, alpha, rho = (m.symbols[k] for k in ("r", "alpha", "rho"))
    lim = m.limit()
    assert lim.verified
    assert any("q_n = alpha*rho**(n - 1)/r, h_n = 1" in line for line in lim.certificate)
    cases = dict(lim.expr.args)
    assert set(cases) == {1, r / (r - alpha), sp.oo}
    at = {r: R(3), alpha: R(1, 2)}
    assert lim.expr.subs({**at, rho: R(9, 10)}) == 1  # any decay: the benefit fades
    assert lim.expr.subs({**at, rho: 1}) == kick.limit().expr.subs(at) == R(6, 5)
    assert lim.expr.subs({r: R(1, 2), alpha: 1, rho: 1}) == sp.oo
    assert m.evaluate("limit", r=3.0, alpha=0.5, rho=np.array([0.5, 1.0])) == pytest.approx([1, 1.2])
    # derivatives: none across the jump at rho = 1 (unless alpha = 0), the kickstarting one at alpha
    d = m.sensitivity("rho").expr
    assert d.subs({**at, rho: 1}) is sp.nan
    assert d.subs({r: 3, alpha: 0, rho: 1}) == 0
    assert d.subs({**at, rho: R(1, 2)}) == 0
    da = m.sensitivity("alpha").expr.subs({**at, rho: 1})
    assert da == kick.sensitivity("alpha").expr.subs(at)
    # at finite n: the sum differentiated term by term, finite at alpha = 0
    dn = m.evaluate("sensitivity", wrt="alpha", n=[1, 2, 10], r=2.0, alpha=0.0, rho=0.5)
    np.testing.assert_allclose(dn, [0, 0.5 / 2, 0.5**9 / 2], rtol=1e-15)
    for call in (lambda: m.breakeven("alpha"), lambda: m.iterations_to(0.9)):
        with pytest.raises(sr.NotDerived, match=r"model 'reuse-decay': .* sum without a closed form"):
            call()
    assert m.breakeven("alpha", of="limit").verified


def test_variable_coefficients_in_user_models():
    def toy(nxt):
        return loads_model(f'name = "toy"\n[parameters]\nr = "(0, oo)"\n[recurrence]\ninitial = "1"\n'
                           f'next = "{nxt}"\n[metric]\nbenefit = "A[n]"\n')

    m = toy("1 + A[n-1]/(r*n)")  # sum of r^(k-n) (k+1)...n: stays a Sum
    assert m.closed_form().verified
    assert m.closed_form().expr.has(sp.Sum)
    got = m.evaluate("benefit", n=np.arange(1, 40), r=0.5)
    np.testing.assert_allclose(got, m.iterate(39, r=0.5), rtol=1e-13)
    assert m.limit().expr == 1  # q_n = 1/(r n) -> 0, h_n = 1
    assert m.limit().verified
    poly = toy("n + A[n-1]")  # SymPy sums it: n(n+1)/2, certified by its residual
    assert poly.closed_form().expr == n * (n + 1) / 2
    assert poly.closed_form().verified
    assert poly.limit().expr == sp.oo
    slow = toy("r**n + n*A[n-1]/(n+1)")  # q_n -> 1 from below: no rule applies, said so
    with pytest.raises(sr.NotDerived, match="q_n -> 1 without q_n = 1"):
        slow.limit()


def test_reuse_decay_is_bounded_by_kickstarting_and_decays_to_one(shipped, kick):
    m = shipped["reuse-decay"]
    r, alpha = np.array([1.3, 4.2, 10.5, 1.3]), np.array([0.9, 0.9, 1.0, 1.0])
    bound = kick.iterate(250, metric="benefit", r=r, alpha=alpha)  # 10.5**250 still fits a float
    previous = np.ones_like(bound)
    for rho in (0.5, 0.9, 0.99):
        b = m.iterate(250, metric="benefit", r=r, alpha=alpha, rho=rho)
        assert np.all(np.isfinite(b))
        assert np.all(b <= bound * (1 + 1e-12))
        assert np.all(b >= previous * (1 - 1e-12))  # a slower decay keeps more of the benefit
        previous = b
        if rho <= 0.9:  # alpha_n = alpha rho^(n-1) <= 0.9**249 ~ 4e-12: the benefit has faded
            np.testing.assert_allclose(b[..., -1], 1, rtol=1e-10)
    assert np.all(previous[..., -1] > 1 + 1e-3)  # rho = 0.99: not yet


def test_endogenous_progress_at_theta_zero_is_the_effective_reading(shipped):
    m, eff = shipped["endogenous-progress"], shipped["kickstarting-effective"]
    vals = {"r": R(21, 5), "g": R(5, 2), "alpha": R(9, 10)}
    got = m.iterate(8, exact=True, metric="benefit", theta=0, **vals)
    want = [_value(eff, eff.benefit().expr, {**vals, "C1": 1}, k) for k in range(1, 9)]
    assert got == want
    # and the gain over a world without recycling equals the benefit there
    assert m.iterate(8, exact=True, metric="gain", theta=0, **vals) == want


def test_endogenous_progress_bound_and_unbounded_gain(shipped):
    m, eff = shipped["endogenous-progress"], shipped["kickstarting-effective"]
    r, g, alpha = 1.3, 1.5, 0.9
    limit_exogenous = eff.evaluate("limit", r=r, g=g, alpha=alpha)
    for theta in (0.25, 0.5, 1.0):
        b = m.iterate(150, metric="benefit", r=r, g=g, alpha=alpha, theta=theta)
        assert np.all(b >= 1)
        assert np.all(b <= limit_exogenous * (1 + 1e-12))  # the exogenous limit bounds it
        gain = m.iterate(150, metric="gain", r=r, g=g, alpha=alpha, theta=theta)
        assert np.all(np.diff(gain) > 0)
        assert gain[-1] > 1e3  # progress compounds the bounded benefit
    # theta = 1: B_n = 1 + alpha/(r g) for n >= 2, exactly
    exact = m.iterate(6, exact=True, metric="benefit", r=R(13, 10), g=R(3, 2), alpha=R(9, 10), theta=1)
    assert exact[0] == 1
    assert set(exact[1:]) == {1 + R(9, 10) / (R(13, 10) * R(3, 2))}
    # no recycling, no endogenous boost: the gain stays 1
    np.testing.assert_allclose(m.iterate(50, metric="gain", r=r, g=g, alpha=0.0, theta=0.5), 1, rtol=1e-12)


# -- domains ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(0, oo)", (0, None, True, True)),
        ("[0, 1]", (0, 1, False, False)),
        ("(-oo, oo)", (None, None, True, True)),
        (" ( -oo , 0.5 ] ", (None, Fraction(1, 2), True, False)),
        ("[1/2, 3)", (Fraction(1, 2), 3, False, True)),
        ("[-2, +oo)", (-2, None, False, True)),
        ("(1e-3, 2.50]", (Fraction(1, 1000), Fraction(5, 2), True, False)),
    ],
)
def test_parse_domain(text, expected):
    got = parse_domain(text)
    assert got == expected
    assert all(type(b) in (int, Fraction, type(None)) for b in got[:2])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[0, oo]", "infinite bound to be open"),
        ("[-oo, 0)", "infinite bound to be open"),
        ("(1, 0)", "lower bound below the upper"),
        ("[1, 1]", "lower bound below the upper"),
        ("(oo, 1)", "lower bound first"),
        ("0, 1", "expected an interval"),
        ("(0; 1)", "expected an interval"),
        ("(0, 1, 2)", "expected an interval"),
        ("{0, 1}", "expected an interval"),
        ("(0, pi)", "expected a number"),
        ("(0, 1/0)", "divides by zero"),
        ("(0, 9**9**9)", "expected a number"),
        ("(0, 1e999)", "expected a number"),
        ("(0, __import__('os'))", "expected a number"),
        ("(0, " + "9" * 100 + ")", "expected a number"),
        ("(0, " + " " * 300 + "1)", "expected an interval"),
    ],
)
def test_bad_domains(text, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        parse_domain(text, "parameters.r.domain")
    assert str(info.value).startswith("parameters.r.domain: ")


@pytest.mark.parametrize("value", [0, 1.5, None, ["(0, 1)"]])
def test_domain_must_be_text(value):
    with pytest.raises(ValueError, match="expected an interval"):
        parse_domain(value)


# -- bad files: each error names the file, the field, the value and what was expected -------------

GOOD = {
    "parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 1]"\n',
    "sequences": '[sequences.C]\ninitial = "1"\nnext = "r*C[n-1]"\n'
                 '[sequences.A]\ninitial = "C[1]"\nnext = "C[n] + alpha*A[n-1]"\n',
    "metric": '[metric]\nbenefit = "A[n]/C[n]"\n',
}


def model_text(**parts):
    return "\n".join(parts.get(k, v) for k, v in {"top": "", **GOOD}.items())


def test_the_good_base_file_loads():
    m = loads_model(model_text())
    assert m.has_closed_form()


BAD = [
    # (replacement parts, fragment of the message)
    ({"top": 'nmae = "x"'}, r"model file: unknown key 'nmae'; expected one of name, description"),
    ({"top": "name = 3"}, r"name: got 3, expected a string"),
    ({"top": 'name = ""'}, r"name: got '', expected a non-empty printable name"),
    ({"top": "start = 0"}, r"start: got 0, expected an integer from 1 to 1000"),
    ({"top": "start = true"}, r"start: got True, expected an integer"),
    ({"top": 'start = "1"'}, r"start: got '1', expected an integer"),
    ({"top": 'adjusted = "Z"'}, r"adjusted: got 'Z', expected one of the sequences C, A"),
    ({"parameters": ""}, r"model file: missing key 'parameters'"),
    ({"parameters": "[parameters]\n"}, r"parameters: expected at least one parameter"),
    ({"parameters": 'parameters = "r"\n'}, r"parameters: got 'r', expected a table"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = { domain = "[0, 1]", descr = "x" }\n'},
     r"parameters\.alpha: unknown key 'descr'; expected one of domain, description"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = { description = "x" }\n'},
     r"parameters\.alpha: missing key 'domain'"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 2"\n'},
     r"parameters\.alpha\.domain: got '\[0, 2', expected an interval"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = 1\n'},
     r"parameters\.alpha: got 1, expected a table"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 1]"\nn = "(0, 1)"\n'},
     r"parameter name 'n': got the iteration index"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 1]"\nexp = "(0, 1)"\n'},
     r"parameter name 'exp': got a function name"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 1]"\nlambda = "(0, 1)"\n'},
     r"parameter name 'lambda': got a Python keyword, expected another name \(e\.g\. lambda_\)"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 1]"\n__x = "(0, 1)"\n'},
     r"parameter name '__x': expected ASCII letters"),
    ({"parameters": '[parameters]\nr = "(0, oo)"\nalpha = "[0, 1]"\nC = "(0, 1)"\n'},
     r"sequences\.C: the sequence 'C' has the name of a parameter"),
    ({"sequences": ""}, r"expected exactly one of \[recurrence\] \(one sequence\) or \[sequences\.X\]"),
    ({"sequences": GOOD["sequences"] + '[recurrence]\ninitial = "1"\nnext = "A[n-1]"\n'},
     r"expected exactly one of \[recurrence\]"),
    ({"sequences": '[recurrence]\ninitial = "1"\nnxt = "A[n-1]"\n'},
     r"recurrence: unknown key 'nxt'; expected one of sequence, start, initial, next"),
    ({"sequences": '[recurrence]\ninitial = "1"\n'}, r"recurrence: missing key 'next'"),
    ({"sequences": '[sequences.C]\ninitial = "1"\nnext = "r*C[n]"\n'},
     r"sequences\.C\.next: C\[n\]: expected C\[n-1\], C\[n-2\], \.\.\. \(not itself at n\)"),
    ({"sequences": '[sequences.C]\ninitial = "1"\nnext = "r*C[n-2]"\n'},
     r"sequences\.C\.initial: got 1 value\(s\), expected 2 \(C\[1\], C\[2\]\) for a recurrence that uses "
     r"C\[n-2\]; give them as a list"),
    ({"sequences": '[sequences.C]\ninitial = ["1", "2", "3"]\nnext = "r*C[n-2]"\n'},
     r"sequences\.C\.initial: got 3 value\(s\), expected 2"),
    ({"sequences": '[sequences.C]\ninitial = "1"\nnext = "r*C[n-101]"\n'},
     r"sequences\.C\.next: C\[n - 101\]: expected a lag of at most 100"),
    ({"sequences": '[sequences.C]\ninitial = "1"\nnext = "C[1]*r"\n'},
     r"sequences\.C\.next: C\[1\]: expected C\[n\], C\[n-1\], \.\.\.: a fixed index is only for initial"),
    ({"sequences": '[sequences.C]\ninitial = "C[1]"\nnext = "r*C[n-1]"\n'},
     r"sequences\.C\.initial: C\[1\]: expected an earlier value of C: this is C\[1\] itself"),
    ({"sequences": GOOD["sequences"].replace('initial = "C[1]"', 'initial = "C[2]"')},
     r"sequences\.A\.initial: C\[2\]: expected C\[1\] \(or C\[n\]\): this is the value at n = 1"),
    ({"sequences": GOOD["sequences"].replace('next = "C[n] + alpha*A[n-1]"', 'next = "C[n+1] + A[n-1]"')},
     r"sequences\.A\.next: C\[n \+ 1\]: expected C\[n\], C\[n-1\], \.\.\.: a later index is not known"),
    ({"sequences": GOOD["sequences"].replace('next = "r*C[n-1]"', 'next = "r*C[n-1] + A[n]"')},
     r"sequences A and C use each other at the same index \(C\[n\] uses A\[n\] uses C\[n\]\): one of them "
     r"must use the other at n-1"),
    ({"sequences": GOOD["sequences"].replace("alpha*A", "zeta*A")},
     r"sequences\.A\.next: 'C\[n\] \+ zeta\*A\[n-1\]': unknown name 'zeta'; the names are: n, r, alpha"),
    ({"sequences": GOOD["sequences"].replace("alpha*A", "().__class__*A")},
     r"sequences\.A\.next: .*attribute access \('\.'\) is not allowed"),
    ({"sequences": GOOD["sequences"].replace("alpha*A", "9**9**9*A")},
     r"sequences\.A\.next: .*the exponent 387420489 is too large"),
    ({"sequences": GOOD["sequences"].replace('"C[n] + alpha*A[n-1]"', "true")},
     r"sequences\.A\.next: got True, expected an expression as a string"),
    ({"sequences": '[sequences.n]\ninitial = "1"\nnext = "n[n-1]"\n'}, r"sequence name 'n'"),
    ({"sequences": "[sequences]\n"}, r"sequences: expected at least one \[sequences\.X\] table"),
    ({"metric": ""}, r"expected exactly one of \[metric\] or \[metrics\]"),
    ({"metric": "[metric]\n"}, r"metric: expected at least one metric"),
    ({"metric": '[metric]\nbenefit = "A[n-1]/C[n]"\n'},
     r"metric\.benefit: A\[n - 1\]: expected A\[n\]: a metric is read at iteration n"),
    ({"metric": '[metric]\n"bad name" = "A[n]"\n'}, r"metric\.bad name: got the name 'bad name'"),
    ({"metric": '[metric]\nbenefit = { expr = "A[n]", unit = "x" }\n'},
     r"metric\.benefit: unknown key 'unit'; expected one of expr, description, latex"),
    ({"metric": '[metric]\nbenefit = "open(1)"\n'},
     r"metric\.benefit: 'open\(1\)': calls to 'open' are not allowed"),
]


@pytest.mark.parametrize(("parts", "fragment"), BAD)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, parts, fragment):
    p = write(tmp_path, model_text(**parts), "bad.toml")
    start = time.perf_counter()
    with pytest.raises(ValueError, match=fragment) as info:
        load_model(p)
    assert time.perf_counter() - start < 0.5
    assert str(info.value).startswith(f"{p}: ")


def test_files_that_are_not_model_files(tmp_path):
    with pytest.raises(ValueError, match=r"bad\.toml: not valid TOML: "):
        load_model(write(tmp_path, "[parameters\n", "bad.toml"))
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ValueError, match=r"latin\.toml': not UTF-8 text"):
        load_model(latin)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * usermodels.MAX_FILE_BYTES)
    with pytest.raises(ValueError, match=r"big\.toml': \d+ bytes, expected at most 1000000"):
        load_model(big)
    many = "\n".join(f'u{i} = "(0, 1)"' for i in range(20000))  # under 1 MB: every check visits each
    with pytest.raises(ValueError, match=r"parameters: got 20000 parameters, expected at most 100"):
        loads_model(f'name = "m"\n[parameters]\n{many}\n[recurrence]\ninitial = "1"\nnext = "u0*A[n-1]"\n')
    with pytest.raises(ValueError, match=r"no such file"):
        load_model(tmp_path / "absent.toml")
    with pytest.raises(ValueError, match=r"no such file"):
        load_model(tmp_path)  # a directory
    with pytest.raises(ValueError, match=r"model file: got 3, expected a path"):
        load_model(3)
    with pytest.raises(ValueError, match=r"<string>: got bytes, expected TOML text"):
        loads_model(b"name = 1")
    for deep in ("a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 5000 + "1" + "}" * 5000):
        with pytest.raises(ValueError, match=r"deep\.toml: .* nested too deeply"):
            load_model(write(tmp_path, deep, "deep.toml"))


def test_loading_runs_nothing_from_the_file(tmp_path):
    marker = tmp_path / "pwned"
    text = model_text(metric=f"[metric]\nbenefit = \"__import__('os').system('touch {marker}')\"\n")
    with pytest.raises(ValueError, match=r"metric\.benefit: .*only the functions"):
        load_model(write(tmp_path, text))
    assert not marker.exists()


def test_colliding_parameter_names_in_a_file(tmp_path):
    m = load_model(write(tmp_path, '''
        [parameters]
        beta = "[0, 1]"
        gamma = "(0, oo)"
        E = "(0, oo)"
        I = "(0, oo)"
        N = "(0, oo)"
        S = "(0, oo)"
        Q = "(0, oo)"
        [recurrence]
        initial = "E"
        next = "beta*A[n-1] + gamma*I*N*S*Q"
        [metric]
        benefit = "A[n]/E"
        '''))
    syms = m.symbols
    assert all(isinstance(syms[k], sp.Symbol) for k in ("beta", "gamma", "E", "I", "N", "S", "Q"))
    nxt = m.sequences[0].next
    assert not nxt.has(sp.I)
    assert not nxt.has(sp.E)
    assert not nxt.atoms(sp.Function)
    cf = m.closed_form()
    assert cf.verified
    assert cf.expr.free_symbols == {syms[k] for k in ("beta", "gamma", "E", "I", "N", "S", "Q")} | {n}
    vals = {"beta": R(1, 2), "gamma": 3, "E": 5, "I": 7, "N": 2, "S": R(1, 3), "Q": 11}
    exact = m.iterate_exact(vals, 5)["A"]
    assert exact[:2] == [5, R(5, 2) + 3 * 7 * 2 * R(1, 3) * 11]
    assert [cf.expr.subs({syms[k]: v for k, v in vals.items()}).subs(n, k) for k in range(1, 6)] == exact


def test_user_model_without_closed_form_still_reports_unknown_sequences(shipped):
    m = shipped["reuse-decay"]
    with pytest.raises(ValueError, match="has no sequence 'Z'; its sequences: C, a, A"):
        m.recurrence("Z")


def test_shipped_files_are_package_data():
    root = Path(sr.__file__).parent / "model_files"
    assert {p.stem for p in root.glob("*.toml")} == SHIPPED
    on_disk = {p.stem: p.resolve() for p in root.glob("*.toml")}
    assert {k: v.resolve() for k, v in variants().items()} == on_disk
    pyproject = root.parent.parent / "pyproject.toml"  # the editable source checkout
    assert '"model_files/*.toml"' in pyproject.read_text()


def test_get_model_takes_a_shipped_file_by_name():
    m = sr.get_model("kickstarting-effective")
    assert m.name == "kickstarting-effective"
    assert sr.get_model("kickstarting").name == "kickstarting"  # the registry comes first
    with pytest.raises(ValueError, match="shipped model file"):
        sr.get_model("no-such-model")


def test_reuse_decay_sum_cross_checked_against_mpmath_iteration(shipped):
    check = sr.cross_check(shipped["reuse-decay"], samples=200, seed=3)
    assert check.max_rel_error <= 1e-13, str(check)


# -- what a review found: each case once wrong, now right or refused -------------------------------
def _toy(params, nxt, metric="A[n]", initial="1"):
    ps = "\n".join(f'{k} = "{v}"' for k, v in params.items())
    return loads_model(f'name = "t"\n[parameters]\n{ps}\n[recurrence]\ninitial = "{initial}"\n'
                       f'next = "{nxt}"\n[metric]\nbenefit = "{metric}"\n')


@pytest.mark.parametrize("nxt", ["1 + (-alpha)**n*A[n-1]", "1 + alpha*(-1)**n*A[n-1]"])
def test_oscillating_rates_are_not_given_a_limit(nxt):
    m = _toy({"alpha": "[0, 1]"}, nxt)
    with pytest.raises(sr.NotDerived, match="oscillates"):
        m.limit()


def test_an_oscillating_forcing_has_no_limit():
    lim = _toy({"alpha": "[0, 1]"}, "(-1)**n + A[n-1]/2").limit()  # A_n -> 2/3 (-1)^n
    assert lim.verified
    assert lim.expr is sp.nan


def test_sympy_limit_split_at_a_closed_domain_end():
    m = _toy({"alpha": "[0, 1]"}, "alpha*n/(alpha*n+1) + A[n-1]/2", initial="0")
    lim = m.limit()
    assert lim.verified
    alpha = m.symbols["alpha"]
    assert lim.expr.subs(alpha, 0) == 0  # the forcing is 0 at alpha = 0
    assert lim.expr.subs(alpha, R(1, 2)) == 2
    assert m.evaluate("limit", alpha=np.array([0.0, 0.5])).tolist() == [0.0, 2.0]


def test_limits_split_by_domain_ends_and_jumps_have_no_derivative():
    # rho in (0, 2): the limit jumps from 1 at alpha = 0 to oo for alpha > 0 when rho > 1
    m = _toy({"alpha": "[0, 1]", "rho": "(0, 2)"}, "1 + alpha*rho**(n-1)*A[n-1]")
    alpha, rho = m.symbols["alpha"], m.symbols["rho"]
    assert m.evaluate("limit", alpha=0.0, rho=1.5) == 1.0  # Eq(alpha, 0): exactly met in floats
    d = m.sensitivity("alpha")
    assert d.verified
    assert d.expr.subs({alpha: 0, rho: R(3, 2)}) is sp.nan
    # alpha in [0, 1/2]: q_n = alpha n/(n+1) -> alpha < 1 on the whole domain
    m = _toy({"alpha": "[0, 1/2]"}, "1 + A[n-1]*alpha*n/(n+1)")
    assert sp.simplify(m.limit().expr - 1 / (1 - m.symbols["alpha"])) == 0
    # a case met only on a closed end (rho = 1): no derivative there unless alpha = 0
    eff = sr.get_model("reuse-decay").sensitivity("rho", metric="efficiency")
    assert eff.verified
    a, r_ = sr.get_model("reuse-decay").symbols["alpha"], sr.get_model("reuse-decay").symbols["rho"]
    assert eff.expr.subs({a: R(1, 2), r_: 1}) is sp.nan
    assert eff.expr.subs({a: 0, r_: 1}) == 0


def test_a_sum_cancelling_against_the_rest_goes_to_mpmath():
    m = _toy({"rho": "(0, 1]", "c": "(0, oo)"}, "-c*(1/2)**n + rho**(n-1)*A[n-1]", metric="A[n]*2**n",
             initial="c/2")
    want = float(m.iterate(60, metric="benefit", dps=30, rho=1, c=1)[-1])
    assert m.evaluate("benefit", n=60, rho=1.0, c=1.0) == pytest.approx(want, rel=1e-13)


def test_mpmath_precision_is_left_as_it_was_by_the_threaded_blocks():
    import mpmath

    m = _toy({"alpha": "[0, 1]"}, "1 + alpha*A[n-1]")
    before = mpmath.mp.dps
    # three blocks of the float path, each with points near alpha = 1 that go to mpmath
    alpha = np.concatenate([np.linspace(0, 1, 65_536)] * 3)
    m.evaluate("benefit", n=8, alpha=alpha)
    assert mpmath.mp.dps == before
