r"""Maps :math:`x_{k+1} = F(x_k)`: fixed points, stability, and the limit of the iteration by regime.

One entry per job, over documented strategies:

* :func:`fixed_points` — every fixed point SymPy finds (roots of the
  numerator of :math:`F(x) - x`, rational exponents of x first turned into
  a polynomial by :math:`x = y^q`), each with its rate :math:`F'(x^*)` and
  the conditions, by regime of the parameters, where it attracts
  (:math:`|F'(x^*)| < 1`), attracts monotonically (:math:`0 \le F' < 1`) or
  with oscillation (:math:`-1 < F' < 0`) — what Mathematica's
  ``RStabilityConditions`` states.
* :func:`limit_of_map` — the limit of the iteration from its start
  :math:`x_0`, by regime. The cases are the parameter values where an
  exponent of x makes F affine or constant, and the rest. Strategies, in
  turn: an affine map (:math:`x_n - x^* = b^n (x_0 - x^*)`); a map that is
  increasing on :math:`[x_0, \infty)` with :math:`F(x_0) \ge x_0` — the
  iteration then increases to the least fixed point above :math:`x_0`,
  which exists where :math:`\lim F(x)/x < 1` and is the only one where
  :math:`F(x)/x` (or :math:`F(x) - x`) is strictly decreasing. Each step is
  a sign proof on the parameters' domains (:func:`~.signs.sign_on`); the
  value is a closed form where one root is proved to lie above
  :math:`x_0`, else :class:`~symrecycle.core.fixedpoint.FixedPoint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..core import canonical as _canonical
from ..core import sym as _sym
from ..core.fixedpoint import FixedPoint
from ..core.params import Parameter
from .signs import sign_on

__all__ = ["FixedPointInfo", "MapLimit", "fixed_points", "limit_of_map", "special_values", "sign_above"]

#: largest polynomial degree (after x = y**q) whose roots are looked for
MAX_DEGREE = 4


@dataclass(frozen=True)
class FixedPointInfo:
    """One fixed point: its value, the rate ``F'(x*)`` and where it attracts (canonical conditions)."""

    value: sp.Expr
    rate: sp.Expr
    stable: _canonical.Condition
    monotone: _canonical.Condition
    oscillating: _canonical.Condition


@dataclass(frozen=True)
class MapLimit:
    """The limit of the iteration on one case: ``value`` where ``condition`` holds, proved or not."""

    value: sp.Expr
    condition: sp.Basic
    proved: bool
    lines: tuple
    rate: sp.Expr | None = None


def _doms(params):
    return {p.symbol: p.interval for p in params}


def _polynomial(h, x):
    """``(poly in y, q)`` with the numerator of ``h`` a polynomial in ``y = x**(1/q)``, or None."""
    num = sp.numer(sp.together(sp.powsimp(sp.expand(h), force=False)))
    exps = {e.exp for e in num.atoms(sp.Pow) if e.base == x}
    if any(not e.is_Rational for e in exps):
        return None
    q = sp.ilcm(*[e.q for e in exps], 1) if exps else 1
    y = sp.Dummy("y", positive=True)
    poly = sp.expand(num.subs(x, y**q))
    if not poly.is_polynomial(y) or sp.degree(poly, y) > max(MAX_DEGREE, q * MAX_DEGREE):
        return None
    return sp.Poly(poly, y), q


def _roots(F, x, params=(), region=()):
    """Roots of ``F(x) = x`` SymPy finds, or None (as x, possibly with radicals).

    With ``x = y**q`` (rational exponents), a root y of the polynomial is one of x only where
    ``y >= 0``: roots y proved negative are dropped, and, with ``params``, so is every root y whose
    sign is not proved (it may not solve F(x) = x).
    """
    found = _polynomial(F - x, x)
    if found is None:
        return None
    poly, q = found
    if poly.degree() < 1:
        return []
    roots = sp.roots(poly, multiple=False)
    if sum(roots.values()) != poly.degree():
        return None
    if q == 1:
        return list(roots)
    keep = []
    for y in roots:
        sign = sign_on(y, params, region) if params else None
        if sign == -1 or (params and sign not in (1, "nonneg", 0)):
            continue
        keep.append(sp.powdenest(y**q, force=False))
    return keep


