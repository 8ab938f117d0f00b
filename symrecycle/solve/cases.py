"""Forcing terms and degenerate cases: the forcing split into exponential-polynomial terms, each term
solved on its own, and the cases found by walking the components of the degenerate sets."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..core import conditions as _cond
from ..core import sym as _sym
from ..core.params import n as N
from .signs import sign_on

__all__ = ["TermSolution", "decompose_forcing"]


@dataclass(frozen=True)
class TermSolution:
    r"""One forcing term's part ``T(n) = sum_{k=n0+1}^{n} a^{n-k} p(k) lambda^k`` of the solution.

    ``generic`` holds where ``lambda != a``, ``degenerate`` (written in ``a``)
    on the whole set ``lambda = a``, whose irreducible components are
    ``components`` (``None``: ``lambda = a`` identically; ``()``: never).

    .. math::

        T(n) = \sum_{k=n_0+1}^{n} a^{n-k} p(k) \lambda^k

    Examples
    --------
    The forcing ``r**n`` of ``x_n = alpha x_{n-1} + r**n``, ``x_0 = 0``:

    >>> import sympy as sp
    >>> from symrecycle.solve.recurrence import Recurrence
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> (term,) = Recurrence(a, ((1, r),), 0, 0).solve().terms
    >>> term.components, term.proved
    ((alpha - r,), True)
    >>> term.at(degenerate=False), term.at(degenerate=True)
    (r*(-alpha**n + r**n)/(-alpha + r), alpha**n*n)
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

        Examples
        --------
        ``T(n) = sum_{k=1}^{n} alpha^(n-k) r^k``; at n = 3, ``dT/dr = alpha^2 + 2 alpha r + 3 r^2``:

        >>> import sympy as sp
        >>> from symrecycle.core.params import n
        >>> from symrecycle.solve.recurrence import Recurrence
        >>> a, r = sp.symbols("alpha r", positive=True)
        >>> (term,) = Recurrence(a, ((1, r),), 0, 0).solve().terms
        >>> sp.factor(term.derivative(r, a, n, 0, degenerate=False).subs(n, 3))
        alpha**2 + 2*alpha*r + 3*r**2
        >>> term.derivative(r, a, n, 0, degenerate=True)  # on r = alpha, no limit taken
        alpha**(n - 1)*(n**2/2 + n/2)
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
    # coefficients factored, so that a factor of lam in a denominator (lam**(n-1) was written
    # lam**n / lam) cancels against lam's powers: the formula stays finite at lam = 0
    if poly.degree() <= 0:
        c = sp.factor(poly.as_expr())
        generic = c * lam ** (n0 + 1) * (lam**m - a**m) / (lam - a)
    else:
        d = poly.degree()
        q = [sp.Integer(0)] * (d + 1)
        pc = {j: poly.coeff_monomial(n**j) for j in range(d + 1)}
        for j in range(d, -1, -1):
            # coefficient of n^j in lam q(n) - a q(n-1): (lam - a) q_j + a sum_{i>j} q_i C(i,j) (-1)^(i-j+1)
            rest = sum((q[i] * sp.binomial(i, j) * (-1) ** (i - j) for i in range(j + 1, d + 1)),
                       sp.Integer(0))
            q[j] = sp.factor(sp.cancel((lam * pc[j] + a * rest) / (lam - a)))
        qn = sum((q[j] * n**j for j in range(d + 1)), sp.Integer(0))
        generic = qn * lam**n - a**m * qn.subs(n, n0) * lam**n0
    comps = _cond.components(lam - a)
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
        if t.components is None or (t.components and _cond.components((t.base - a).subs(subs)) is None):
            out.add(i)
    return frozenset(out)


def _domain_empty(subs, params):
    """Whether a substitution sets a parameter outside its domain: to a number outside it, or to an
    expression that differs from it in sign everywhere on the domains (``alpha = r + 3`` for
    ``alpha <= 1 < r``)."""
    if not params:
        return False
    doms = {p.symbol: p for p in params}
    for s, v in subs.items():
        if s in doms and not v.is_number and sign_on(s - v, params) in (1, -1):
            return True
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
            raise _cond.Unsolved(f"more than {limit} cases of degenerate forcing terms")
        for j in range(node.last + 1, len(terms)):
            t = terms[j]
            if j in node.degenerate or not t.components:
                continue
            comps = t.components if not node.subs else _cond.components((t.base - a).subs(node.subs))
            if not comps:
                continue
            for g in comps:
                shown = t.components[0] if len(t.components) == 1 else g
                sol = _cond.solve_component(g, [p.symbol for p in params or ()])
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
                _cond.components(g.subs(nd.subs)) is None for g in other.eqs)
            for other in out)
        if not inside:
            out.append(nd)
    return out


def _condition(node):
    return sp.And(*[_cond.tidy_relational(sp.Eq(g, 0)) for g in node.shown])


#: branches of one forcing term larger than this are written by base, not by ``simplify``
#: (whose time grows fast with size: 4.6 s on a degree-5 polynomial forcing, for no shorter form)
SIMPLIFY_OPS = 100


def _readable(expr, small, n):
    if small and sp.count_ops(expr) <= SIMPLIFY_OPS:
        return _cond.simplify_branch(expr)
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
