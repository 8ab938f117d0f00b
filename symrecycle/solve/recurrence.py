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
(:func:`symrecycle.core.sym.expo_zero`), so ``k`` forcing terms cost ``k`` small
proofs.

The degenerate set ``lambda_i = a`` is split into its irreducible components
(``alpha r = alpha`` is the two lines ``alpha = 0`` and ``r = 1``), and the
closed form's cases are the sets where a given group of terms is degenerate:
found by walking components, each solved for a parameter in a way that misses
none of its points, and dropping a group whose set is empty. The result
does not depend on the parameters' names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..core import conditions as _cond
from ..core import points as _points
from ..core import progress as _progress
from ..core import sym as _sym
from ..core.params import n as N
from .cases import _cases, _condition, _readable, _term, _without_subsets, decompose_forcing
from .certify import (
    _SYMPY_GAVE_UP,
    BranchCertificate,
    _certify_branch,
    _check_exact,
    _index_symbols,
    exact_iterate,
)

__all__ = ["CaseRecurrence", "linear_by_cases", "Recurrence", "VariableRecurrence", "ClosedForm", "linear"]


@dataclass(frozen=True)
class ClosedForm:
    """A solved recurrence: the closed form (a Piecewise over its cases) and its certificate.

    ``terms`` holds the per-term solutions of a :class:`Recurrence` (empty for
    an unrolled :class:`VariableRecurrence`); ``checks`` the lines of the
    exact-iteration check.

    Examples
    --------
    Kickstarting's adjusted compute, ``A_n = alpha A_{n-1} + C1 r**(n-1)``, ``A_1 = C1``:

    >>> import sympy as sp
    >>> a, r, C1 = sp.symbols("alpha r C1", positive=True)
    >>> cf = Recurrence(a, ((C1 / r, r),), C1, 1, "A").solve()
    >>> cf.expr
    Piecewise((C1*n*r**(n - 1), Eq(alpha, r)), (C1*(-alpha**n + r**n)/(-alpha + r), True))
    >>> cf.verified, [c.ok for c in cf.certificate]
    (True, [True, True])
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

        Examples
        --------
        ``A_3 = C1 (r**2 + alpha r + alpha**2)``: its derivative in alpha is ``C1 (2 alpha + r)``,
        ``3 C1 r`` on alpha = r.

        >>> import sympy as sp
        >>> a, r, C1 = sp.symbols("alpha r C1", positive=True)
        >>> cf = Recurrence(a, ((C1 / r, r),), C1, 1, "A").solve()
        >>> (on_set, where), (elsewhere, _) = cf.derivative(a, at=3)
        >>> on_set, where
        (3*C1*r, Eq(alpha, r))
        >>> sp.factor(elsewhere)
        C1*(2*alpha + r)
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

        ``params`` (the model's :class:`~symrecycle.core.params.Parameter` s) lets the
        case walk drop sets outside the domains and the check sample on them.
        """
        n, n0, a = self.n, self.start, self.a
        named = _progress.steps(f"{self.name}: forcing terms", self.forcing)
        terms = [_term(p, lam, a, n, n0) for p, lam in named]
        head = a ** (n - n0) * self.initial
        nodes = _without_subsets(_cases(terms, a, params))
        small = len(terms) <= 1
        branches, cases = [], []
        for node in _progress.steps(f"{self.name}: cases", nodes):
            cases.append((node.degenerate, node.subs))
            expr = head + sum((t.at(i in node.degenerate) for i, t in enumerate(terms)), sp.Integer(0))
            # powers combined before the set's substitution: (alpha r)**n / (alpha r) is finite at alpha = 0
            expr = _readable(sp.powsimp(expr).subs(node.subs) if node.subs else expr, small, n)
            cond = _condition(node)
            branches.append((expr, cond))
        # the head solves the homogeneous recurrence with x_n0 = x0; each term its part with 0 at n0
        proof = "sum of the per-term solutions, each decided as an exponential-polynomial identity"
        certs = [_certify_branch(self, e, c, proof)
                 for e, c in _progress.steps(f"{self.name}: certificates", branches)]
        expr = branches[0][0] if len(branches) == 1 else sp.Piecewise(
            *branches[:-1], (branches[-1][0], sp.true))
        if len(_sym.pieces(expr)) != len(cases):  # SymPy merged branches: the cases no longer align
            cases = []
        lines, checked = _check_exact(self, expr, nodes, params)
        checked = checked and all(t.proved for t in terms)
        return ClosedForm(self, expr, tuple(certs), tuple(terms), tuple(lines), checked, tuple(cases))


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
        branches = [(_cond.simplify_branch(_cond.substitute_condition(e, c)), c)
                    for e, c in _sym.pieces(expr)]
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


