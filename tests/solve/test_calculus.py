r"""Sensitivities, elasticities and breakevens against hand derivations.

Hand derivations (independent of the package; notation of test_asymptotics):

Kickstarting, q = alpha/r, B_n = sum_{j=0}^{n-1} q^j = (1 - q^n)/(1 - q), L = r/(r - alpha):

    dL/dalpha = r/(r - alpha)^2          dL/dr = ((r - alpha) - r)/(r - alpha)^2 = -alpha/(r - alpha)^2
    eps_alpha = (alpha/L) dL/dalpha = alpha/(r - alpha)      eps_r = -alpha/(r - alpha)

    dB_n/dalpha = (1/r) dB/dq,  dB/dq = [(1 - q^n) - n q^(n-1) (1 - q)]/(1 - q)^2   (q != 1)
    at q = 1 (r = alpha): dB/dq = sum_{j} j q^(j-1) = n(n-1)/2, so
        dB_n/dalpha = n(n-1)/(2r),   dB_n/dr = -(alpha/r^2) dB/dq = -n(n-1)/(2r),
        eps_alpha = (alpha/n) n(n-1)/(2r) = (n-1)/2.

    Breakeven B_n = 1 <=> sum_{j=1}^{n-1} q^j = 0 <=> q = 0 (n >= 2): alpha* = 0; no r > 0.

Augmentation, x = g r, u = 1/x, B_n = u^(n-1) + beta sum_{j=0}^{n-2} u^j, L = beta x/(x - 1) (x > 1):

    dL/dbeta = x/(x - 1)      dL/dr = beta g [(x - 1) - x]/(x - 1)^2 = -beta g/(x - 1)^2
    dL/dg = -beta r/(x - 1)^2
    eps_beta = 1              eps_r = eps_g = (r (x - 1)/(beta x)) (-beta g/(x - 1)^2) = -1/(x - 1)

    at x = 1 (B_n = 1 + beta (n - 1)): dB_n/dbeta = n - 1 and, with du/dr = -g u^2 = -g,
        dB/du = (n-1) u^(n-2) + beta sum_j j u^(j-1) = (n - 1) + beta (n-1)(n-2)/2,
        dB_n/dr = -g [(n - 1) + beta (n-1)(n-2)/2],  dB_n/dg = -r [(n - 1) + beta (n-1)(n-2)/2].

    Breakeven: B_n - 1 = (u^(n-1) - 1)(1 - beta/(1 - u)) for u != 1, so (n >= 2)
        beta* = 1 - u = 1 - 1/(g r), in [0, 1] iff g r >= 1 (at g r = 1: B_n = 1 + beta(n-1),
        beta* = 0 as well); independent of n.
        r* = 1/(g (1 - beta)) and g* = 1/(r (1 - beta)) for beta in [0, 1); at beta = 0 this is
        g r = 1 where B_n = 1 + 0 (n - 1) = 1 for every n; no solution at beta = 1.
"""

from __future__ import annotations

import pytest
import sympy as sp

import symrecycle as sr

n = sr.n
R = sp.Rational
NAN = sp.nan

# plain symbols for the explicit finite sums (no assumptions, nothing shared with the package)
rr, gg, bb, aa = sp.symbols("rr gg bb aa")


def subs_named(expr, model, **values):
    s = model.symbols
    return expr.subs({s[k]: sp.sympify(v) for k, v in values.items()})


def kick_B(k):
    """B_k of kickstarting as an explicit finite sum in (rr, aa)."""
    return sp.Add(*[(aa / rr) ** j for j in range(k)])


def aug_B(k):
    """B_k of augmentation as an explicit finite sum in (rr, gg, bb)."""
    u = 1 / (gg * rr)
    return u ** (k - 1) + bb * sp.Add(*[u**j for j in range(k - 1)])


