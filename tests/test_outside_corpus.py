"""First-order recurrences no one on the project wrote, against this file's own Fraction loop.

Sources: the first-order cases of SymPy's ``sympy/solvers/tests/test_recurr.py``
(with the closed forms printed there), textbook finance and combinatorics
(compound interest, annuities, growing annuities, depreciation, the Tower of
Hanoi), and forcing bases that meet the coefficient on several components.
Every closed form is compared with exact iteration at points on every
component of every degenerate set and on their intersections.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from symrecycle.core.params import n
from symrecycle.solve.cases import decompose_forcing
from symrecycle.solve.recurrence import Recurrence

#: 1 in the default Hypothesis profile, 10 in "thorough" (tests/conftest.py)
SCALE = settings.default.max_examples // 100

a, b, c, r, s, i, g, p, d, q = sp.symbols("a b c r s i g p d q", real=True)
al = sp.Symbol("alpha", nonnegative=True)
rp = sp.Symbol("r", positive=True)
R = sp.Rational


def fraction_loop(coef, forcing, x0, start, values, count):
    """x_start..x_{start+count-1} with Python Fractions: x_k = coef*x_{k-1} + forcing(k)."""
    def num(e, k=None):
        e = sp.sympify(e).subs(values)
        if k is not None:
            e = e.subs(n, k)
        e = sp.nsimplify(e) if not e.is_Rational else e
        assert e.is_Rational, e
        return Fraction(int(e.p), int(e.q))

    x, out = num(x0), []
    out.append(x)
    for k in range(start + 1, start + count):
        x = num(coef, k) * x + num(forcing, k)
        out.append(x)
    return out


def closed_values(expr, values, start, count):
    out = []
    for k in range(start, start + count):
        # the index first: x_k as a function of the parameters (0**n is 0 only for n >= 1)
        v = sp.piecewise_fold(sp.sympify(expr).subs(n, k)).subs(values)
        assert v.is_Rational, (values, k, v)
        out.append(Fraction(int(v.p), int(v.q)))
    return out


def solve(coef, forcing, x0, start=1):
    rec = Recurrence(coef, decompose_forcing(forcing), x0, start, "x")
    return rec, rec.solve()


# (coefficient, forcing, x0, start, points {symbol: value} covering every case, its components and
#  their intersections, expected closed form or None)
CORPUS = [
    # SymPy test_recurr.py (first order; rsolve's printed answers)
    (2, n**2, 0, 0, [{}], -n**2 - 4 * n - 6 + 6 * 2**n),
    (2, n, 1, 0, [{}], 3 * 2**n - n - 2),
    (2, 3 * n**2, 0, 0, [{}], 2**n * 18 - 3 * n**2 - 12 * n - 18),
    (2, (n - 1) ** 2 + 1, 0, 1, [{}], 7 * 2**n / 2 - n**2 - 2 * n - 4),  # f(n+1) = 2 f(n) + n^2 + 1, f(1) = 0
    (1, 2, 0, 0, [{}], 2 * n),
    (1, 2, 1, 0, [{}], 2 * n + 1),
    (3, -1, 0, 0, [{}], -(3**n) / 2 + R(1, 2)),
    (2, 2**n, 1, 1, [{}], 2 ** (n - 1) * (2 * n - 1)),
    (a, 0, a, 1, [{a: 2}, {a: 0}, {a: -1}], a**n),
    (-1, 2**n + 3**n, 0, 0, [{}], None),
    (2, 1 - n, 0, 0, [{}], None),
    # textbook: compound interest, annuity (due), growing annuity, depreciation, Tower of Hanoi
    (1 + i, 0, p, 0, [{i: R(1, 20), p: 100}, {i: 0, p: 3}, {i: -1, p: 2}], p * (1 + i) ** n),
    (1 + i, p, 0, 0, [{i: R(1, 20), p: 100}, {i: 0, p: 7}], None),
    (1 + i, p * (1 + g) ** n, p, 0, [{i: R(1, 10), g: R(1, 10), p: 1}, {i: R(1, 10), g: R(1, 20), p: 3},
                                     {i: 0, g: 0, p: 2}, {i: -1, g: -1, p: 5}, {i: 2, g: -1, p: 1}], None),
    (1 - d, 0, 1000, 0, [{d: R(1, 5)}, {d: 1}, {d: 0}], 1000 * (1 - d) ** n),
    (2, 1, 1, 1, [{}], 2**n - 1),
    # forcing bases that meet the coefficient on several components
    (al, (al * rp) ** n, al * rp, 1, [{al: R(1, 2), rp: 1}, {al: 0, rp: 3}, {al: 0, rp: 1}, {al: 1, rp: 1},
                                      {al: R(1, 3), rp: 2}], None),
    (a**2, a**n, 1, 1, [{a: 0}, {a: 1}, {a: 2}, {a: -1}], None),
    (a, b, c, 1, [{a: 2, b: 0, c: 0}, {a: 1, b: 3, c: 1}, {a: R(1, 2), b: 1, c: 0}, {a: 3, b: 1, c: 2}],
     None),
    (a, a * b**n + n * (a * b) ** n, 1, 1, [{a: 2, b: 1}, {a: 0, b: 5}, {a: 0, b: 1}, {a: 3, b: 2},
                                           {a: -2, b: 1}, {a: 1, b: 1}], None),
    (a * (1 - d), n * a**n * (1 - d) ** n + 2**n, 1, 0, [{a: 2, d: 0}, {a: 1, d: R(1, 2)}, {a: 4, d: R(1, 2)},
                                                          {a: 0, d: 3}, {a: 2, d: R(1, 3)}], None),
    (q, q**n + 2**n + n * 3**n, 0, 1, [{q: 1}, {q: 2}, {q: 3}, {q: R(1, 2)}, {q: 0}], None),
]


@pytest.mark.parametrize(("coef", "forcing", "x0", "start", "points", "want"), CORPUS)
def test_closed_form_equals_exact_iteration_on_every_case(coef, forcing, x0, start, points, want):
    _rec, cf = solve(coef, forcing, x0, start)
    assert cf.verified, [str(x) for x in cf.certificate] + list(cf.checks)
    for pt in points:
        assert closed_values(cf.expr, pt, start, 7) == fraction_loop(coef, forcing, x0, start, pt, 7), pt
    if want is not None:
        gen = cf.expr.args[-1][0] if isinstance(cf.expr, sp.Piecewise) else cf.expr
        assert sp.expand(gen - want) == 0 or sp.simplify(gen - want) == 0


def test_the_issue_example_two_lines_of_degeneracy():
    # A_1 = alpha r, A_n = alpha A_{n-1} + (alpha r)^n: alpha = alpha r on alpha = 0 and on r = 1
    _rec, cf = solve(al, (al * rp) ** n, al * rp)
    conds = {str(c) for _, c in cf.expr.args}
    assert "Eq(r, 1)" in conds
    assert "Eq(alpha, 0)" in conds
    # on r = 1: A_n = n alpha^n
    x = sp.Symbol("x", positive=True)
    at_line = sp.piecewise_fold(cf.expr.subs({rp: 1, al: x}))
    assert sp.simplify(at_line - n * x**n) == 0


def test_renaming_parameters_changes_nothing():
    for names in (("alpha", "r"), ("s", "r"), ("z", "a"), ("a", "z")):
        x, y = sp.Symbol(names[0], nonnegative=True), sp.Symbol(names[1], positive=True)
        _, cf = solve(x, (x * y) ** n, x * y)
        assert cf.verified
        for xv, yv in ((0, 1), (R(1, 2), 1), (0, 3), (1, 1), (R(1, 3), 2)):
            pt = {x: xv, y: yv}
            assert closed_values(cf.expr, pt, 1, 6) == fraction_loop(x, (x * y) ** n, x * y, 1, pt, 6)


def test_six_exponential_terms_give_linear_size():
    terms = sum(sp.Symbol(f"c{k}") * (k + 2) ** n for k in range(6))
    _rec, cf = solve(a, terms, 1)
    assert cf.verified
    assert len(cf.expr.args) == 7  # a = 2, ..., a = 7, otherwise: no empty combinations
    assert len(cf.terms) == 6


def test_polynomial_forcing_of_degree_five():
    poly = n**5 - 3 * n**3 + 2 * n - 7
    _rec, cf = solve(2, poly, 1)
    assert cf.verified
    assert closed_values(cf.expr, {}, 1, 9) == fraction_loop(2, poly, 1, 1, {}, 9)


def test_polynomial_forcing_meeting_the_coefficient():
    # x_n = a x_{n-1} + n^2: at a = 1 the sum of squares
    _rec, cf = solve(a, n**2, 0, 0)
    assert cf.verified
    one = cf.expr.args[0][0]
    assert sp.expand(one - n * (n + 1) * (2 * n + 1) / 6) == 0
    for av in (1, 2, 0, -1, R(1, 2)):
        assert closed_values(cf.expr, {a: av}, 0, 7) == fraction_loop(a, n**2, 0, 0, {a: av}, 7)


def test_impossible_groups_are_dropped_not_kept_as_failing_branches():
    _rec, cf = solve(q, 1 + 2**n, 1)
    conds = [c for _, c in cf.expr.args]
    assert sp.And(sp.Eq(q, 1), sp.Eq(q, 2)) not in conds
    assert len(conds) == 3
    assert cf.verified


def test_factor_of_unknown_sign_is_decided_without_simplify():
    # A_n = C_n + alpha (1 - d) A_{n-1}: (alpha (1-d))^n is one base
    C1 = sp.Symbol("C1", positive=True)
    _rec, cf = solve(al * (1 - d), C1 * rp ** (n - 1), C1)
    assert cf.verified
    points = ({al: R(1, 2), d: R(1, 3), rp: 2, C1: 1}, {al: 1, d: -1, rp: 2, C1: 1},
              {al: 1, d: 0, rp: 1, C1: 3})
    for pt in points:
        want = fraction_loop(al * (1 - d), C1 * rp ** (n - 1), C1, 1, pt, 6)
        assert closed_values(cf.expr, pt, 1, 6) == want


small = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@settings(max_examples=12 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coef=small, x0=small, c1=small, lam1=small, c2=small,
       degenerate=st.sampled_from(["none", "one", "both"]))
@example(coef=Fraction(1), x0=Fraction(0), c1=Fraction(1), lam1=Fraction(1), c2=Fraction(1),
         degenerate="both")
@example(coef=Fraction(0), x0=Fraction(1), c1=Fraction(2), lam1=Fraction(0), c2=Fraction(0),
         degenerate="one")
def test_random_recurrences_with_forced_collisions(coef, x0, c1, lam1, c2, degenerate):
    """x_n = u x_{n-1} + c1 v^n + c2 (u w)^n with the bases set equal to the coefficient at random."""
    u, v, w = sp.symbols("u v w", real=True)
    forcing = R(c1) * v**n + R(c2) * n * (u * w) ** n
    _rec, cf = solve(u, forcing, R(x0))
    assert cf.verified, [str(x) for x in cf.certificate] + list(cf.checks)
    pt = {u: R(coef), v: R(lam1), w: R(lam1 + 1)}
    if degenerate in ("one", "both"):
        pt[v] = R(coef)
    if degenerate == "both":
        pt[w] = sp.Integer(1)
    assert closed_values(cf.expr, pt, 1, 6) == fraction_loop(u, forcing, R(x0), 1, pt, 6)


# -- second order: SymPy's test_recurr.py ---------------------------------------------------------
# test_rsolve_bulk: c0 y(n) + c1 y(n+1) + c2 y(n+2) = q(n), q computed from p, whose solution from
# y(0) = p(0), y(1) = p(1) is p itself; here with c = [-2, -1, 1] (roots 2 and -1), written with lags
# from n = 1 (A[n] = y(n-1)): A[n] = A[n-1] + 2 A[n-2] + q(n-3)
BULK = [n, n + 1, n**2, n**3, n**4, n + n**2, 27 * n + 52 * n**2 - 3 * n**3 + 12 * n**4 - 52 * n**5]


def _second_order(next_term, initials, params, start):
    from symrecycle.io.modelfile import loads_model

    lines = "\n".join(f'{k} = "{v}"' for k, v in params.items())
    init = "[" + ", ".join(f'"{sp.sstr(x)}"' for x in initials) + "]"
    return loads_model(f'name = "corpus"\nstart = {start}\n[parameters]\n{lines}\n[recurrence]\n'
                       f'initial = {init}\nnext = "{next_term}"\n[metric]\nbenefit = "A[n]"\n')


@pytest.mark.parametrize("p_n", BULK, ids=[sp.sstr(x) for x in BULK])
def test_sympy_bulk_second_order_gives_back_its_polynomial(p_n):
    q_n = sp.expand(-2 * p_n + -1 * p_n.subs(n, n + 1) + p_n.subs(n, n + 2))
    forcing = sp.sstr(q_n.subs(n, n - 3))
    m = _second_order(f"A[n-1] + 2*A[n-2] + {forcing}", [p_n.subs(n, 0), p_n.subs(n, 1)],
                      {"r": "(0, oo)"}, 1)
    cf = m.closed_form()
    assert cf.verified
    assert sp.expand(cf.expr.subs(m.symbols["n"], n + 1)) == sp.expand(p_n)  # p, as SymPy states it
    xs = [Fraction(int(p_n.subs(n, 0))), Fraction(int(p_n.subs(n, 1)))]
    for k in range(2, 12):
        xs.append(xs[-1] + 2 * xs[-2] + int(q_n.subs(n, k - 2)))
    assert [cf.expr.subs(m.symbols["n"], k + 1) for k in range(12)] == xs


def test_sympy_a_y_n_minus_2_with_its_stated_solution():
    # test_rsolve: y(n) = a y(n-2), y(1) = sqrt(a) (a + b), y(2) = a (a - b) is a**(n/2) ((-1)**(n+1) b + a)
    m = _second_order("alpha*A[n-2]", [sp.sqrt(al) * (al + b), al * (al - b)], {"alpha": "(0, oo)",
                                                                            "b": "(-oo, oo)"}, 1)
    cf = m.closed_form()
    assert cf.verified
    aa, bb, nn = m.symbols["alpha"], m.symbols["b"], m.symbols["n"]
    stated = aa ** (nn / 2) * ((-1) ** (nn + 1) * bb + aa)
    for k in range(1, 13):
        for av, bv in ((R(2), R(1, 3)), (R(9, 4), R(-5))):
            got = sp.radsimp(sp.expand(cf.expr.subs({aa: av, bb: bv, nn: k})))
            want = sp.radsimp(sp.expand(stated.subs({aa: av, bb: bv, nn: k})))
            assert sp.expand(got - want) == 0


# -- orders 2 to 8: the rest of SymPy's test_recurr.py constant-coefficient cases -------------------
# written from n = 1 (A[n] = y(n - 1)); each against this file's own Fraction loop and, where SymPy
# states a solution, against it


def order_k_loop(coefficients, forcing, initials, count):
    """x_1..x_count with Fractions: x_n = sum_j c_j x_{n-j} + forcing(n)."""
    xs = [Fraction(x) for x in initials]
    while len(xs) < count:
        k = len(xs) + 1
        xs.append(sum(Fraction(c) * xs[-j] for j, c in enumerate(coefficients, 1)) + Fraction(forcing(k)))
    return xs


def exact_values(expr, model, count, at=None):
    syms = model.symbols
    e = sp.piecewise_fold(expr.subs({syms[k]: v for k, v in (at or {}).items()}))
    out = []
    for k in range(1, count + 1):
        v = sp.expand(sp.expand_trig(e.subs(syms["n"], k)))
        assert v.is_Rational, (k, v)
        out.append(Fraction(int(v.p), int(v.q)))
    return out


@pytest.mark.parametrize("p_n", BULK, ids=[sp.sstr(x) for x in BULK])
def test_sympy_bulk_fourth_order_gives_back_its_polynomial(p_n):
    # test_rsolve_bulk with c = [-1, 1, 1, -1, 1]: y(n+4) = y(n+3) - y(n+2) - y(n+1) + y(n) + q(n); the
    # characteristic polynomial z**4 - z**3 + z**2 + z - 1 is irreducible, with a complex pair of roots
    q_n = sp.expand(-p_n + p_n.subs(n, n + 1) + p_n.subs(n, n + 2) - p_n.subs(n, n + 3) + p_n.subs(n, n + 4))
    m = _second_order(f"A[n-1] - A[n-2] - A[n-3] + A[n-4] + {sp.sstr(q_n.subs(n, n - 5))}",
                      [p_n.subs(n, k) for k in range(4)], {"r": "(0, oo)"}, 1)
    cf = m.closed_form()
    assert cf.verified
    assert sp.expand(cf.expr.subs(m.symbols["n"], n + 1)) == sp.expand(p_n)
    want = order_k_loop([1, -1, -1, 1], lambda k: q_n.subs(n, k - 5), [p_n.subs(n, k) for k in range(4)], 14)
    assert exact_values(cf.expr, m, 14) == want


@pytest.mark.parametrize(("next_term", "coefficients", "initials", "stated"), [
    # test_constant_naming (issues 8697 and 19630), test_issue_8697, test_diofantissue_294, test_issue_6844
    ("A[n-1] + A[n-2] - A[n-3]", [1, 1, -1], [1, 2, 3], None),
    ("-3*A[n-1] - 3*A[n-2] - A[n-3]", [-3, -3, -1], [1, 2, 3], None),
    ("4*A[n-1] - 5*A[n-2] + 2*A[n-3]", [4, -5, 2], [1, 3, 8], 3 * 2**n - n - 2),
    ("3*A[n-2] - 2*A[n-3]", [0, 3, -2], [0, 8, -2], None),
    ("A[n-1] + 2*A[n-2] + 2*(n - 1)", [1, 2], [-1, 1], -(-1)**n / 2 + 2 * 2**n - n - R(5, 2)),
    ("A[n-1] - A[n-2]/4", [1, R(-1, 4)], [0, 1], 2**(1 - n) * n),
    # issue 17990: 46 y(n+3) + 6 y(n+2) + 4 y(n+1) - 10 y(n) = 0, one real root and a complex pair of a cubic
    ("-3*A[n-1]/23 - 2*A[n-2]/23 + 5*A[n-3]/23", [R(-3, 23), R(-2, 23), R(5, 23)], [1, -2, 7], None),
    # issue 15751, order 8: y(n+8) = 21 y(n+7) + 273 y(n+6) - ... (four quadratic factors)
    ("21*A[n-1] + 273*A[n-2] - 1092*A[n-3] - 1820*A[n-4] + 1092*A[n-5] + 273*A[n-6] - 21*A[n-7] - A[n-8]",
     [21, 273, -1092, -1820, 1092, 273, -21, -1], [1, 0, 0, 0, 0, 0, 0, 2], None),
    # Narayana's cows (a textbook cubic, z**3 - z**2 - 1: one real root, a complex pair)
    ("A[n-1] + A[n-3]", [1, 0, 1], [1, 1, 1], None),
], ids=["8697-roots-1-1-minus-1", "8697-triple-minus-1", "8697-initials", "19630", "diofant-294", "6844",
        "17990-cubic", "15751-order-8", "narayana"])
def test_sympy_higher_order_cases(next_term, coefficients, initials, stated):
    m = _second_order(next_term, initials, {"r": "(0, oo)"}, 1)
    cf = m.closed_form()
    assert cf.verified, cf.certificate
    forcing = (lambda k: 2 * (k - 1)) if "2*(n - 1)" in next_term else (lambda k: 0)
    want = order_k_loop(coefficients, forcing, initials, 16)
    assert exact_values(cf.expr, m, 16) == want
    if stated is not None:  # SymPy's y(n) from y(0): A[n] = y(n - 1)
        assert [sp.expand(stated.subs(n, k - 1)) for k in range(1, 17)] == want


def test_sympy_19630_as_stated():
    # rsolve(y(n+3) - 3 y(n+1) + 2 y(n), {y(1): 0, y(2): 8, y(3): -2}) == (-2)**n + 2n, here from n = 1
    m = _second_order("3*A[n-2] - 2*A[n-3]", [0, 8, -2], {"r": "(0, oo)"}, 1)
    cf = m.closed_form()
    assert cf.verified
    assert sp.expand(cf.expr - ((-2) ** m.symbols["n"] + 2 * m.symbols["n"])) == 0


def test_sympy_18751_a_complex_pair_of_modulus_r_and_its_double_roots():
    # issue 18751: y(n) = 2 r cos(theta) y(n-1) - r**2 y(n-2), with c = cos(theta) in [-1, 1]: the
    # discriminant 4 r**2 (c**2 - 1) is never positive; it is 0 on two components, c = 1 and c = -1
    m = _second_order("2*r*c*A[n-1] - r**2*A[n-2]", [1, 3], {"r": "(0, oo)", "c": "[-1, 1]"}, 1)
    cf = m.closed_form()
    assert cf.verified, cf.certificate
    assert len(cf.expr.args) == 3  # D < 0, c = 1, c = -1: no case of two real roots
    for rv, cv in ((R(2), R(1)), (R(2), R(-1)), (R(1, 2), R(1, 3)), (R(3), R(-3, 5)), (R(1), R(0))):
        want = order_k_loop([2 * rv * cv, -rv**2], lambda k: 0, [1, 3], 12)
        assert exact_values(cf.expr, m, 12, {"r": rv, "c": cv}) == want
