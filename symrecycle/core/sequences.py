"""Sequences of a model and the order they are computed in.

A :class:`SequenceDef` is a sequence's initial values and its next term,
written with indexed references: ``A[n-1]``, ``A[n-2]`` (its own earlier
terms), ``C[n]`` or ``K[n-1]`` (other sequences). A sequence of order k (its
next term reaches back to ``A[n-k]``) has k initial values, at ``start``, ...,
``start + k - 1``. :func:`step_order` gives the order in which the sequences
are computed at one index (each after those it uses at that same index), and
:func:`plan` rewrites every reference as a lag, for the iterators.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .params import n as N

__all__ = [
    "SequenceDef", "seq", "references", "step_order", "plan", "Plan", "uses", "loop_through", "coupled",
]


def seq(name: str) -> sp.IndexedBase:
    """The indexed symbol of a sequence, for writing ``A[n-1]``.

    Examples
    --------
    >>> seq("A")[N - 1]
    A[n - 1]
    """
    return sp.IndexedBase(name)


@dataclass(frozen=True)
class SequenceDef:
    """One sequence: ``X[start] = initial`` (then ``later`` for the next indices), ``X[n] = next`` after them.

    Examples
    --------
    >>> import sympy as sp
    >>> c = SequenceDef("C", sp.Symbol("C1"), sp.Symbol("r") * seq("C")[N - 1], "real compute")
    >>> c.initial, c.next.subs(N, 3), c.order
    (C1, r*C[2], 1)
    >>> fib = SequenceDef("F", sp.Integer(1), seq("F")[N - 1] + seq("F")[N - 2], later=(sp.Integer(1),))
    >>> fib.initials, fib.order
    ((1, 1), 2)
    """

    name: str
    initial: sp.Expr
    next: sp.Expr
    description: str = ""
    #: the initial values after the first, for a sequence of order k > 1 (at start + 1, ..., start + k - 1)
    later: tuple = ()

    @property
    def initials(self) -> tuple:
        return (self.initial, *self.later)

    @property
    def order(self) -> int:
        """How many initial values the sequence has: the deepest lag of itself its next term uses."""
        return len(self.initials)


def references(expr, at):
    """``[(name, lag)]`` of the indexed references in ``expr`` at index ``at`` (the symbol n or a number).

    The lag of ``X[i]`` is ``at - i``; ``None`` where it is not an integer.

    Examples
    --------
    >>> references(seq("A")[N - 2] + seq("C")[N], N)
    [('A', 2), ('C', 0)]
    >>> references(seq("C")[1], 3)
    [('C', 2)]
    """
    out = []
    for ref in sorted(expr.atoms(sp.Indexed), key=str):
        lag = sp.expand(at - ref.indices[0]) if len(ref.indices) == 1 else None
        out.append((ref.base.label.name, int(lag) if lag is not None and lag.is_Integer else None))
    return out


def step_order(sequences, start=1) -> list:
    """The names of ``sequences`` in an order where each comes after those it uses at the same index.

    File order where it allows; ``ValueError`` naming the loop where sequences
    use each other at the same index.

    Examples
    --------
    >>> import sympy as sp
    >>> k = SequenceDef("K", sp.Integer(0), seq("K")[N - 1] + seq("A")[N])
    >>> a = SequenceDef("A", sp.Integer(1), 2 * seq("A")[N - 1])
    >>> step_order([k, a])
    ['A', 'K']
    """
    names = [s.name for s in sequences]
    uses = {}
    for s in sequences:
        same = {nm for nm, lag in references(s.next, N) if lag == 0}
        for i, e in enumerate(s.initials):
            same |= {nm for nm, lag in references(e.subs(N, start + i), start + i) if lag == 0}
        uses[s.name] = [nm for nm in names if nm in same and nm != s.name]
    done, out = set(), []

    def visit(nm, path):
        if nm in done:
            return
        if nm in path:
            loop = [*path[path.index(nm):], nm]
            raise ValueError(
                "sequences " + " and ".join(sorted(set(loop))) + " use each other at the same index ("
                + " uses ".join(f"{x}[n]" for x in loop) + "): one of them must use the other at n-1")
        for dep in uses[nm]:
            visit(dep, [*path, nm])
        done.add(nm)
        out.append(nm)

    for nm in names:
        visit(nm, [])
    return out


def lag_symbol(name: str, lag: int) -> sp.Symbol:
    """The symbol that stands for ``name`` at ``lag`` iterations back in a :class:`Plan`.

    Examples
    --------
    >>> lag_symbol("A", 2)
    A__2
    """
    return sp.Symbol(f"{name}__{lag}")


@dataclass(frozen=True)
class Plan:
    """The sequences rewritten for iteration: every reference a lag symbol ``X__j`` (X at index k - j)."""

    order: tuple
    depth: int
    symbols: tuple
    initials: dict
    next: dict

    def back(self, ref, name, lag) -> int:
        """How far back in ``ref``'s values so far its value at lag ``lag`` lies, while ``name`` is computed.

        ``ref``'s last value is at this index once ``ref`` comes before ``name`` in :attr:`order`,
        else at the index before.
        """
        return lag if self.order.index(ref) < self.order.index(name) else lag - 1


def plan(sequences, start=1) -> Plan:
    """The iteration plan of ``sequences``: :func:`step_order`, and each expression in lag symbols.

    ``symbols`` lists ``(name, lag)`` for every sequence and every lag from 0
    to ``depth`` (the deepest lag used anywhere): the arguments of a compiled step.

    Examples
    --------
    >>> import sympy as sp
    >>> fib = SequenceDef("F", sp.Integer(1), seq("F")[N - 1] + seq("F")[N - 2], later=(sp.Integer(1),))
    >>> p = plan([fib])
    >>> p.depth, p.next["F"], p.initials["F"]
    (2, F__1 + F__2, (1, 1))
    """
    order = tuple(step_order(sequences, start))
    depth = 1
    for s in sequences:
        lags = [lag for _, lag in references(s.next, N)]
        for i, e in enumerate(s.initials):
            lags += [lag for _, lag in references(e.subs(N, start + i), start + i)]
        depth = max([depth, *[lag for lag in lags if lag is not None]])

    def rewrite(expr, at):
        return expr.replace(lambda e: isinstance(e, sp.Indexed),
                            lambda e: lag_symbol(e.base.label.name, int(sp.expand(at - e.indices[0]))))

    initials = {s.name: tuple(rewrite(e.subs(N, start + i), start + i) for i, e in enumerate(s.initials))
                for s in sequences}
    nxt = {s.name: rewrite(s.next, N) for s in sequences}
    symbols = tuple((s.name, lag) for s in sequences for lag in range(depth + 1))
    return Plan(order, depth, symbols, initials, nxt)


def uses(sequences, name) -> list:
    """The other sequences that ``name``'s next term or initial values use, at any index.

    Examples
    --------
    >>> import sympy as sp
    >>> a = SequenceDef("A", sp.Integer(1), seq("A")[N - 1] + seq("K")[N - 1])
    >>> k = SequenceDef("K", sp.Integer(0), seq("A")[N - 1])
    >>> uses([a, k], "A")
    ['K']
    """
    sdef = next(s for s in sequences if s.name == name)
    used = {ref for e in (*sdef.initials, sdef.next) for ref, _ in references(e, N)}
    return [s.name for s in sequences if s.name in used and s.name != name]


def loop_through(sequences, name) -> list:
    """A loop of sequences that use one another, through ``name`` (``[]``: none), from its first name.

    Examples
    --------
    >>> import sympy as sp
    >>> a = SequenceDef("A", sp.Integer(1), seq("A")[N - 1] + seq("K")[N - 1])
    >>> k = SequenceDef("K", sp.Integer(0), seq("A")[N - 1])
    >>> loop_through([a, k], "K"), loop_through([a], "A")
    (['A', 'K', 'A'], [])
    """
    def walk(path):
        for dep in uses(sequences, path[-1]):
            if dep == name:
                return [*path, dep]
            if dep not in path and (found := walk([*path, dep])):
                return found
        return []

    loop = walk([name])[:-1]
    if not loop:
        return []
    first = loop.index(min(loop))  # one wording for the loop, from whichever sequence it is met
    loop = loop[first:] + loop[:first]
    return [*loop, loop[0]]


def coupled(sequences, name) -> set:
    """The sequences that ``name`` uses and that use ``name`` back, through any chain (with ``name``).

    Examples
    --------
    >>> import sympy as sp
    >>> a = SequenceDef("A", sp.Integer(1), seq("A")[N - 1] + seq("K")[N - 1] + seq("C")[N])
    >>> k = SequenceDef("K", sp.Integer(0), seq("A")[N - 1])
    >>> c = SequenceDef("C", sp.Integer(1), seq("C")[N - 1])
    >>> sorted(coupled([a, k, c], "K"))
    ['A', 'K']
    """
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for dep in uses(sequences, todo.pop()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    down = reach(name)
    return {name} | {s for s in down if name in reach(s)}