@dataclass(frozen=True)
class CaseRecurrence:
    """A first-order recurrence whose forcing (or initial value) has cases: one recurrence per case.

    Its closed form is each case's closed form on that case's set; a degenerate
    set of a case's solution that lies outside the case is dropped.

    Examples
    --------
    ``x_n = 2 x_{n-1} + f_n`` with ``f_n = 2**n`` where ``a = 0`` and ``1`` elsewhere:

    >>> import sympy as sp
    >>> from symrecycle.core.params import Parameter, n
    >>> p, prev = Parameter("a", 0, None), sp.Symbol("prev")
    >>> f = sp.Piecewise((2**n, sp.Eq(p.symbol, 0)), (1, True))
    >>> cf = linear_by_cases(2 * prev + f, prev, sp.Integer(1)).solve([p])
    >>> cf.expr
    Piecewise((2**(n - 1)*(2*n - 1), Eq(a, 0)), (2**n - 1, True))
    >>> cf.verified
    True
    """

    branches: tuple
    start: int = 1
    name: str = "x"

    def solve(self, params=None) -> ClosedForm:
        """Each case's closed form on its set, certified there and checked by exact iteration."""
        pieces, certificate, lines, recs = [], [], [], []
        checked = True
        for rec, cond in self.branches:
            cf = rec.solve(params) if isinstance(rec, Recurrence) else rec.solve()
            parts = _sym.pieces(cf.expr)
            aligned = len(cf.certificate) == len(parts)  # else SymPy merged branches: keep them all
            if not aligned:
                certificate += list(cf.certificate)
            for k, (value, inner) in enumerate(parts):
                subs = cf.cases[k][1] if cf.cases else None
                if subs and _sym.as_sympy(cond).subs(subs) is sp.false:
                    continue  # the set of this degenerate case lies outside the forcing's case
                both = _cond.tidy_condition(sp.And(inner, cond))
                if both is sp.false:
                    continue
                pieces.append((value, both))
                recs.append(rec)
                if aligned:
                    certificate.append(cf.certificate[k])
        if not pieces:  # pragma: no cover - the forcing's cases cover the domain
            raise NotImplementedError(f"{self.name}: no case of the forcing holds anywhere")
        pieces[-1] = (pieces[-1][0], sp.true)  # the last case is what the others leave
        expr = sp.Piecewise(*pieces)
        # each case where it applies, after the others (taken from the pieces themselves: SymPy's
        # Piecewise may merge cases of equal value, or drop one that an earlier case covers)
        exclusive = [(value, sp.And(cond, *[sp.Not(c) for _, c in pieces[:i]]))
                     for i, (value, cond) in enumerate(pieces)]
        for rec, (value, cond) in zip(recs, exclusive):
            if cond is sp.false:  # an earlier case holds wherever this one does: it never applies
                continue
            ok, line = _check_on(rec, value, cond, params)
            checked = checked and ok
            lines.append(line)
        return ClosedForm(self, expr, tuple(certificate), checks=tuple(lines), checked=checked)


