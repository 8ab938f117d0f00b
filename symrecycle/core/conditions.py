"""Conditions on parameters: components of degenerate sets, solving them, substituting a condition,
sample points on a set, and tidy, decided relations (no ``simplify`` guesswork)."""

from __future__ import annotations

import sympy as sp

from .fixedpoint import FixedPoint
from .params import n as N
from .ratsimp import simplify_rational
from .relations import simplify_condition  # noqa: F401  (re-exported: the engine imports it from here)
from .sym import as_sympy, at_point, conjuncts, equalities, is_zero, memo
from .truth import decided


class Unsolved(ValueError):
    """A condition the engine cannot write as one substitution valid on its whole set.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", real=True)
    >>> solve_equality(sp.Eq(a * r, a))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrecycle.core.conditions.Unsolved: ... holds on 2 components (alpha = 0, r - 1 = 0), not one
    """


def components(expr):
    """The irreducible factors of the numerator of ``expr`` that can vanish: its zero set by component.

    ``alpha*r - alpha`` gives ``[alpha, r - 1]`` (two lines); factors of fixed sign
    (a positive symbol, a nonzero number) are dropped. ``[]`` if ``expr`` is never 0;
    ``None`` if it is identically 0.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", real=True)
    >>> components(a*r - a)
    [alpha, r - 1]
    >>> components(a**2 - a)
    [alpha, alpha - 1]
    """
    found = _components(as_sympy(expr))
    return None if found is None else list(found)


@memo(4096)
def _components(expr):
    """:func:`components` as a tuple (the same degenerate sets are asked about many times)."""
    num = sp.numer(sp.cancel(sp.together(expr)))
    if num == 0:
        return None
    if not num.free_symbols:
        return ()
    _, factors = sp.factor_list(num)
    out = []
    for f, _mult in factors:
        if not f.free_symbols or f.is_positive or f.is_negative or f.is_nonzero:
            continue
        f = -f if f.could_extract_minus_sign() else f
        if f not in out:
            out.append(f)
    return tuple(sorted(out, key=sp.default_sort_key))


def solve_component(f, prefer=()):
    """``{symbol: value}`` parametrizing the whole set ``f = 0`` (one irreducible ``f``), else ``Unsolved``.

    A symbol x in which f is linear, ``f = A x + B``, is solved as ``x = -B/A``
    only where that misses no point of the set: A is a nonzero number, or
    ``A = B = 0`` has no solution (``g*r - 1``: ``r = 1/g``, since ``g = 0``
    would need ``-1 = 0``). ``a*b - c`` is not solved for a (it would miss
    ``b = c = 0``) but for c. Otherwise a symbol with a unique solution.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b, c = sp.symbols("a b c", real=True)
    >>> solve_component(c*(1 - a) - b)
    {b: -a*c + c}
    >>> solve_component(a*b - c)
    {c: a*b}
    """
    f = sp.expand(as_sympy(f))
    syms = sorted(f.free_symbols, key=lambda s: (s != N, s not in prefer, s.name))
    # n is an integer index: solve for it only where it enters polynomially
    syms = [s for s in syms if s != N or f.is_polynomial(N)]
    poly_ok = f.is_polynomial(*syms) if syms else False
    linear = []
    for s in syms:
        if not f.is_polynomial(s) or sp.degree(f, s) != 1:
            continue
        A, B = f.coeff(s, 1), f.coeff(s, 0)
        linear.append((s, A, B, bool(A.is_number and A != 0)))
    linear.sort(key=lambda t: not t[3])
    for s, A, B, constant in linear:
        if not constant:
            if not poly_ok:
                continue
            try:  # the points the solution misses: A = B = 0
                missed = sp.groebner([A, B], *sorted(f.free_symbols - {s}, key=lambda x: x.name))
            except (sp.PolynomialError, NotImplementedError, ValueError):  # pragma: no cover
                continue
            if list(missed.exprs) != [1]:
                continue
        return {s: sp.cancel(-B / A)}
    for s in syms:
        if s == N:
            continue
        try:
            sol = sp.solve(f, s, dict=False)
        except (NotImplementedError, RecursionError, ValueError, TypeError):
            continue
        if len(sol) == 1 and not sol[0].has(sp.LambertW):
            return {s: sol[0]}
    raise Unsolved(f"cannot solve the condition {sp.sstr(f)} = 0 for one parameter on its whole set")


