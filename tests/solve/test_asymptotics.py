r"""Limits by regime and iterations to a fraction of the limit.

Hand derivations used below (independent of the package):

Kickstarting.  C_n = C1 r^(n-1) and A_n = sum_{k=1}^{n} alpha^(n-k) C1 r^(k-1), so
with q = alpha/r

    B_n = A_n / C_n = sum_{j=0}^{n-1} q^j = (1 - q^n) / (1 - q)   (q != 1),   n (q = 1).

    lim B_n = 1/(1 - q) = r/(r - alpha)  if alpha < r,
            = oo                          if alpha >= r  (n -> oo, or q^n/(q-1) -> oo).

    B_n - L = -q^n/(1 - q) = -L q^n, so |B_n - L| / L = q^n = 1 - f  at
    n* = log(1 - f) / log(alpha/r).

Augmentation.  P_n C_n = C1 (g r)^(n-1) and A_n = C1 + beta C1 sum_{k=2}^{n} (g r)^(k-1), so
with u = 1/(g r)

    B_n = A_n / (P_n C_n) = u^(n-1) + beta sum_{j=0}^{n-2} u^j
        = beta/(1 - u) + u^(n-1) (1 - beta/(1 - u))        (u != 1),
        = 1 + beta (n - 1)                                  (u = 1).

    lim B_n = beta/(1 - u) = beta g r/(g r - 1)   if g r > 1,
            = 1 if beta = 0, oo if beta > 0       if g r = 1,
            = oo                                  if g r < 1 (u^(n-1) -> oo with a coefficient
                                                   (1 - u - beta)/(1 - u) = (u - 1 + beta)/(u - 1) > 0).

    For g r > 1: |B_n - L| / L = u^(n-1) |1 - u - beta| / beta = 1 - f at
    n* = 1 + log((1 - f) beta / |1 - u - beta|) / log(u);  where beta = 1 - u, B_n = L
    for every n (n* = 1); where beta = 0 the limit is 0 and no n is within a relative
    distance of it (n* = oo, as where the limit is infinite).

    The "real" metric A_n / C_n = r^(1-n) + beta sum_{k=2}^{n} g^(k-1) r^(k-n).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp

import symrecycle as sr

n = sr.n
R = sp.Rational
oo = sp.oo


def subs_named(expr, model, **values):
    s = model.symbols
    return expr.subs({s[k]: sp.sympify(v) for k, v in values.items()})


# -- hand formulas, typed here ---------------------------------------------------------------


def kick_limit(r, alpha):
    return r / (r - alpha) if alpha < r else oo


def aug_limit(r, g, beta):
    x = g * r
    if x > 1:
        return beta * x / (x - 1)
    if x == 1:
        return R(1) if beta == 0 else oo
    return oo


KICK_GRID = [(r, a) for r in (R(1, 4), R(1, 2), R(1), R(2), R(3)) for a in (R(0), R(1, 3), R(1, 2), R(1))]
AUG_GRID = [
    (r, g, b)
    for r in (R(1, 3), R(1, 2), R(1), R(2))
    for g in (R(1, 2), R(1), R(2), R(3))
    for b in (R(0), R(1, 4), R(1))
]


# -- limits -------------------------------------------------------------------------------------


def test_kickstarting_limit_symbolic(kick):
    s = kick.symbols
    r, alpha = s["r"], s["alpha"]
    res = kick.limit()
    assert res.verified
    (finite, _), (infinite, _) = res.cases
    assert sp.simplify(finite - r / (r - alpha)) == 0
    assert infinite == oo


@pytest.mark.parametrize(("r", "alpha"), KICK_GRID)
def test_kickstarting_limit_by_region(kick, r, alpha):
    # includes alpha == r (r = 1/2, 1) and alpha > r (r = 1/4): infinite limit
    assert subs_named(kick.limit().expr, kick, r=r, alpha=alpha) == kick_limit(r, alpha)


def test_kickstarting_hand_limit_agrees_with_sympy_limit_at_numbers():
    # a check of the hand derivation itself, at concrete numbers SymPy can handle
    for r, alpha in [(R(2), R(1, 2)), (R(3, 2), R(1))]:
        q = alpha / r
        assert sp.limit((1 - q**n) / (1 - q), n, oo) == kick_limit(r, alpha)


def test_augmentation_limit_symbolic(aug):
    s = aug.symbols
    r, g, beta = s["r"], s["g"], s["beta"]
    res = aug.limit()
    assert res.verified
    generic = [v for v, _ in res.cases if v.has(beta)]  # the only case in beta: g r > 1
    assert len(generic) == 1
    assert sp.simplify(generic[0] - beta * g * r / (g * r - 1)) == 0
    assert any(v == oo for v, _ in res.cases)


@pytest.mark.parametrize(("r", "g", "beta"), AUG_GRID)
def test_augmentation_limit_by_region(aug, r, g, beta):
    # the grid holds g r < 1, g r = 1 (with beta = 0 and beta > 0) and g r > 1
    assert subs_named(aug.limit().expr, aug, r=r, g=g, beta=beta) == aug_limit(r, g, beta)


def test_augmentation_limit_degenerate_gr_equal_one(aug):
    s = aug.symbols
    lim = aug.limit().expr
    # B_n = 1 + beta (n - 1) on g r = 1
    assert lim.subs({s["r"]: 2, s["g"]: R(1, 2), s["beta"]: 0}) == 1
    assert lim.subs({s["r"]: 2, s["g"]: R(1, 2), s["beta"]: R(1, 100)}) == oo
    assert lim.subs({s["r"]: 1, s["g"]: 1, s["beta"]: 1}) == oo


def test_augmentation_real_metric_limit(aug):
    # A_n/C_n = r^(1-n) + beta sum_{k=2}^{n} g^(k-1) r^(k-n); by hand at each point:
    cases = [
        ({"r": 1, "g": R(1, 2), "beta": R(1, 2)}, R(3, 2)),  # 1 + beta * sum_{j>=1} 2^-j
        ({"r": 2, "g": 1, "beta": R(1, 2)}, R(1)),  # beta * sum_{k<=n} 2^(k-n) -> 2 beta
        ({"r": 2, "g": R(1, 4), "beta": R(1, 2)}, R(0)),  # every term -> 0
        ({"r": 2, "g": R(1, 2), "beta": 1}, R(0)),  # g r = 1: n 2^(1-n) -> 0
        ({"r": 2, "g": 2, "beta": R(1, 2)}, oo),  # the k = n term beta g^(n-1) -> oo
        ({"r": R(1, 2), "g": 2, "beta": 0}, oo),  # r^(1-n) -> oo
        ({"r": 1, "g": 1, "beta": R(1, 2)}, oo),  # 1 + beta (n - 1)
        ({"r": 1, "g": 1, "beta": 0}, R(1)),
    ]
    res = aug.limit("real")
    assert res.verified
    for point, want in cases:
        assert subs_named(res.expr, aug, **point) == want, point


# -- iterations to a fraction of the limit -------------------------------------------------------


def _same(a, b) -> bool:
    """Exact equality of two real expressions with logs of rationals."""
    d = sp.expand_log(sp.sympify(a) - sp.sympify(b), force=True)
    return sp.simplify(d) == 0


@pytest.mark.parametrize("fraction", [0.99, Fraction(1, 2), Fraction(9, 10)])
def test_kickstarting_iterations_to_symbolic(kick, fraction):
    s = kick.symbols
    r, alpha = s["r"], s["alpha"]
    f = sp.Rational(Fraction(str(fraction)) if isinstance(fraction, float) else fraction)
    res = kick.iterations_to(fraction)
    assert res.verified
    (nstar, _), (never, _) = res.cases
    assert _same(nstar, sp.log(1 - f) / sp.log(alpha / r))
    assert never == oo


@pytest.mark.parametrize(("r", "alpha"), KICK_GRID)
def test_kickstarting_iterations_to_by_region(kick, r, alpha):
    got = subs_named(kick.iterations_to(0.99).expr, kick, r=r, alpha=alpha)
    if alpha >= r:
        assert got == oo
    elif alpha == 0:
        assert got <= 1  # B_n = 1 = L from the first iteration on
    else:
        assert _same(got, sp.log(R(1, 100)) / sp.log(alpha / r))


def test_kickstarting_iterations_to_meets_the_fraction(kick):
    # independent of the package: at n*, |B - L|/L = (alpha/r)^n* = 1 - f, 40 digits
    with mpmath.workdps(50):
        r, alpha, f = mpmath.mpf(2), mpmath.mpf("0.5"), mpmath.mpf("0.99")
        nstar = mpmath.mpf(str(sp.N(subs_named(kick.iterations_to(0.99).expr, kick, r=2, alpha=R(1, 2)), 60)))
        q = alpha / r
        B = (1 - q**nstar) / (1 - q)
        L = 1 / (1 - q)
        assert abs(abs(B - L) / L - (1 - f)) < mpmath.mpf(10) ** -40


def aug_nstar(r, g, beta, f):
    """n* by hand (see the module text)."""
    u = 1 / (g * r)
    if g * r <= 1:
        return R(1) if (g * r == 1 and beta == 0) else oo
    if beta == 0:
        return oo
    if beta == 1 - u:
        return R(1)
    return 1 + sp.log((1 - f) * beta / abs(1 - u - beta)) / sp.log(u)


@pytest.mark.parametrize(
    ("r", "g", "beta"),
    [
        (R(2), R(2), R(1, 2)),
        (R(3), R(1), R(1)),  # 1 - u - beta < 0
        (R(1), R(3), R(1, 3)),
        (R(2), R(2), R(3, 4)),  # beta = 1 - u: at the limit from the start
        (R(1), R(1, 2), R(1, 2)),  # g r < 1
        (R(1), R(1), R(1, 2)),  # g r = 1, beta > 0
        (R(2), R(1, 2), R(0)),  # g r = 1, beta = 0: B_n = 1 = L
    ],
)
def test_augmentation_iterations_to(aug, r, g, beta):
    got = subs_named(aug.iterations_to(0.99).expr, aug, r=r, g=g, beta=beta)
    want = aug_nstar(r, g, beta, R(99, 100))
    if want == oo:
        assert got == oo
    else:
        assert _same(got, want)


def test_augmentation_iterations_to_meets_the_fraction(aug):
    with mpmath.workdps(50):
        g, r, beta, f = 2, 2, mpmath.mpf("0.5"), mpmath.mpf("0.99")
        value = subs_named(aug.iterations_to(0.99).expr, aug, r=r, g=g, beta=R(1, 2))
        nstar = mpmath.mpf(str(sp.N(value, 60)))
        u = mpmath.mpf(1) / (g * r)
        B = beta / (1 - u) + u ** (nstar - 1) * (1 - beta / (1 - u))
        L = beta / (1 - u)
        assert abs(abs(B - L) / L - (1 - f)) < mpmath.mpf(10) ** -40


def test_augmentation_iterations_to_zero_limit_is_never_reached(aug):
    # beta = 0, g r > 1: B_n = u^(n-1) > 0 and L = 0, so no n has |B_n - L| <= (1 - f)|L|;
    # the answer is real (oo, like the infinite-limit region), not complex infinity
    got = subs_named(aug.iterations_to(0.99).expr, aug, r=2, g=2, beta=0)
    assert got == oo


def test_iterations_to_rejects_fraction_outside_unit_interval(kick):
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="fraction"):
            kick.iterations_to(bad)


# -- limits from the metric's own recurrence M_n = q_n M_{n-1} + h_n ------------------------------
def _par(name, lo, hi, lo_open=False, hi_open=False):
    return sr.Parameter(name, lo, hi, lower_open=lo_open, upper_open=hi_open)


def _case_at(cases, point):
    """The value of the one case whose condition holds at ``point``."""
    hits = [v.subs(point) for v, c in cases if c.subs(point) is sp.true]
    assert len(hits) == 1, (cases, point)
    return hits[0]


def test_limit_of_linear_contraction_and_growth():
    from symrecycle.solve.asymptotics import limit_of_linear

    r, a = _par("r", 0, None, lo_open=True), _par("a", 0, 1)
    rs, as_ = r.symbol, a.symbol
    R = sp.Rational
    # constant q = a/r: h/(1 - q) inside, oo from q = 1 on (q_n = 1 for every n there)
    cases = limit_of_linear(as_ / rs, sp.Integer(2), sp.Integer(1), [r, a])
    assert _case_at(cases, {rs: 2, as_: R(1, 2)}) == R(8, 3)
    assert _case_at(cases, {rs: R(1, 2), as_: R(1, 2)}) == sp.oo
    assert _case_at(cases, {rs: R(1, 3), as_: R(1, 2)}) == sp.oo
    # q_n = r^n: vanishes for r < 1 (the limit is h), oo for r >= 1
    cases = limit_of_linear(rs**n, sp.Integer(1), sp.Integer(1), [r])
    assert _case_at(cases, {rs: R(1, 2)}) == 1
    assert _case_at(cases, {rs: 1}) == sp.oo
    assert _case_at(cases, {rs: 3}) == sp.oo


def test_limit_of_linear_rates_that_are_no_exponential_polynomial():
    from symrecycle.solve.asymptotics import limit_of_linear

    r = _par("r", 0, None, lo_open=True)
    # q_n = 1/(r n) -> 0 (SymPy's limit): the limit is h = 1 for every r
    assert limit_of_linear(1 / (r.symbol * n), sp.Integer(1), sp.Integer(1), [r]) == [(1, sp.true)]
    # h_n = n -> oo with q_n = 1/2: oo
    assert limit_of_linear(sp.Rational(1, 2), n, sp.Integer(1), [r]) == [(sp.oo, sp.true)]


def test_limit_of_linear_says_where_no_rule_applies():
    from symrecycle.solve.asymptotics import limit_of_linear

    a = _par("a", 0, 1)
    # q = -a reaches -1 at a = 1: oscillation the rules do not cover
    with pytest.raises(sr.NotDerived, match="q_n -> q <= -1"):
        limit_of_linear(-a.symbol, sp.Integer(1), sp.Integer(1), [a])
    # q_n = n/(n+1) -> 1 from below
    with pytest.raises(sr.NotDerived, match="q_n -> 1 without q_n = 1"):
        limit_of_linear(n / (n + 1), sp.Integer(1), sp.Integer(1), [a])
    # a rate with no limit: sin(n) oscillates with modulus 1 (its amplitude is 1, never 0)
    with pytest.raises(sr.NotDerived, match=r"sin\(n\) has no limit as n -> oo where True \(it oscillates\)"):
        limit_of_linear(sp.Integer(1), sp.sin(n), sp.Integer(1), [a])


def test_iterations_to_a_zero_limit_is_never_reached():
    """A metric tending to 0 never comes within a fraction of its limit: n* = oo there, not log(0)."""
    import symrecycle as sr
    from symrecycle.core.params import STANDARD
    from symrecycle.models.model import Metric, Model, SequenceDef, seq

    r, C = STANDARD["r"], seq("C")
    m = Model("compute", "", (r,), (SequenceDef("C", sp.Integer(1), r.symbol * C[sr.n - 1]),),
              (Metric("benefit", C[sr.n]),), adjusted="C")
    res = m.iterations_to(0.99)
    assert {(v, c.expr) for v, c in res.cases} == {(1, sp.Eq(r.symbol, 1)), (sp.oo, sp.Ne(r.symbol, 1))}
    assert not res.expr.has(sp.zoo)
    assert not res.verified  # no finite n* to check against iteration: said, not assumed


def _forced_model(tmp_path, k):
    """A_1 = 1, A_n = alpha A_{n-1} + sum_{i<=k} alpha (r+i)^n, for r > 1 and alpha in [0, 1]."""
    from symrecycle.io.modelfile import load_model

    forcing = " + ".join(f"alpha*(r+{i})**n" for i in range(1, k + 1))
    path = tmp_path / "forced.toml"
    path.write_text(f'name = "forced"\n[parameters]\nr = "(1, oo)"\nalpha = "[0, 1]"\n[recurrence]\n'
                    f'initial = "1"\nnext = "alpha*A[n-1] + {forcing}"\n[metric]\nbenefit = "A[n]"\n')
    m = load_model(path)
    return m, m.symbols["r"], m.symbols["alpha"]


def _fraction_terms(k, r, alpha, count):
    a, out = Fraction(1), [Fraction(1)]
    for m in range(2, count + 1):
        a = alpha * a + sum(alpha * (r + i) ** m for i in range(1, k + 1))
        out.append(a)
    return out


def test_a_base_that_can_be_zero_keeps_its_zero_case(tmp_path):
    # at alpha = 0 the forcing vanishes: A_n = 0 for n >= 2 and the limit is 0, not oo (the regime
    # 0 <= alpha < 1 once read as 0 < alpha < 1, so the coefficient alpha was "proved" positive)
    import sympy as sp

    m, _r, alpha = _forced_model(tmp_path, 1)
    res = m.limit()
    assert res.verified
    assert sp.Piecewise((0, sp.Eq(alpha, 0)), (sp.oo, True)) == res.expr
    assert _fraction_terms(1, Fraction(6, 5), Fraction(0), 6)[1:] == [0] * 5


def test_forcing_bases_above_one_on_the_domain_cost_no_regime_walk(tmp_path):
    # r + i > 1 for r > 1, and alpha = r + i is outside alpha in [0, 1]: one case, one regime per base
    import sympy as sp

    from symrecycle.core.params import n

    m, r, alpha = _forced_model(tmp_path, 6)
    cf = m.closed_form()
    assert cf.verified
    assert not isinstance(cf.expr, sp.Piecewise)
    for pt in ((Fraction(3, 2), Fraction(1, 3)), (Fraction(7, 4), Fraction(1))):
        want = _fraction_terms(6, *pt, 5)
        got = [cf.expr.subs({r: sp.Rational(pt[0].numerator, pt[0].denominator),
                             alpha: sp.Rational(pt[1].numerator, pt[1].denominator), n: j})
               for j in range(1, 6)]
        assert [sp.Rational(w.numerator, w.denominator) for w in want] == [sp.expand(g) for g in got]
    res = m.limit()
    assert res.verified
    assert sp.Piecewise((0, sp.Eq(alpha, 0)), (sp.oo, True)) == res.expr


def test_square_roots_keep_a_constant_that_is_no_integer():
    # sqrt(sqrt(2) (r+1)**2 (r+2)) is (r+1) 2**(1/4) sqrt(r+2), above 1.1 (r+1) sqrt(r+2): positive; the
    # constant sqrt(2) was once taken as the integer 1, and the sign proved negative
    from symrecycle.core.params import STANDARD
    from symrecycle.solve.signs import open_square_roots, sign_on

    r = STANDARD["r"].symbol
    root = sp.sqrt(sp.expand(sp.sqrt(2) * (r + 1) ** 2 * (r + 2)))
    e = root - sp.Rational(11, 10) * (r + 1) * sp.sqrt(r + 2)
    assert sign_on(e, [STANDARD["r"]]) in (1, None)
    x, y = sp.symbols("x y", positive=True)
    half = open_square_roots(sp.sqrt(sp.expand(sp.Rational(1, 2) * (x - y) ** 2 * (x + y))), lambda q: 1)
    assert sp.simplify(half - (x - y) * sp.sqrt((x + y) / 2)) == 0
