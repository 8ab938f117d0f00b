r"""Limits n -> oo of exponential polynomials, by regime, and convergence rates.

A branch of a derived sequence is written as an exponential polynomial

.. math::

    s_n = \sum_k p_k(n)\,\mu_k^n

with ``p_k`` polynomials in n and nonnegative bases ``mu_k`` free of n. Its limit is decided base by
base: a term with ``mu < 1`` vanishes, one with ``mu = 1`` tends to ``p(n)``'s limit, one with ``mu > 1``
diverges with the sign of its leading coefficient. Each comparison of ``mu`` with 1 becomes a region of
parameter space (``mu = alpha/r < 1`` reads ``alpha < r``), and the signs of coefficients are proved on
the region (see :func:`sign_on`) or, where no proof is found, kept as a further case split. SymPy's
``limit`` cannot do this: it has no relational assumptions.
"""

from __future__ import annotations

import itertools
import math

import sympy as sp

from ..core import conditions as _cond
from ..core import points as _points
from ..core import progress as _progress
from ..core import sym as _sym
from ..core.params import n as N
from ..core.results import NotDerived
from .signs import open_square_roots, sign_on
from .vanishing import amplitudes, without_vanishing_terms

__all__ = ["decompose", "limit_by_regime", "sign_on"]  # sign_on: from .signs, as before


def _sum_terms(expr, n):
    """``{mu: p(n)}`` for an expanded sum of products (no n in denominators)."""
    groups: dict = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        coeff, base = sp.Integer(1), sp.Integer(1)
        for factor in sp.Mul.make_args(term):
            b, e = factor.as_base_exp()
            if not factor.has(n) or (b == n and e.is_Integer and e > 0):
                coeff *= factor
            elif not b.has(n) and e.is_polynomial(n) and sp.degree(e, n) == 1:
                p, q = sp.Poly(sp.expand(e), n).all_coeffs()
                base *= b**p
                coeff *= b**q
            else:
                raise ValueError(f"{expr} is not an exponential polynomial in n (factor {factor})")
        base = sp.powsimp(sp.cancel(base))
        groups[base] = groups.get(base, 0) + coeff
    return groups


def decompose(expr, n=N) -> dict:
    r"""``{mu: p(n)}`` with ``expr == sum(p(n) * mu**n)``.

    Raises ``ValueError`` if ``expr`` is not an exponential polynomial in n
    (a denominator may hold one term ``c * mu**n``, which is divided out).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> decompose(r * (1 - (a / r)**n) / (r - a))
    {1: r/(-alpha + r), alpha/r: -r/(-alpha + r)}
    """
    direct = _sym.expo_terms(expr, n)  # no n in a denominator: the terms as they stand
    if direct is not None:
        out = {}
        for mu, c in _progress.steps("limit: terms", direct.items()):
            c = sp.expand(c)
            if not c.has(n) and len(sp.Add.make_args(c)) > _LONG and _nonzero_somewhere(c):
                out[mu] = c  # a sum of many fractions, proved nonzero: one common denominator costs minutes
                continue
            c = sp.factor(sp.cancel(c)) if not c.has(n) else sp.collect(c, n, _factored)
            if c != 0:
                out[mu] = c
        return out
    num, den = sp.fraction(sp.together(sp.powsimp(_sym.as_sympy(expr))))
    den_terms = _sum_terms(den, n)
    if len(den_terms) != 1:
        raise ValueError(f"{expr} is not an exponential polynomial in n (denominator {den})")
    (mu_d, c_d), = den_terms.items()
    if c_d.has(n):
        raise ValueError(f"{expr} is not an exponential polynomial in n (denominator {den})")
    out = {}
    for base, c in _progress.steps("limit: terms", _sum_terms(num, n).items()):
        c = sp.expand(c / c_d)
        if not _sym.is_zero(c):
            key = sp.powsimp(sp.cancel(base / mu_d))
            out[key] = out.get(key, 0) + sp.factor(c) if c.has(n) is False else c
    return {k: sp.factor(sp.cancel(v)) if not v.has(n) else sp.collect(sp.expand(v), n, sp.factor)
            for k, v in out.items() if not _sym.is_zero(v)}


