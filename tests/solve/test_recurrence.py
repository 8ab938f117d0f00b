"""The recurrence solver: closed forms, degenerate branches, certificates.

Everything the solver returns is checked against something computed here
independently: exact ``Fraction`` iteration written out in this file, or
closed forms derived by hand in the comments.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symrecycle as sr
from symrecycle.solve.cases import decompose_forcing
from symrecycle.solve.certify import BranchCertificate
from symrecycle.solve.recurrence import ClosedForm, Recurrence, VariableRecurrence, linear

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

n = sr.n
KICK = sr.get_model("kickstarting")
AUG = sr.get_model("augmentation")
COUNT = 7  # iterations compared in the property tests: n = 1..7


# -- helpers ----------------------------------------------------------------------------


def Q(x) -> sp.Rational:
    """A Fraction (or int) as a SymPy Rational."""
    x = Fraction(x)
    return sp.Rational(x.numerator, x.denominator)


def rationals(lo, hi, max_denominator=6):
    return st.fractions(min_value=Fraction(lo), max_value=Fraction(hi), max_denominator=max_denominator)


def at(expr, values: dict, k: int):
    """``expr`` at parameter values (by name or symbol) and n = k, exactly."""
    subs = {(sp.Symbol(s) if isinstance(s, str) else s): Q(v) for s, v in values.items()}
    # the package's symbols carry assumptions; match them by name
    by_name = {s.name: s for s in expr.free_symbols}
    subs = {by_name.get(s.name, s): v for s, v in subs.items()}
    return expr.subs(subs).subs(n, k)


def impose(expr, cond):
    """``expr`` with the equalities of ``cond`` substituted (test-side, by hand)."""
    for eq in sp.And.make_args(cond):
        if isinstance(eq, sp.Eq):
            sym = sorted(eq.free_symbols - {n}, key=lambda s: s.name)[0]
            (sol,) = sp.solve(eq, sym)
            expr = expr.subs(sym, sol)
    return expr


def kick_iterate(r, alpha, C1, count=COUNT):
    """C_1 = C1, C_n = r C_{n-1};  A_1 = C_1, A_n = C_n + alpha A_{n-1}."""
    C, A = [Fraction(C1)], [Fraction(C1)]
    for _ in range(count - 1):
        C.append(r * C[-1])
        A.append(C[-1] + alpha * A[-1])
    return {"C": C, "A": A}


def aug_iterate(r, g, beta, C1, count=COUNT):
    """C_n = r C_{n-1}; P_1 = 1, P_n = g P_{n-1}; A_1 = C_1, A_n = beta P_n C_n + A_{n-1}."""
    C, P, A = [Fraction(C1)], [Fraction(1)], [Fraction(C1)]
    for _ in range(count - 1):
        C.append(r * C[-1])
        P.append(g * P[-1])
        A.append(beta * P[-1] * C[-1] + A[-1])
    return {"C": C, "P": P, "A": A}


# -- certificates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "sequence", "branches"),
    [
        (KICK, "C", 1),
        (KICK, "A", 2),  # alpha == r, generic
        (AUG, "C", 1),
        (AUG, "P", 1),
        (AUG, "A", 2),  # g*r == 1, generic
    ],
)
def test_model_certificates_ok_on_every_branch(model, sequence, branches):
    cf = model.solve(sequence)
    assert isinstance(cf, ClosedForm)
    assert len(cf.certificate) == branches
    pieces = cf.expr.args if isinstance(cf.expr, sp.Piecewise) else ((cf.expr, sp.true),)
    assert len(pieces) == branches
    for cert, (_, cond) in zip(cf.certificate, pieces, strict=True):
        assert isinstance(cert, BranchCertificate)
        assert cert.condition == cond
        assert cert.residual == 0
        assert cert.initial_residual == 0
        assert cert.ok
        assert "(ok)" in str(cert)
    assert cf.verified


def test_model_degenerate_branches_are_the_expected_sets():
    s = KICK.symbols
    kick_conds = [c for _, c in KICK.solve("A").expr.args]
    assert sp.Eq(s["alpha"], s["r"]) in kick_conds or sp.Eq(s["r"], s["alpha"]) in kick_conds
    a = AUG.symbols
    aug_conds = [c for _, c in AUG.solve("A").expr.args]
    assert sp.Eq(a["g"] * a["r"], 1) in aug_conds


def test_model_closed_forms_satisfy_recurrences_written_here():
    """Residuals computed in the test from the report's recurrences, branch by branch."""
    s = KICK.symbols
    r, alpha, C1 = s["r"], s["alpha"], s["C1"]
    for x, cond in KICK.solve("A").expr.args:
        x = impose(x, cond)
        alpha_here = impose(alpha, cond)  # alpha, or r on the branch alpha = r
        # A_n - alpha A_{n-1} - C_n with C_n = C1 r^(n-1)
        res = x - alpha_here * x.subs(n, n - 1) - C1 * r ** (n - 1)
        assert sp.simplify(res) == 0
        assert sp.simplify(x.subs(n, 1) - C1) == 0

    a = AUG.symbols
    r, g, beta, C1 = a["r"], a["g"], a["beta"], a["C1"]
    for x, cond in AUG.solve("A").expr.args:
        x = impose(x, cond)
        # A_n - A_{n-1} - beta P_n C_n with P_n C_n = C1 (g r)^(n-1)
        res = x - x.subs(n, n - 1) - impose(beta * C1 * (g * r) ** (n - 1), cond)
        assert sp.simplify(res) == 0
        assert sp.simplify(x.subs(n, 1) - C1) == 0