def fixed_points(F, x, params=()) -> list:
    r"""Every fixed point of the map ``F`` (in ``x``) that SymPy finds, with its stability.

    Parameters
    ----------
    F : Expr
        The map.
    x : Symbol
        Its variable.
    params : sequence of Parameter
        The parameters, with their domains (the conditions are stated on them).

    Returns
    -------
    list of FixedPointInfo
        Empty where SymPy finds no root in closed form.

    Examples
    --------
    The logistic map: 0 attracts for lambda < 1, 1 - 1/lambda for 1 < lambda < 3
    (monotonically up to 2):

    >>> from symrecycle.core.params import Parameter
    >>> lam = Parameter("lam", 0, 4, lower_open=True)
    >>> x = sp.Symbol("x", real=True)
    >>> for fp in fixed_points(lam.symbol * x * (1 - x), x, [lam]):
    ...     print(fp.value, "|", fp.rate, "|", fp.stable, "|", fp.oscillating)
    0 | lam | lam < 1 | never
    (lam - 1)/lam | 2 - lam | 1 < lam < 3 | 2 < lam < 3
    """
    roots = _roots(F, x, params)
    if roots is None:
        return []
    doms = _doms(params)
    out = []
    for root in sorted(roots, key=sp.default_sort_key):
        if root.is_real is False:
            continue
        rate = sp.factor(sp.diff(F, x).subs(x, root))
        rate = sp.expand(rate) if len(sp.Add.make_args(sp.expand(rate))) <= 2 else rate
        if rate.has(sp.zoo, sp.oo, -sp.oo, sp.nan):  # F is not differentiable there (sqrt(x) at 0)
            never = _canonical.canonical(sp.false, doms)
            out.append(FixedPointInfo(root, rate, never, never, never))
            continue
        out.append(FixedPointInfo(
            sp.simplify(root) if root.has(sp.Pow) else sp.factor(root), rate,
            _canonical.canonical(sp.And(rate > -1, rate < 1), doms),
            _canonical.canonical(sp.And(rate >= 0, rate < 1), doms),
            _canonical.canonical(sp.And(rate > -1, rate < 0), doms),
        ))
    return out


def _powers(F, x):
    """The powers in F whose base holds x and whose exponent holds parameters."""
    return [p for p in sp.preorder_traversal(F)
            if isinstance(p, sp.Pow) and p.base.has(x) and p.exp.free_symbols]


def special_values(F, x, params) -> list:
    """Equalities of one parameter where an exponent of a power of ``x`` in ``F`` is 0 or 1.

    There the power is constant or linear in its base, and F may be affine or constant. (An
    exponent that is 0 or 1 on a set that no single parameter value describes is caught later:
    the generic case then proves the exponent off 0 and 1, or is not proved.)

    Examples
    --------
    >>> from symrecycle.core.params import Parameter
    >>> th, c = Parameter("theta", 0, 1), Parameter("c", 0, None)
    >>> B = sp.Symbol("B", positive=True)
    >>> special_values(1 + c.symbol * B ** (1 - th.symbol), B, [th, c])
    [Eq(theta, 0), Eq(theta, 1)]
    >>> special_values(1 + c.symbol * ((1 + B) / 2) ** th.symbol, B, [th, c])
    [Eq(theta, 0), Eq(theta, 1)]
    >>> special_values((1 + c.symbol * B) / (1 + c.symbol * B**2), B, [c])  # F's growth changes at c = 0
    [Eq(c, 0)]
    """
    doms = _doms(params)
    out = []
    equations = [sp.Eq(p.exp, v) for p in _powers(F, x) for v in (0, 1)]
    equations += [sp.Eq(c, 0) for c in _leading(F, x) if c.free_symbols]
    for eq in equations:
        for s in sorted(eq.free_symbols & set(doms), key=lambda s: s.name):
            sols = sp.solve(eq, s)
            out += [sp.Eq(s, z) for z in sols if z.is_number and z in doms[s]]
    return sorted(set(out), key=sp.default_sort_key)