KICK_NAMES = {"r": rr, "alpha": aa}
AUG_NAMES = {"r": rr, "g": gg, "beta": bb}
KICK_POINTS = [
    {"r": R(2), "alpha": R(1, 2)},
    {"r": R(1, 2), "alpha": R(1, 2)},  # r == alpha
    {"r": R(1), "alpha": R(1)},  # r == alpha == 1
    {"r": R(1, 3), "alpha": R(1)},  # alpha > r
    {"r": R(3), "alpha": R(0)},  # alpha = 0
    {"r": R(1, 2), "alpha": R(1, 3)},
]
AUG_POINTS = [
    {"r": R(2), "g": R(1, 2), "beta": R(1, 3)},  # g r = 1
    {"r": R(1), "g": R(1), "beta": R(0)},  # g r = 1, beta = 0
    {"r": R(2), "g": R(2), "beta": R(1, 2)},
    {"r": R(1, 2), "g": R(1), "beta": R(1)},  # g r < 1, beta = 1
    {"r": R(1, 3), "g": R(3, 2), "beta": R(1, 4)},
    {"r": R(1, 3), "g": R(6), "beta": R(0)},  # beta = 0
]


# -- sensitivity and elasticity of the limit ------------------------------------------------------


def test_kickstarting_limit_sensitivities(kick):
    s = kick.symbols
    r, alpha = s["r"], s["alpha"]
    want = {
        "alpha": (r / (r - alpha) ** 2, alpha / (r - alpha)),
        "r": (-alpha / (r - alpha) ** 2, -alpha / (r - alpha)),
    }
    for p, (d_hand, e_hand) in want.items():
        sens, elas = kick.sensitivity(p), kick.elasticity(p)
        assert sens.verified
        assert elas.verified
        assert sp.simplify(sens.cases[0][0] - d_hand) == 0
        assert sp.simplify(elas.cases[0][0] - e_hand) == 0
        for point in ({"r": R(2), "alpha": R(1, 2)}, {"r": R(3), "alpha": R(1)}, {"r": R(1), "alpha": R(0)}):
            sub = {s[k]: v for k, v in point.items()}
            assert subs_named(sens.expr, kick, **point) == d_hand.subs(sub)
            assert subs_named(elas.expr, kick, **point) == e_hand.subs(sub)
        # the infinite-limit region (alpha >= r) has no derivative of the limit
        for point in ({"r": R(1, 2), "alpha": R(1, 2)}, {"r": R(1, 2), "alpha": R(1)}):
            assert subs_named(sens.expr, kick, **point) is NAN
            assert subs_named(elas.expr, kick, **point) is NAN


def test_augmentation_limit_sensitivities(aug):
    s = aug.symbols
    r, g, beta = s["r"], s["g"], s["beta"]
    x = g * r
    want = {
        "beta": (x / (x - 1), sp.Integer(1)),
        "r": (-beta * g / (x - 1) ** 2, -1 / (x - 1)),
        "g": (-beta * r / (x - 1) ** 2, -1 / (x - 1)),
    }
    for p, (d_hand, e_hand) in want.items():
        sens, elas = aug.sensitivity(p), aug.elasticity(p)
        assert sens.verified
        assert elas.verified
        for point in ({"r": R(2), "g": R(2), "beta": R(1, 2)}, {"r": R(1), "g": R(3), "beta": R(1)},
                      {"r": R(3, 2), "g": R(1), "beta": R(1, 5)}):
            sub = {s[k]: v for k, v in point.items()}
            assert subs_named(sens.expr, aug, **point) == d_hand.subs(sub), (p, point)
            assert subs_named(elas.expr, aug, **point) == e_hand.subs(sub), (p, point)
        # g r < 1 and g r = 1 with beta > 0: infinite limit, no derivative
        for point in ({"r": R(1, 2), "g": R(1), "beta": R(1, 2)}, {"r": R(2), "g": R(1, 2), "beta": R(1, 2)}):
            assert subs_named(sens.expr, aug, **point) is NAN
            assert subs_named(elas.expr, aug, **point) is NAN


# -- sensitivity and elasticity at finite n ----------------------------------------------------------