# A synthetic recurrence with two forcing terms:
#   x_1 = x0,  x_n = a x_{n-1} + c1 l1^n + c2 l2^n.
a_, c1, c2, l1, l2, x0 = sp.symbols("a c1 c2 l1 l2 x0", positive=True)
TWO = Recurrence(a_, ((c1, l1), (c2, l2)), x0, 1, "x")
TWO_CF = TWO.solve()


def _geometric(c, lam, a):
    # sum_{k=2}^{n} a^(n-k) c lam^k = c lam^2 (lam^(n-1) - a^(n-1)) / (lam - a)   (lam != a)
    #                              = c (n-1) a^n                                  (lam == a)
    return c * lam**2 * (lam ** (n - 1) - a ** (n - 1)) / (lam - a)


def test_two_forcing_terms_has_all_four_branches_certified():
    conds = [c for _, c in TWO_CF.expr.args]
    both = sp.And(sp.Eq(a_, l1), sp.Eq(a_, l2))
    assert conds[0] == both  # the most degenerate case first
    assert set(conds[1:3]) == {sp.Eq(a_, l1), sp.Eq(a_, l2)}
    assert conds[3] == sp.true
    assert len(TWO_CF.certificate) == 4
    assert all(c.ok for c in TWO_CF.certificate)
    assert TWO_CF.verified


def test_two_forcing_terms_branches_match_hand_derivations():
    t = sp.Symbol("t", positive=True)
    by_cond = {c: e for e, c in TWO_CF.expr.args}
    # both bases equal a = t: x_n = t^(n-1) x0 + (c1 + c2)(n - 1) t^n
    both = by_cond[sp.And(sp.Eq(a_, l1), sp.Eq(a_, l2))].subs({a_: t, l1: t, l2: t})
    assert sp.simplify(both - (t ** (n - 1) * x0 + (c1 + c2) * (n - 1) * t**n)) == 0
    # l1 = a = t only
    one = by_cond[sp.Eq(a_, l1)].subs({a_: t, l1: t})
    want = t ** (n - 1) * x0 + c1 * (n - 1) * t**n + _geometric(c2, l2, t)
    assert sp.simplify(one - want) == 0
    # generic
    gen = by_cond[sp.true]
    want = a_ ** (n - 1) * x0 + _geometric(c1, l1, a_) + _geometric(c2, l2, a_)
    assert sp.simplify(gen - want) == 0


def test_certificate_rejects_a_wrong_closed_form():
    # the homogeneous solution alone misses the forcing
    wrong = x0 * a_ ** (n - 1)
    assert sp.simplify(TWO.residual(wrong)) != 0
    assert not BranchCertificate(sp.true, TWO.residual(wrong), sp.Integer(0)).ok
    assert not ClosedForm(TWO, wrong, ()).verified  # no certificate, not verified


def test_recurrence_with_other_start_and_no_forcing():
    # x_0 = 1, x_n = 2 x_{n-1} + 3^n: x_n = 3^(n+1) - 2^(n+1)  (x_1 = 5 = 2 + 3)
    cf = Recurrence(2, ((1, 3),), 1, 0, "x").solve()
    assert cf.verified
    assert sp.simplify(cf.expr - (3 ** (n + 1) - 2 ** (n + 1))) == 0
    # no forcing: x_n = a^(n - 2) x0 from x_2 = x0
    cf = Recurrence(a_, (), x0, 2, "y").solve()
    assert cf.verified
    assert sp.simplify(cf.expr - a_ ** (n - 2) * x0) == 0


# -- exact iteration equals the closed form ---------------------------------------------


