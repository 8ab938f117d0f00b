r"""Canonical case conditions: minimal, readable, decided on the parameters' domains.

A case condition of a result (``c_i`` and none of the cases before it) is
brought to a disjunction of *cubes*. A cube is a conjunction that says, for each
quantity it constrains, the set of values that quantity takes: a parameter
(``0 < \beta < 1``), a relation between parameters read as one quantity
(``g r > 1``: g r in (1, oo); ``\alpha < r``: alpha - r in (-oo, 0)), or an
equality of a degenerate set (``\beta = 0``). Every step decides an equivalence
on the domain:

- relations on one quantity are intersected as sets, with the quantity's domain
  (a parameter's interval; the sign SymPy proves of a product of them);
- a parameter fixed to a number (``r = 1``) is put into the cube's other
  relations (``g r \ne 1`` becomes ``g \ne 1``);
- a cube found empty is dropped; a cube contained in another is dropped (A is
  in B where A and not-b is empty for every relation b of B); two cubes that
  differ in one quantity only are merged (its sets united).

What is implied by the others or by a domain is not written, there is no
negation, and an interval is written as a chain (``0 < \beta < 1``).
Emptiness and containment are only claimed where they are shown, so a
condition the steps cannot reduce stays longer, never wrong.
:class:`Condition` prints it as text, SymPy and LaTeX; :func:`case_conditions`
gives the conditions of a Piecewise's cases, the last one reading "otherwise"
where it would be longer than the others.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import sympy as sp

from . import condtext as _condtext
from . import relations as _rel
from .intervals import INF, Span, _sym_num
from .sym import as_sympy, conjuncts, memo

__all__ = ["Condition", "canonical", "case_conditions", "domains_of"]

#: cubes a condition may expand to before it is left as the relations' simplification gives it
MAX_CUBES = 256
#: distinct relations a condition may hold for the decision (beyond: the relations' simplification)
MAX_ATOMS = 24
#: cubes, and relations in all of them, beyond which only merges are tried (no covering tests)
MAX_REDUCE = (24, 64)
#: steps of the covering search per condition (each a conjunction tested); beyond, a covering is not
#: shown and the condition stays as long as it is (the search is exponential in the worst case)
COVER_STEPS = 4000
_BUDGET = threading.local()

_INEQ = (sp.Lt, sp.Le, sp.Gt, sp.Ge, sp.Eq, sp.Ne)


# -- the condition type ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    r"""A case condition: ``cubes`` (a disjunction of conjunctions), or "otherwise".

    Each cube is a tuple of ``(quantity, values)`` with ``values`` a SymPy set,
    plus relations kept as they are (``other``); :attr:`expr` is the SymPy form.

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> b = sp.Symbol("beta", real=True)
    >>> doms = {b: sp.Interval(0, 1)}
    >>> c = canonical((b < 1) & sp.Ne(b, 0) & sp.Ne(b, 1), doms)
    >>> c.text(), c.latex(), c.expr
    ('0 < beta < 1', '0 < \\beta < 1', (beta > 0) & (beta < 1))
    >>> canonical(a < r).latex(), str(canonical(sp.true)), Condition.otherwise_of(a < r).latex()
    ('\\alpha < r', 'always', '\\text{otherwise}')
    """

    cubes: tuple = ()
    expr: object = sp.false
    otherwise: bool = False

    @classmethod
    def otherwise_of(cls, expr):
        """The last case: it holds where none before it does (``expr``, its explicit form)."""
        return cls((), as_sympy(expr), True)

    def explicit(self) -> Condition:
        """The condition written out, "otherwise" or not."""
        return Condition(self.cubes, self.expr, False) if self.otherwise and self.cubes else self

    def text(self) -> str:
        """Plain text: ``0 < beta < 1 and g*r > 1``, ``or`` between alternatives."""
        return self._join(_condtext.text_part, " and ", " or ", "otherwise", "always", "never")

    def latex(self) -> str:
        """LaTeX for ``\\text{if } ...``: ``0 < \\beta < 1 \\text{ and } g r > 1``."""
        return self._join(_condtext.latex_part, r" \text{ and } ", r" \text{ or } ", r"\text{otherwise}",
                          r"\text{always}", r"\text{never}")

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Condition({self.text()!r})"

    def _join(self, part, conj, disj, otherwise, always, never):
        if self.otherwise:
            return otherwise
        if self.expr is sp.true:
            return always
        if not self.cubes:
            return never
        texts = []
        for cube in self.cubes:
            items = [part(q, v) for q, v in cube[0]] + [part(a, None) for a in cube[1]]
            t = conj.join(items)
            texts.append(f"({t})" if len(items) > 1 and len(self.cubes) > 1 else t)
        return disj.join(texts)

    @property
    def size(self) -> int:
        """How many relations the explicit form writes (a chain ``0 < beta < 1`` counts once)."""
        return sum(_size(c) for c in self.cubes)


# -- domains ----------------------------------------------------------------------------------------
def domains_of(conditions) -> dict:
    """``{symbol: set}`` from domain conditions (``Contains(alpha, [0, 1])``, ``r > 0``).

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", real=True)
    >>> domains_of([sp.Contains(a, sp.Interval(0, 1)), r > 0])
    {alpha: Interval(0, 1), r: Interval.open(0, oo)}
    """
    out: dict = {}
    for c in conditions:
        c = as_sympy(c)
        for part in conjuncts(c):
            if isinstance(part, sp.Contains) and isinstance(part.args[1], sp.Interval) \
                    and part.args[0].is_Symbol:
                sym, values = part.args
            elif isinstance(part, _INEQ) and len(part.free_symbols) == 1:
                read = _rel._as_set(part)
                if read is None or not read[0].is_Symbol:
                    continue
                sym, values = read
            else:
                continue
            out[sym] = out[sym].intersect(values) if sym in out else values
    return out


def _domain(q, doms):
    if q in doms:
        return doms[q]
    if q.is_positive:
        return Span.POSITIVE
    if q.is_nonnegative:
        return Span.NONNEGATIVE
    if q.is_negative:
        return Span.NEGATIVE
    return Span.REALS


_FLIPPED = {sp.Lt: sp.Gt, sp.Gt: sp.Lt, sp.Le: sp.Ge, sp.Ge: sp.Le, sp.Eq: sp.Eq, sp.Ne: sp.Ne}


@memo(8192)
def _normal(rel):
    """``rel`` with factors of known sign divided out of its difference; ``true`` or ``false`` where
    that decides it (``r (g - 1) >= 0`` with r > 0 is ``g >= 1``; ``a (a - g r)**2 < 0`` with a > 0
    is false; ``(a - b)**2 > 0`` is ``a != b``)."""
    num, den = sp.fraction(sp.together(rel.lhs - rel.rhs))
    if sp.count_ops(num) <= 60:
        num = sp.factor(num)
    if not isinstance(num, (sp.Mul, sp.Pow)):
        return rel
    factors = sp.Mul.make_args(num)
    keep = [f for f in factors if not (f.is_positive or f.is_negative)]
    op = _FLIPPED[type(rel)] if sum(1 for f in factors if f.is_negative) % 2 else type(rel)
    if len(keep) == 1 and isinstance(keep[0], sp.Pow) and keep[0].exp.is_even and keep[0].base.is_real \
            and den.is_positive:
        base = keep[0].base  # base**(2k) op 0
        out = {sp.Lt: sp.false, sp.Ge: sp.true, sp.Le: sp.Eq(base, 0), sp.Eq: sp.Eq(base, 0),
               sp.Gt: sp.Ne(base, 0), sp.Ne: sp.Ne(base, 0)}[op]
        return out if out in (sp.true, sp.false) else _normal(out)
    if len(keep) == len(factors) or not keep:
        return rel
    return op(sp.Mul(*keep) / den, 0)


@memo(8192)
def _read(rel):
    """``(q, span)`` with ``rel`` (a relation as :func:`_normal` leaves it) equivalent to ``q in span``,
    or None."""
    read = _rel._as_set(rel)
    if read is None:
        return None
    q, values = read
    if not q.is_Symbol and len(q.free_symbols) == 1 and q.is_polynomial():
        # a polynomial in one parameter (beta**2 - beta < 0): the set of that parameter, from the
        # polynomial's real roots (exact for rational roots; others are left as they are)
        (sym,) = q.free_symbols
        try:
            on_sym = Span.from_sympy(sp.solveset(rel, sym, sp.S.Reals))
        except (NotImplementedError, TypeError, ValueError):
            on_sym = None
        if on_sym is not None:
            return sym, on_sym
    span = Span.from_sympy(values)
    return None if span is None else (q, span)


# -- the decision ------------------------------------------------------------------------------------
def canonical(cond, doms=None, before=()) -> Condition:
    """The canonical form of ``cond`` and none of ``before``, on the domains ``doms`` ({symbol: set}).

    Examples
    --------
    >>> g, r = sp.symbols("g r", positive=True)
    >>> b = sp.Symbol("beta", real=True)
    >>> doms = {b: sp.Interval(0, 1), g: sp.Interval.open(0, sp.oo), r: sp.Interval.open(0, sp.oo)}
    >>> first = sp.Eq(b, 0) & sp.Eq(g * r, 1)
    >>> canonical(g * r > 1, doms, [first]).text()  # g r > 1 is disjoint from the first case
    'g*r > 1'
    >>> canonical((g * r >= 1) & (g * r > 1) & sp.Ne(g * r, 1)).latex()
    'g r > 1'
    >>> canonical(sp.Eq(r, 1) & (g < 1) & sp.Ne(g * r, 1), doms).text()  # r = 1: g r != 1 is g != 1
    'r = 1 and g < 1'
    """
    spans = {}
    for sym, values in (doms or {}).items():
        span = Span.from_sympy(values)
        if span is not None:
            spans[sym] = span
    key = (as_sympy(cond), tuple(as_sympy(b) for b in before), tuple(spans.items()))
    return _canonical(*key)


@memo(2048)
def _canonical(cond, before, dom_items):
    doms = dict(dom_items)
    whole = sp.And(cond, *[sp.Not(b) for b in before])
    merged = _rel._merged(whole)
    literals = _dnf(merged, doms) if len(merged.atoms(*_INEQ)) <= MAX_ATOMS else None
    if literals is None:  # too many alternatives: the relations' own simplification, as it is
        simple = merged  # negations taken into the relations, relations on one quantity merged
        if simple in (sp.true, sp.false):
            return Condition((), simple)
        return Condition((((), tuple(conjuncts(simple))),), simple)
    cubes = [c for c in (_cube(lits, doms) for lits in literals) if c is not None]
    cubes = _reduce([c for c in cubes if not _empty(_literals(c, doms), doms)], doms)
    if any(not sets and not other for sets, other in cubes):
        return Condition((), sp.true)
    order = {s: i for i, s in enumerate(doms)}
    written = []
    for sets, other in (_ordered(c, order) for c in cubes):
        rels = tuple((q, _written(q, v, _domain(q, doms))) for q, v in sets)
        written.append((tuple(x for x in rels if x[1]), other))
    written = tuple(sorted(written, key=lambda c: (_size(c), str(c))))
    expr = sp.Or(*[sp.And(*[_condtext.readable(r) for _q, rs in sets for r in rs], *other)
                   for sets, other in written])
    return Condition(written, expr)


def _ordered(cube, order):
    """Parameters fixed to a value first, then the parameters' other sets (in the domains' order),
    then relations between parameters."""
    sets, other = cube
    single = sorted((x for x in sets if x[0] in order),
                    key=lambda x: (x[1].only_point() is None, order[x[0]]))
    rest = sorted((x for x in sets if x[0] not in order), key=lambda x: sp.default_sort_key(x[0]))
    return tuple(single + rest), tuple(sorted(other, key=sp.default_sort_key))


def _size(cube):
    return len(cube[0]) + len(cube[1]) + sum(max(0, len(rs) - 1) for q, rs in cube[0] if not q.is_Symbol)


def _dnf(cond, doms):
    """``cond`` (negations inside relations) as a list of conjunctions of literals; None if too many."""
    if cond is sp.true:
        return [()]
    if cond is sp.false:
        return []
    if isinstance(cond, sp.Or):
        out = []
        for a in cond.args:
            part = _dnf(a, doms)
            if part is None:
                return None
            out += part
        return out if len(out) <= MAX_CUBES else None
    if isinstance(cond, sp.And):
        out = [()]
        for a in cond.args:
            part = _dnf(a, doms)
            if part is None:
                return None
            # a product kept small: conjunctions found empty are dropped at once
            out = [x + y for x in out for y in part]
            out = [c for c in out if _cube(c, doms) is not None]
            if len(out) > MAX_CUBES:
                return None
        return out
    return [(cond,)]


def _at(lit, subs):
    """``lit`` with the fixed parameters put in; ``lit`` itself where that leaves no number (a
    denominator vanishing there: zoo), so that nothing is decided from it."""
    try:
        a = lit.xreplace(subs)
    except TypeError:  # SymPy cannot compare what the substitution made (zoo)
        return lit
    return lit if a.has(sp.zoo, sp.nan) else a


@memo(8192)
def _cube_cached(literals, dom_items):
    doms = dict(dom_items)
    subs: dict = {}
    while True:
        sets: dict = {}
        other = set()
        for lit in literals:
            a = _at(lit, subs) if subs else lit
            if a is sp.true:
                continue
            if a is sp.false:
                return None
            if isinstance(a, _INEQ):
                a = _normal(a)
                if a is sp.true:
                    continue
                if a is sp.false:
                    return None
            read = _read(a) if isinstance(a, _INEQ) else None
            if read is None:
                other.add(a)
                continue
            q, values = read
            sets[q] = (sets[q] if q in sets else _domain(q, doms)) & values
            if sets[q].empty:
                return None
        for q, p in subs.items():
            at = _domain(q, doms) & Span.point(p)
            if at.empty:
                return None
            sets[q] = at
        fixed = {q: v.only_point() for q, v in sets.items()
                 if q.is_Symbol and v.only_point() is not None and q not in subs}
        if not fixed:
            break
        subs.update(fixed)
    kept = tuple(sorted(((q, v) for q, v in sets.items() if v != _domain(q, doms)),
                        key=lambda x: sp.default_sort_key(x[0])))
    return kept, frozenset(other)


def _cube(literals, doms):
    """The cube of a conjunction of literals (quantity sets, other relations); None where it is empty."""
    return _cube_cached(frozenset(literals), tuple(doms.items()))  # the order of a conjunction is no matter


def _empty(literals, doms, depth=0) -> bool:
    """Whether the conjunction of ``literals`` is shown empty: by :func:`_cube`, or after solving an
    equality of several parameters (``g r = 1``) for one of them and putting the solution into the
    rest, with that parameter's domain (``g = 1/r``: ``g < 1`` becomes ``r > 1``)."""
    # the covering search asks the same question many times (a breakeven of endogenous progress: 195
    # conjunctions in 3501 calls, each a substitution into relations with logarithms)
    return _empty_cached(frozenset(literals), tuple(doms.items()), depth)


