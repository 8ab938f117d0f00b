"""How a canonical condition reads: text and LaTeX of one quantity's relations.

``alpha - r < 0`` reads ``alpha < r``, ``g*r*(beta - 1) = -1`` reads ``g r (1 - beta) = 1``,
and a parameter between two bounds reads as a chain, ``0 < beta < 1``.
"""

from __future__ import annotations

import sympy as sp

from .sym import conjuncts
from .sym import latex as _latex

_INEQ = (sp.Lt, sp.Le, sp.Gt, sp.Ge, sp.Eq, sp.Ne)


def _shown(q, at):
    """``(lhs, rhs, flip)``: ``q op at`` as a person writes it (``alpha < r``, ``g r (1 - beta) = 1``)."""
    if at == 0 and isinstance(q, sp.Add):
        pos = [t for t in q.args if not t.could_extract_minus_sign()]
        neg = [-t for t in q.args if t.could_extract_minus_sign()]
        if pos and neg:
            return sp.Add(*pos), sp.Add(*neg), False
    if isinstance(q, sp.Add):
        f = sp.factor(q)
        if sp.count_ops(f) < sp.count_ops(q):
            q = f
    if at.is_negative or (q.could_extract_minus_sign() and at != 0):
        return _negated(q), -at, True
    return q, at, False


def _negated(q):
    """``-q`` with the sign taken into a sum it multiplies (``g r (1 - beta)`` for ``g r (beta - 1)``)."""
    if isinstance(q, sp.Mul):
        factors = list(q.args)
        for i, f in enumerate(factors):
            if isinstance(f, sp.Add):  # that factor only (xreplace would also change it in an exponent)
                factors[i] = -f
                return sp.Mul(*factors)
    return -q


_OPS = {sp.Lt: "<", sp.Le: "<=", sp.Gt: ">", sp.Ge: ">=", sp.Eq: "=", sp.Ne: "!="}
_TEX = {"<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq", "=": "=", "!=": r"\neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _part(q, rels, show, ops, conj, disj):
    """One quantity's relations as text: a chain ``lo < q < hi`` for a parameter between two bounds."""
    if rels is None:  # a relation kept as it is
        return show(q)
    bounds = [r for r in rels if isinstance(r, (sp.Gt, sp.Ge, sp.Lt, sp.Le))]
    if q.is_Symbol and len(bounds) == 2 == len(rels) and type(bounds[0]) in (sp.Gt, sp.Ge) \
            and type(bounds[1]) in (sp.Lt, sp.Le):
        lo, hi = bounds
        lo_op = ops["<" if isinstance(lo, sp.Gt) else "<="]
        hi_op = ops["<" if isinstance(hi, sp.Lt) else "<="]
        return f"{show(lo.rhs)} {lo_op} {show(q)} {hi_op} {show(hi.rhs)}"
    texts = []
    for r in rels:
        if isinstance(r, _INEQ) and r.lhs == q and r.rhs.is_number:
            lhs, rhs, flip = _shown(q, r.rhs)
            op = _OPS[type(r)]
            texts.append(f"{show(lhs)} {ops[_FLIP[op] if flip else op]} {show(rhs)}")
        elif isinstance(r, sp.Or):
            texts.append(disj.join(_part(q, conjuncts(a), show, ops, conj, disj) for a in r.args))
        else:
            texts.append(show(r))
    return conj.join(texts)


_PLAIN = {op: op for op in _FLIP}


def text_part(q, rels):
    return _part(q, rels, sp.sstr, _PLAIN, " and ", " or ")


def latex_part(q, rels):
    return _part(q, rels, _latex, _TEX, r" \text{ and } ", r" \text{ or } ")


def readable(rel):
    """The relation ``q op number`` as a person writes it, as SymPy: ``Eq(alpha - r, 0)`` is
    ``Eq(alpha, r)``, ``Eq(g*r*(beta - 1), -1)`` is ``Eq(g*r*(1 - beta), 1)``.

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> readable(sp.Eq(a - r, 0)), readable(a - r < 0)
    (Eq(alpha, r), alpha < r)
    """
    if not isinstance(rel, _INEQ) or not rel.rhs.is_number:
        return rel
    lhs, rhs, flip = _shown(rel.lhs, rel.rhs)
    op = _OPS[type(rel)]
    op = _FLIP[op] if flip else op
    return {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "=": sp.Eq, "!=": sp.Ne}[op](lhs, rhs)