def _leading(F, x):
    """The leading coefficients in x of F's numerator and denominator, where both are polynomials in x
    (where one vanishes, F's growth changes: ``(a + k x)/(1 + k x)`` at k = 0)."""
    num, den = sp.fraction(sp.together(F))
    if not (num.is_polynomial(x) and den.is_polynomial(x)):
        return []
    num, den = sp.Poly(num, x), sp.Poly(den, x)
    if den.degree() == 0 and num.degree() <= 1:  # affine: its own strategy takes every slope
        return []
    return [num.LC(), den.LC()]


def _exponents_off_zero_and_one(F, x, params, region):
    """Whether every parameter exponent of a power of x is proved to be neither 0 nor 1 on the case."""
    for p in _powers(F, x):
        for v in (0, 1):
            if sign_on(sp.together(p.exp - v), params, region) not in (1, -1):
                return False
    return True


def _narrowed(params, cond):
    """The parameters with domains narrowed to a conjunction of one-parameter relations, or None.

    Relations of several parameters become ``region`` entries for :func:`sign_on` (``mu < 1``);
    returns ``(params, region)``.
    """
    doms = _doms(params)
    canon = _canonical.canonical(cond, doms)
    if canon.expr is sp.true:
        return list(params), []
    if len(canon.cubes) != 1:
        return None
    sets, others = canon.cubes[0]
    if others:
        return None
    by_symbol = {p.symbol: p for p in params}
    out, region = dict(by_symbol), []
    for q, rels in sets:
        values = _as_interval(q, rels)
        if values is None:
            return None
        if q in by_symbol:  # the relations left on the parameter, within its domain
            values = values.intersect(by_symbol[q].interval)
        if q in by_symbol and isinstance(values, sp.FiniteSet) and len(values) == 1:
            p, (v,) = by_symbol[q], values.args
            out[q] = Parameter(p.name, _frac(v), _frac(v), False, False, p.description, None, p.symbol)
        elif q in by_symbol and isinstance(values, sp.Interval):
            p = by_symbol[q]
            lo, hi = values.start, values.end
            out[q] = Parameter(p.name, None if lo == -sp.oo else _frac(lo),
                               None if hi == sp.oo else _frac(hi), bool(values.left_open),
                               bool(values.right_open), p.description, None, p.symbol)
        elif isinstance(values, sp.Interval) and values.end != sp.oo and values.start in (0, -sp.oo) \
                and values.end.is_positive and values.right_open and sign_on(q, params) in (1, "nonneg"):
            region.append((q / values.end, "<"))  # q < v (v > 0): 0 <= q/v < 1, q >= 0 proved
        elif isinstance(values, sp.Interval) and values.end == sp.oo and values.start.is_positive \
                and values.left_open:
            region.append((q / values.start, ">"))
        else:
            return None
    return list(out.values()), region


def _as_interval(q, rels):
    """The set of ``q`` that relations on it (``q > 0``, ``Eq(q, 1)``) leave, or None."""
    out = sp.Reals
    for rel in rels:
        if isinstance(rel, sp.Ne):
            return None
        lhs, rhs = rel.lhs, rel.rhs
        if rhs == q and lhs != q:
            rel = rel.reversed
            lhs, rhs = rel.lhs, rel.rhs
        if lhs != q or not rhs.is_number:
            return None
        out = out.intersect({"==": sp.FiniteSet(rhs), "<": sp.Interval.open(-sp.oo, rhs),
                             "<=": sp.Interval(-sp.oo, rhs), ">": sp.Interval.open(rhs, sp.oo),
                             ">=": sp.Interval(rhs, sp.oo)}[rel.rel_op])
    return out if isinstance(out, (sp.Interval, sp.FiniteSet)) else None


def _frac(v):
    return Fraction(int(v.p), int(v.q)) if v.is_Rational else None


def sign_above(expr, x, x0, params, region=()):
    """The sign of ``expr`` (in ``x`` and the parameters) proved for every ``x >= x0`` on the domains and
    region, as :func:`~.signs.sign_on` gives it: ``x = x0 + t`` with ``t >= 0`` a parameter of its own.

    Examples
    --------
    >>> from symrecycle.core.params import Parameter
    >>> c = Parameter("c", 0, None)
    >>> B = sp.Symbol("B", positive=True)
    >>> sign_above(c.symbol * B - c.symbol, B, 1, [c]), sign_above(B - 2, B, 1, [c])
    ('nonneg', None)
    """
    t = Parameter("t_state", 0, None)
    return sign_on(sp.together(expr.subs(x, x0 + t.symbol)), [*params, t], region)