@memo(8192)
def _empty_cached(literals, dom_items, depth) -> bool:
    doms = dict(dom_items)
    literals = tuple(sorted(literals, key=sp.default_sort_key))
    cube = _cube(literals, doms)
    if cube is None:
        return True
    if depth > 3:
        return False
    for q, v in cube[0]:
        at = v.only_point()
        if at is None or q.is_Symbol:
            continue
        for sym in sorted(q.free_symbols, key=str):
            sol = _solved(q - at, sym)
            if sol is None:
                continue
            dom = _domain(sym, doms)
            inside = [r.xreplace({sym: sol}) for r in _written(sym, dom, Span.REALS)]
            rest = tuple(x.xreplace({sym: sol}) for x in literals)
            if any(x is sp.false for x in rest + tuple(inside)):
                return True
            keep = tuple(x for x in rest + tuple(inside) if x is not sp.true)
            return _empty(keep, doms, depth + 1)
    return False


@memo(4096)
def _solved(expr, sym):
    """``sym`` from ``expr = 0`` where it is linear in ``sym`` with a coefficient of known sign; else None."""
    expr = sp.expand(expr)
    if not expr.is_polynomial(sym) or sp.degree(expr, sym) != 1:
        return None
    k, rest = expr.coeff(sym, 1), expr.coeff(sym, 0)
    if not (k.is_positive or k.is_negative):
        return None
    return -rest / k


