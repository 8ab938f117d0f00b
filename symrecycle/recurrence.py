r"""First-order linear recurrences, and their solvers.

A :class:`Recurrence` is

.. math::

    x_n = a\,x_{n-1} + \sum_i p_i(n)\,\lambda_i^n \quad (n > n_0), \qquad
    x_{n_0} = x_0,

with ``a``, the bases ``lambda_i`` and the coefficients of the polynomials
``p_i`` symbolic expressions in parameters. :meth:`Recurrence.solve` writes

.. math::

    x_n = a^{n-n_0} x_0 + \sum_i T_i(n), \qquad
    T_i(n) = \sum_{k=n_0+1}^{n} a^{n-k} p_i(k) \lambda_i^k,

and solves each forcing term on its own (:class:`TermSolution`): where
``lambda_i != a``, ``T_i = q_i(n) lambda_i^n - a^{n-n_0} q_i(n_0) lambda_i^{n_0}``
with ``q_i`` the polynomial solving ``lambda q(n) - a q(n-1) = lambda p(n)``;
where ``lambda_i = a``, ``T_i = a^n sum_{k=n_0+1}^{n} p_i(k)``. Each formula is
certified by deciding its recurrence as an exponential-polynomial identity
(:func:`symrecycle._sym.expo_zero`), so ``k`` forcing terms cost ``k`` small
proofs.

The degenerate set ``lambda_i = a`` is split into its irreducible components
(``alpha r = alpha`` is the two lines ``alpha = 0`` and ``r = 1``), and the
closed form's cases are the sets where a given group of terms is degenerate:
found by walking components, each solved for a parameter in a way that misses
none of its points, and dropping a group whose set is empty. The result
does not depend on the parameters' names.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from . import _sym
from .params import n as N

__all__ = [
    "Recurrence", "VariableRecurrence", "ClosedForm", "BranchCertificate", "TermSolution",
    "decompose_forcing", "linear", "exact_iterate",
]


@dataclass(frozen=True)
class BranchCertificate:
    """The check of one branch: residuals that must be decided to be 0."""

    condition: sp.Basic
    residual: sp.Expr
    initial_residual: sp.Expr
    method: str = ""

    @property
    def ok(self) -> bool:
        return self.residual == 0 and self.initial_residual == 0

    def __str__(self):
        status = "ok" if self.ok else "FAILED"
        how = f" ({self.method})" if self.method else ""
        return (
            f"branch [{self.condition}]{how}: recurrence residual = {self.residual}, "
            f"initial residual = {self.initial_residual} ({status})"
        )


@dataclass(frozen=True)
class TermSolution:
    r"""One forcing term's part ``T(n) = sum_{k=n0+1}^{n} a^{n-k} p(k) lambda^k`` of the solution.

    ``generic`` holds where ``lambda != a``, ``degenerate`` (written in ``a``)
    on the whole set ``lambda = a``, whose irreducible components are
    ``components`` (``None``: ``lambda = a`` identically; ``()``: never).
    """

    poly: sp.Expr
    base: sp.Expr
    generic: sp.Expr
    degenerate: sp.Expr
    components: tuple | None
    proved: bool

    def at(self, degenerate: bool):
        return self.degenerate if degenerate else self.generic

    def derivative(self, theta, a, n, n0, degenerate: bool):
        """``dT/d theta`` off the set ``lambda = a`` (``degenerate=False``) or on it.

        See :meth:`ClosedForm.derivative`.
        """
        if not degenerate:
            return sp.diff(self.generic, theta)
        k = sp.Dummy("k", integer=True)
        pk = self.poly.subs(n, k)

        def total(e):
            return sp.expand(sp.summation(sp.expand(e), (k, n0 + 1, n)))

        a_t, lam_t = sp.diff(a, theta), sp.diff(self.base, theta)
        out = a**n * total(sp.diff(pk, theta))
        if a_t != 0:
            out += a ** (n - 1) * a_t * total((n - k) * pk)
        if lam_t != 0:
            out += a ** (n - 1) * lam_t * total(k * pk)
        return out


@dataclass(frozen=True)
class ClosedForm:
    """A solved recurrence: the closed form (a Piecewise over its cases) and its certificate.

    ``terms`` holds the per-term solutions of a :class:`Recurrence` (empty for
    an unrolled :class:`VariableRecurrence`); ``checks`` the lines of the
    exact-iteration check.
    """

    recurrence: object
    expr: sp.Expr
    certificate: tuple
    terms: tuple = ()
    checks: tuple = ()
    checked: bool = True
    cases: tuple = ()  # per branch of expr: (the degenerate terms, the substitution of the set)

    @property
    def verified(self) -> bool:
        return bool(self.certificate) and all(c.ok for c in self.certificate) and self.checked

    def derivative(self, theta, at=None):
        r"""``d x_n / d theta`` branch by branch, exact on the degenerate sets too.

        Off a degenerate set a term's derivative is that of its formula. On
        ``lambda = a`` it is the derivative of the finite sum
        :math:`\sum_k a^{n-k} p(k) \lambda^k` evaluated there,

        .. math::

            a^{n-1}\Big(a_\theta \sum_k (n-k) p(k) + \lambda_\theta \sum_k k\,p(k)\Big)
            + a^n \sum_k p_\theta(k),

        with the polynomial sums in closed form: no limit is taken. The
        set's substitution is applied after differentiating, and after
        setting n to ``at`` where given (a base set to 0 leaves powers such as
        ``0**(n-2)`` that only a given n decides). Returns
        ``[(value, condition), ...]`` in the order of :attr:`expr`'s branches.
        """
        rec = self.recurrence
        if not self.cases:
            raise ValueError("derivative: only the closed forms of constant-coefficient recurrences")
        n, n0, a = rec.n, rec.start, rec.a
        head = sp.diff(a ** (n - n0) * rec.initial, theta)
        out = []
        for (deg, subs), (_, cond) in zip(self.cases, _sym.pieces(self.expr)):
            total = head + sum((t.derivative(theta, a, n, n0, i in deg) for i, t in enumerate(self.terms)),
                               sp.Integer(0))
            if at is not None:
                total = total.subs(n, at)
            out.append((sp.powsimp(total.subs(subs) if subs else total), cond))
        return out


def _certify_branch(rec, x, cond, method="") -> BranchCertificate:
    """The recurrence residual and the initial residual of ``x`` on ``cond``, decided."""
    res = rec.residual(x)
    init = x.subs(rec.n, rec.start) - rec.initial
    res, init = (_sym.substitute_condition(e, cond) for e in (res, init))
    return BranchCertificate(
        cond,
        sp.Integer(0) if _residual_zero(res, rec.n, rec.start + 1) else res,
        sp.Integer(0) if _decided_zero(init, rec.n) else init,
        method or "residual decided as an exponential polynomial",
    )


def _residual_zero(res, n, first):
    """Whether ``res`` is 0 for every n >= first.

    A power of a zero base, ``0**(n - k)``, is 1 at one index and 0 after it:
    the residual is decided at n = first exactly, and beyond it with every
    such power that has vanished by n = first + 1 set to 0.
    """
    zeros = [e for e in res.atoms(sp.Pow) if e.base == 0 and e.exp.has(n)]
    if not zeros:
        return _decided_zero(res, n)
    if sp.cancel(res.subs(n, first)) != 0:
        return False
    gone = {}
    for z in zeros:
        e = z.exp
        slope = sp.diff(e, n)
        if not (slope.is_number and slope > 0 and e.is_polynomial(n) and sp.degree(e, n) == 1):
            return False
        if not e.subs(n, first + 1) >= 1:
            return False
        gone[z] = sp.Integer(0)
    return _decided_zero(res.xreplace(gone), n)


def _decided_zero(expr, n):
    """0 decided as an exponential polynomial; other forms (sums SymPy evaluated) by :func:`_sym.is_zero`."""
    if expr == 0:
        return True
    if _sym.expo_terms(expr, n) is not None:
        return _sym.expo_zero(expr, n)
    return _sym.is_zero(expr)


def decompose_forcing(expr, n=N):
    r"""Write ``expr`` as :math:`\sum_i p_i(n) \lambda_i^n`, ``p_i`` polynomials in n, ``lambda_i`` free of n.

    Returns a tuple of ``(p, lambda)`` pairs, one per distinct base (bases
    equal as rational functions are merged). ``ValueError`` if ``expr`` is
    not of that form.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> r, C1 = sp.symbols("r C1", positive=True)
    >>> decompose_forcing(C1 * r**(n - 1))
    ((C1/r, r),)
    >>> decompose_forcing(n**2 + 3 * 2**n)
    ((n**2, 1), (3, 2))
    """
    expr = _sym.as_sympy(expr)
    terms = _sym.expo_terms(expr, n)
    if terms is None:
        raise ValueError(f"forcing {expr} is not a sum of c(n)*lambda**n with c(n) polynomial in n")
    out = []
    for lam, c in terms.items():
        c = sp.expand(c)
        if c == 0 or _sym.is_zero(c):
            continue
        if not c.is_polynomial(n):  # pragma: no cover - expo_terms gives polynomial coefficients
            raise ValueError(f"forcing {expr}: the coefficient {c} of {lam}**n is not polynomial in n")
        out.append((_factored_in(c, n), lam))
    return tuple(out)


def _term(p, lam, a, n, n0) -> TermSolution:
    """The part of the solution due to the forcing ``p(n) lam**n``, both cases, certified."""
    m = n - n0
    k = sp.Dummy("k", integer=True)
    poly = sp.Poly(p, n)
    # lambda = a: T = a^n * sum_{k=n0+1}^{n} p(k)
    degenerate = a**n * sp.factor(sp.summation(p.subs(n, k), (k, n0 + 1, n)))
    # lambda != a: T = q(n) lam^n - a^m q(n0) lam^n0 with lam q(n) - a q(n-1) = lam p(n)
    if poly.degree() <= 0:
        c = poly.as_expr()
        generic = c * lam ** (n0 + 1) * (lam**m - a**m) / (lam - a)
    else:
        d = poly.degree()
        q = [sp.Integer(0)] * (d + 1)
        pc = {j: poly.coeff_monomial(n**j) for j in range(d + 1)}
        for j in range(d, -1, -1):
            # coefficient of n^j in lam q(n) - a q(n-1): (lam - a) q_j + a sum_{i>j} q_i C(i,j) (-1)^(i-j+1)
            rest = sum((q[i] * sp.binomial(i, j) * (-1) ** (i - j) for i in range(j + 1, d + 1)),
                       sp.Integer(0))
            q[j] = sp.cancel((lam * pc[j] + a * rest) / (lam - a))
        qn = sum((q[j] * n**j for j in range(d + 1)), sp.Integer(0))
        generic = qn * lam**n - a**m * qn.subs(n, n0) * lam**n0
    comps = _sym.components(lam - a)
    # each formula solves y_n = a y_{n-1} + p(n) lam^n (lam := a in the degenerate one), y_n0 = 0
    gen_ok = comps is None or (
        _decided_zero(generic - a * generic.subs(n, n - 1) - p * lam**n, n)
        and _decided_zero(generic.subs(n, n0), n)
    )
    deg_ok = comps == [] or (
        _decided_zero(degenerate - a * degenerate.subs(n, n - 1) - p * a**n, n)
        and _decided_zero(degenerate.subs(n, n0), n)
    )
    comps = None if comps is None else tuple(comps)
    return TermSolution(p, lam, generic, degenerate, comps, gen_ok and deg_ok)


@dataclass
class _Node:
    """A set where the terms ``degenerate`` have ``lambda_i = a``: equations ``eqs``, solved as ``subs``."""

    subs: dict
    eqs: tuple
    degenerate: frozenset
    last: int = -1
    shown: tuple = ()  # the equations as written: a term's own component where it has one


def _degenerate_under(terms, a, subs):
    """The terms with ``lambda_i = a`` everywhere on the set ``subs``."""
    out = set()
    for i, t in enumerate(terms):
        if t.components is None or (t.components and _sym.components((t.base - a).subs(subs)) is None):
            out.add(i)
    return frozenset(out)


def _domain_empty(subs, params):
    """Whether a substitution sets a parameter to a number outside its domain."""
    if not params:
        return False
    doms = {p.symbol: p for p in params}
    for s, v in subs.items():
        if s in doms and v.is_number:
            if not v.is_real:
                return True
            if v.is_Rational and not doms[s].contains(Fraction(int(v.p), int(v.q))):
                return True
            if not v.is_Rational and not doms[s].contains(float(v)):
                return True
    return False


def _cases(terms, a, params, limit=4096):
    """The nodes of the case walk: every set where a group of terms is degenerate, largest groups first."""
    root = _Node({}, (), frozenset(i for i, t in enumerate(terms) if t.components is None))
    out, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        out.append(node)
        if len(out) > limit:
            raise _sym.Unsolved(f"more than {limit} cases of degenerate forcing terms")
        for j in range(node.last + 1, len(terms)):
            t = terms[j]
            if j in node.degenerate or not t.components:
                continue
            comps = t.components if not node.subs else _sym.components((t.base - a).subs(node.subs))
            if not comps:
                continue
            for g in comps:
                shown = t.components[0] if len(t.components) == 1 else g
                sol = _sym.solve_component(g, [p.symbol for p in params or ()])
                subs = {k: sp.cancel(v.subs(sol)) for k, v in node.subs.items()}
                subs.update(sol)
                if _domain_empty(subs, params):
                    continue
                deg = _degenerate_under(terms, a, subs)
                key = (deg, tuple(sorted((sp.srepr(k), sp.srepr(v)) for k, v in subs.items())))
                if key in seen:
                    continue
                seen.add(key)
                stack.append(_Node(subs, (*node.eqs, g), deg | {j}, j, (*node.shown, shown)))
    # largest groups first; among equal groups, fewer equations (the whole component) first
    out.sort(key=lambda nd: (-len(nd.degenerate), len(nd.eqs)))
    return out


def _without_subsets(nodes):
    """The nodes less those inside an earlier node with the same degenerate terms (same formula there)."""
    out = []
    for nd in nodes:
        inside = any(
            other.degenerate == nd.degenerate and all(
                _sym.components(g.subs(nd.subs)) is None for g in other.eqs)
            for other in out)
        if not inside:
            out.append(nd)
    return out


def _condition(node):
    return sp.And(*[_sym.tidy_relational(sp.Eq(g, 0)) for g in node.shown])


#: branches of one forcing term larger than this are written by base, not by ``simplify``
#: (whose time grows fast with size: 4.6 s on a degree-5 polynomial forcing, for no shorter form)
SIMPLIFY_OPS = 100


def _readable(expr, small, n):
    if small and sp.count_ops(expr) <= SIMPLIFY_OPS:
        return _sym.simplify_branch(expr)
    if small:
        by_base = _by_base(expr, n)
        if by_base is not None:
            return by_base
    return sp.powsimp(expr)


def _by_base(expr, n):
    """``sum_mu (sum_j c_j n**j) mu**n`` with each ``c_j`` factored; None if ``expr`` is no such sum."""
    terms = _sym.expo_terms(expr, n)
    if terms is None:
        return None
    out = sp.Integer(0)
    for mu in sorted(terms, key=sp.default_sort_key):
        c = sp.expand(terms[mu])
        if not c.is_polynomial(n):
            return None
        out += _factored_in(c, n) * mu**n
    return out


def _factored_in(c, n):
    """The polynomial ``c`` in n with each coefficient factored: ``n**2*(a - 1)**2 + ...``."""
    return sum((sp.factor(k) * n**j for (j,), k in sp.Poly(c, n).terms()), sp.Integer(0))


@dataclass(frozen=True)
class Recurrence:
    r"""``x_n = a*x_{n-1} + sum_i p_i(n)*lambda_i**n`` for ``n > start``, ``x_start = initial``.

    Parameters
    ----------
    a : sympy expression
        The multiplier of the previous term; free of n.
    forcing : tuple of (p, lambda) pairs
        The forcing :math:`f(n) = \sum_i p_i(n) \lambda_i^n`: ``p_i`` polynomials in n
        (a constant is the common case), ``lambda_i`` free of n.
    initial : sympy expression
        ``x_start``.
    start : int
        The first index ``n_0``.
    name : str
        The sequence's name, for display.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> a, r, C1 = sp.symbols("alpha r C1", positive=True)
    >>> rec = Recurrence(a, ((C1 / r, r),), C1, 1, "A")
    >>> rec.term(3, {a: 1, r: 2, C1: 1})
    7
    >>> rec.solve().expr
    Piecewise((C1*n*r**(n - 1), Eq(alpha, r)), (C1*(-alpha**n + r**n)/(-alpha + r), True))
    """

    a: sp.Expr
    forcing: tuple = ()
    initial: sp.Expr = 1
    start: int = 1
    name: str = "x"
    n: sp.Symbol = field(default=N, repr=False)
    #: the forcing as the model wrote it (checks use it: ``lam**(n-1)`` is not ``lam**n / lam`` at 0)
    written: sp.Expr | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "a", _sym.as_sympy(self.a))
        object.__setattr__(self, "initial", _sym.as_sympy(self.initial))
        if self.written is not None:
            object.__setattr__(self, "written", _sym.as_sympy(self.written))
        forcing = tuple((_sym.as_sympy(c), _sym.as_sympy(lam)) for c, lam in self.forcing)
        object.__setattr__(self, "forcing", forcing)
        if not isinstance(self.start, int) or isinstance(self.start, bool):
            raise ValueError(f"start: got {self.start!r}, expected an int")
        for what, e in [("a", self.a), ("initial", self.initial)] + [
            (f"forcing base {i}", lam) for i, (_, lam) in enumerate(forcing)
        ]:
            if e.has(self.n):
                raise ValueError(f"{what}: got {e}, expected an expression free of n")
        for i, (c, _) in enumerate(forcing):
            if not c.is_polynomial(self.n):
                raise ValueError(f"forcing coefficient {i}: got {c}, expected a polynomial in n")

    @classmethod
    def from_next(cls, next_expr, previous, initial, start=1, name="x", n=N):
        """Build from a right-hand side ``next_expr`` linear in the symbol ``previous``.

        Examples
        --------
        >>> import sympy as sp
        >>> from symrecycle import n
        >>> a, r, C1, prev = sp.symbols("alpha r C1 prev", positive=True)
        >>> Recurrence.from_next(C1*r**(n-1) + a*prev, prev, C1, name="A").forcing
        ((C1/r, r),)
        """
        a, rest = _split_linear(next_expr, previous, name)
        if a.has(n):
            raise ValueError(
                f"recurrence for {name}: the coefficient {a} of the previous term depends "
                "on n; only constant coefficients have a closed form here"
            )
        return cls(a, decompose_forcing(rest, n), initial, start, name, n)

    @property
    def forcing_expr(self):
        """``f(n)`` as written where known (``(alpha r)**(n-1)``, finite at alpha = 0), else by term."""
        if self.written is not None:
            return self.written
        return sp.Add(*[c * lam**self.n for c, lam in self.forcing])

    @property
    def free_symbols(self):
        syms = self.a.free_symbols | self.initial.free_symbols
        for c, lam in self.forcing:
            syms |= c.free_symbols | lam.free_symbols
        return syms - {self.n}

    def residual(self, x):
        """``x(n) - a*x(n-1) - f(n)`` for a candidate closed form ``x``."""
        return x - self.a * x.subs(self.n, self.n - 1) - self.forcing_expr

    def term(self, k: int, values: dict):
        """``x_k`` by exact iteration at parameter ``values`` ({symbol: number})."""
        return exact_iterate(self, k - self.start + 1, values)[-1]

    def solve(self, params=None) -> ClosedForm:
        """The closed form, as a Piecewise over the sets where groups of terms are degenerate, certified.

        ``params`` (the model's :class:`~symrecycle.params.Parameter` s) lets the
        case walk drop sets outside the domains and the check sample on them.
        """
        n, n0, a = self.n, self.start, self.a
        terms = [_term(p, lam, a, n, n0) for p, lam in self.forcing]
        head = a ** (n - n0) * self.initial
        nodes = _without_subsets(_cases(terms, a, params))
        small = len(terms) <= 1
        branches, cases = [], []
        for node in nodes:
            cases.append((node.degenerate, node.subs))
            expr = head + sum((t.at(i in node.degenerate) for i, t in enumerate(terms)), sp.Integer(0))
            # powers combined before the set's substitution: (alpha r)**n / (alpha r) is finite at alpha = 0
            expr = _readable(sp.powsimp(expr).subs(node.subs) if node.subs else expr, small, n)
            cond = _condition(node)
            branches.append((expr, cond))
        # the head solves the homogeneous recurrence with x_n0 = x0; each term its part with 0 at n0
        proof = "sum of the per-term solutions, each decided as an exponential-polynomial identity"
        certs = [_certify_branch(self, e, c, proof) for e, c in branches]
        expr = branches[0][0] if len(branches) == 1 else sp.Piecewise(
            *branches[:-1], (branches[-1][0], sp.true))
        if len(_sym.pieces(expr)) != len(cases):  # SymPy merged branches: the cases no longer align
            cases = []
        lines, checked = _check_exact(self, expr, nodes, params)
        checked = checked and all(t.proved for t in terms)
        return ClosedForm(self, expr, tuple(certs), tuple(terms), tuple(lines), checked, tuple(cases))


def _grid(sym, params):
    """A few exact points for ``sym``: its domain's interior points and closed ends, else by assumptions."""
    for p in params or ():
        if p.symbol == sym:
            return [sp.Rational(x) for x in [*p.interior_points()[::2], *p.closed_ends()]]
    if sym.is_positive:
        return [sp.Rational(1, 2), sp.Rational(3, 2), sp.Integer(3)]
    if sym.is_nonnegative:
        return [sp.Rational(1, 2), sp.Integer(0), sp.Integer(3)]
    return [sp.Rational(1, 2), sp.Rational(-3, 2), sp.Integer(0), sp.Integer(3)]


def _exact_real(val):
    """A rational, or a real algebraic number such as ``sqrt(2)`` (exact iteration handles both)."""
    return bool(val.is_Rational or (val.is_number and val.is_real and val.is_algebraic))


def _in_domain(par, val):
    if val.is_Rational:
        return par.contains(Fraction(int(val.p), int(val.q)))
    lo, hi = par.interval.inf, par.interval.sup
    return bool(par.interval.contains(val)) if lo.is_finite or hi.is_finite else True


def _is_zero_number(d):
    """Whether a number (rational or algebraic) is exactly 0: by its minimal polynomial."""
    d = sp.cancel(d)
    if d.is_Rational:
        return d == 0
    x = sp.Dummy("x")
    if not d.is_finite:  # nan or an infinity: the closed form is not defined there
        return False
    try:
        return sp.minimal_polynomial(d, x) == x
    except (NotImplementedError, ValueError, ArithmeticError, sp.PolynomialError,
            sp.polys.polyerrors.NotAlgebraic):  # pragma: no cover
        return False


def _fits_assumptions(sym, val):
    """Whether the number ``val`` may stand for ``sym`` (a positive symbol takes no value <= 0)."""
    if sym.is_positive and not val > 0:
        return False
    if sym.is_nonnegative and not val >= 0:
        return False
    return not (sym.is_integer and not val.is_Integer)


def sample_set(subs, free, params, count=3):
    """Up to ``count`` exact points of the set ``{x: subs[x]}`` (the other symbols ``free`` on their grids).

    Points where a substituted value is not an exact real, leaves its domain
    or breaks its symbol's assumptions are skipped. The grids are walked
    along a diagonal, not as a product, so the work does not grow with the
    number of parameters.
    """
    free = sorted(free, key=lambda s: s.name)
    grids = [_grid(s, params) for s in free]
    doms = {p.symbol: p for p in params or ()}
    out, tries = [], max([len(g) for g in grids] + [1]) * 4
    for i in range(tries):
        full = {s: g[(i * (j + 1) + i // len(g)) % len(g)] for j, (s, g) in enumerate(zip(free, grids))}
        point = dict(full)
        for s, v in subs.items():
            val = sp.cancel(_sym.as_sympy(v).subs(point))
            if not _exact_real(val) or (s in doms and not _in_domain(doms[s], val)) \
                    or not _fits_assumptions(s, val):
                break
            full[s] = val
        else:
            if full not in out:
                out.append(full)
            if len(out) >= count:
                break
    return out


def _check_exact(rec, expr, nodes, params, count=2, steps=5):
    """The closed form against the tests' kind of loop over exact rationals, on every case's set.

    Points are sampled on each case's set and on the intersection of every
    two of them (where both hold at once); ``(lines, ok)``.
    """
    free = rec.free_symbols
    sets = [nd.subs for nd in nodes]
    for s1, s2 in itertools.combinations([nd for nd in nodes if nd.subs], 2):
        joint = dict(s1.subs)
        try:
            for g in s2.eqs:
                g = sp.cancel(sp.together(g.subs(joint)))
                comps = _sym.components(g)
                if comps is None:
                    continue
                if not comps:
                    raise _sym.Contradiction("empty")
                sol = _sym.solve_component(comps[0])
                joint = {k: sp.cancel(v.subs(sol)) for k, v in joint.items()}
                joint.update(sol)
        except (_sym.Contradiction, _sym.Unsolved):
            continue
        if joint not in sets:
            sets.append(joint)
    points, missing = [], []
    for i, subs in enumerate(sets):
        pts = sample_set(subs, free - set(subs), params, count)
        if not pts and i < len(nodes):  # a case with no point to check (an intersection may be empty)
            missing.append(_condition(nodes[i]))
        points += [p for p in pts if p not in points]
    pieces = _sym.pieces(expr)
    for pt in points:
        seq = exact_iterate(rec, steps, pt)
        branch = next((v for v, c in pieces
                       if c is sp.true or _sym.as_sympy(c).xreplace(pt) is sp.true), None)
        for j, want in enumerate(seq):
            # the index first: x_k as a function of the parameters (0**n is 0 only for n >= 1)
            got = None if branch is None else branch.xreplace({rec.n: sp.Integer(rec.start + j)}).xreplace(pt)
            if got is None or not _is_zero_number(got - want):
                return [f"exact iteration differs at {pt}, n = {rec.start + j}: {got} != {want}"], False
    lines = [f"equals exact rational iteration (n = {rec.start}..{rec.start + steps - 1}) at {len(points)} "
             f"points on every case's set ({len(nodes) - len(missing)} of {len(nodes)}) and on "
             f"{len(sets) - len(nodes)} intersections of two"]
    if missing:
        lines.append("no rational point found (so NOT checked) on the case(s) "
                     + "; ".join(sp.sstr(c) for c in missing))
    return lines, bool(points) and not missing


#: What SymPy's product and summation raise where they give up (complex roots compared, say).
_SYMPY_GAVE_UP = (TypeError, ValueError, NotImplementedError, sp.PolynomialError, RecursionError)


def _index_symbols(taken, count=2):
    """Integer summation indices named k, j (or k_1, ...) that clash with nothing in ``taken``."""
    names = {s.name for s in taken}
    out = []
    for base in ("k", "j", "i", "m"):
        name = base
        while name in names:
            name += "_1"
        names.add(name)
        out.append(sp.Symbol(name, integer=True))
        if len(out) == count:
            return out
    return out  # pragma: no cover


def _rationals(values):
    return {s: sp.Rational(Fraction(v)) if isinstance(v, float) else v for s, v in values.items()}


@dataclass(frozen=True)
class VariableRecurrence:
    r"""``x_n = a(n) x_{n-1} + f(n)`` for ``n > start``, ``x_start = initial``.

    The coefficient and the forcing may depend on n in any way. :meth:`solve`
    writes the unrolled solution

    .. math::

        x_n = x_{n_0} \prod_{j=n_0+1}^{n} a(j)
              + \sum_{k=n_0+1}^{n} f(k) \prod_{j=k+1}^{n} a(j),

    with SymPy evaluating the product and the sum where it can; a sum that
    has no closed form (a partial theta series, for instance), or whose
    evaluated form SymPy cannot prove against the recurrence, stays a
    ``Sum``. The unrolled form holds for every parameter value: one branch.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> alpha, rho, r, C1 = sp.symbols("alpha rho r C1", positive=True)
    >>> rec = VariableRecurrence(alpha * rho**(n - 1), C1 * r**(n - 1), C1, 1, "A")
    >>> rec.solve().expr
    Sum(C1*alpha**(-k + n)*r**(k - 1)*rho**(-k**2/2 + k/2 + n**2/2 - n/2), (k, 1, n))
    >>> rec.term(3, {alpha: 1, rho: sp.Rational(1, 2), r: 2, C1: 1})
    37/8
    """

    a: sp.Expr
    forcing: sp.Expr = 0
    initial: sp.Expr = 1
    start: int = 1
    name: str = "x"
    n: sp.Symbol = field(default=N, repr=False)

    def __post_init__(self):
        for attr in ("a", "forcing", "initial"):
            object.__setattr__(self, attr, _sym.as_sympy(getattr(self, attr)))
        if not isinstance(self.start, int) or isinstance(self.start, bool):
            raise ValueError(f"start: got {self.start!r}, expected an int")
        if self.initial.has(self.n):
            raise ValueError(f"initial: got {self.initial}, expected an expression free of n")

    @property
    def forcing_expr(self):
        return self.forcing

    @property
    def free_symbols(self):
        return (self.a.free_symbols | self.forcing.free_symbols | self.initial.free_symbols) - {self.n}

    def residual(self, x):
        """``x(n) - a(n)*x(n-1) - f(n)`` for a candidate closed form ``x``."""
        return x - self.a * x.subs(self.n, self.n - 1) - self.forcing

    def term(self, k: int, values: dict):
        """``x_k`` by exact iteration at parameter ``values`` ({symbol: number})."""
        return exact_iterate(self, k - self.start + 1, values)[-1]

    def products(self):
        """``(k, P)``: the index and ``P = prod_{j=k+1}^{n} a(j)``, evaluated where SymPy can."""
        k, j = _index_symbols(self.free_symbols | {self.n})
        try:
            prod = sp.product(self.a.subs(self.n, j), (j, k + 1, self.n))
        except _SYMPY_GAVE_UP:  # complex roots of a(n), say: the product stays a Product
            prod = sp.Product(self.a.subs(self.n, j), (j, k + 1, self.n))
        return k, sp.powsimp(prod)

    def solve(self) -> ClosedForm:
        """The unrolled closed form (a ``Sum`` where SymPy finds none), certified."""
        n, n0 = self.n, self.start
        k, prod = self.products()
        head, lo = self.initial * prod.subs(k, n0), n0 + 1
        if _sym.is_zero(self.forcing.subs(n, n0) - self.initial):  # x_{n0} is the k = n0 term
            head, lo = sp.Integer(0), n0
        total = sp.Sum(sp.powsimp(self.forcing.subs(n, k) * prod), (k, lo, n))
        unrolled = head + total
        try:
            evaluated = total.doit()
        except _SYMPY_GAVE_UP:  # SymPy's summation failed: the sum stays a Sum
            evaluated = total
        if evaluated.has(sp.Sum):
            return ClosedForm(self, unrolled, (self._certify_unrolled(unrolled, k, prod),))
        expr = sp.piecewise_fold(head + evaluated)
        branches = [(_sym.simplify_branch(_sym.substitute_condition(e, c)), c) for e, c in _sym.pieces(expr)]
        expr = branches[0][0] if len(branches) == 1 else sp.Piecewise(*branches)
        certs = tuple(self._certify(e, c) for e, c in _sym.pieces(expr))
        if all(c.ok for c in certs):
            return ClosedForm(self, expr, certs)
        # SymPy's sum (e.g. in incomplete gamma functions) is not proved: keep the certified sum
        return ClosedForm(self, unrolled, (self._certify_unrolled(unrolled, k, prod),))

    def _certify_unrolled(self, x, k, prod) -> BranchCertificate:
        """The unrolling identity, for every n: ``P(n, k) = a(n) P(n-1, k)`` and ``P(n, n) = 1``."""
        n = self.n
        if isinstance(prod, sp.Product) and prod.limits[0][1:] == (k + 1, n) and _sym.is_zero(
                prod.function.subs(prod.limits[0][0], n) - self.a):
            bad = []  # an unevaluated product of a(j), j = k+1..n: both hold by its definition
        else:
            ratio = _step_ratio(prod, n)
            if ratio is not None:  # P(n,k) / P(n-1,k), factor by factor: it must be a(n)
                step = sp.expand(ratio - self.a)
                step = sp.Integer(0) if step == 0 or sp.cancel(step) == 0 else step
            else:
                step = prod - self.a * prod.subs(n, n - 1)
            last = prod.subs(k, n) - 1
            bad = [e for e in (step, last) if not _sym.is_zero(e)]
        init = x.subs(n, self.start).doit() - self.initial
        return BranchCertificate(
            sp.true,
            sp.Integer(0) if not bad else sp.Tuple(*bad),
            sp.Integer(0) if _sym.is_zero(init) else sp.simplify(init),
            f"unrolled sum: P(n,k) = prod(a(j), j = k+1..n) = {sp.sstr(prod)} satisfies "
            "P(n,k) = a(n) P(n-1,k) and P(n,n) = 1",
        )

    def _certify(self, x, cond) -> BranchCertificate:
        return _certify_branch(self, x, cond, "sum evaluated by SymPy; residual simplified")


def linear(next_expr, previous, initial, start=1, name="x", n=N):
    """The recurrence whose next term is ``next_expr``, linear in the symbol ``previous``.

    A :class:`Recurrence` (constant coefficient, exponential forcing: every
    degenerate case its own branch) where it applies, else a
    :class:`VariableRecurrence`. ``ValueError`` if ``next_expr`` is not
    linear in ``previous``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> a, rho, prev = sp.symbols("alpha rho prev", positive=True)
    >>> type(linear(1 + a * prev, prev, 1)).__name__
    'Recurrence'
    >>> type(linear(1 + a * rho**n * prev, prev, 1)).__name__
    'VariableRecurrence'
    """
    a, rest = _split_linear(next_expr, previous, name)
    if not a.has(n):
        try:
            return Recurrence(a, decompose_forcing(rest, n), initial, start, name, n, written=rest)
        except ValueError:
            pass
    return VariableRecurrence(sp.factor(a), rest, initial, start, name, n)


def _split_linear(next_expr, previous, name):
    """``(a, rest)`` with ``next_expr = a*previous + rest``; ValueError if not linear in ``previous``."""
    next_expr = sp.expand(_sym.as_sympy(next_expr))
    if not next_expr.is_polynomial(previous) or sp.degree(next_expr, previous) > 1:
        raise ValueError(f"recurrence for {name}: {next_expr} is not linear in the previous term")
    return next_expr.coeff(previous, 1), next_expr.coeff(previous, 0)


def _step_ratio(prod, n):
    """``P(n) / P(n-1)`` for a product of powers ``b**e(n)`` and rising factorials ``RF(x, e(n))``
    whose exponents grow by 1 with n (``RF(x, m) = RF(x, m-1) (x + m - 1)``); None otherwise."""
    out = sp.Integer(1)
    for f in sp.Mul.make_args(prod):
        if not f.has(n):
            continue
        if isinstance(f, sp.RisingFactorial):
            x, e = f.args
            if x.has(n) or sp.expand(e - e.subs(n, n - 1)) != 1:
                return None
            out *= x + e.subs(n, n - 1)
            continue
        b, e = f.as_base_exp()
        if b.has(n):
            return None
        out *= b ** sp.expand(e - e.subs(n, n - 1))
    return out


def exact_iterate(rec, count: int, values: dict):
    """``[x_start, ..., x_{start+count-1}]`` in exact rational arithmetic (either kind of recurrence)."""
    vals = _rationals(values)
    a, f, x = rec.a.subs(vals), rec.forcing_expr.subs(vals), rec.initial.subs(vals)
    out = [x]
    for j in range(rec.start + 1, rec.start + count):
        x = a.subs(rec.n, j) * x + f.subs(rec.n, j)
        out.append(x)
    return out