def solve_equality(eq: sp.Eq, prefer=()):
    """A substitution ``{symbol: value}`` valid on the whole set where ``eq`` holds.

    The equation must have one component (see :func:`components`); ``Unsolved``
    otherwise, or when no symbol parametrizes it (:func:`solve_component`).

    Examples
    --------
    >>> import sympy as sp
    >>> g, r = sp.symbols("g r", real=True)
    >>> solve_equality(sp.Eq(g * r, 1))
    {g: 1/r}
    >>> solve_equality(sp.Eq((g + 1)**2, g**2 + 2*g + 1, evaluate=False))  # an identity: nothing to impose
    {}
    """
    comps = components(eq.lhs - eq.rhs)
    if comps is None:
        return {}
    if len(comps) != 1:
        raise Unsolved(
            f"the condition {sp.sstr(eq)} holds on {len(comps) or 'no'} components "
            f"({', '.join(sp.sstr(c) + ' = 0' for c in comps)}), not one"
        )
    return solve_component(comps[0], prefer)


@memo(4096)
def substitute_condition(expr, cond):
    """``expr`` with the equalities of ``cond`` imposed, one after another.

    ``Contradiction`` where an equality has no solution; ``Unsolved`` where one
    holds on several components (the caller splits them) or on a set no
    substitution covers.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> substitute_condition(r / (r - a) + a, sp.Eq(a, 2 * r))
    2*r - 1
    >>> substitute_condition(a + r, sp.Eq(a + r, -1, evaluate=False))
    Traceback (most recent call last):
    ...
    symrecycle.core.conditions.Contradiction: Eq(alpha + r, -1) cannot hold
    """
    cond = as_sympy(cond)
    while True:
        eqs = [e for e in equalities(cond) if e not in (sp.true, sp.false)]
        eqs = [e for e in eqs if not is_zero(e.lhs - e.rhs)]  # identities impose nothing
        if not eqs:
            return expr
        eq = eqs[0]
        if components(eq.lhs - eq.rhs) == [] or impossible(eq):
            raise Contradiction(f"{eq} cannot hold")
        sub = solve_equality(eq)
        expr, cond = expr.subs(sub), cond.subs(sub)


def split_equalities(cond):
    """``cond`` as a list of conditions whose union it is, each equality on one solvable component.

    ``Eq(alpha*(r - 1), 0)`` gives ``[Eq(alpha, 0), Eq(r, 1)]``; an equality
    with several roots in one symbol (``36 a**2 - 17 a + 1 = 0``) one case per
    real root; an equality that cannot hold removes its case. Only the
    conjuncts of ``cond`` are split (an ``Or`` inside is kept as it is).

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", real=True)
    >>> split_equalities(sp.Eq(a * (r - 1), 0))
    [Eq(alpha, 0), Eq(r, 1)]
    >>> split_equalities(sp.Eq(a * (r - 1), 0) & (r < 2))
    [Eq(alpha, 0) & (r < 2), Eq(r, 1) & (r < 2)]
    """
    cond = as_sympy(cond)
    alternatives = [[]]
    for part in conjuncts(cond):
        if not isinstance(part, sp.Eq):
            alternatives = [[*alt, part] for alt in alternatives]
            continue
        comps = components(part.lhs - part.rhs)
        if comps is None:
            continue
        options = []
        for g in comps:
            try:
                solve_component(g)
                options.append(tidy_relational(sp.Eq(g, 0)))
                continue
            except Unsolved:
                pass
            syms = sorted(g.free_symbols - {N}, key=lambda x: x.name)
            if len(syms) == 1 and g.is_polynomial(syms[0]):
                roots = [x for x in sp.solve(g, syms[0]) if x.is_real]
                options += [sp.Eq(syms[0], x) for x in roots]
            else:
                options.append(sp.Eq(g, 0))
        alternatives = [[*alt, o] for alt in alternatives for o in options]
    return [sp.And(*alt) for alt in alternatives if sp.And(*alt) is not sp.false]


class Contradiction(ValueError):
    """A condition that cannot hold on the domain.

    Examples
    --------
    >>> import sympy as sp
    >>> r = sp.Symbol("r", positive=True)
    >>> substitute_condition(r, sp.Eq(r**2, -1, evaluate=False))
    Traceback (most recent call last):
    ...
    symrecycle.core.conditions.Contradiction: Eq(r**2, -1) cannot hold
    """


def impossible(eq) -> bool:
    """Whether an equality provably fails: its sides differ by a nonzero-signed amount.

    Examples
    --------
    >>> import sympy as sp
    >>> r = sp.Symbol("r", positive=True)
    >>> impossible(sp.Eq(r**2 + 1, 0, evaluate=False)), impossible(sp.Eq(r, 1))
    (True, False)
    """
    num = sp.factor(sp.numer(sp.together(eq.lhs - eq.rhs)))
    return bool(num.is_positive or num.is_negative or num.is_nonzero)


