"""Boolean conditions simplified by decided steps: relations on one quantity merged as sets.

SymPy's ``simplify`` of a condition compares relations with ``Expr.equals``,
which tests random numbers (slow, and a guess where it cannot decide). Here a
relation ``lhs op rhs`` whose difference has a denominator of known sign is
read as a set of values of one quantity g (``g*r > 1``: g*r in (1, oo)),
relations on the same g are intersected (in a conjunction) or united (in a
disjunction) exactly, an equality whose sides expand to one expression
is decided, a g of known sign drops what its sign implies, and the
propositional rest goes to ``simplify_logic`` on the relations as atoms (exact
for any atoms).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.relational import Relational

from .sym import as_sympy, memo, operands

__all__ = ["simplify_condition"]

#: relations a condition may hold before the propositional step is skipped (its cost is exponential)
MAX_ATOMS = 8

_INEQUALITIES = (sp.Lt, sp.Le, sp.Gt, sp.Ge, sp.Eq, sp.Ne)


@memo(4096)
def simplify_condition(cond):
    """``cond`` with relations on one quantity merged and implied ones dropped; never longer.

    Exact: every step decides an equivalence (interval arithmetic on one real
    quantity, or propositional logic with the relations as atoms).

    Examples
    --------
    >>> import sympy as sp
    >>> a, g, r = sp.symbols("alpha g r", positive=True)
    >>> simplify_condition((g * r >= 1) & (g * r > 1) & sp.Ne(g * r, 1))
    g*r > 1
    >>> simplify_condition((a < r) & (r < a))
    False
    >>> simplify_condition((a < 1) | sp.Eq(a, 1)), simplify_condition(a > -1)
    (alpha <= 1, True)
    >>> b = sp.Symbol("beta", real=True)
    >>> simplify_condition(~((a >= r) | sp.Eq(b, 0)))
    (alpha < r) & Ne(beta, 0)
    >>> simplify_condition(~((a >= r) | sp.Eq(g, 0)))  # g > 0: g != 0 is implied
    alpha < r
    """
    cond = as_sympy(cond)
    if cond in (sp.true, sp.false) or not isinstance(cond, sp.logic.boolalg.Boolean):
        return cond
    out = _merged(cond)
    atoms = sorted(out.atoms(Relational), key=sp.default_sort_key)
    if 1 < len(atoms) <= MAX_ATOMS:
        names = [sp.Dummy(f"c{i}") for i in range(len(atoms))]
        skeleton = out.xreplace(dict(zip(atoms, names)))
        logic = sp.simplify_logic(skeleton, force=True).xreplace(dict(zip(names, atoms)))
        out = min(out, _merged(logic), key=sp.count_ops)
    return out if sp.count_ops(out) <= sp.count_ops(cond) else cond


def _merged(cond):
    """Relations on one quantity merged in every conjunction and disjunction, bottom up."""
    if isinstance(cond, sp.Not):
        inner = cond.args[0]
        if isinstance(inner, _INEQUALITIES):
            return _merged(inner.negated)
        if isinstance(inner, (sp.And, sp.Or)):  # De Morgan: no negation left above a relation
            dual = sp.Or if isinstance(inner, sp.And) else sp.And
            return _merged(dual(*[sp.Not(a) for a in inner.args], evaluate=False))
        return sp.Not(_merged(inner))
    if isinstance(cond, (sp.Eq, sp.Ne)) and _identity(cond.lhs - cond.rhs):
        return sp.true if isinstance(cond, sp.Eq) else sp.false
    if isinstance(cond, _INEQUALITIES):
        read = _as_set(cond)
        if read is None:
            return cond
        g, values = read
        return _relations(g, values, cond)
    if not isinstance(cond, (sp.And, sp.Or)):
        return cond
    join = type(cond)
    args = [_merged(a) for a in cond.args]
    groups: dict = {}
    rest = []
    for a in operands(join, join(*args)):
        read = _as_set(a) if isinstance(a, _INEQUALITIES) else None
        if read is None:
            rest.append(a)
        else:
            groups.setdefault(read[0], []).append((read[1], a))
    for g, members in groups.items():
        if len(members) == 1:
            rest.append(_relations(g, members[0][0], members[0][1]))
            continue
        sets = [s for s, _ in members]
        values = sp.Intersection(*sets) if join is sp.And else sp.Union(*sets)
        rest.append(_relations(g, values))
    return join(*rest)


@memo(4096)
def _identity(d) -> bool:
    """Whether ``d`` is 0 wherever it is defined: by expansion (radicals included), or over a common
    denominator that cannot vanish (cancelling one that can would make ``a = r`` hold where
    ``(a**2 - r**2)/(a - r) = a + r`` is undefined)."""
    if sp.expand(d) == 0:
        return True
    num, den = sp.fraction(sp.together(d))
    return bool(den.is_nonzero) and sp.expand(num) == 0


@memo(4096)
def _as_set(rel):
    """``(g, S)`` with ``rel`` equivalent to ``g in S`` (g real, normalised), or ``None``."""
    num, den = sp.fraction(sp.together(rel.lhs - rel.rhs))
    if den.is_negative:
        num = -num
    elif not den.is_positive:
        return None
    num = sp.expand(num)
    c, g = num.as_coeff_Add()
    if g == 0 or not g.is_extended_real:
        return None
    k, g = g.primitive() if isinstance(g, sp.Add) else g.as_coeff_Mul()
    if g.could_extract_minus_sign():
        k, g = -k, -g
    if not (k.is_Rational and c.is_Rational):
        return None
    at = -c / k  # rel is k*g + c op 0, that is g op' at (op flipped when k < 0)
    op = type(rel)
    if k < 0 and op not in (sp.Eq, sp.Ne):
        op = {sp.Lt: sp.Gt, sp.Gt: sp.Lt, sp.Le: sp.Ge, sp.Ge: sp.Le}[op]
    values = {
        sp.Lt: sp.Interval.open(-sp.oo, at), sp.Le: sp.Interval(-sp.oo, at),
        sp.Gt: sp.Interval.open(at, sp.oo), sp.Ge: sp.Interval(at, sp.oo),
        sp.Eq: sp.FiniteSet(at), sp.Ne: sp.Complement(sp.Reals, sp.FiniteSet(at)),
    }[op]
    return g, values


@memo(4096)
def _relations(g, values, original=None):
    """``g in values`` as relations, with what g's sign implies dropped; ``original`` if no shorter."""
    domain = (sp.Interval.open(0, sp.oo) if g.is_positive else sp.Interval(0, sp.oo) if g.is_nonnegative
              else sp.Interval.open(-sp.oo, 0) if g.is_negative else sp.Reals)
    if original is not None and domain is sp.Reals:  # one relation, nothing implied: as it was
        return original
    values = sp.Intersection(values, domain)
    if values == domain:
        return sp.true
    if values is sp.EmptySet:
        return sp.false
    out = _write(g, values, domain)
    if out is None or (original is not None and sp.count_ops(out) >= sp.count_ops(original)):
        return original if original is not None else sp.Contains(g, values, evaluate=False)
    return out