def _literals(cube, doms):
    """A cube written as relations again."""
    return _literals_cached(cube, tuple(doms.items()))


@memo(8192)
def _literals_cached(cube, dom_items):
    doms = dict(dom_items)
    sets, other = cube
    out = []
    for q, v in sets:
        out += list(_written(q, v, _domain(q, doms)))
    return tuple(out) + tuple(other)


@memo(8192)
def _negations(rel, dom_items):
    """The conjunctions of literals whose union is the negation of ``rel``; None if too many."""
    neg = rel.negated if isinstance(rel, _INEQ) else sp.Not(rel)
    return _dnf(_rel._merged(neg), dict(dom_items))


def _merge(a, b):
    """One cube for ``a or b`` where they differ in the set of one quantity only; else None."""
    if a[1] != b[1]:
        return None
    da, db = dict(a[0]), dict(b[0])
    if set(da) != set(db):
        return None
    differ = [q for q in da if da[q] != db[q]]
    if len(differ) != 1:
        return None
    q = differ[0]
    merged = dict(da)
    merged[q] = da[q] | db[q]
    return tuple(sorted(merged.items(), key=lambda x: sp.default_sort_key(x[0]))), a[1]


def _reduce(cubes, doms):
    """Cubes without one inside the union of the others, each relation left out where the cube
    without it stays inside the union (``x = c or (x != c and B)`` is ``x = c or B``), and cubes
    merged where they differ in the set of one quantity. Each step keeps the union exactly."""
    cubes = list(dict.fromkeys(cubes))
    _BUDGET.left = COVER_STEPS
    changed = True
    while changed:
        small = len(cubes) <= MAX_REDUCE[0] and sum(len(c[0]) + len(c[1]) for c in cubes) <= MAX_REDUCE[1]
        changed = (small and (_drop_covered(cubes, doms) or _widen(cubes, doms))) or _merge_any(cubes, doms)
    return cubes