@pytest.mark.parametrize("param", ["alpha", "r"])
def test_kickstarting_sensitivity_at_n_equals_derivative_of_finite_sum(kick, param):
    sens = kick.sensitivity(param, n=n).expr
    elas = kick.elasticity(param, n=n).expr
    sym = KICK_NAMES[param]
    for k in range(1, 7):
        B = kick_B(k)
        d = sp.diff(B, sym)
        for point in KICK_POINTS:
            sub = {KICK_NAMES[name]: v for name, v in point.items()}
            want_d = d.subs(sub)
            assert subs_named(sens, kick, **point).subs(n, k) == want_d, (k, point)
            want_e = sp.simplify((sym * d / B).subs(sub))
            assert subs_named(elas, kick, **point).subs(n, k) == want_e, (k, point)


def test_kickstarting_sensitivity_degenerate_branch_r_equals_alpha(kick):
    s = kick.symbols
    r, alpha = s["r"], s["alpha"]
    for param, want in [("alpha", n * (n - 1) / (2 * r)), ("r", -n * (n - 1) / (2 * r))]:
        res = kick.sensitivity(param, n=n)
        assert res.verified
        value, cond = res.cases[0]
        assert cond.expr in (sp.Eq(alpha, r), sp.Eq(r, alpha))
        assert sp.simplify(value.subs(alpha, r) - want) == 0
    value, _ = kick.elasticity("alpha", n=n).cases[0]
    assert sp.simplify(value.subs(alpha, r) - (n - 1) / 2) == 0
    # an integer n: dB_3/dalpha at alpha = r is 3*2/(2r) = 3/r
    three = kick.sensitivity("alpha", n=3).expr
    assert sp.simplify(three.subs(alpha, r) - 3 / r) == 0
    assert three.subs({r: R(1, 2), alpha: R(1, 2)}) == 6


def test_kickstarting_sensitivity_generic_branch_symbolic(kick):
    s = kick.symbols
    r, alpha = s["r"], s["alpha"]
    q = alpha / r
    dBdq = ((1 - q**n) - n * q ** (n - 1) * (1 - q)) / (1 - q) ** 2
    hand = {"alpha": dBdq / r, "r": -alpha / r**2 * dBdq}
    for param, want in hand.items():
        generic = kick.sensitivity(param, n=n).cases[-1][0]
        for rv, av, nv in ((R(3, 2), R(1, 3), 4), (R(5), R(1, 2), 7), (R(1, 2), R(1), 3), (R(2), R(0), 5)):
            pt = {r: rv, alpha: av, n: nv}
            assert sp.cancel(generic.subs(pt) - want.subs(pt)) == 0, (param, pt)


@pytest.mark.parametrize("param", ["beta", "r", "g"])
def test_augmentation_sensitivity_at_n_equals_derivative_of_finite_sum(aug, param):
    sens = aug.sensitivity(param, n=n).expr
    elas = aug.elasticity(param, n=n).expr
    sym = AUG_NAMES[param]
    for k in range(1, 7):
        B = aug_B(k)
        d = sp.diff(B, sym)
        for point in AUG_POINTS:
            sub = {AUG_NAMES[name]: v for name, v in point.items()}
            assert subs_named(sens, aug, **point).subs(n, k) == d.subs(sub), (k, point)
            want_e = sp.simplify((sym * d / B).subs(sub))
            assert subs_named(elas, aug, **point).subs(n, k) == want_e, (k, point)


def test_augmentation_sensitivity_degenerate_branch_gr_equal_one(aug):
    s = aug.symbols
    r, g, beta = s["r"], s["g"], s["beta"]
    common = (n - 1) + beta * (n - 1) * (n - 2) / 2
    hand = {"beta": n - 1, "r": -g * common, "g": -r * common}
    for param, want in hand.items():
        res = aug.sensitivity(param, n=n)
        assert res.verified
        value, cond = res.cases[0]
        assert cond.expr == sp.Eq(g * r, 1)
        assert sp.simplify(value.subs(g, 1 / r) - want.subs(g, 1 / r)) == 0, param


# -- breakevens ---------------------------------------------------------------------------------


