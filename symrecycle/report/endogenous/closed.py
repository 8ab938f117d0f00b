"""Closed forms of the fixed point at rational theta, and the derived bounds that bracket it."""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import sympy as sp

from ...core import conditions as _cond
from ...core import sym as _sym
from ...core.results import NotDerived
from .base import _AGREE, _C_SAMPLES, _DPS, _GRID, _MAX_DEGREE, THETA_PARAMETER, B, c, default_model, theta
from .maps import _canonical, benefit_map


# -- 2. the fixed point -----------------------------------------------------------------------------
def _positive(x):
    return sp.Symbol(x.name, positive=True)


@functools.cache
def _facts():
    """Proofs (SymPy) that B* is unique and B_n increases to it: ``(ok, lines, rate)``."""
    F = _canonical()
    h = F - B
    u, up = sp.Symbol("u", nonnegative=True), sp.Symbol("u", positive=True)
    on = {theta: 1 / (1 + u)}  # theta in (0, 1]  <->  u in [0, oo)
    d1, d2 = sp.diff(F, B), sp.diff(F, B, 2)
    inc = sp.simplify(d1.subs(on)).is_nonnegative
    conc = sp.factor(sp.simplify(d2.subs(on))).is_nonpositive
    near0 = sp.limit(F.subs(theta, 1 / (1 + up)), B, 0, "+")
    at1 = F.subs(theta, 1)
    ratio = sp.limit((F / B).subs(on), B, sp.oo)
    b1 = benefit_map(default_model()).meta["initial"]
    h1 = sp.simplify(h.subs(B, b1))
    c_fp = sp.solve(sp.Eq(F, B), c)
    rate = sp.factor(sp.simplify(d1.subs(c, c_fp[0]))) if len(c_fp) == 1 else None
    w = sp.Symbol("w", nonnegative=True)  # B* = 1 + w >= 1
    below1 = rate is not None and sp.factor(sp.simplify(1 - rate.subs(on).subs(B, 1 + w))).is_positive
    ok = bool(inc and conc and near0.is_positive and not at1.has(B) and at1.is_positive and ratio == 0
              and h1.is_nonnegative and below1)
    lines = [
        f"F(B) = {sp.sstr(F)}; theta in (0, 1] written theta = 1/(1 + u), u >= 0 (SymPy has no upper bounds)",
        f"F'(B) = {sp.sstr(sp.factor(d1))} >= 0: F is increasing (SymPy: {inc})",
        f"F''(B) = {sp.sstr(sp.factor(d2))} <= 0: F is concave (SymPy: {conc})",
        f"F(0+) = {near0} for theta < 1, F = {sp.sstr(at1)} for theta = 1: positive; "
        f"F(B)/B -> {ratio} as B -> oo",
        "so h(B) = F(B) - B is concave, positive at 0+ and tends to -oo: it has a positive root B*, and only "
        "one (roots x1 < x2 would give h(x1) >= (1 - x1/x2) h(0+) > 0 by concavity); h > 0 on (0, B*), "
        "h < 0 beyond",
        f"B_1 = {sp.sstr(b1)}, h(B_1) = {sp.sstr(h1)} >= 0, so B_1 <= B*; F increasing: B_n <= B* gives "
        "B_(n+1) = F(B_n) <= F(B*) = B*, and B_2 = F(B_1) >= B_1 gives B_(n+1) >= B_n: B_n increases "
        "monotonically, converges, and its limit is a fixed point of the continuous F: B*",
        f"at the fixed point c = {sp.sstr(c_fp[0]) if c_fp else '?'}: the rate F'(B*) = {sp.sstr(rate)} < 1 "
        f"for B* >= 1 (SymPy: {below1}; linear convergence)",
    ]
    return ok, tuple(lines), rate


def _signs_tidied(expr):
    """``expr`` or, if it reads with fewer minus signs, numerator and denominator negated."""
    num, den = sp.fraction(sp.together(expr))
    alt = sp.expand(-num) / sp.expand(-den)
    return alt if sp.sstr(alt).count("-") < sp.sstr(expr).count("-") else expr


