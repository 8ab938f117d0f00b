"""Small symbolic helpers shared by the engine (not public API)."""

from __future__ import annotations

import sympy as sp

from .params import n as N


def as_sympy(x):
    """A SymPy object from a SymPy object or a number; text is refused, never evaluated.

    (``sympify`` on a string would run it through ``eval``; ``strict=True``
    converts only numbers and SymPy objects.)
    """
    if isinstance(x, (str, bytes)):
        raise ValueError(
            f"got the text {x!r}; expected a number or a SymPy expression "
            "(text is read only from model files, by symrecycle's own parser)"
        )
    try:
        return sp.sympify(x, strict=True)
    except sp.SympifyError:
        raise ValueError(f"got {x!r}; expected a number or a SymPy expression") from None


def is_zero(expr) -> bool:
    """Whether ``expr`` simplifies to exactly 0 (a proof, not a float test)."""
    expr = as_sympy(expr)
    if expr == 0:
        return True
    for step in (
        lambda e: sp.expand(sp.powsimp(sp.expand(e))),
        lambda e: sp.cancel(sp.together(e)),
        sp.simplify,
    ):
        expr = step(expr)
        if expr == 0:
            return True
    return False


def pieces(expr):
    """The ``(expression, condition)`` pairs of a Piecewise, else one pair."""
    if isinstance(expr, sp.Piecewise):
        return tuple((e, c) for e, c in expr.args)
    return ((expr, sp.true),)


def exclusive_pieces(expr):
    """Like :func:`pieces`, but each condition excludes the earlier ones."""
    out, before = [], []
    for e, c in pieces(expr):
        cond = sp.And(c, *[sp.Not(b) for b in before])
        out.append((e, cond))
        before.append(c)
    return tuple(out)


def equalities(cond):
    """The equalities that ``cond`` asserts (its ``Eq`` conjuncts)."""
    cond = as_sympy(cond)
    return [a for a in sp.And.make_args(cond) if isinstance(a, sp.Eq)]


def solve_equality(eq: sp.Eq, prefer=()):
    """A substitution ``{symbol: value}`` that makes ``eq`` hold.

    Solves for the first free symbol (those in ``prefer`` first) that gives a
    unique solution.
    """
    diff = eq.lhs - eq.rhs
    free = sorted(eq.free_symbols, key=lambda s: (s != N, s not in prefer, s.name))
    # n is an integer index: solve for it only where it enters polynomially
    # (a transcendental equation in n gives LambertW terms, never an index)
    free = [s for s in free if s != N or diff.is_polynomial(N)]
    for s in free:
        try:
            sol = sp.solve(eq, s, dict=False)
        except (NotImplementedError, RecursionError):
            continue
        if len(sol) == 1 and not sol[0].has(sp.LambertW):
            return {s: sol[0]}
    raise ValueError(f"cannot solve the condition {eq} for one parameter")


def substitute_condition(expr, cond):
    """``expr`` with the equalities of ``cond`` imposed, one after another."""
    cond = as_sympy(cond)
    while True:
        eqs = [e for e in equalities(cond) if e not in (sp.true, sp.false)]
        eqs = [e for e in eqs if not is_zero(e.lhs - e.rhs)]  # identities impose nothing
        if not eqs:
            return expr
        eq = eqs[0]
        try:
            sub = solve_equality(eq)
        except ValueError:
            if impossible(eq):
                raise Contradiction(f"{eq} cannot hold") from None
            raise
        expr, cond = expr.subs(sub), cond.subs(sub)


class Contradiction(ValueError):
    """A condition that cannot hold on the domain."""


def impossible(eq) -> bool:
    """Whether an equality provably fails: its sides differ by a nonzero-signed amount."""
    num = sp.factor(sp.numer(sp.together(eq.lhs - eq.rhs)))
    return bool(num.is_positive or num.is_negative or num.is_nonzero)


def relational(mu, op: str):
    """``mu op 1`` with a positive denominator cleared, e.g. ``alpha < r``."""
    num, den = sp.fraction(sp.together(mu))
    if den.is_positive:
        lhs, rhs = num, den
    elif den.is_negative:
        lhs, rhs = -num, -den
    else:
        lhs, rhs = mu, sp.Integer(1)
    return {"<": sp.Lt, ">": sp.Gt, "=": sp.Eq}[op](lhs, rhs)


def simplify_branch(expr):
    """A readable form of one branch (SymPy ``simplify``, kept if shorter).

    ``Sum`` s are held fixed (``simplify`` would try, slowly, to evaluate them again).
    """
    if expr.has(sp.Sum):
        sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
        held = [sp.Dummy(f"S{i}") for i in range(len(sums))]
        s = simplify_branch(expr.xreplace(dict(zip(sums, held))))
        return s.xreplace(dict(zip(held, sums)))
    try:
        s = sp.simplify(expr)
    except (TypeError, ValueError, NotImplementedError):  # pragma: no cover
        return expr
    return s if sp.count_ops(s) <= sp.count_ops(expr) else expr