def _factored(x):
    return sp.factor(sp.cancel(x))


#: a coefficient of more terms than this is not brought over one denominator once proved nonzero
_LONG = 12


def _nonzero_somewhere(c):
    """Whether ``c`` (rational in its symbols) is proved not identically 0: nonzero at a rational point.

    False means "not shown" (the caller cancels).
    """
    symbols = sorted(c.free_symbols, key=sp.default_sort_key)
    for shift in range(3):
        point = {x: sp.Rational(2 * i + 3 + shift, 7 + 2 * i + 5 * shift) for i, x in enumerate(symbols)}
        value = c.xreplace(point)
        if value.is_Rational:
            if value != 0:
                return True
        elif value.is_finite is False or value.has(sp.zoo, sp.nan):
            continue
        else:
            return False
    return False


def _poly_limit(p, diverges, params, region, n):
    """Alternatives ``[(value, cond)]`` for the limit of ``p(n) * mu**n``.

    ``diverges``: ``mu > 1`` (any nonzero p diverges); otherwise ``mu = 1``.
    """
    poly = sp.Poly(sp.expand(p), n)
    if poly.is_zero:
        return [(sp.Integer(0), sp.true)]
    if poly.degree() == 0 and not diverges:
        return [(poly.as_expr(), sp.true)]
    lc = poly.LC()
    rest = poly.as_expr() - lc * n ** poly.degree()
    sign = sign_on(lc, params, region)
    if sign in (1, -1):
        return [(sign * sp.oo, sp.true)]
    out = []
    if sign != "nonpos":
        out.append((sp.oo, lc > 0))
    if sign != "nonneg":
        out.append((-sp.oo, lc < 0))
    for value, cond in _poly_limit(rest, diverges, params, region, n):
        out.append((value, sp.And(sp.Eq(lc, 0), cond)))
    return out


#: regimes of a base of either sign, beside "=" (mu = 1) and ">" (mu > 1): |mu| < 1 ("v"),
#: mu = -1 ("-=") and mu < -1 ("-<"); a nonnegative base has "<", "=" and ">"
_SIGNED_OPS = ("v", "=", ">", "-=", "-<")


def _regime(mu, op):
    """The condition of regime ``op`` of the base ``mu``."""
    if op == "v":
        return sp.And(_cond.relational(mu, "<"), _cond.relational(-mu, "<"))
    if op in ("-=", "-<"):
        return _cond.relational(-mu, "=" if op == "-=" else ">")
    return _cond.relational(mu, op)


#: regime combinations beyond which partial ones are tested for contradiction as they are built
_WALK = 243
#: regime combinations a limit may take at most
MAX_REGIMES = 4096


def _regime_choices(free, signed, cond, params):
    """The regime of each base in ``free``, every combination the domains and ``cond`` allow.

    A regime excluded by a sign proved on the domains (``r + 1 > 1`` for
    ``r > 0``) is never tried. Where the combinations are many, a partial
    choice that contradicts ``cond`` is dropped before it is extended, so
    bases that are all above 1 cost one combination, not ``3**k``.
    """
    options = [_possible(mu, mu in signed, params) for mu in free]
    if math.prod(len(ops) for ops in options) <= _WALK:
        yield from itertools.product(*options)
        return
    count = 0

    def walk(chosen):
        nonlocal count
        if len(chosen) == len(free):
            count += 1
            if count > MAX_REGIMES:
                raise NotDerived(f"the limit has more than {MAX_REGIMES} regimes of its {len(free)} bases "
                                 "against 1 (too many for the engine)")
            yield tuple(chosen)
            return
        for op in options[len(chosen)]:
            partial = sp.And(cond, *[_regime(mu, o) for mu, o in zip(free, [*chosen, op])])
            if not _contradictory(partial):
                yield from walk([*chosen, op])

    yield from walk([])