def _on_case(F, x, cond, params):
    """``F`` on a case: an equality substituted."""
    eqs = [e for e in _sym.conjuncts(cond) if isinstance(e, sp.Eq)]
    return F.subs({e.lhs: e.rhs for e in eqs}) if eqs else F


def limit_of_map(F, x, x0, params, cond=sp.true) -> list:
    r"""The limit of :math:`x_{k+1} = F(x_k)` from ``x0`` where ``cond`` holds, by regime.

    Parameters
    ----------
    F : Expr
        The map, in ``x`` and the parameters.
    x0 : Expr
        The start, in the parameters.
    params : sequence of Parameter
    cond : Boolean
        The set of parameters considered (default: the whole domain).

    Returns
    -------
    list of MapLimit
        One per case: the special values of :func:`special_values` (each
        and the rest), and within them the regimes of an affine map.

    Examples
    --------
    >>> from symrecycle.core.params import Parameter
    >>> th, c = Parameter("theta", 0, 1), Parameter("c", 0, None)
    >>> B = sp.Symbol("B", positive=True)
    >>> for case in limit_of_map(1 + c.symbol * B ** (1 - th.symbol), B, 1, [th, c]):
    ...     print(case.value, "|", case.condition, "|", case.proved)
    -1/(c - 1) | Eq(theta, 0) & (c < 1) | True
    oo | Eq(theta, 0) & (c >= 1) | True
    c + 1 | Eq(theta, 1) | True
    FixedPoint(Lambda(B, B**(1 - theta)*c + 1), 1) | (theta > 0) & (theta < 1) | True
    """
    x0 = sp.Integer(x0) if isinstance(x0, int) else x0
    special = special_values(F, x, params)
    cases = [(_on_case(F, x, e, params), sp.And(cond, e)) for e in special]
    rest = sp.And(cond, *[sp.Not(e) for e in special])
    doms = _doms(params)
    rest_c = _canonical.canonical(rest, doms)
    if rest_c.expr is not sp.false:
        cases.append((F, rest_c.expr))
    out = []
    for f, c in cases:
        out += _limit_on_case(f, x, x0, params, c)
    return out


def _limit_on_case(F, x, x0, params, cond):
    narrowed = _narrowed(params, cond)
    if narrowed is None:
        return [MapLimit(FixedPoint(sp.Lambda(x, F), x0), cond, False,
                         (f"the case {cond} is not one the sign proofs take (a conjunction of intervals)",))]
    ps, region = narrowed
    poly = sp.Poly(F, x) if F.is_polynomial(x) else None
    if poly is not None and poly.degree() <= 1:
        return _affine(poly, x, x0, ps, region, cond, _doms(params))
    return [_increasing(F, x, x0, ps, region, cond)]


def _affine(poly, x, x0, params, region, cond, doms):
    """``F = a + b x``: x_n - x* = b^n (x0 - x*) with x* = a/(1 - b)."""
    b = poly.coeff_monomial(x)
    a = poly.coeff_monomial(1)
    head = f"F(x) = {sp.sstr(a)} + ({sp.sstr(b)}) x is affine: x_n - x* = b^n (x0 - x*), x* = a/(1 - b)"
    if b == 0:
        return [MapLimit(a, cond, True, (f"F(x) = {sp.sstr(a)} is constant: x_n = F(x_(n-1)) = that value "
                                         "from the second iterate on",), sp.Integer(0))]
    if sign_on(b, params, region) not in (1, "nonneg"):
        return [MapLimit(FixedPoint(sp.Lambda(x, a + b * x), x0), cond, False,
                         (head, f"the sign of b = {sp.sstr(b)} is not proved on the case"))]
    star = sp.factor(a / (1 - b))
    below = _canonical.canonical(sp.And(cond, b < 1), doms).expr
    above = _canonical.canonical(sp.And(cond, b >= 1), doms).expr
    out = []
    if below is not sp.false:
        out.append(MapLimit(star, below, True, (head, f"0 <= b = {sp.sstr(b)} < 1 (b >= 0 proved): "
                                                      f"x_n -> x* = {sp.sstr(star)} monotonically"), b))
    if above is not sp.false:
        h0 = sp.together(a + (b - 1) * x0)
        s1 = sign_on(h0, params, [*region, (b, ">")])
        s0 = sign_on(h0, params, [*region, (b, "=")])
        if s1 == 1 and s0 == 1:
            out.append(MapLimit(sp.oo, above, True, (
                head, f"b >= 1 and F(x0) - x0 = {sp.sstr(h0)} > 0 (proved): x_n - x_(n-1) = "
                      "b^(n-1) (F(x0) - x0) > 0 does not shrink, so x_n -> oo"), b))
        else:
            out.append(MapLimit(sp.nan, above, False, (
                head, f"b >= 1: the sign of F(x0) - x0 = {sp.sstr(h0)} is not proved, so the iteration's "
                      "direction is not known"), b))
    return out