def _covered(lits, cubes, doms) -> bool:
    """Whether the conjunction ``lits`` is shown to lie inside the union of ``cubes``.

    Depth first: ``lits`` and not the first cube is the union, over that cube's relations, of
    ``lits`` and the relation's negation; each part must lie inside the other cubes. The first
    part shown not to stops the search.
    """
    lits = tuple(lits)
    if _cube(lits, doms) is None:
        return True
    _BUDGET.left = getattr(_BUDGET, "left", COVER_STEPS) - 1
    if _BUDGET.left < 0:  # the search is too long: not shown covered (the condition stays longer)
        return False
    if not cubes:
        return _empty(lits, doms)
    items = tuple(doms.items())
    for rel in _literals(cubes[0], doms):
        for part in _negations(rel, items) or [None]:
            if part is None or not _covered(lits + tuple(part), cubes[1:], doms):
                return False
    return True


def _drop_covered(cubes, doms) -> bool:
    for i, c in enumerate(cubes):
        if _covered(_literals(c, doms), cubes[:i] + cubes[i + 1:], doms):
            del cubes[i]
            return True
    return False


def _widen(cubes, doms) -> bool:
    for i, c in enumerate(cubes):
        lits = _literals(c, doms)
        for j in range(len(lits)):
            fewer = lits[:j] + lits[j + 1:]
            if _covered(fewer, cubes, doms):
                wider = _cube(fewer, doms)
                if wider is not None and wider != c:
                    cubes[i] = wider
                    return True
    return False