def _possible(mu, signed, params, region=()):
    """The regimes of the base ``mu`` that the parameters' domains (and ``region``) leave possible."""
    ops = _SIGNED_OPS if signed else ("<", "=", ">")
    above = sign_on(mu - 1, params, region)
    drop = {1: {"<", "v", "=", "-=", "-<"}, -1: {"=", ">"}, "nonneg": {"<", "v", "-=", "-<"},
            "nonpos": {">"}}.get(above, set())
    if signed:
        below = sign_on(mu + 1, params, region)
        drop |= {1: {"-=", "-<"}, "nonneg": {"-<"}, -1: {"v", "=", ">", "-="},
                 "nonpos": {"v", "=", ">"}}.get(below, set())
    return tuple(op for op in ops if op not in drop) or ops


def _numeric_regime(mu, signed):
    if not signed:
        return "<" if mu < 1 else "=" if mu == 1 else ">"
    return "v" if abs(mu) < 1 else "=" if mu == 1 else ">" if mu > 1 else "-=" if mu == -1 else "-<"


def limit_by_regime(expr, params, n=N):
    """``[(value, condition), ...]``: the limit n -> oo of ``expr`` by region.

    Every branch of a Piecewise ``expr`` is decomposed with :func:`decompose`;
    its bases are compared with 1 by modulus. Terms with bases below 1 in
    modulus vanish, bases equal to 1 leave their polynomial, and among bases
    above 1 the largest wins: two growing bases are compared through their
    ratio (a further case split), equal bases are merged. A base of either
    sign has two more regimes: at mu = -1 a nonzero constant coefficient
    oscillates (no limit, ``nan``, unless the rest diverges); below -1 a term
    with a nonzero coefficient oscillates without bound (``nan``). Cases
    whose condition contradicts the branch are dropped; equal values are merged.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD, n
    >>> r = STANDARD["r"].symbol
    >>> limit_by_regime(1 + r**n, [STANDARD["r"]])
    [(1, r < 1), (2, Eq(r, 1)), (oo, r > 1)]
    >>> limit_by_regime(2 - sp.Rational(1, 2)**n, [])  # a numeric base is in one regime only
    [(2, True)]
    """
    return list(_limit_by_regime(_sym.as_sympy(expr), _sym.keyed(params or ()), n))


