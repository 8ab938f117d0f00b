r"""First-order linear recurrences with exponential forcing, and their solver.

A :class:`Recurrence` is

.. math::

    x_n = a\,x_{n-1} + \sum_i c_i \lambda_i^n \quad (n > n_0), \qquad
    x_{n_0} = x_0,

with ``a``, ``c_i`` and ``lambda_i`` symbolic expressions in parameters.
:meth:`Recurrence.solve` unrolls it exactly,

.. math::

    x_n = a^{n-n_0} x_0 + \sum_i c_i \sum_{k=n_0+1}^{n} a^{n-k}\lambda_i^k,

and sums each geometric series with its degenerate case ``lambda_i = a``
(where the sum is ``(n - n_0) a^n``) kept as its own Piecewise branch. Each
branch is then certified: the recurrence residual and the initial condition,
with the branch substituted and the branch's condition imposed, simplify to 0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from . import _sym
from .params import n as N

__all__ = [
    "Recurrence", "VariableRecurrence", "ClosedForm", "BranchCertificate", "decompose_forcing", "linear",
]


@dataclass(frozen=True)
class BranchCertificate:
    """The check of one branch: residuals that must simplify to 0."""

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
class ClosedForm:
    """A solved recurrence: the Piecewise closed form and its certificate."""

    recurrence: Recurrence
    expr: sp.Expr
    certificate: tuple[BranchCertificate, ...]

    @property
    def verified(self) -> bool:
        return bool(self.certificate) and all(c.ok for c in self.certificate)


def _certify_branch(rec, x, cond, method="") -> BranchCertificate:
    """The recurrence residual and the initial residual of ``x`` on ``cond``, simplified."""
    res = rec.residual(x)
    init = x.subs(rec.n, rec.start) - rec.initial
    res, init = (_sym.substitute_condition(e, cond) for e in (res, init))
    return BranchCertificate(
        cond,
        sp.Integer(0) if _sym.is_zero(res) else sp.simplify(res),
        sp.Integer(0) if _sym.is_zero(init) else sp.simplify(init),
        method,
    )


def decompose_forcing(expr, n=N):
    r"""Write ``expr`` as :math:`\sum_i c_i \lambda_i^n` with ``c_i, lambda_i`` free of n.

    Returns a tuple of ``(c, lambda)`` pairs, one per distinct base.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> r, C1 = sp.symbols("r C1", positive=True)
    >>> decompose_forcing(C1 * r**(n - 1))
    ((C1/r, r),)
    """
    expr = sp.expand(sp.powsimp(sp.expand(_sym.as_sympy(expr))))
    groups: dict = {}
    for term in sp.Add.make_args(expr):
        coeff, base = sp.Integer(1), sp.Integer(1)
        for factor in sp.Mul.make_args(term):
            if not factor.has(n):
                coeff *= factor
                continue
            b, e = factor.as_base_exp()
            if b.has(n):
                raise ValueError(
                    f"forcing term {term} is not of the form c*lambda**n: "
                    f"the factor {factor} has n in its base"
                )
            poly = sp.Poly(sp.expand(e), n) if e.is_polynomial(n) else None
            if poly is None or poly.degree() != 1:
                raise ValueError(
                    f"forcing term {term} is not of the form c*lambda**n: "
                    f"the exponent {e} is not linear in n"
                )
            p, q = poly.all_coeffs()
            base *= b**p
            coeff *= b**q
        base = sp.powsimp(sp.simplify(base))
        groups[base] = groups.get(base, 0) + coeff
    return tuple(
        (sp.factor(c), lam) for lam, c in groups.items() if sp.simplify(c) != 0
    )


@dataclass(frozen=True)
class Recurrence:
    r"""``x_n = a*x_{n-1} + sum_i c_i*lambda_i**n`` for ``n > start``, ``x_start = initial``.

    Parameters
    ----------
    a : sympy expression
        The multiplier of the previous term; free of n.
    forcing : tuple of (c, lambda) pairs
        The forcing :math:`f(n) = \sum_i c_i \lambda_i^n`; free of n.
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
    """

    a: sp.Expr
    forcing: tuple = ()
    initial: sp.Expr = 1
    start: int = 1
    name: str = "x"
    n: sp.Symbol = field(default=N, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "a", _sym.as_sympy(self.a))
        object.__setattr__(self, "initial", _sym.as_sympy(self.initial))
        forcing = tuple((_sym.as_sympy(c), _sym.as_sympy(lam)) for c, lam in self.forcing)
        object.__setattr__(self, "forcing", forcing)
        if not isinstance(self.start, int) or isinstance(self.start, bool):
            raise ValueError(f"start: got {self.start!r}, expected an int")
        for what, e in [("a", self.a), ("initial", self.initial)] + [
            (f"forcing term {i}", x) for i, pair in enumerate(forcing) for x in pair
        ]:
            if e.has(self.n):
                raise ValueError(f"{what}: got {e}, expected an expression free of n")

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
        return sp.Add(*[c * lam**self.n for c, lam in self.forcing])

    @property
    def free_symbols(self):
        syms = self.a.free_symbols | self.initial.free_symbols
        for c, lam in self.forcing:
            syms |= c.free_symbols | lam.free_symbols
        return syms

    def residual(self, x):
        """``x(n) - a*x(n-1) - f(n)`` for a candidate closed form ``x``."""
        return x - self.a * x.subs(self.n, self.n - 1) - self.forcing_expr

    def term(self, k: int, values: dict):
        """``x_k`` by exact iteration at parameter ``values`` ({symbol: number})."""
        return exact_iterate(self, k - self.start + 1, values)[-1]

    def solve(self) -> ClosedForm:
        """The closed form, as a Piecewise over the degenerate cases, certified."""
        n, n0, a = self.n, self.start, self.a
        m = n - n0
        generic, degenerate = [], []
        for c, lam in self.forcing:
            # sum_{k=n0+1}^{n} a^(n-k) lam^k
            generic.append(c * lam ** (n0 + 1) * (lam**m - a**m) / (lam - a))
            degenerate.append(c * m * lam**n)
        base = a**m * self.initial
        conds = [sp.Eq(lam, a) for _, lam in self.forcing]
        branches = []
        # every subset of forcing bases that may coincide with a, largest first
        idx = range(len(conds))
        for size in range(len(conds), -1, -1):
            for subset in itertools.combinations(idx, size):
                cond = sp.And(*[conds[i] for i in subset])
                if cond is sp.false:
                    continue
                expr = base + sum(
                    degenerate[i] if i in subset else generic[i] for i in idx
                )
                expr = _sym.substitute_condition(expr, cond) if subset else expr
                branches.append((_sym.simplify_branch(expr), cond))
        expr = branches[0][0] if len(branches) == 1 else sp.Piecewise(*branches)
        certs = tuple(self._certify(e, c) for e, c in _sym.pieces(expr))
        return ClosedForm(self, expr, certs)

    def _certify(self, x, cond) -> BranchCertificate:
        return _certify_branch(self, x, cond)


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
        prod = sp.product(self.a.subs(self.n, j), (j, k + 1, self.n))
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
        evaluated = total.doit()
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
            return Recurrence(a, decompose_forcing(rest, n), initial, start, name, n)
        except ValueError:
            pass
    return VariableRecurrence(sp.factor(a), rest, initial, start, name, n)


def _split_linear(next_expr, previous, name):
    """``(a, rest)`` with ``next_expr = a*previous + rest``; ValueError if not linear in ``previous``."""
    next_expr = sp.expand(_sym.as_sympy(next_expr))
    if not next_expr.is_polynomial(previous) or sp.degree(next_expr, previous) > 1:
        raise ValueError(f"recurrence for {name}: {next_expr} is not linear in the previous term")
    return next_expr.coeff(previous, 1), next_expr.coeff(previous, 0)


def exact_iterate(rec, count: int, values: dict):
    """``[x_start, ..., x_{start+count-1}]`` in exact rational arithmetic (either kind of recurrence)."""
    vals = _rationals(values)
    a, f, x = rec.a.subs(vals), rec.forcing_expr.subs(vals), rec.initial.subs(vals)
    out = [x]
    for j in range(rec.start + 1, rec.start + count):
        x = a.subs(rec.n, j) * x + f.subs(rec.n, j)
        out.append(x)
    return out