def _merge_any(cubes, doms) -> bool:
    for i in range(len(cubes)):
        for j in range(i + 1, len(cubes)):
            m = _merge(cubes[i], cubes[j])
            if m is not None:
                cubes[j] = (tuple((q, v) for q, v in m[0] if v != _domain(q, doms)), m[1])
                del cubes[i]
                return True
    return False


# -- writing -------------------------------------------------------------------------------------------
@memo(8192)
def _written(q, values, domain):
    """A tuple of relations ``q op number`` for ``q in values`` (spans, ``values`` within ``domain``):
    the bounds of an interval, ``q != c`` for points missing from the domain, ``q = c`` for points."""
    if len(values.parts) == 1:
        (lo, lc, hi, hc), = values.parts
        if lo == hi:
            return (sp.Eq(q, values.only_point()),)
        dlo, dlc, dhi, dhc = domain.parts[0] if len(domain.parts) == 1 else (None, None, None, None)
        out = []
        if (lo, lc) != (dlo, dlc) and lo != -INF:
            out.append((sp.Ge if lc else sp.Gt)(q, _sym_num(lo)))
        if (hi, hc) != (dhi, dhc) and hi != INF:
            out.append((sp.Le if hc else sp.Lt)(q, _sym_num(hi)))
        if len(domain.parts) == 1:
            return tuple(out)
    points = (domain & values.complement()).points()
    if points:
        return tuple(sp.Ne(q, p) for p in points)
    if values.points():
        return (sp.Or(*[sp.Eq(q, p) for p in values.points()]),)
    alternatives = [sp.And(*_written(q, Span((part,)), Span.REALS)) for part in values.parts]
    return (sp.Or(*alternatives),)