def _real_positive(value):
    """Whether a number (SymPy) is real and positive, to _DPS digits."""
    v = sp.N(value, _DPS)
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return False
    re, im = sp.re(v), sp.im(v)
    return bool(abs(im) <= _AGREE * max(abs(re), 1) and re > 0)


def _rational_theta(value):
    """``value`` (a number in [0, 1]) as a SymPy Rational; a float as the short fraction it is."""
    if isinstance(value, sp.Basic) and not value.is_Rational:
        raise ValueError(f"parameter 'theta': got {value!r}, expected a rational number in "
                         f"{THETA_PARAMETER.domain_text}")
    THETA_PARAMETER.validate(value)
    q = Fraction(int(value.p), int(value.q)) if isinstance(value, sp.Basic) else Fraction(value)
    if isinstance(value, float):
        short = q.limit_denominator(_MAX_DEGREE)
        q = short if float(short) == value else q
    return sp.Rational(q.numerator, q.denominator)


@functools.cache
def _closed_form(t):
    """B* at theta = t (a Rational), derived: a dict with ``expr``, ``lines``, ``ok`` and, for t > 0,
    ``root`` (x) and ``power`` (q) with B* = x**q.

    :class:`~symrecycle.core.results.NotDerived` where SymPy finds no radical root.
    """
    F = _canonical().subs(theta, t)
    if t == 0:
        slope, curv = sp.diff(F, B), sp.diff(F, B, 2)
        (root,) = sp.solve(sp.Eq(F, B), B)
        cond = _cond.tidy_relational(sp.Lt(slope, 1))
        x, y = sp.symbols("x y")
        affine = curv == 0 and sp.expand(F.subs(B, x) - F.subs(B, y) - slope * (x - y)) == 0
        expr = sp.Piecewise((_signs_tidied(sp.simplify(root)), cond), (sp.oo, True))
        ok = affine and slope.is_nonnegative and _sym.is_zero(F.subs(B, root) - root)
        lines = [f"theta = 0: F(B) = {sp.sstr(F)} is affine with slope {slope} >= 0: B_(n+1) - B_n = "
                 f"{slope}^(n-1) (B_2 - B_1), B_2 - B_1 = {sp.sstr(sp.simplify(F.subs(B, 1) - 1))}; the "
                 f"iteration converges iff {cond}, to the root {sp.sstr(root)} of F(B) = B; "
                 "otherwise B_n -> oo"]
        return {"expr": expr, "lines": tuple(lines), "ok": bool(ok)}
    q = int(t.q)
    if q > _MAX_DEGREE:
        raise NotDerived(
            f"theta = {t}: B = x^{q} gives a polynomial of degree {q}; no radical roots sought above degree "
            f"{_MAX_DEGREE} (use fixed_point_value or fixed_point_mp)")
    x = sp.Symbol("x", positive=True)
    poly = sp.expand(sp.powdenest(sp.expand((F - B).subs(B, x**q)), force=True))  # x > 0: exact
    if not poly.is_polynomial(x):  # pragma: no cover - F has the form 1 + c B^(1-theta)
        raise NotDerived(f"theta = {t}: F(x^{q}) - x^{q} = {poly} is not a polynomial in x")
    P = sp.Poly(poly, x)
    cpos = sp.Symbol("c", positive=True)
    signs = [sp.sign(co.subs(c, cpos)) for co in P.all_coeffs() if co != 0]
    changes = sum(a != b for a, b in itertools.pairwise(signs))
    roots = sp.roots(P, multiple=True)
    if len(roots) != P.degree():
        raise NotDerived(
            f"theta = {t}: SymPy finds no radical roots of {P.as_expr()} = 0 (degree {P.degree()}); "
            "use fixed_point_value or fixed_point_mp")
    positive_c = [cv for cv in _C_SAMPLES if cv != 0]
    chosen = [rt for rt in roots if all(_real_positive(rt.subs(c, cv)) for cv in positive_c)]
    if any(s not in (1, -1) for s in signs) or changes != 1 or len(chosen) != 1:
        raise NotDerived(f"theta = {t}: no single radical expression of the positive root")
    (rt,) = chosen
    exact = _sym.is_zero(P.as_expr().subs(x, rt))
    expanded = sp.expand(rt**q)  # kept as x**q where expanding makes it longer
    expr = _cond.simplify_branch(expanded) if sp.count_ops(expanded) <= sp.count_ops(rt) + 10 else rt**q
    lines = [f"theta = {t}: B = x^{q} turns F(B) = B into {sp.sstr(P.as_expr())} = 0, with {changes} sign "
             "change of the coefficients for c > 0 (Descartes: one positive root); of SymPy's "
             f"{P.degree()} radical roots, x = {sp.sstr(rt)} is a root (SymPy: {exact}) and the one real and "
             f"positive at c in {{{', '.join(map(str, positive_c))}}} ({_DPS} digits); B* = x^{q}"]
    if not _real_positive(rt.subs(c, 0)):  # the radicals divide by c: c = 0 on its own
        (at0,) = sp.solve(sp.Eq(F.subs(c, 0), B), B)
        expr = sp.Piecewise((at0, sp.Eq(c, 0)), (expr, True))
        lines.append(f"the radical expression is undefined at c = 0, where F(B) = B gives B* = {at0}")
    return {"expr": expr, "lines": tuple(lines), "ok": bool(exact), "root": rt, "power": q}