def test_augmentation_breakeven_beta(aug):
    s = aug.symbols
    r, g = s["r"], s["g"]
    res = aug.breakeven("beta")
    assert res.verified
    assert not res.expr.has(n)
    assert "the breakeven does not depend on n" in res.notes
    finite = [v for v, _ in res.cases if v is not NAN]
    assert any(sp.simplify(v - (1 - 1 / (g * r))) == 0 for v in finite)
    for rv, gv in [(R(2), R(2)), (R(1), R(3)), (R(2), R(1, 2)), (R(1), R(1)), (R(5, 2), R(1))]:
        assert res.expr.subs({r: rv, g: gv}) == 1 - 1 / (rv * gv)  # g r >= 1
    for rv, gv in [(R(1, 2), R(1)), (R(1, 3), R(2))]:
        assert res.expr.subs({r: rv, g: gv}) is NAN  # g r < 1: 1 - 1/(g r) < 0


def test_augmentation_breakeven_beta_gives_benefit_one_by_iteration(aug):
    # independent: with beta = 1 - 1/(g r), iterate A, P, C exactly and see B_k = 1 for every k
    for rv, gv in [(R(2), R(2)), (R(3, 2), R(1)), (R(1, 2), R(3))]:
        beta = subs_named(aug.breakeven("beta").expr, aug, r=rv, g=gv)
        C = P = A = R(1)
        for k in range(1, 8):
            if k > 1:
                C, P = rv * C, gv * P
                A = beta * P * C + A
            assert A / (P * C) == 1, (rv, gv, k)


def test_kickstarting_breakeven_alpha_is_zero(kick):
    res = kick.breakeven("alpha")
    assert res.verified
    assert res.expr == 0
    assert "the breakeven does not depend on n" in res.notes


def test_kickstarting_breakeven_r_has_no_solution(kick):
    # B_n = 1 needs alpha = 0 (n >= 2); no value of r gives it otherwise
    assert kick.breakeven("r").expr is NAN


@pytest.mark.parametrize("beta", [R(1, 4), R(1, 2), R(9, 10)])
@pytest.mark.parametrize("other", [R(1, 2), R(1), R(3)])
def test_augmentation_breakeven_r_and_g(aug, beta, other):
    want = 1 / (other * (1 - beta))
    assert subs_named(aug.breakeven("r").expr, aug, g=other, beta=beta) == want
    assert subs_named(aug.breakeven("g").expr, aug, r=other, beta=beta) == want


def test_augmentation_breakeven_r_and_g_at_beta_one(aug):
    # beta = 1: B_n = sum_{j<n} u^j > 1 for n >= 2, no solution (and no error: beta = 1 is
    # in the domain)
    assert subs_named(aug.breakeven("r").expr, aug, g=2, beta=1) is NAN
    assert subs_named(aug.breakeven("g").expr, aug, r=2, beta=1) is NAN


def test_augmentation_breakeven_r_and_g_at_beta_zero(aug):
    # beta = 0: B_n = (g r)^(1-n) = 1 exactly at g r = 1, for every n
    for other in (R(1, 2), R(1), R(3)):
        assert subs_named(aug.breakeven("r").expr, aug, g=other, beta=0) == 1 / other
        assert subs_named(aug.breakeven("g").expr, aug, r=other, beta=0) == 1 / other


@pytest.mark.parametrize("name", ["kickstarting", "augmentation"])
def test_breakeven_in_a_parameter_the_benefit_ignores(name):
    # B_n does not depend on C1: no particular value of C1 is a breakeven
    assert sr.get_model(name).breakeven("C1").expr is NAN


def test_calculus_rejects_unknown_names(kick):
    with pytest.raises(ValueError, match="beta"):
        kick.sensitivity("beta")
    with pytest.raises(ValueError, match="of"):
        kick.breakeven("alpha", of="median")
    with pytest.raises(ValueError, match="nosuch"):
        kick.elasticity("alpha", metric="nosuch")