@_sym.memo(256)
def _limit_by_regime(expr, key, n):
    """:func:`limit_by_regime`, remembered (a limit and the iterations to it ask for the same cases), by
    the parameters :func:`~symrecycle.core.sym.keyed`."""
    params = _sym.unkeyed(key)
    results = []
    for branch, cond in _progress.steps("limit: cases", _sym.exclusive_pieces(expr)):
        branch = open_square_roots(_cond.substitute_condition(branch, cond), lambda q: sign_on(q, params))
        branch, oscillation = without_vanishing_terms(branch, params, n)
        if oscillation is not None:
            results.extend(_beside_oscillation(branch, oscillation, cond, params, n))
            continue
        terms = decompose(branch, n)
        bases = [mu for mu in terms if mu != 1]
        for mu in bases:
            if mu.is_real is False or (mu.is_number and not mu.is_real):
                raise NotDerived(f"the base {sp.sstr(mu)} of ({sp.sstr(mu)})**n is not real "
                                 "(complex bases are not compared here)")
        signed = {mu for mu in bases if not (mu.is_nonnegative or sign_on(mu, params) in (1, "nonneg"))}
        # a numeric base is in one regime only: only symbolic bases split the regions
        fixed = {mu: _numeric_regime(mu, mu in signed) for mu in bases if mu.is_number}
        free = [mu for mu in bases if mu not in fixed]
        for ops in _regime_choices(free, signed, cond, params):
            chosen = dict(zip(free, ops))
            regimes = [(mu, fixed.get(mu) or chosen[mu]) for mu in bases]
            full = sp.And(cond, *[_regime(mu, op) for mu, op in regimes])
            if _contradictory(full):
                continue
            # sign proofs read mu < 1 as mu = 1/(1+s): only bases known nonnegative take part in that regime
            region = [(mu, op) for mu, op in regimes if op in "=>" or (op == "<" and mu not in signed)]
            flat = terms.get(sp.Integer(1), sp.Integer(0))
            flat += sum((terms[mu] for mu, op in regimes if op == "="), sp.Integer(0))
            growing = [(mu, terms[mu]) for mu, op in regimes if op == ">"]
            oscillating = [(mu, op) for mu, op in regimes if op in ("-=", "-<")]
            flat_alts = _Lazy(lambda flat=flat, region=region: _poly_limit(flat, False, params, region, n))
            if oscillating:
                alternatives = _oscillating(oscillating, terms, growing, flat_alts, params, region, full, n)
            elif growing:
                alternatives = []
                for v, c in _dominant(growing, params, region, full, n):
                    if v == 0:  # every growing coefficient vanishes here
                        alternatives += [(fv, sp.And(c, fc)) for fv, fc in flat_alts]
                    else:
                        alternatives.append((v, c))
            else:
                alternatives = [(v, sp.And(full, c)) for v, c in flat_alts]
            results += [(v if v is sp.nan else _cond.substitute_condition(v, c), d)
                        for v, c in alternatives for d in _cond.split_equalities(c) if not _contradictory(d)]
    return _merge(results)


def _beside_oscillation(branch, oscillation, cond, params, n):
    r"""Alternatives where oscillating terms ``c n**j rho**n sin(n theta + phi)`` may not vanish.

    Where ``rho < 1`` they vanish and the rest decides. Where ``rho >= 1`` and
    the rest has a finite limit, there is no limit (``nan``) unless every
    amplitude of the oscillation is 0 (:func:`~.vanishing.amplitudes`), where
    the rest's limit holds; a rest that diverges beside it is refused by name.
    """
    terms, rho = oscillation
    rest = limit_by_regime(sp.expand(branch - sp.Add(*terms)), params, n)  # the rest's limit, by region
    sign = sign_on(sp.expand(rho**2) - 1, params)
    out = []
    below = sp.And(cond, _cond.relational(rho**2, "<"))
    if sign not in (1, "nonneg") and not _contradictory(below):
        out += [(v, sp.And(below, c)) for v, c in rest]
    above = sp.And(cond, sp.Not(_cond.relational(rho**2, "<")))
    if sign == -1 or _contradictory(above):
        return out
    silent = sp.And(*[_zero_condition(a, params, ()) for a in amplitudes(terms, rho, n)])
    for v, c in rest:
        if v in (sp.oo, -sp.oo):
            raise NotDerived(f"oscillating terms of modulus ({sp.sstr(rho)})**n, which may reach 1, beside a "
                             "diverging part: their comparison is not derived")
        out += [(sp.nan, sp.And(above, c, sp.Not(silent))), (v, sp.And(above, c, silent))]
    return [(v, c) for v, c in out if not _contradictory(c)]


class _Lazy:
    """A list computed when first read: the flat part's limit matters only where no growing term decides."""

    def __init__(self, make):
        self.make, self.value = make, None

    def __iter__(self):
        if self.value is None:
            self.value = self.make()
        return iter(self.value)