# -- bounds ---------------------------------------------------------------------------------------
@functools.cache
def _bound_parts():
    """Lower and upper bounds on B* for theta in (0, 1], derived and proved: a dict."""
    cp, tp = _positive(c), _positive(theta)
    F = _canonical().subs({c: cp, theta: tp})
    h = F - B
    hp = sp.diff(h, B)
    lines, ok = [], True

    def simp(e):
        return sp.simplify(sp.powdenest(sp.expand(e), force=True))  # c > 0, real exponents: exact

    b1 = benefit_map(default_model()).meta["initial"]
    low1 = simp(F.subs(B, b1))
    lines.append(f"B* >= B_1 = {b1} (fixed_point), F increasing: B* = F(B*) >= F(B_1) = {sp.sstr(low1)}")
    # h(B)/B^(1-theta) = 0 at B*: drop its positive terms to get B*^theta > c
    scaled = sp.powsimp(sp.expand(h / B ** (1 - tp)), combine="exp")
    pos = [t for t in sp.Add.make_args(scaled) if t.has(B) and t.is_positive]
    rest = scaled - sp.Add(*pos)
    sol = [s for s in sp.solve(rest, B) if s.is_positive]
    if len(sol) != 1 or not pos:
        raise NotDerived("no lower bound from h(B)/B^(1-theta)")  # pragma: no cover
    x0 = sol[0]
    hx0 = simp(h.subs(B, x0))
    ok = ok and hx0.is_positive
    lines.append(f"h(B)/B^(1-theta) = {sp.sstr(scaled)} vanishes at B*; without its positive terms "
                 f"in B, {sp.sstr(sp.Add(*pos))}, it is {sp.sstr(rest)} < 0, so B* > {sp.sstr(x0)}; "
                 f"indeed h({sp.sstr(x0)}) = {sp.sstr(hx0)} > 0")
    low2 = simp(F.subs(B, x0))
    lines.append(f"F increasing: B* = F(B*) > F({sp.sstr(x0)}) = {sp.sstr(low2)}")
    lower = sp.Max(low1, low2)
    slope0 = simp(hp.subs(B, x0))
    gap = simp(low2 - x0)
    ok = ok and (-slope0).is_positive and gap.is_positive
    lines.append(f"h'({sp.sstr(x0)}) = {sp.sstr(slope0)} < 0 and h'' <= 0, so h' <= {sp.sstr(slope0)} on "
                 f"[{sp.sstr(x0)}, oo); the lower bound L = {sp.sstr(lower)} exceeds {sp.sstr(x0)} by at "
                 f"least {sp.sstr(gap)}: h'(L) < 0")
    L, U = sp.Symbol("L", positive=True), sp.Symbol("U", positive=True)
    newton = sp.factor(sp.simplify(L - h.subs(B, L) / hp.subs(B, L)))
    upper = newton.subs(L, lower)
    lines.append(f"h concave: 0 = h(B*) <= h(L) + h'(L) (B* - L), and h'(L) < 0: B* <= L - h(L)/h'(L) = "
                 f"{sp.sstr(newton)} (a Newton step from L)")
    secant = sp.simplify(L - h.subs(B, L) * (U - L) / (h.subs(B, U) - h.subs(B, L)))
    lines.append("h concave lies above its chord on [L, U]: the chord's root "
                 f"{sp.sstr(secant)} is at most B* (a refined lower bound)")
    # tightness at theta = 1 and (c < 1) at theta -> 0
    one = [simp(e.subs(tp, 1)) for e in (low1, low2, upper)]
    fp1 = _closed_form(sp.Integer(1))["expr"]
    tight1 = all(_sym.is_zero(e - fp1.subs(c, cp)) for e in one)
    v = sp.Symbol("v", positive=True)
    vanish = sp.limit(x0.subs(cp, 1 / (1 + v)), tp, 0, "+")
    zero_upper = sp.simplify(newton.subs(tp, 0).subs(L, low1.subs(tp, 0)))
    fp0 = _closed_form(sp.Integer(0))["expr"].args[0][0]
    tight0 = vanish == 0 and _sym.is_zero(zero_upper - fp0.subs(c, cp))
    ok = ok and tight1 and tight0
    lines.append(f"tight at theta = 1: both bounds equal {sp.sstr(fp1)} = B* ({tight1}); as theta -> 0+ with "
                 f"c < 1, {sp.sstr(x0)} -> {vanish}, L -> {sp.sstr(low1.subs(tp, 0))} and the upper bound -> "
                 f"{sp.sstr(zero_upper)} = B* at theta = 0 ({tight0})")
    back = {cp: c, tp: theta}
    return {"lower": lower.subs(back), "upper": sp.factor(upper.subs(back)), "newton": newton.subs(back),
            "secant": secant.subs(back), "threshold": x0.subs(back), "ok": bool(ok), "lines": tuple(lines),
            "L": L, "U": U}