def test_conditions_are_tidied():
    """Factors of known sign leave the conditions: beta*g - g < 0 reads beta < 1."""
    import symrecycle.core.conditions as S

    b, g, r = (sr.get_model("augmentation").symbols[k] for k in ("beta", "g", "r"))
    assert S.tidy_relational(b * g - g < 0) == (b < 1)
    assert S.tidy_relational(sp.Ne(1 / (b - 1), -1)) == sp.Ne(b, 0)
    assert S.tidy_relational(sp.Eq(b * r, 0)) == sp.Eq(b, 0)
    assert S.tidy_relational((1 - g * r) * (g * r - 1) > 0) is sp.false
    br = sr.get_model("augmentation").breakeven("r").expr
    assert (1 / g, sp.Eq(b, 0)) in br.args


def test_no_derivative_across_a_jump():
    """A quantity that jumps onto its degenerate set has no derivative there (nan), except where
    the jump vanishes; a continuous one keeps the limit of the generic derivative."""
    from symrecycle.solve.calculus import derivative

    r, rho = sp.symbols("r rho", positive=True)
    a = sp.Symbol("alpha", nonnegative=True)
    jumps = sp.Piecewise((r / (r - a), sp.Eq(rho, 1) & (a < r)), (1, True))  # reuse-decay's limit
    d = derivative(jumps, rho)
    assert d.subs({r: 3, a: 1, rho: 1}) is sp.nan
    assert d.subs({r: 3, a: 0, rho: 1}) == 0  # no jump at alpha = 0
    assert d.subs({r: 3, a: 1, rho: sp.Rational(1, 2)}) == 0
    smooth = sp.Piecewise((n * rho**n, sp.Eq(rho, 1)), ((rho**n - 1) / (rho - 1) * rho, True))
    ds = derivative(smooth, rho)  # continuous at rho = 1: the limit of the generic derivative
    assert ds.subs({rho: 1, n: 3}) == 6  # d/drho (rho + rho^2 + rho^3) at 1


# -- equations with no general root formula ------------------------------------------------------
# sums of three or more powers of the unknown, with a symbolic exponent, not all multiples of one
U, A, B = sp.symbols("u a b", positive=True)
NO_FORMULA = [
    U**n + U - 2, U**(n + 1) - U**n - 1, A * U**n + B * U + 1, U**(2 * n) - A * U**n + U,
    U**n - U**2 - U, A * U**(n - 1) + B + U**n, 2**n * U**n + U - 1,
]


@pytest.mark.parametrize("f", NO_FORMULA, ids=str)
def test_what_is_turned_away_is_what_sympy_cannot_solve(f):
    """The claim of ``_no_root_formula`` checked against SymPy itself: each equation it turns away
    (one irreducible factor) makes ``sympy.solve`` raise."""
    from symrecycle.solve.calculus import _no_root_formula

    assert len(sp.Mul.make_args(sp.factor(f))) == 1
    assert "no general root formula" in _no_root_formula(f, U)
    with pytest.raises(NotImplementedError):
        sp.solve(f, U)


def test_powers_of_one_power_products_and_numeric_exponents_go_to_sympy():
    """A polynomial in u**n, a product and a polynomial are solved as before."""
    from symrecycle.solve.calculus import _no_root_formula, breakeven

    for f in (U**(2 * n) - 3 * U**n + 2, U**n * (U - 1) + U - 1, U**3 - A * U + 1, U**n - A, U * U**n - A):
        assert _no_root_formula(f, U) is None
    q = sr.Parameter("q", 0, None, lower_open=True)
    sols = breakeven(q.symbol**(2 * n) - 3 * q.symbol**n + 3, q, level=1)  # q**n = 1 or 2
    assert {s.subs(n, 3) for s, _ in sols} == {1, 2 ** R(1, 3)}


def test_augmentation_breakevens_of_the_real_metric_at_n_say_why_they_are_not_derived(aug):
    # A_n/C_n = 1 in r: a sum of r, r**2, r**n and r**(n+1); in g, of powers of u = g r: 1, u and u**n
    for param, powers in (("r", r"4 powers of r \(exponents 1, 2, n, n \+ 1\)"),
                          ("g", r"3 powers of g\*r \(exponents 0, 1, n\)")):
        with pytest.raises(sr.NotDerived, match=f"for {param}: a sum of {powers}, .*no general root formula"):
            aug.breakeven(param, metric="real")