def _oscillating(oscillating, terms, growing, flat_alts, params, region, cond, n):
    """Alternatives where a base is -1 or below: ``nan`` (no limit) where its term does not vanish.

    Derived for one such base with a coefficient constant in n and no growing
    base beside it; other combinations raise :class:`NotDerived`.
    """
    if len(oscillating) > 1 or growing:
        raise NotDerived("a base of -1 or below beside another base of modulus 1 or more: "
                         "the comparison by modulus of oscillating terms is not derived")
    (mu, op), = oscillating
    c = terms[mu]
    if op == "-=" and c.has(n):
        raise NotDerived(f"the coefficient {sp.sstr(c)} of ({sp.sstr(mu)})**n depends on n: "
                         "its oscillating limit is not derived")
    # c(n) is 0 for every n exactly where each of its coefficients in n is
    zero = sp.And(*[_zero_condition(k, params, region) for k in sp.Poly(sp.expand(c), n).all_coeffs()])
    out = [(v, sp.And(cond, zero, fc)) for v, fc in flat_alts] if zero is not sp.false else []
    nonzero = sp.And(cond, sp.Not(zero))
    if op == "-<":  # |c(n) mu^n| grows without bound, with alternating sign
        return [*out, (sp.nan, nonzero)]
    # mu = -1: the flat part's limit plus c (-1)^n, which has no limit unless the flat part diverges
    for v, fc in flat_alts:
        out.append((v if v in (sp.oo, -sp.oo) else sp.nan, sp.And(nonzero, fc)))
    return out


def _dominant(growing, params, region, cond, n):
    """Alternatives for the limit of a sum of growing terms ``c(n) * mu**n`` (mu > 1).

    The value 0 stands for "every coefficient vanishes" (the caller falls
    back to the slower terms).
    """
    _progress.step(f"limit: growing terms, {len(growing)} to compare")
    if len(growing) == 1:
        (_mu, c), = growing
        return [(v, sp.And(cond, cc)) for v, cc in _poly_limit(c, True, params, region, n)]
    (mu_a, c_a), (mu_b, c_b), *rest = growing
    ratio = sp.powsimp(sp.cancel(mu_a / mu_b))
    out = []
    for op in _possible(ratio, False, params, region):
        sub = sp.And(cond, _cond.relational(ratio, op))
        if _contradictory(sub):
            continue
        reg = [*region, (ratio, op)] if op != "=" else region
        if op == "=":
            for eq in _cond.split_equalities(_cond.relational(ratio, "=")):
                merged = sp.expand(_cond.substitute_condition(c_a + c_b, eq))
                out += _dominant([(mu_b, merged), *rest], params, reg, sp.And(cond, eq), n)
            continue
        weak, strong = ((mu_a, c_a), (mu_b, c_b)) if op == "<" else ((mu_b, c_b), (mu_a, c_a))
        for v, c in _dominant([strong, *rest], params, reg, sub, n):
            if v == 0:
                out += _dominant([weak], params, reg, c, n)
            else:
                out.append((v, c))
    return out


def _contradictory(cond) -> bool:
    cond = _sym.as_sympy(cond)
    if cond is sp.false:
        return True
    try:
        reduced = _cond.substitute_condition(cond, cond)
    except _cond.Contradiction:
        return True
    except ValueError:
        return False
    if reduced is sp.false:
        return True
    return _cond.simplify_condition(reduced) is sp.false


def _tidy_condition(cond):
    """``Eq(beta*r, 0)`` as ``Eq(beta, 0)``: factors of fixed sign dropped from equalities."""
    def tidy(eq):
        num = sp.factor(sp.numer(sp.together(eq.lhs - eq.rhs)))
        keep = [f for f in sp.Mul.make_args(num) if not (f.is_number or f.is_positive or f.is_negative)]
        if not keep:
            return sp.false if num != 0 else sp.true
        if len(keep) == 1:
            return sp.Eq(keep[0].as_base_exp()[0], 0)
        return sp.Or(*[sp.Eq(f.as_base_exp()[0], 0) for f in keep])

    return cond.replace(lambda e: isinstance(e, sp.Eq), tidy)


