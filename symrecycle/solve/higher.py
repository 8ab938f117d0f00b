r"""Linear recurrences of order k with constant coefficients, solved as a cascade of first-order ones.

.. math::

    x_n = a_1 x_{n-1} + \dots + a_k x_{n-k} + f(n), \qquad
    1 - a_1 B - \dots - a_k B^k = \prod_{j=1}^{k} (1 - \mu_j B)

(``B`` the backward shift). With ``y^{(0)} = x`` and
``y^{(j)}_n = y^{(j-1)}_n - \mu_j y^{(j-1)}_{n-1}``, the last one is the forcing,
``y^{(k)}_n = f(n)``, and each ``y^{(j-1)}_n = \mu_j y^{(j-1)}_{n-1} + y^{(j)}_n`` is a
first-order recurrence that :func:`~symrecycle.solve.recurrence.linear_by_cases`
solves with every degenerate case: two roots equal (a repeated root, the
``n \mu^n`` terms) or a root equal to a forcing base. The roots ``\mu_j`` must be
rational functions of the parameters, real numbers, or the two roots of a
quadratic factor whose discriminant is proved positive on the parameters'
domains; otherwise the order-k recurrence is refused by name. Second order
whose discriminant D has no proved sign is solved in three cases: D < 0 in
sines (:mod:`~symrecycle.solve.oscillating`), D = 0 as a double root (D solved
for one parameter), and D > 0 with the two radicals.

Radical roots stand as symbols through the cascade, so that each level is an
identity in them; they go in at the end, where each is decided to be a root,
a case "root = forcing base" becomes the polynomial condition ``char(lam) = 0``
with the side of the roots' midpoint that picks the root, and the result is
certified once more against the order-k recurrence itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..core import conditions as _cond
from ..core import sym as _sym
from ..core.params import Parameter
from ..core.params import n as N
from ..core.results import NotDerived
from .certify import BranchCertificate
from .oscillating import is_complex_pair, solve_complex_pair
from .recurrence import ClosedForm, VariableRecurrence, linear_by_cases
from .rootsums import characteristic, check_iteration, hard_factors, rootsum_zero, solve_over_roots
from .signs import sign_on

__all__ = ["HigherRecurrence", "check_solvable", "roots_of", "system_component"]


def roots_of(coefficients, name="x", params=None, distinct=False):
    """The roots ``mu_1, ..., mu_k`` (with multiplicity) of ``z**k - a_1 z**(k-1) - ... - a_k``.

    Rational functions of the parameters, real numbers, or the two roots
    ``(-b +- sqrt(D)) / (2a)`` of a quadratic factor whose discriminant ``D``
    is proved positive on the domains of ``params`` (two real, distinct
    roots for every parameter value).
    :class:`~symrecycle.core.results.NotDerived` naming why otherwise (other
    radicals of parameters, complex pairs).

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", real=True)
    >>> roots_of([a + b, -a * b])
    [a, b]
    >>> roots_of([2, -1])
    [1, 1]
    >>> roots_of([1, 1])
    [1/2 - sqrt(5)/2, 1/2 + sqrt(5)/2]
    """
    z = sp.Dummy("z")
    k = len(coefficients)
    poly = sp.Poly(characteristic(coefficients, z), z)
    if coefficients and _sym.is_zero(coefficients[-1]):
        raise NotDerived(
            f"recurrence for {name}: a root 0 (the next term does not use {name}[n-{k}] itself, only other "
            "values that far back): the closed form would hold only from a later n (not yet solved)")
    out = []
    _, factors = sp.factor_list(poly.as_expr(), z)
    taken = {str(x) for x in poly.free_symbols}
    shown = sp.Symbol(next(x for x in ("z", "mu", "lambda_") if x not in taken))

    def text(f):
        return sp.sstr(f.subs(z, shown))

    for f, mult in factors:
        fz = sp.Poly(f, z)
        if fz.degree() == 1:
            root = sp.cancel(-fz.nth(0) / fz.nth(1))
            out += [root] * mult
            continue
        if f.free_symbols - {z} and fz.degree() == 2:
            a2, a1, a0 = fz.all_coeffs()
            disc = sp.factor(a1**2 - 4 * a2 * a0)
            if distinct or (params and sign_on(disc, params) == 1):
                out += [sp.radsimp((-a1 - sp.sqrt(disc)) / (2 * a2)),
                        sp.radsimp((-a1 + sp.sqrt(disc)) / (2 * a2))] * mult
                continue
            raise NotDerived(
                f"recurrence for {name}: the characteristic polynomial has the factor {text(f)}, whose "
                f"discriminant {sp.sstr(disc)} is not proved positive on the parameters' domains (its "
                "roots may coincide or be a complex pair: not yet solved)")
        if f.free_symbols - {z}:
            raise NotDerived(
                f"recurrence for {name}: the characteristic polynomial has the factor {text(f)}, whose "
                "roots are not rational in the parameters (radical roots are not yet solved)")
        roots = sp.roots(fz)
        if sum(roots.values()) != fz.degree() or any(r.is_real is not True for r in roots):
            raise NotDerived(
                f"recurrence for {name}: the characteristic polynomial has the factor {text(f)}, whose "
                "roots are complex (an oscillating solution; not yet solved)")
        for r in sorted(roots, key=sp.default_sort_key):
            out += [r] * (roots[r] * mult)
    return sorted(out, key=sp.default_sort_key)


@dataclass(frozen=True)
class HigherRecurrence:
    """``x_n = sum_j a_j x_{n-j} + f(n)`` for ``n >= start + k``, with ``x_start, ..., x_{start+k-1}`` given.

    ``forcing`` may have cases (a ``Piecewise``); the coefficients are free of n.

    Examples
    --------
    Fibonacci, ``x_n = x_{n-1} + x_{n-2}``, ``x_1 = x_2 = 1``:

    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> fib = HigherRecurrence((1, 1), sp.Integer(0), (sp.Integer(1), sp.Integer(1)), 1, "F")
    >>> cf = fib.solve()
    >>> [sp.nsimplify(sp.expand(cf.expr.subs(n, k))) for k in range(1, 9)]
    [1, 1, 2, 3, 5, 8, 13, 21]
    >>> cf.verified
    True
    """

    coefficients: tuple
    forcing: sp.Expr
    initials: tuple
    start: int = 1
    name: str = "x"

    def solve(self, params=None) -> ClosedForm:
        """The closed form through the cascade, every level certified and checked on its cases.

        Second order with a complex pair of roots is written with real cosines and
        sines (:mod:`~symrecycle.solve.oscillating`).
        """
        if is_complex_pair(self.coefficients, params):
            return solve_complex_pair(self, params)
        disc = discriminant_of_either_sign(self.coefficients, params)
        if disc is not None:
            return _by_discriminant(self, disc, params)
        hard = hard_factors(self.coefficients, params)
        if hard:
            return _over_roots(self, hard, params)
        return self._cascade(roots_of(self.coefficients, self.name, params), params)

    def _cascade(self, mus, params):
        """The cascade through the roots ``mus`` (radical ones carried as symbols)."""
        # radical roots stand as symbols through the cascade: each level is then an identity in them
        # (decided for every value), and the roots go in at the end, where sum and product are checked
        radical = {}
        for i, mu in enumerate(mus):
            if not mu.is_number and any(not p.exp.is_Integer for p in mu.atoms(sp.Pow)):
                radical.setdefault(mu, sp.Dummy(f"mu{len(radical) + 1}", real=True))
                mus[i] = radical[mu]
        if radical:
            # the levels are identities in the roots; their exact-iteration samples take roots in
            # (0, oo), away from 0, where a level's formula may divide by the root
            params = [*(params or ()),
                      *(Parameter(d.name, 0, None, lower_open=True, symbol=d) for d in radical.values())]
        k, n0 = len(self.coefficients), self.start
        # the initial values of each level: y^(j) at start + j, from x's initial values
        levels = [list(self.initials)]
        for j in range(1, k + 1):
            prev = levels[-1]
            levels.append([None] * j + [sp.expand(prev[i] - mus[j - 1] * prev[i - 1]) for i in range(j, k)])
        below, certificate, lines, checked = self.forcing, [], [], True
        held = sp.Dummy("prev")
        for j in range(k, 0, -1):  # y^(j-1)_n = mu_j y^(j-1)_{n-1} + y^(j)_n, from start + j - 1
            rec = linear_by_cases(mus[j - 1] * held + below, held, levels[j - 1][j - 1], n0 + j - 1,
                                  f"{self.name}^({j - 1})")
            cf = rec.solve() if isinstance(rec, VariableRecurrence) else rec.solve(params)
            certificate += list(cf.certificate)
            lines += [f"level {j - 1} (x - {', '.join(map(sp.sstr, mus[:j - 1])) or 'none'} shifted): {line}"
                      for line in cf.checks]
            checked = checked and cf.verified
            below = cf.expr
        if radical:
            below, note, ok = _radicals_in(below, radical, self.coefficients, params)
            lines.append(note)
            checked = checked and ok
            certificate += [_certify_order_k(self, value, cond) for value, cond in _sym.pieces(below)]
        return ClosedForm(self, below, tuple(certificate), checks=tuple(lines), checked=checked)


def discriminant_of_either_sign(coefficients, params):
    """``D = c1**2 + 4 c2`` for an irreducible ``z**2 - c1 z - c2`` whose D has no proved sign, else None."""
    if len(coefficients) != 2 or not params:
        return None
    c1, c2 = (_sym.as_sympy(c) for c in coefficients)
    disc = sp.factor(c1**2 + 4 * c2)
    if disc.is_number or sign_on(disc, params) in (1, -1):
        return None
    z = sp.Dummy("z")
    _, factors = sp.factor_list(z**2 - c1 * z - c2, z)
    if len(factors) != 1 or sp.degree(factors[0][0], z) != 2:
        return None  # rational roots: the cascade's own cases
    return disc


def _by_discriminant(rec, disc, params):
    """Three forms by the sign of D: a complex pair in sines (D < 0), a double root (D = 0), two radicals.

    D = 0 may hold on several components (``r**2 (c - 1)(c + 1)``: c = 1 and
    c = -1); each is its own case, solved with D's component solved for one
    parameter. A point on two components takes the first one's form, which
    solves the recurrence there too (its own cases included).
    """
    below = sp.Lt(disc, 0)
    oscillating = solve_complex_pair(rec, params, below)
    # D <= 0 on the domains (``4 r**2 (c**2 - 1)`` for c in [-1, 1]): no case of two real roots
    never_positive = sign_on(disc, params) == "nonpos"
    symbols = [p.symbol for p in params]
    parts = [c for c in _cond.components(disc) or () if sign_on(c, params) not in (1, -1)]
    doubles = []
    for part in parts:
        try:
            sub = _cond.solve_component(part, symbols)
        except _cond.Unsolved as exc:
            raise NotDerived(
                f"recurrence for {rec.name}: the double-root case {sp.sstr(part)} = 0: {exc}") from exc
        rest = [p for p in params if p.symbol not in sub]
        doubles.append((sp.Eq(part, 0), HigherRecurrence(
            tuple(sp.cancel(_sym.as_sympy(c).subs(sub)) for c in rec.coefficients),
            _sym.as_sympy(rec.forcing).subs(sub), tuple(_sym.as_sympy(x).subs(sub) for x in rec.initials),
            rec.start, rec.name).solve(rest)))
    distinct = None if never_positive else rec._cascade(
        roots_of(rec.coefficients, rec.name, params, distinct=True), params)
    pieces = [(oscillating.expr, below)]
    for on_zero, double in doubles:
        pieces += [(v, sp.And(on_zero, c) if c is not sp.true else on_zero)
                   for v, c in _sym.pieces(double.expr)]
    pieces += list(_sym.pieces(distinct.expr)) if distinct else []
    pieces[-1] = (pieces[-1][0], sp.true)
    lines = [f"where {sp.sstr(below)}: {line}" for line in oscillating.checks]
    for on_zero, double in doubles:
        lines += [f"where {sp.sstr(on_zero)}: {line}" for line in double.checks]
    lines += [f"where {sp.sstr(disc)} > 0: {line}" for line in distinct.checks] if distinct else [
        f"{sp.sstr(disc)} > 0 nowhere on the domains: no case of two distinct real roots"]
    solved = [oscillating, *(d for _, d in doubles), *([distinct] if distinct else [])]
    return ClosedForm(rec, sp.Piecewise(*pieces), tuple(c for cf in solved for c in cf.certificate),
                      checks=tuple(lines), checked=all(cf.verified for cf in solved))


def _over_roots(rec, hard, params):
    r"""Numeric factors H of the characteristic polynomial without usable radical roots: sums over roots.

    With :math:`\chi = \chi_E H`, :math:`w_n = x_n - h_1 x_{n-1} - \dots - h_d x_{n-d}`
    satisfies the recurrence of :math:`\chi_E` (solved with its cases, its
    first values computed from x's exactly), and x the recurrence of H with
    forcing w, solved case by case of w over the roots of H
    (:func:`~symrecycle.solve.rootsums.solve_over_roots`), each case decided
    against the order-k recurrence itself. Where H is a quadratic of the
    parameters, x solves its second-order recurrence forced by w (sines, a
    double root or radicals by the sign of its discriminant, each certified),
    so x solves the order-k one (:math:`\chi_E(B) H(B) x = \chi_E(B) w = f`).
    Every case is checked by exact iteration of the order-k recurrence.
    """
    k, s = len(rec.coefficients), rec.start
    es, hs, shown = _split(rec.coefficients, hard)
    d = len(hs)
    xs = [_sym.as_sympy(x) for x in rec.initials]
    certificate, lines, checked = [], [], True
    if es:  # w from its own recurrence, first values from x's
        ws = tuple(sp.expand(xs[i] - sum((h * xs[i - j] for j, h in enumerate(hs, 1)), sp.Integer(0)))
                   for i in range(d, k))
        inner = HigherRecurrence(tuple(es), rec.forcing, ws, s + d,
                                 f"{rec.name} (less its roots of {shown})").solve(params)
        certificate += list(inner.certificate)
        lines += list(inner.checks)
        checked = inner.verified
        w = inner.expr
    else:
        w = _sym.as_sympy(rec.forcing)
    pieces = []
    symbolic = _symbolic_alone(hard, rec.name)
    for value, cond in _sym.pieces(w):
        if symbolic:  # x from the second-order recurrence of the quadratic, forced by w: its own cases
            pair = HigherRecurrence(tuple(hs), value, tuple(xs[:d]), s, rec.name).solve(params)
            certificate += list(pair.certificate)
            lines += list(pair.checks)
            checked = checked and pair.verified
            pieces += [(v, sp.And(cond, c)) for v, c in _sym.pieces(pair.expr)]
            continue
        x = solve_over_roots(hs, value, xs[:d], s, params, rec.name)
        pieces.append((x, cond))
        certificate.append(_certify_order_k(rec, x, cond))
    if len(pieces) > 1:
        pieces[-1] = (pieces[-1][0], sp.true)
    expr = pieces[0][0] if len(pieces) == 1 else sp.Piecewise(*pieces)
    for ok, line in _checked_cases(rec, expr, params):
        lines.append(line)
        checked = checked and ok
    return ClosedForm(rec, expr, tuple(certificate), checks=tuple(lines), checked=checked)


def _symbolic_alone(hard, name):
    """Whether ``hard`` is one quadratic of the parameters (solved as second order); refused beside others."""
    symbolic = any(f.free_symbols - {f.gen} for f, _ in hard)
    if symbolic and (len(hard) > 1 or hard[0][1] > 1):
        raise NotDerived(
            f"recurrence for {name}: the characteristic polynomial has the factors "
            f"{', '.join(sp.sstr(f.as_expr()) for f, _ in hard)}: a quadratic of the parameters beside other "
            "factors without rational roots (or repeated) is not yet solved")
    return symbolic


def _split(coefficients, hard):
    """``(easy, hard, text)``: the recurrence coefficients of chi / H and of H (H the product of ``hard``)."""
    z = sp.Dummy("z")
    big_h = sp.Mul(*[f.as_expr().subs(f.gen, z) ** m for f, m in hard])
    char = characteristic(coefficients, z)
    easy, left = sp.div(sp.Poly(sp.expand(char), z), sp.Poly(sp.expand(big_h), z))
    if not left.is_zero:  # pragma: no cover - H is a product of factors of chi
        raise ValueError(f"{big_h} does not divide {char}")
    hs = [sp.expand(-c) for c in sp.Poly(big_h, z).all_coeffs()[1:]]
    es = [sp.expand(-c) for c in easy.all_coeffs()[1:]]
    return es, hs, sp.sstr(big_h.subs(z, sp.Symbol("z")))


def check_solvable(coefficients, name="x", params=None):
    """Raises :class:`~symrecycle.core.results.NotDerived` where :meth:`HigherRecurrence.solve` would refuse.

    The same dispatch: a complex pair, a discriminant of either sign, numeric
    factors solved over their roots; the other roots by :func:`roots_of`.

    Examples
    --------
    >>> check_solvable([1, 0, 1])  # z**3 - z**2 - 1: over its roots
    >>> check_solvable([0, 0, 0, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrecycle.core.results.NotDerived: recurrence for x: a root 0 ...
    """
    if is_complex_pair(coefficients, params) or discriminant_of_either_sign(coefficients, params) is not None:
        return
    hard = hard_factors(coefficients, params)
    if hard:
        _symbolic_alone(hard, name)
    easy = _split(coefficients, hard)[0] if hard else coefficients
    if easy:
        roots_of(easy, name, params)


def _checked_cases(rec, expr, params):
    """``(ok, line)`` per case of ``expr``: exact iteration of ``rec`` at points of the case."""
    out = []
    for value, cond in _sym.exclusive_pieces(expr):
        out.append(check_iteration(rec.coefficients, rec.forcing, rec.initials, rec.start,
                                   _cond.substitute_condition(value, cond), params or [], cond))
    return out


def _decided(e):
    """0 where ``e`` (an exponential polynomial in n, radicals in its bases) is decided to be 0, else e."""
    if _zero_modulo_root(e):
        return sp.Integer(0)
    if e.has(sp.RootSum):
        return sp.Integer(0) if rootsum_zero(e) else e
    e = sp.expand(sp.powsimp(sp.expand(e)))
    return sp.Integer(0) if e == 0 or _sym.expo_zero(e) or _sym.is_zero(e) else e


def _zero_modulo_root(e):
    """Whether ``e``, with its one square root ``sqrt(D)`` held as a symbol s, is 0 modulo ``s**2 - D``.

    Each base's coefficient is reduced modulo ``s**2 - D``; all remainders 0 is a
    proof (for either sign of s, so for sqrt(D)). False means "not shown": the
    caller decides another way.
    """
    roots = {p for p in e.atoms(sp.Pow) if p.exp == sp.Rational(1, 2) and not p.base.is_number}
    if len(roots) != 1:
        return False
    (root,) = roots
    s = sp.Dummy("s")
    terms = _sym.expo_terms(e.xreplace({root: s}))
    if terms is None:
        return False
    for c in terms.values():
        num, _ = sp.fraction(sp.together(c))
        try:
            left = sp.rem(sp.expand(num), s**2 - root.base, s)
        except sp.PolynomialError:
            return False
        if sp.expand(left) != 0:
            return False
    return True


def _radicals_in(expr, radical, coefficients, params):
    """``expr`` with the radical roots put back, its cases where two distinct roots meet dropped.

    Returns ``(expr, note, ok)``: ``ok`` where each radical is decided to be a
    root of the characteristic polynomial. The cases dropped are those where
    the two distinct roots would be equal, and those whose equation is proved
    impossible on the domains.
    """
    back = {d: mu for mu, d in radical.items()}
    z = sp.Dummy("z")
    k = len(coefficients)
    char = characteristic(coefficients, z)
    ok = all(_sym.is_zero(sp.radsimp(char.subs(z, mu))) for mu in radical)
    total = coefficients[0] if k == 2 else None  # the sum of the two roots of a quadratic
    low = min(radical, key=lambda mu: sp.default_sort_key(mu)) if len(radical) == 2 else None

    def polynomial(c):
        """``mu = lam`` as ``char(lam) = 0`` and the side of the roots' midpoint ``lam`` is on."""
        ds = c.free_symbols & set(back)
        if len(ds) == 2:  # mu1 = mu2: D = 0, which is not this form's set
            return sp.false if isinstance(c, sp.Eq) else sp.true
        d = next(iter(ds), None)
        if d is None or total is None:
            return c.subs(back)
        lam = sp.solve(c.lhs - c.rhs, d)
        if len(lam) != 1 or lam[0].has(*back):
            return c.subs(back)
        lam = lam[0]
        on_eq = sp.Eq(sp.factor(char.subs(z, lam)), 0)
        # mu = (total -+ sqrt(D)) / 2: the lower root is below the midpoint total / 2, the upper above
        side = sp.Lt(2 * lam, total) if back[d] == low else sp.Gt(2 * lam, total)
        proved = sign_on((2 * lam - total) * (1 if back[d] != low else -1), params)
        side = {1: sp.true, -1: sp.false}.get(proved, side)
        both = sp.And(on_eq, side)
        return both if isinstance(c, sp.Eq) else sp.Not(both)

    kept, dropped = [], 0
    for value, cond in _sym.pieces(expr):
        # both roots equal to one value: mu1 = mu2, which distinct roots never are
        met = {}
        for c in _sym.conjuncts(cond):
            ds = c.free_symbols & set(back) if isinstance(c, sp.Eq) else set()
            if len(ds) == 1:
                (d,) = ds
                sol = sp.solve(c.lhs - c.rhs, d)
                if len(sol) == 1:
                    met[d] = sol[0]
        if len(met) == 2:
            first, second = met.values()
            if _sym.is_zero(first - second):
                dropped += 1
                continue
        cond = cond.replace(lambda c: isinstance(c, (sp.Eq, sp.Ne)) and bool(c.free_symbols & set(back)),
                            polynomial)
        cond = cond.subs(back)
        if cond is sp.false:
            dropped += 1
            continue
        eqs = [c for c in _sym.conjuncts(cond) if isinstance(c, sp.Eq)]
        if any(sign_on(sp.radsimp(e.lhs - e.rhs), params) in (1, -1) for e in eqs):
            dropped += 1
            continue
        kept.append((value.subs(back), cond))
    if not kept:  # pragma: no cover - the generic branch has no equation
        return expr.subs(back), "radical roots: no case left (NOT checked)", False
    out = kept[0][0] if len(kept) == 1 else sp.Piecewise(*kept[:-1], (kept[-1][0], sp.true))
    note = (f"radical roots {', '.join(sp.sstr(mu) for mu in radical)}: each a root of the characteristic "
            f"polynomial ({'decided' if ok else 'NOT decided'}); {dropped} case(s) where distinct roots "
            "meet dropped (impossible on the domains)")
    return out, note, ok


def _certify_order_k(rec, value, cond):
    """``value`` against ``rec``'s own recurrence and its k first values, decided."""
    n, k = N, len(rec.coefficients)
    residual = value - sum((c * value.subs(n, n - j) for j, c in enumerate(rec.coefficients, 1)),
                           sp.Integer(0)) - rec.forcing
    # undecided residuals by their moduli: +1 and -1 at two first values must not cancel into a proof
    initial = sp.Add(*[sp.Abs(_decided(value.subs(n, rec.start + i) - x0))
                       for i, x0 in enumerate(rec.initials)])
    return BranchCertificate(cond, _decided(_cond.substitute_condition(residual, cond)), initial,
                             f"order {k}: the recurrence itself and its {k} first values, decided")


def system_component(matrix, forcing, initial, index, start=1, name="x"):
    r"""Component ``index`` of ``X_n = M X_{n-1} + F(n)`` (M constant) as an order-k recurrence.

    By Cayley-Hamilton, with :math:`\det(zI - M) = z^k - c_1 z^{k-1} - \dots - c_k`
    (:math:`a_0 = 1`, :math:`a_j = -c_j`), every component satisfies

    .. math::

        \sum_{j=0}^{k} a_j X_{n-j} = \sum_{j=0}^{k-1} a_j \sum_{i=0}^{k-j-1} M^i F(n-j-i)
        \qquad (n \ge n_0 + k),

    from the first k values of the system, ``X_{n_0}`` given and the next ones
    iterated exactly. No division: a triangular or diagonal M needs no case.

    Examples
    --------
    ``x_n = y_{n-1}``, ``y_n = x_{n-1}``, ``x_1 = 1``, ``y_1 = 0``: x is 1, 0, 1, 0, ...

    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> rec = system_component([[0, 1], [1, 0]], [0, 0], [1, 0], 0, 1, "x")
    >>> rec.coefficients, rec.initials
    ((0, 1), (1, 0))
    """
    M = sp.Matrix(matrix)
    k = M.shape[0]
    F = sp.Matrix([_sym.as_sympy(f) for f in forcing])
    z = sp.Dummy("z")
    b = M.charpoly(z).all_coeffs()  # z**k + b_1 z**(k-1) + ... + b_k
    a = [sp.Integer(1), *[sp.expand(x) for x in b[1:]]]
    powers = [sp.eye(k)]
    for _ in range(k):
        powers.append(powers[-1] * M)
    g = sp.Integer(0)
    for j in range(k):
        for i in range(k - j):
            g += a[j] * (powers[i] * F.subs(N, N - j - i))[index]
    values = [sp.Matrix([_sym.as_sympy(v) for v in initial])]
    for j in range(1, k):
        values.append(M * values[-1] + F.subs(N, start + j))
    coefficients = tuple(sp.expand(-x) for x in a[1:])
    firsts = tuple(sp.expand(v[index]) for v in values)
    return HigherRecurrence(coefficients, sp.expand(g), firsts, start, name)