def _increasing(F, x, x0, params, region, cond):
    """An increasing map from a start below its fixed point: the least fixed point above x0."""
    lines, ok = [], True
    h0 = sp.together(F.subs(x, x0) - x0)
    s = sign_on(h0, params, region)
    if s in (-1, "nonpos"):
        return _from_above(F, x, x0, params, region, cond, h0)
    if s not in (1, "nonneg"):
        return MapLimit(FixedPoint(sp.Lambda(x, F), x0), cond, False,
                        (f"F(x0) - x0 = {sp.sstr(h0)}: its sign is not proved on the case, so the "
                         "direction of the iteration is not known",))
    lines.append(f"F(x0) - x0 = {sp.sstr(h0)} >= 0 on the case (sign proof): the iteration starts upward")
    if sign_on(x0, params, region) != 1:
        ok = False
        lines.append(f"x0 = {sp.sstr(x0)} > 0 is not proved")
    def above(e):
        return sign_above(e, x, x0, params, region)

    if _continuous(F, x, above):
        lines.append("F is continuous and real for x >= x0: no denominator vanishes there and every power "
                     "with a non-integer exponent has a positive base (sign proofs)")
    else:
        ok = False
        lines.append("F is NOT proved continuous for x >= x0 (a denominator, or the base of a power, whose "
                     "sign is not proved)")
    dF = sp.diff(F, x)
    if above(dF) in (1, "nonneg"):
        lines.append(f"F'(x) = {sp.sstr(dF)} >= 0 for x >= x0 (sign proof): F is increasing there, so "
                     "x0 <= x_n <= x_(n+1) <= x* for every fixed point x* >= x0 (induction)")
    else:
        ok = False
        lines.append(f"F'(x) = {sp.sstr(dF)} >= 0 for x >= x0 is NOT proved")
    ratio = sp.diff(F / x, x)
    if above(ratio) == -1:
        lines.append(f"d/dx (F(x)/x) = {sp.sstr(sp.together(ratio))} < 0 for x >= x0 > 0 (sign proof): "
                     "at most one fixed point above x0")
    elif above(dF - 1) == -1:
        lines.append("F'(x) - 1 < 0 for x >= x0 (sign proof): F(x) - x is decreasing, at most one "
                     "fixed point above x0")
    else:
        ok = False
        lines.append("uniqueness of the fixed point above x0 is NOT proved (neither F(x)/x nor F(x) - x is "
                     "shown to decrease)")
    if not _exponents_off_zero_and_one(F, x, params, region):
        ok = False
        lines.append("an exponent of a power of x is NOT proved to stay off 0 and 1 on the case, where the "
                     "map's growth changes (the limit of F(x)/x below is not trusted there)")
    ell = _limit_ratio(F, x, params, region)
    if ell is not None and sign_on(1 - ell, params, region) == 1:
        lines.append(f"F(x)/x -> {sp.sstr(ell)} < 1 as x -> oo: F(x) - x < 0 for large x, so a fixed point "
                     "above x0 exists (intermediate values)")
    else:
        ok = False
        lines.append(f"lim F(x)/x = {ell} < 1 is NOT proved: a fixed point above x0 may not exist")
    value = _closed_root(F, x, x0, params, region)
    if value is not None:
        lines.append(f"F(x) = x solved: the root {sp.sstr(value)} >= x0 (sign proof) is that fixed point")
    else:
        value = FixedPoint(sp.Lambda(x, F), x0)
        lines.append("no root of F(x) = x in closed form above x0: the value is FixedPoint(F, x0), the "
                     "unique root above x0 (computed by a bracketed root finder)")
    lines.append("so x_n increases monotonically to the fixed point (a bounded increasing sequence "
                 "converges, to a fixed point of the continuous F)")
    return MapLimit(value, cond, ok, tuple(lines), dF.subs(x, value))