@st.composite
def kick_points(draw):
    alpha = draw(rationals(0, 1))
    r_choices = rationals(Fraction(1, 6), 3)
    if alpha > 0:  # make r == alpha a frequent case
        r_choices = st.just(alpha) | r_choices
    return {"r": draw(r_choices), "alpha": alpha, "C1": draw(rationals(Fraction(1, 4), 5))}


@st.composite
def aug_points(draw):
    g = draw(rationals(Fraction(1, 4), 3))
    r = draw(st.just(1 / g) | rationals(Fraction(1, 4), 3))  # g*r == 1 often
    beta = draw(st.sampled_from([Fraction(0), Fraction(1)]) | rationals(0, 1))
    return {"r": r, "g": g, "beta": beta, "C1": draw(rationals(Fraction(1, 4), 5))}


@settings(max_examples=40 * SCALE)
@given(point=kick_points())
@example(point={"r": Fraction(1, 2), "alpha": Fraction(1, 2), "C1": Fraction(3)})  # r == alpha
@example(point={"r": Fraction(1), "alpha": Fraction(1), "C1": Fraction(1)})  # r == alpha == 1
@example(point={"r": Fraction(2), "alpha": Fraction(0), "C1": Fraction(5, 2)})  # alpha = 0
@example(point={"r": Fraction(1, 3), "alpha": Fraction(1), "C1": Fraction(1)})  # alpha > r
def test_kickstarting_exact_iteration_equals_closed_form(point):
    want = kick_iterate(point["r"], point["alpha"], point["C1"])
    A_cf, C_cf, B = KICK.closed_form().expr, KICK.solve("C").expr, KICK.benefit().expr
    for k in range(1, COUNT + 1):
        assert at(A_cf, point, k) == Q(want["A"][k - 1])
        assert at(C_cf, point, k) == Q(want["C"][k - 1])
        assert at(B, point, k) == Q(want["A"][k - 1] / want["C"][k - 1])


@settings(max_examples=40 * SCALE)
@given(point=aug_points())
@example(point={"r": Fraction(2), "g": Fraction(1, 2), "beta": Fraction(1, 3), "C1": Fraction(1)})  # g r = 1
# g r = 1 with beta = 0
@example(point={"r": Fraction(1, 3), "g": Fraction(3), "beta": Fraction(0), "C1": Fraction(2)})
@example(point={"r": Fraction(2), "g": Fraction(2), "beta": Fraction(0), "C1": Fraction(1)})  # beta = 0
@example(point={"r": Fraction(1, 2), "g": Fraction(3, 2), "beta": Fraction(1), "C1": Fraction(7)})  # beta = 1
@example(point={"r": Fraction(1), "g": Fraction(1), "beta": Fraction(1), "C1": Fraction(1)})  # all ones
def test_augmentation_exact_iteration_equals_closed_form(point):
    want = aug_iterate(point["r"], point["g"], point["beta"], point["C1"])
    A_cf = AUG.closed_form().expr
    C_cf, P_cf = AUG.solve("C").expr, AUG.solve("P").expr
    B, real = AUG.benefit().expr, AUG.benefit("real").expr
    for k in range(1, COUNT + 1):
        A, C, P = (want[s][k - 1] for s in ("A", "C", "P"))
        assert at(A_cf, point, k) == Q(A)
        assert at(C_cf, point, k) == Q(C)
        assert at(P_cf, point, k) == Q(P)
        assert at(B, point, k) == Q(A / (P * C))
        assert at(real, point, k) == Q(A / C)


@settings(max_examples=30 * SCALE)
@given(point=kick_points())
# A_11 = 72559411/60466176 here, which sympy.nsimplify turns into 6/5
@example(point={"r": Fraction(1, 6), "alpha": Fraction(1), "C1": Fraction(1)})
def test_kickstarting_iterate_exact_is_exact(point):
    want = kick_iterate(point["r"], point["alpha"], point["C1"], count=12)
    got = KICK.iterate_exact(point, 12)
    assert got == {name: [Q(x) for x in xs] for name, xs in want.items()}


@settings(max_examples=30 * SCALE)
@given(point=aug_points())
# A_7 = 17895697/67108864 here, which sympy.nsimplify turns into 4/15
@example(point={"r": Fraction(1, 4), "g": Fraction(1, 4), "beta": Fraction(1), "C1": Fraction(1, 4)})
def test_augmentation_iterate_exact_is_exact(point):
    want = aug_iterate(point["r"], point["g"], point["beta"], point["C1"], count=12)
    got = AUG.iterate_exact(point, 12)
    assert got == {name: [Q(x) for x in xs] for name, xs in want.items()}