def _merge(results):
    merged: dict = {}
    for value, cond in results:
        cond = _cond.tidy_condition(_tidy_condition(cond))
        if cond is sp.false:
            continue
        merged.setdefault(value, []).append(cond)
    out = []
    for value, conds in merged.items():
        cond = _cond.tidy_condition(_cond.simplify_condition(sp.Or(*conds)))
        if cond is sp.false:
            continue
        out.append((_cond.simplify_branch(value) if value.is_finite else value, cond))
    out.sort(key=lambda vc: vc[0].has(sp.oo, -sp.oo))
    return out


def _abs(expr, params, region):
    """``|expr|``, factor by factor: factors of proved sign lose their ``Abs``."""
    sign = sign_on(expr, params, region)
    if sign in (1, "nonneg"):
        return expr
    if sign in (-1, "nonpos"):
        return -expr
    out = sp.Integer(1)
    for f in sp.Mul.make_args(sp.factor(sp.together(expr))):
        s = sign_on(f, params, region)
        out *= f if s in (1, "nonneg") else -f if s in (-1, "nonpos") else sp.Abs(f)
    return out


def _zero_condition(expr, params, region):
    """``expr == 0`` reduced to the factors of its numerator that can vanish."""
    num = sp.factor(sp.numer(sp.together(expr)))
    if num == 0:  # the zero expression: zero everywhere
        return sp.true
    factors = [f for f in sp.Mul.make_args(num) if not f.is_number]
    keep = [f for f in factors if sign_on(f, params, region) not in (1, -1)]
    if not keep:
        return sp.false
    return sp.Or(*[sp.Eq(f, 0) for f in keep])


def limit_of_linear(q, h, start_value, params, n=N):
    r"""The limit of ``M_n = q_n M_{n-1} + h_n`` (n > n_0) by region, from the limits of q_n and h_n.

    For sequences without an exponential-polynomial closed form (an unrolled
    ``Sum``), the metric's own first-order recurrence decides the limit.
    With ``q_n -> q`` and ``h_n -> h`` (each by :func:`limit_by_regime`):

    - ``|q| < 1`` and h finite: ``M_n -> h / (1 - q)`` (a contraction:
      ``M_n - L = q_n (M_{n-1} - L) + o(1)``);
    - ``q_n, h_n >= 0`` for every n and ``M_{n_0} >= 0`` (proved on the
      domain), ``h > 0`` and either ``q > 1``, ``q = oo``, or ``q_n = 1`` for
      every n in the region: ``M_n >= M_{n-1} + h_n`` from some n on, so
      ``M_n -> oo``; likewise ``h = oo`` with ``0 <= q < 1``.

    Returns ``[(value, condition), ...]``. :class:`~symrecycle.core.results.NotDerived` names a
    region where none of these applies (e.g. ``q_n -> 1`` from below).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD, Parameter
    >>> r, alpha = STANDARD["r"], STANDARD["alpha"]
    >>> rho = Parameter("rho", 0, 1, lower_open=True)
    >>> q = alpha.symbol * rho.symbol**(N - 1) / r.symbol
    >>> for value, cond in limit_of_linear(q, sp.Integer(1), sp.Integer(1), [r, alpha, rho]):
    ...     print(value, "if", cond)
    1 if rho < 1
    r/(-alpha + r) if Eq(rho, 1) & (alpha < r)
    oo if Eq(rho, 1) & (alpha >= r)
    """
    nonneg = all(sign_on(e, params) in (1, "nonneg") for e in (q, h, start_value))
    out = []
    for qv, qc in _limit_cases(q, params, n):
        for hv, hc in _limit_cases(h, params, n):
            cond = _points.within_domain(sp.And(qc, hc), params)
            if _contradictory(cond):
                continue
            out += [(sp.factor(sp.cancel(v)), _points.within_domain(c, params))
                    for v, c in _linear_cases(q, qv, hv, cond, nonneg, params, n)]
    return _merge([(v, c) for v, c in out if not _contradictory(c)])