def _check_on(rec, value, cond, params, steps=5):
    """``value`` against exact iteration of ``rec`` at sample points of ``cond``: ``(ok, line)``."""
    pts = _points.sample_points(cond, params or [], 2) if params else []
    for pt in pts:
        want = exact_iterate(rec, steps, pt)
        got = [value.subs(pt).subs(rec.n, rec.start + j) for j in range(steps)]
        if any(not _sym.is_zero(g - w) for g, w in zip(got, want)):
            return False, f"on {sp.sstr(cond)}: differs from exact iteration at {pt}"
    if not pts:
        return False, f"on {sp.sstr(cond)}: no sample point, so NOT checked"
    return True, f"on {sp.sstr(cond)}: equals exact iteration at n = {rec.start}..{rec.start + steps - 1} " \
                 f"on {len(pts)} point(s)"


def linear_by_cases(next_expr, previous, initial, start=1, name="x", n=N):
    """:func:`linear`, where the next term or the initial value may have cases (a ``Piecewise``).

    Without cases it is :func:`linear`; with cases, a :class:`CaseRecurrence`
    of one :func:`linear` recurrence per case (the cases of the next term and
    of the initial value, folded together).
    """
    held = sp.Dummy("initial")
    both = sp.piecewise_fold(next_expr + held * initial)
    if not isinstance(both, sp.Piecewise):
        return linear(next_expr, previous, initial, start, name, n)
    branches = []
    for expr, cond in _sym.exclusive_pieces(both):
        expr = sp.expand(expr)
        branches.append((linear(expr.coeff(held, 0), previous, expr.coeff(held, 1), start, name, n), cond))
    return CaseRecurrence(tuple(branches), start, name)


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
    check_size(next_expr, f"recurrence for {name}: the next term")
    check_size(initial, f"recurrence for {name}: the initial value")
    a, rest = _split_linear(next_expr, previous, name)
    if a.has(sp.zoo, sp.nan) or rest.has(sp.zoo, sp.nan):
        raise ValueError(f"recurrence for {name}: the next term is undefined for every value of the "
                         "parameters (it divides by an expression equal to 0)")
    if not a.has(n):
        try:
            return Recurrence(a, decompose_forcing(rest, n), initial, start, name, n, written=rest)
        except ValueError:
            pass
    return VariableRecurrence(sp.factor(a), rest, initial, start, name, n)


#: an expression of at most this many terms once expanded is expanded (a larger one is kept as written)
_SMALL = 200
#: the engine's size limits, checked before any work: terms of an expression once expanded, and the
#: power of any one symbol (n or a parameter) in it
MAX_TERMS = 2000
MAX_DEGREE = 64


def check_size(expr, what):
    """``ValueError`` naming ``what`` if ``expr`` is beyond :data:`MAX_TERMS` or :data:`MAX_DEGREE`.

    Both are bounds counted on the expression as written (nothing is
    expanded), so the refusal comes at once.

    Examples
    --------
    >>> import sympy as sp
    >>> r = sp.Symbol("r")
    >>> check_size(((r + 1)**100 + 1)**100, "the forcing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the forcing is too large for the engine: r appears to the power 10000 (the limit is 64)
    """
    expr = _sym.as_sympy(expr)
    for x in sorted(expr.free_symbols, key=str):
        d = _sym.degree_bound(expr, x)
        if d > MAX_DEGREE:
            raise ValueError(f"{what} is too large for the engine: {x} appears to the power {d} "
                             f"(the limit is {MAX_DEGREE})")
    t = _sym.expanded_terms(expr)
    if t > MAX_TERMS:
        raise ValueError(f"{what} is too large for the engine: expanded, it has up to {t:.3g} terms "
                         f"(the limit is {MAX_TERMS})")


def _split_linear(next_expr, previous, name):
    """``(a, rest)`` with ``next_expr = a*previous + rest``; ValueError if not linear in ``previous``.

    The split walks the expression, so that a large term free of ``previous``
    (``((r+1)**100 + 1)**100``) is never expanded; only an expression that the
    walk finds nonlinear is expanded, to see whether its higher powers cancel.
    """
    next_expr = _sym.as_sympy(next_expr)
    parts = _sym.linear_parts(next_expr, previous)
    if parts is not None:
        a, rest = parts
        small = [sp.expand(e) if _sym.expanded_terms(e) <= _SMALL else e for e in (a, rest)]
        return small[0], small[1]
    next_expr = sp.expand(next_expr)
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