BASES = st.sampled_from([Fraction(1, 2), Fraction(1), Fraction(2), Fraction(3)])


@settings(max_examples=60 * SCALE)
@given(a=BASES, lam1=BASES, lam2=BASES, c=st.tuples(rationals(-3, 3), rationals(-3, 3), rationals(-3, 3)))
@example(a=Fraction(2), lam1=Fraction(2), lam2=Fraction(2), c=(Fraction(1), Fraction(-2), Fraction(5)))
@example(a=Fraction(2), lam1=Fraction(2), lam2=Fraction(3), c=(Fraction(1), Fraction(1), Fraction(1)))
@example(a=Fraction(2), lam1=Fraction(3), lam2=Fraction(2), c=(Fraction(1), Fraction(1), Fraction(1)))
@example(a=Fraction(2), lam1=Fraction(3), lam2=Fraction(3), c=(Fraction(1), Fraction(1), Fraction(1)))
def test_two_forcing_terms_exact_iteration_equals_closed_form(a, lam1, lam2, c):
    k1, k2, start = c
    values = {a_: Q(a), l1: Q(lam1), l2: Q(lam2), c1: Q(k1), c2: Q(k2), x0: Q(start)}
    x = start
    for k in range(1, COUNT + 1):
        if k > 1:
            x = a * x + k1 * lam1**k + k2 * lam2**k
        assert TWO_CF.expr.subs(values).subs(n, k) == Q(x)
        assert TWO.term(k, values) == Q(x)


# -- decompose_forcing ----------------------------------------------------------------------


r_, s_, C1_ = sp.symbols("r s C1", positive=True)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (C1_ * r_ ** (n - 1), {r_: C1_ / r_}),
        (3 * 2**n + 5 * 2**n, {2: 8}),
        (2 ** (2 * n), {4: 1}),  # base 2^2
        (r_ ** (n + 1) + 7 * s_**n, {r_: r_, s_: 7}),
        ((r_ * s_) ** n * C1_, {r_ * s_: C1_}),
        (sp.Integer(5), {1: 5}),  # a constant is 5 * 1^n
        (C1_ * r_**n - r_**n * C1_, {}),  # cancels
    ],
)
def test_decompose_forcing_valid(expr, expected):
    pairs = decompose_forcing(expr)
    got = {lam: c for c, lam in pairs}
    assert len(got) == len(pairs)  # one pair per distinct base
    assert set(got) == set(map(sp.sympify, expected))
    for lam, c in expected.items():
        assert sp.simplify(got[sp.sympify(lam)] - c) == 0
    for c, lam in pairs:
        assert not c.has(n)
        assert not lam.has(n)
    assert sp.simplify(sp.Add(*[c * lam**n for c, lam in pairs]) - expr) == 0


@pytest.mark.parametrize(
    ("expr", "match"),
    [
        (sp.sin(n), "not a sum"),
        (n**n, "not a sum"),
        (2 ** (n**2), "not a sum"),
        (2 ** (1 / n), "not a sum"),
        (r_ ** (n**2 + n), "not a sum"),
        (1 / (n + 1), "not a sum"),
    ],
)
def test_decompose_forcing_invalid(expr, match):
    with pytest.raises(ValueError, match=match):
        decompose_forcing(expr)


# -- validation of Recurrence ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"a": n, "forcing": ()},  # n in a
        {"a": 2 * r_**n, "forcing": ()},
        {"a": r_, "forcing": ((2**n, 2),)},  # n in a coefficient, not polynomially
        {"a": r_, "forcing": ((1, n),)},  # n in a base
        {"a": r_, "forcing": (), "initial": n},
    ],
)
def test_recurrence_rejects_n_in_its_data(kwargs):
    with pytest.raises(ValueError, match=r"free of n|polynomial in n"):
        Recurrence(**kwargs)


@pytest.mark.parametrize("start", [1.0, True, "1"])
def test_recurrence_rejects_non_int_start(start):
    with pytest.raises(ValueError, match="start"):
        Recurrence(r_, (), 1, start)


def test_from_next_builds_the_kickstarting_recurrence():
    prev, alpha = sp.symbols("prev alpha", positive=True)
    rec = Recurrence.from_next(C1_ * r_ ** (n - 1) + alpha * prev, prev, C1_, name="A")
    assert rec.a == alpha
    assert len(rec.forcing) == 1
    c, lam = rec.forcing[0]
    assert lam == r_
    assert sp.simplify(c - C1_ / r_) == 0
    assert rec.initial == C1_
    assert rec.start == 1


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p**2 + 1, "not linear"),
        (lambda p: r_ * p + p**3, "not linear"),
        (lambda p: 1 / p, "not linear"),
        (lambda p: sp.sqrt(p), "not linear"),
        (lambda p: n * p, "depends on n"),
    ],
)