def relational(mu, op: str):
    """``mu op 1`` with a positive denominator cleared, e.g. ``alpha < r``.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> relational(a / r, "<"), relational(a / r, "=")
    (alpha < r, Eq(alpha, r))
    >>> x = sp.Symbol("x", real=True)
    >>> relational(a / x, ">")  # the sign of x is unknown: nothing is cleared
    alpha/x > 1
    """
    num, den = sp.fraction(sp.together(mu))
    if den.is_positive:
        lhs, rhs = num, den
    elif den.is_negative:
        lhs, rhs = -num, -den
    else:
        lhs, rhs = mu, sp.Integer(1)
    return {"<": sp.Lt, ">": sp.Gt, "=": sp.Eq}[op](lhs, rhs)


@memo(4096)
def simplify_branch(expr):
    """A readable form of one branch (SymPy ``simplify``, kept if shorter; :mod:`.ratsimp` where it applies).

    ``Sum`` s are held fixed (``simplify`` would try, slowly, to evaluate them again), and so are fixed
    points of maps (``FixedPoint``, positive).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, k = sp.Symbol("alpha", positive=True), sp.Symbol("k", integer=True)
    >>> simplify_branch((a**2 - 1) / (a - 1))
    alpha + 1
    >>> simplify_branch(sp.Sum(k, (k, 1, n)) * (a**2 - 1) / (a - 1))
    (alpha + 1)*Sum(k, (k, 1, n))
    """
    if expr.has(sp.Sum, FixedPoint):  # held fixed: a fixed point's map keeps the form it was derived in
        sums = sorted(expr.atoms(sp.Sum, FixedPoint), key=sp.default_sort_key)
        held = [sp.Dummy(f"S{i}", positive=isinstance(x, FixedPoint) or None) for i, x in enumerate(sums)]
        s = simplify_branch(expr.xreplace(dict(zip(sums, held))))
        return s.xreplace(dict(zip(held, sums)))
    if expr.has(sp.RootSum) or (expr.has(sp.sin, sp.cos) and sp.count_ops(expr) > SIMPLIFY_OPS):
        return expr  # trigsimp and sums over roots: minutes, for a form no shorter
    try:
        s = simplify_rational(expr)
    except (TypeError, ValueError, NotImplementedError):  # pragma: no cover
        return expr
    return s if sp.count_ops(s) <= sp.count_ops(expr) else expr


#: a branch with sines of more operations than this is kept as the solver wrote it
SIMPLIFY_OPS = 60


def holds_at(cond, point) -> bool:
    """Whether ``cond`` is decided true at ``point`` (``{symbol: number}``; n read as 3 where present).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> holds_at(a < r, {a: sp.Rational(1, 2), r: 2}), holds_at(n * a < 1, {a: sp.Rational(1, 2)})
    (True, False)
    >>> holds_at(a < r, {a: 1})  # r is free: not decided
    False
    """
    point = {N: 3, **point}
    held = decided(as_sympy(cond), point)
    if held is not None:
        return held
    try:
        return at_point(as_sympy(cond), point) is sp.true
    except TypeError:  # a relation SymPy cannot order at that point
        return False


def branch_at(expr, point):
    """The branch of the Piecewise ``expr`` that holds at ``point`` (``{symbol: number}``).

    Conditions are read in order, as SymPy does, and only they are substituted
    (a large Piecewise is not rebuilt at every point). ``expr`` itself where a
    condition is not decided there (one that depends on n, say); ``nan`` where none holds.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> limit = sp.Piecewise((n, sp.Eq(a, r)), (r / (r - a), a < r), (sp.oo, True))
    >>> [branch_at(limit, {a: x, r: 2}) for x in (sp.Rational(1, 2), 2, 3)]
    [r/(-alpha + r), n, oo]
    """
    if not isinstance(expr, sp.Piecewise):
        return expr
    for e, c in expr.args:
        try:
            held = c if c in (sp.true, sp.false) else at_point(c, point)
        except TypeError:  # a relation SymPy cannot order at that point
            return expr
        if held is sp.true:
            return branch_at(e, point)
        if held is not sp.false:
            return expr
    return sp.nan


def sum_inside(expr):
    """Factors free of the summation index moved inside the ``Sum`` they multiply.

    ``rho**(n*(n-1)/2) * Sum(t_k, (k, 1, n)) / r**n`` reads ``Sum(rho**(n*(n-1)/2) t_k / r**n, ...)``,
    so no factor that over- or underflows on its own is left outside.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, k = sp.Symbol("alpha", positive=True), sp.Symbol("k", integer=True)
    >>> sum_inside(a**n * sp.Sum(k / a**k, (k, 1, n)))
    Sum(alpha**(-k + n)*k, (k, 1, n))
    """
    if not expr.has(sp.Sum):
        return expr
    if isinstance(expr, sp.Add):
        return expr.func(*[sum_inside(a) for a in expr.args])
    if isinstance(expr, sp.Mul):
        sums = [f for f in expr.args if isinstance(f, sp.Sum)]
        if len(sums) == 1 and len(sums[0].limits) == 1:
            (total,) = sums
            rest = sp.Mul(*[f for f in expr.args if f is not total])
            k = total.limits[0][0]
            if not rest.has(k) and not rest.has(sp.Sum):
                return sp.Sum(sp.powsimp(sp.expand_power_base(rest * total.function)), *total.limits)
    return expr