# -- the cases of a result -------------------------------------------------------------------------------
def case_conditions(pieces, doms=None) -> tuple:
    """The canonical condition of each case of ``pieces`` (``[(value, condition), ...]`` in Piecewise
    order: each case holds where none before it does); the last reads "otherwise" where its explicit
    form is longer than every other.

    Examples
    --------
    >>> g, r = sp.symbols("g r", positive=True)
    >>> b = sp.Symbol("beta", real=True)
    >>> doms = {r: sp.Interval.open(0, sp.oo), g: sp.Interval.open(0, sp.oo), b: sp.Interval(0, 1)}
    >>> conds = case_conditions([(1, sp.Eq(b, 0) & sp.Eq(g * r, 1)), (2, g * r > 1), (3, sp.true)], doms)
    >>> [c.text() for c in conds]
    ['beta = 0 and g*r = 1', 'g*r > 1', 'otherwise']
    >>> conds[-1].expr  # the explicit form, kept
    (g*r < 1) | ((beta > 0) & (g*r <= 1))
    """
    out, before = [], []
    for _value, cond in pieces:
        out.append(canonical(cond, doms, before))
        before.append(as_sympy(cond))
    if len(out) > 1:
        last = out[-1]
        if last.expr is not sp.true and last.size > max(c.size for c in out[:-1]):
            out[-1] = Condition(last.cubes, last.expr, True)
        elif last.expr is sp.true:
            out[-1] = Condition.otherwise_of(sp.true)
    return tuple(out)