def _write(g, values, domain):
    # all but some points: g != c (an interval misses at most its domain's end points)
    interval = isinstance(values, sp.Interval)
    same_ends = not interval or (values.start, values.end) == (domain.start, domain.end)
    missing = sp.Complement(domain, values) if same_ends else None
    if isinstance(missing, sp.FiniteSet):
        return sp.And(*[_rel(sp.Ne, g, v) for v in missing.args])
    if isinstance(values, sp.Union):
        parts = [_write(g, v, domain) for v in values.args]
        return None if None in parts else sp.Or(*parts)
    if isinstance(values, sp.FiniteSet):
        return sp.Or(*[_rel(sp.Eq, g, v) for v in values.args])
    if isinstance(values, sp.Complement) and isinstance(values.args[1], sp.FiniteSet):
        inside = _write(g, values.args[0], domain)
        return None if inside is None else sp.And(inside, *[_rel(sp.Ne, g, v) for v in values.args[1].args])
    if not isinstance(values, sp.Interval):
        return None
    parts = []
    # an end the domain has too is implied: only the others are written
    if (values.start, values.left_open) != (domain.start, domain.left_open) and values.start.is_finite:
        parts.append(_rel(sp.Gt if values.left_open else sp.Ge, g, values.start))
    if (values.end, values.right_open) != (domain.end, domain.right_open) and values.end.is_finite:
        parts.append(_rel(sp.Lt if values.right_open else sp.Le, g, values.end))
    return sp.And(*parts)


def _rel(op, g, at):
    """``g op at``, a difference ``u - v op 0`` written ``u op v``."""
    if at == 0 and isinstance(g, sp.Add):
        pos = [t for t in g.args if not t.could_extract_minus_sign()]
        neg = [-t for t in g.args if t.could_extract_minus_sign()]
        if pos and neg:
            return op(sp.Add(*pos), sp.Add(*neg))
    return op(g, at)