def tidy_sums(expr):
    """Every ``Sum`` with its terms' powers combined and vanishing end terms dropped.

    ``Sum((n-k) alpha**(n-k)/alpha, (k, 1, n))`` reads
    ``Sum((n-k) alpha**(n-k-1), (k, 1, n-1))``: the k = n term is 0, and
    without it no term divides by alpha (finite at alpha = 0).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, k = sp.Symbol("alpha", positive=True), sp.Symbol("k", integer=True)
    >>> tidy_sums(sp.Sum((n - k) * a**(n - k) / a, (k, 1, n)))
    Sum(alpha**(-k + n - 1)*(-k + n), (k, 1, n - 1))
    """
    def tidy(total):
        if len(total.limits) != 1:
            return total
        (k, lo, hi), f = total.limits[0], sp.powsimp(sp.expand_power_base(total.function))
        for _ in range(3):
            if not is_zero(f.subs(k, hi)):
                break
            hi -= 1
        for _ in range(3):
            if not is_zero(f.subs(k, lo)):
                break
            lo += 1
        return sp.Sum(f, (k, lo, hi))

    if not expr.has(sp.Sum):
        return expr
    return sum_inside(expr.replace(lambda e: isinstance(e, sp.Sum), tidy))


_FLIP = {sp.Lt: sp.Gt, sp.Gt: sp.Lt, sp.Le: sp.Ge, sp.Ge: sp.Le, sp.Eq: sp.Eq, sp.Ne: sp.Ne}


@memo(4096)
def tidy_relational(rel):
    """A relation with factors of known sign cleared: ``g*(beta - 1) < 0`` reads ``beta < 1``.

    The relation is brought to ``expr op 0`` over a common denominator. For
    ``=`` and ``!=`` only the numerator's factors matter; for inequalities
    the sign of numerator times denominator does. Factors SymPy knows to be
    positive or negative are dropped (a negative one flips an inequality),
    and a difference of two terms is written ``a op b``. The result is kept
    only if it is not longer than the relation given.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD
    >>> g, beta = STANDARD["g"].symbol, STANDARD["beta"].symbol
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> tidy_relational(g * (beta - 1) < 0), tidy_relational(sp.Eq(r * (a - r), 0))
    (beta < 1, Eq(r, alpha))
    """
    op = type(rel)
    if op not in _FLIP:
        return rel
    num, den = sp.fraction(sp.factor(sp.together(rel.lhs - rel.rhs)))
    factors = [*sp.Mul.make_args(num)]
    if op not in (sp.Eq, sp.Ne):
        factors += [*sp.Mul.make_args(den)]
    keep, flip = [], False
    for f in factors:
        if f.is_positive:
            continue
        if f.is_negative:
            flip = not flip
            continue
        keep.append(f)
    if not keep:
        return rel
    lhs = sp.Mul(*keep)
    out_op = _FLIP[op] if flip else op
    base, e = lhs.as_base_exp()
    if e.is_Integer and e > 0 and int(e) % 2 == 0 and base.is_real:  # an even power: x**2 op 0
        return {sp.Lt: sp.false, sp.Ge: sp.true, sp.Gt: sp.Ne(base, 0), sp.Le: sp.Eq(base, 0),
                sp.Eq: sp.Eq(base, 0), sp.Ne: sp.Ne(base, 0)}[out_op]
    new = out_op(lhs, 0)
    if isinstance(lhs, sp.Add) and len(lhs.args) == 2:
        a, b = lhs.args
        if b.could_extract_minus_sign():
            new = out_op(a, -b)
        elif a.could_extract_minus_sign():
            new = out_op(b, -a)
    return new if sp.count_ops(new) <= sp.count_ops(rel) else rel


@memo(4096)
def tidy_condition(cond):
    """:func:`tidy_relational` applied to every relation of a boolean condition.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD
    >>> g, beta = STANDARD["g"].symbol, STANDARD["beta"].symbol
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> tidy_condition((g * (beta - 1) < 0) & sp.Eq(r * (a - r), 0))
    Eq(r, alpha) & (beta < 1)
    """
    cond = as_sympy(cond)
    if cond in (sp.true, sp.false):
        return cond
    return cond.replace(lambda e: isinstance(e, tuple(_FLIP)), tidy_relational)