def _brackets_grid(lower, upper):
    """Whether ``lower <= B* <= upper`` (expressions in c, theta) on the grid, by the sign of h = F - B at
    both, without a solver: ``(ok, line)``.

    h is concave, positive on (0, B*) and negative beyond (fixed_point's proofs), so h(x) >= 0 iff
    x <= B*: h(lower) >= 0 >= h(upper) brackets B*.
    """
    h = _canonical() - B
    ok, worst, count = True, 0.0, 0
    for cv, tv in _GRID:
        at = {c: cv, theta: tv}
        lo, hi = lower.subs(at), upper.subs(at)
        h_lo, h_hi = (sp.N(h.subs(at).subs(B, x), _DPS) for x in (lo, hi))
        lo, hi = sp.N(lo, _DPS), sp.N(hi, _DPS)
        # 0 where L = B* (theta = 1, c = 0): h vanishes there up to rounding, of size _AGREE times B
        if not (h_lo >= -_AGREE * lo and h_hi <= _AGREE * hi):
            ok = False
        worst = max(worst, float((hi - lo) / lo))
        count += 1
    return ok, (f"h(L) >= 0 >= h(U) (h = F - B, {_DPS} digits; h >= 0 exactly below B*) at {count} grid "
                f"points (c, theta): L <= B* <= U there" + ("" if ok else " FAILS")
                + f"; widest (U - L)/L: {worst:.3g}")