def _limit_cases(expr, params, n):
    """:func:`limit_by_regime`, else SymPy's ``limit`` where ``expr`` is no exponential polynomial.

    (``1/(n + 1)``: one value for every parameter; the caller's numeric check
    at large n catches a limit SymPy takes wrongly for some parameter values.)
    """
    try:
        cases = limit_by_regime(expr, params, n)
    except NotDerived:
        raise
    except ValueError as exc:
        reason = exc
    else:
        for v, c in cases:
            if v is sp.nan:  # the rules below need the rate and the forcing to converge
                raise NotDerived(
                    f"{sp.sstr(expr)} has no limit as n -> oo where {sp.sstr(c)} (it oscillates)")
        return cases

    def sympy_limit(e):
        try:
            value = sp.limit(e, n, sp.oo)
        except (NotImplementedError, ValueError, TypeError):  # pragma: no cover
            value = sp.nan
        if value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo, n) or (
            value not in (sp.oo, -sp.oo) and value.has(sp.oo, -sp.oo)
        ):
            raise NotDerived(f"no limit of {sp.sstr(e)} as n -> oo: {reason}") from reason
        return value

    value = sympy_limit(expr)
    # SymPy takes the limit for a generic parameter value: at a closed end of a domain
    # (alpha n/(alpha n + 1) at alpha = 0) it may differ, and becomes its own case
    cases, generic = [], []
    for p in params:
        if p.symbol not in expr.free_symbols:
            continue
        for end in p.closed_ends():
            at = sympy_limit(expr.subs(p.symbol, sp.Rational(end)))
            if not _sym.is_zero(sp.piecewise_fold(at - value.subs(p.symbol, sp.Rational(end)))):
                cases.append((at, sp.Eq(p.symbol, sp.Rational(end))))
                generic.append(sp.Ne(p.symbol, sp.Rational(end)))
    if len(cases) > 1:
        raise NotDerived(f"the limit of {sp.sstr(expr)} changes at several domain ends: {reason}")
    return [*cases, (value, sp.And(*generic))]


def _linear_cases(q, qv, hv, cond, nonneg, params, n):
    def unproved(why):
        return NotDerived(f"no limit derived where {sp.sstr(cond)}: {why}")

    def diverges(sub):
        if not nonneg:
            raise unproved("q_n, h_n and the first term are not proved nonnegative")
        if hv is sp.oo or sign_on(hv, params) == 1:
            return [(sp.oo, sub)]
        raise unproved(f"the limit {hv} of h_n is not proved positive")

    if qv is sp.oo:
        return diverges(cond)
    if qv is -sp.oo:
        raise unproved("q_n -> -oo")
    sign = sign_on(qv, params)

    def on_domain(region):
        return _points.within_domain(region, params)

    inside = on_domain(sp.And(cond, _cond.relational(qv, "<")))
    if sign not in (1, "nonneg"):
        inside = on_domain(sp.And(inside, _cond.relational(-qv, "<")))
    out = []
    if not _contradictory(inside):
        if hv.is_finite:
            out.append((hv / (1 - qv), inside))
        elif hv is sp.oo and sign in (1, "nonneg") and nonneg:
            out.append((sp.oo, inside))
        else:
            raise unproved(f"h_n -> {hv}")
    above = on_domain(sp.And(cond, _cond.relational(qv, ">")))
    if not _contradictory(above):
        out += diverges(above)
    at_one = on_domain(sp.And(cond, _cond.relational(qv, "=")))
    if not _contradictory(at_one):
        if not _sym.is_zero(_cond.substitute_condition(q, at_one) - 1):
            raise unproved("q_n -> 1 without q_n = 1 for every n")
        out += diverges(at_one)
    if sign not in (1, "nonneg"):
        below = on_domain(sp.And(cond, _cond.relational(-qv, ">") | _cond.relational(-qv, "=")))
        if not _contradictory(below):
            raise unproved("q_n -> q <= -1")
    return out