def test_from_next_rejects_nonlinear_or_varying_previous_term(make, match):
    prev = sp.Symbol("prev", positive=True)
    with pytest.raises(ValueError, match=match):
        Recurrence.from_next(make(prev), prev, 1)


def test_text_is_never_evaluated():
    """Recurrence takes SymPy objects and numbers; a string is refused, not run through eval."""
    with pytest.raises(ValueError, match="text"):
        sr.Recurrence("__import__('os').getcwd()", (), 1)
    with pytest.raises(ValueError, match="text"):
        sr.Recurrence(sp.Integer(2), (), "1")


# -- coefficients that depend on n: the unrolled solution --------------------------------------
def _iterate_by_hand(a, f, x0, start, count, subs):
    """x_start..x_{start+count-1} of x_n = a(n) x_{n-1} + f(n), in exact arithmetic written here."""
    x, out = sp.Rational(x0.subs(subs)), []
    out.append(x)
    for k in range(start + 1, start + count):
        x = a.subs(subs).subs(n, k) * x + f.subs(subs).subs(n, k)
        out.append(sp.nsimplify(x))
    return out


ALPHA, RHO, R, C = sp.symbols("alpha rho r C", positive=True)
VARIABLE_CASES = [
    # (a(n), f(n), x0, start, values): the report's re-use decay, a rational coefficient,
    # another start
    (ALPHA * RHO ** (n - 1), C * R ** (n - 1), C, 1, {ALPHA: Q(Fraction(9, 10)), RHO: Q(Fraction(4, 5)),
                                                      R: Q(Fraction(3, 2)), C: 2}),
    (1 / (R * n), sp.Integer(1), sp.Integer(1), 1, {R: Q(Fraction(1, 2))}),
    (n, sp.Integer(1), sp.Integer(1), 2, {}),
]


@pytest.mark.parametrize(("a", "f", "x0", "start", "values"), VARIABLE_CASES)
def test_variable_coefficients_unrolled_and_certified(a, f, x0, start, values):
    rec = linear(a * sp.Symbol("prev") + f, sp.Symbol("prev"), x0, start)
    assert isinstance(rec, VariableRecurrence)  # a(n), or a forcing that is no exponential
    cf = rec.solve()
    assert cf.verified, cf.certificate
    want = _iterate_by_hand(a, f, x0, start, 8, values)
    got = [sp.nsimplify(cf.expr.subs(values).subs(n, k).doit()) for k in range(start, start + 8)]
    assert got == want
    assert rec.term(start + 7, values) == want[-1]


def test_unrolled_certificate_catches_a_wrong_product():
    rec = VariableRecurrence(ALPHA * RHO ** (n - 1), C * R ** (n - 1), C, 1, "A")
    k, prod = rec.products()
    assert sp.simplify(prod - ALPHA ** (n - k) * RHO ** ((n * (n - 1) - k * (k - 1)) / 2)) == 0
    good = rec._certify_unrolled(rec.solve().expr, k, prod)
    assert good.ok
    bad = rec._certify_unrolled(rec.solve().expr, k, prod * RHO)  # off by a factor rho
    assert not bad.ok
    assert "FAILED" in str(bad)


def test_reuse_decay_sum_keeps_its_index_clear_of_parameter_names():
    k = sp.Symbol("k", positive=True)
    rec = VariableRecurrence(k * RHO ** n, sp.Integer(1), sp.Integer(1), 1)
    expr = rec.solve().expr
    (index, _, _), = (expr.atoms(sp.Sum).pop()).limits
    assert index.name != "k"
    assert k in expr.free_symbols


def test_linear_picks_the_solver():
    prev = sp.Symbol("prev")
    assert isinstance(linear(ALPHA * prev + C * R**n, prev, C), Recurrence)
    assert isinstance(linear(ALPHA * prev + n * R**n, prev, C), Recurrence)  # forcing n r^n
    assert isinstance(linear(ALPHA * prev + R**n / n, prev, C), VariableRecurrence)  # forcing r^n / n
    assert isinstance(linear(ALPHA * RHO**n * prev + 1, prev, C), VariableRecurrence)
    with pytest.raises(ValueError, match="not linear in the previous term"):
        linear(prev**2, prev, C)


def test_decompose_forcing_polynomial_coefficients():
    assert decompose_forcing(n**2) == ((n**2, 1),)
    assert decompose_forcing(n * 2**n + 3 * 2 ** (n + 1) - 1) == ((-1, 1), (n + 6, 2))