def _from_above(F, x, x0, params, region, cond, h0):
    """F(x0) <= x0: the iteration goes down, to a root r <= x0 found in closed form, where F is increasing
    and F(x) < x on (r, x0] (then r <= x_(n+1) <= x_n: a decreasing sequence bounded by r, whose limit
    is a fixed point in [r, x0], that is r)."""
    lines = [f"F(x0) - x0 = {sp.sstr(h0)} <= 0 on the case (sign proof): the iteration starts downward"]
    roots = _roots(F, x, params, region) or []
    below = [r for r in roots if sign_on(sp.together(x0 - r), params, region) in (1, "nonneg", 0)
             and sign_on(r, params, region) == 1]
    fail = None
    if len(below) != 1:
        fail = f"{len(below)} roots of F(x) = x in closed form proved in (0, x0]; one is needed"
    else:
        (r,) = below
        t = Parameter("t_between", 0, None, lower_open=True)
        between = r + (x0 - r) * t.symbol / (1 + t.symbol)  # (r, x0) as t runs over (0, oo)
        at = [*params, t]

        def sign(e):
            return sign_on(sp.together(e.subs(x, between)), at, region)

        if not _continuous(F, x, sign):
            fail = "F is NOT proved continuous and real between the root and x0"
        elif sign(sp.diff(F, x)) not in (1, "nonneg"):
            fail = "F'(x) >= 0 between the root and x0 is NOT proved"
        elif sign(F - x) != -1:
            fail = "F(x) < x between the root and x0 is NOT proved (another fixed point may lie there)"
        else:
            lines.append(f"the root {sp.sstr(r)} of F(x) = x lies in (0, x0]; between it and x0, F is "
                         "continuous and increasing and F(x) < x (sign proofs): the iteration decreases, "
                         "stays above the root (F(x) >= F(r) = r), and converges to it")
            return MapLimit(r, cond, True, tuple(lines), sp.diff(F, x).subs(x, r))
    lines.append(fail)
    return MapLimit(FixedPoint(sp.Lambda(x, F), x0), cond, False, tuple(lines))


def _continuous(F, x, sign):
    """Whether F is proved finite and real where ``sign`` proves signs (for x >= x0, or between a root and
    x0): its denominator of one sign, the bases of its powers with non-integer exponents positive."""
    parts = [sp.denom(sp.together(F))]
    parts += [p.base for p in F.atoms(sp.Pow) if p.has(x) and not p.exp.is_integer]
    return all(sign(e) in (1, -1) for e in parts if e.has(x))


def _limit_ratio(F, x, params, region):
    """``lim F(x)/x`` as x -> oo, the parameters as positive symbols where their case says so; for a
    rational F only where its leading coefficients are proved nonzero (None: not found)."""
    if any(sign_on(c, params, region) not in (1, -1) for c in _leading(F, x)):
        return None
    subs = {}
    for p in params:
        lo = p.lower
        if lo is not None and (lo > 0 or (lo == 0 and p.lower_open)):
            subs[p.symbol] = sp.Dummy(p.name, positive=True)
        elif lo is not None and lo >= 0:
            subs[p.symbol] = sp.Dummy(p.name, nonnegative=True)
    try:
        ell = sp.limit((F / x).xreplace(subs), x, sp.oo)
    except (NotImplementedError, ValueError):
        return None
    if ell.has(sp.Limit) or not ell.is_finite:
        return None
    return ell.xreplace({v: k for k, v in subs.items()})


def _closed_root(F, x, x0, params, region):
    """The root of F(x) = x proved to be >= x0, where SymPy solves F(x) = x; else None."""
    roots = _roots(F, x, params, region)
    if not roots:
        return None
    above = [r for r in roots if sign_on(sp.together(r - x0), params, region) in (1, "nonneg")]
    if len(above) != 1:
        return None
    return sp.factor(above[0]) if not above[0].has(sp.sqrt) else sp.expand(above[0])