def simplify_condition(cond):
    """``cond`` simplified where that is cheap (at most 6 relations) and comes out no longer."""
    cond = as_sympy(cond)
    if cond in (sp.true, sp.false) or len(cond.atoms(sp.core.relational.Relational)) > 6:
        return cond
    try:
        s = sp.simplify(cond)
    except (TypeError, ValueError, NotImplementedError):  # pragma: no cover
        return cond
    return s if sp.count_ops(s) <= sp.count_ops(cond) else cond


def holds_at(cond, point) -> bool:
    """Whether ``cond`` is decided true at ``point`` (``{symbol: number}``; n read as 3 where present)."""
    try:
        return as_sympy(cond).subs(point).subs(N, 3) is sp.true
    except TypeError:  # a relation SymPy cannot order at that point
        return False


def sum_inside(expr):
    """Factors free of the summation index moved inside the ``Sum`` they multiply.

    ``rho**(n*(n-1)/2) * Sum(t_k, (k, 1, n)) / r**n`` reads ``Sum(rho**(n*(n-1)/2) t_k / r**n, ...)``,
    so no factor that over- or underflows on its own is left outside.
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


def within_domain(cond, params):
    """``cond`` with each relation on a single parameter decided by that parameter's domain.

    ``rho > 1`` is false for ``rho`` in ``(0, 1]``; ``rho <= 1`` is true there.
    """
    domains = {p.symbol: p.interval for p in params}

    def decide(rel):
        syms = rel.free_symbols
        if len(syms) != 1 or next(iter(syms)) not in domains:
            return rel
        (sym,) = syms
        try:
            holds = rel.as_set().intersect(domains[sym])
        except (NotImplementedError, TypeError, ValueError):  # pragma: no cover
            return rel
        if holds is sp.S.EmptySet:
            return sp.false
        if holds == domains[sym]:
            return sp.true
        return rel

    cond = as_sympy(cond)
    if cond in (sp.true, sp.false):
        return cond
    return cond.replace(lambda e: e.is_Relational, decide)


def sample_points(cond, params, count=3):
    """Up to ``count`` exact rational points of the domain where ``cond`` holds.

    Equalities of ``cond`` are imposed by solving them; the other parameters
    run over a few interior points of their domains.
    """
    import itertools as _it

    cond = as_sympy(cond)
    subs = {}
    c = cond
    while True:
        eqs = [e for e in equalities(c) if e not in (sp.true, sp.false)]
        eqs = [e for e in eqs if e.free_symbols - {N}]
        if not eqs:
            break
        try:
            s = solve_equality(eqs[0], prefer=[p.symbol for p in params])
        except ValueError:
            return []
        subs = {k: v.subs(s) for k, v in subs.items()}
        subs.update(s)
        c = c.subs(s)
    free = [p for p in params if p.symbol not in subs]
    grids = [p.interior_points() for p in free]
    out = []
    for combo in _it.product(*[g[::2] + g[1::2] for g in grids]):
        point = {p.symbol: sp.Rational(v) for p, v in zip(free, combo)}
        full = dict(point)
        ok = True
        for sym, expr in subs.items():
            if sym == N:
                continue
            val = sp.nsimplify(expr.subs(point))
            par = next((p for p in params if p.symbol == sym), None)
            if par is None or not val.is_Rational or not par.contains(_frac(val)):
                ok = False
                break
            full[sym] = val
        if not ok:
            continue
        truth = cond.subs(full)
        if truth.free_symbols - {N}:
            continue
        if truth.free_symbols:
            truth = truth.subs(N, 3)
        if truth is sp.true:
            out.append(full)
        if len(out) >= count:
            break
    return out


def _frac(val):
    from fractions import Fraction

    return Fraction(int(val.p), int(val.q))


_FLIP = {sp.Lt: sp.Gt, sp.Gt: sp.Lt, sp.Le: sp.Ge, sp.Ge: sp.Le, sp.Eq: sp.Eq, sp.Ne: sp.Ne}


def tidy_relational(rel):
    """A relation with factors of known sign cleared: ``g*(beta - 1) < 0`` reads ``beta < 1``.

    The relation is brought to ``expr op 0`` over a common denominator. For
    ``=`` and ``!=`` only the numerator's factors matter; for inequalities
    the sign of numerator times denominator does. Factors SymPy knows to be
    positive or negative are dropped (a negative one flips an inequality),
    and a difference of two terms is written ``a op b``. The result is kept
    only if it is not longer than the relation given.
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


def tidy_condition(cond):
    """:func:`tidy_relational` applied to every relation of a boolean condition."""
    cond = as_sympy(cond)
    if cond in (sp.true, sp.false):
        return cond
    return cond.replace(lambda e: isinstance(e, tuple(_FLIP)), tidy_relational)
