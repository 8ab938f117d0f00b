"""The recurrences of a model's sequences beyond first order: order k, and linear systems.

:meth:`Model.recurrence <symrecycle.models.model.Model.recurrence>` hands a
sequence here when its next term reaches further back than one iteration
(:func:`higher_recurrence`) or when it belongs to a loop of sequences that
feed each other (:func:`system_recurrence`); both return a
:class:`~symrecycle.solve.higher.HigherRecurrence`, or refuse by name.
"""

from __future__ import annotations

import sympy as sp

from ..core import sym as _sym
from ..core.params import n as N
from ..core.results import NoClosedForm, NotDerived
from ..core.sequences import coupled, references, seq, uses
from ..solve.higher import HigherRecurrence, check_solvable, system_component
from ..solve.recurrence import VariableRecurrence, check_size
from . import checks

__all__ = ["higher_recurrence", "system_recurrence", "unrolled", "metric_recurrence"]


def system_recurrence(model, name, loop, members=None):
    """A sequence of a linear system ``X_n = M X_{n-1} + F(n)``: one component, of order k.

    ``members``: the sequences of the system, by default those of ``name``'s loop.
    A sequence fed by a system whose closed form oscillates (sines, sums over
    roots) is solved with that system as one larger system, whose
    characteristic polynomial has its roots and its own.
    """
    group = coupled(model.sequences, name) if members is None else set(members)
    members = [s.name for s in model.sequences if s.name in group]
    coupled_text = ("the sequences " + ", ".join(members) + " feed each other (" + " uses ".join(loop)
                    + "): a coupled system")
    held = {m: sp.Dummy(m) for m in members}
    others = {o for m in members for o in uses(model.sequences, m)} - set(members)
    used = {o: model.solve(o).expr for o in others}
    rows, forcing, initial = [], [], {}
    for m in members:
        sdef = next(s for s in model.sequences if s.name == m)
        check_size(sdef.next, f"recurrence for {m}: the next term")
        bad = [f"{r}[n-{lag}]" for r, lag in references(sdef.next, N) if r in members and lag != 1]
        if sdef.order > 1 or bad:
            raise NoClosedForm(model._no_closed_form(
                f"{coupled_text}, with {', '.join(bad) or 'a member of order > 1'}: a system is solved "
                "where its members use each other at n-1 only"))
        nxt = sp.expand(sdef.next.replace(
            lambda e: isinstance(e, sp.Indexed) and e.base.label.name in members,
            lambda e: held[e.base.label.name]))
        row = [nxt.coeff(held[x], 1) for x in members]
        rest = sp.expand(nxt - sum((c * held[x] for c, x in zip(row, members)), sp.Integer(0)))
        if any(c.has(N, *held.values(), sp.Indexed) for c in row) or rest.has(*held.values()):
            raise NoClosedForm(model._no_closed_form(
                f"{coupled_text}, and {m}'s next term is not linear with constant coefficients in them"))
        rows.append(row)
        forcing.append(rest.replace(lambda e: isinstance(e, sp.Indexed),
                                    lambda e: used[e.base.label.name].subs(N, e.indices[0])))
    for m in model.iteration_plan.order:  # the first values, in the order one index is computed
        if m in members:
            e = next(s for s in model.sequences if s.name == m).initial.subs(N, model.start)
            initial[m] = e.replace(
                lambda x: isinstance(x, sp.Indexed),
                lambda x: initial[x.base.label.name] if x.base.label.name in members
                else used[x.base.label.name].subs(N, x.indices[0]))
    rec = system_component(rows, forcing, [initial[m] for m in members], members.index(name),
                           model.start, name)
    check_solvable(rec.coefficients, name, model.parameters)  # refuses here roots it cannot yet write
    return rec


def oscillating_inputs(model, name, used):
    """The system members among the sequences ``name`` uses whose closed forms oscillate, with their loops.

    A closed form oscillates where it has sines or sums over roots in n: the
    first-order solver takes exponential polynomials only, so ``name`` is then
    solved in one system with them (:func:`system_recurrence`). ``[]`` where
    none does. A sequence of order 2 or more that oscillates is refused by
    name (a system is solved where its members use each other at n-1).
    """
    out = set()
    for other, expr in used.items():
        if not (expr.has(sp.RootSum) or any(f.has(N) for f in expr.atoms(sp.sin, sp.cos))):
            continue
        group = coupled(model.sequences, other)
        sdef = next(s for s in model.sequences if s.name == other)
        if not group or sdef.order > 1:
            raise NoClosedForm(model._no_closed_form(
                f"{name} uses {other}, whose closed form oscillates (sines or sums over roots), and "
                f"{other} is of order {sdef.order}: a sequence fed by an oscillating one is solved where "
                "that one is a member of a linear system"))
        out |= group | {other}
    return sorted(out)


def higher_recurrence(model, sdef, used):
    """Order k: ``X_n = sum_j a_j X_{n-j} + f(n)``, the a_j free of n, other sequences solved."""
    k, own = sdef.order, seq(sdef.name)
    check_size(sdef.next, f"recurrence for {sdef.name}: the next term")
    lags = {own[N - j]: sp.Dummy(f"lag{j}") for j in range(1, k + 1)}
    nxt = sp.expand(sdef.next.xreplace(lags))
    coefficients = tuple(nxt.coeff(lags[own[N - j]], 1) for j in range(1, k + 1))
    rest = sp.expand(nxt - sum((c * lags[own[N - j]] for j, c in enumerate(coefficients, 1)),
                               sp.Integer(0)))
    varying = any(c.has(N, *lags.values()) or c.has(sp.Indexed) for c in coefficients)
    if varying or rest.has(*lags.values()):
        raise NotDerived(f"model {model.name!r}: the recurrence of {sdef.name} is not linear with "
                         "constant coefficients in its earlier terms")

    def sub(e):
        return used[e.base.label.name].subs(N, e.indices[0])

    rest = rest.replace(lambda e: isinstance(e, sp.Indexed), sub)
    initials = []
    for i, e in enumerate(sdef.initials):  # own earlier values, then the other sequences at that index
        e = e.subs(N, model.start + i).xreplace({own[model.start + m]: v for m, v in enumerate(initials)})
        initials.append(e.replace(lambda x: isinstance(x, sp.Indexed), sub))
    rec = HigherRecurrence(coefficients, rest, tuple(initials), model.start, sdef.name)
    check_solvable(coefficients, sdef.name, model.parameters)  # refuses here roots it cannot yet write
    return rec


def unrolled(model, met):
    """The sequences of metric ``met`` solved by unrolling (a coefficient that depends on n)."""
    refs = {e.base.label.name for e in met.expr.atoms(sp.Indexed)}
    return [s.name for s in model.sequences
            if s.name in refs and isinstance(model.recurrence(s.name), VariableRecurrence)]


def metric_recurrence(model, met):
    r"""``(q_n, h_n, M_start, checked)``: the metric's own recurrence ``M_n = q_n M_{n-1} + h_n``.

    For a metric ``M_n = u_n X_n + v_n`` linear in the one sequence X
    solved as an unrolled ``Sum`` (``X_n = a_n X_{n-1} + f_n``):
    ``q_n = a_n u_n / u_{n-1}`` and ``h_n = u_n f_n + v_n - q_n v_{n-1}``.
    ``checked``: the recurrence holds on exact iteration of the model (n = start..start+4).
    """
    names = unrolled(model, met)
    if len(names) != 1:
        raise NotDerived(
            f"model {model.name!r}: the limit of metric {met.name!r} is derived for a metric linear "
            "in one sequence with a coefficient that depends on n; it uses "
            f"{', '.join(names) or 'none'}"
        )
    (name,) = names
    x = sp.Dummy(name)

    def sub(e):
        if e.base.label.name == name:
            return x
        return model.solve(e.base.label.name).expr.subs(N, e.indices[0])

    expr = sp.piecewise_fold(met.expr.replace(lambda e: isinstance(e, sp.Indexed), sub))
    u = sp.simplify(sp.diff(expr, x))
    v = sp.simplify(expr - u * x)
    if expr.has(sp.Piecewise) or u.has(x) or v.has(x) or _sym.is_zero(u):
        raise NotDerived(
            f"model {model.name!r}: metric {met.name!r} is not linear in {name}[n] with coefficients "
            "free of cases; no limit derived"
        )
    rec = model.recurrence(name)
    q = sp.powsimp(sp.simplify(rec.a * u / u.subs(N, N - 1)))
    h = sp.simplify(u * rec.forcing + v - q * v.subs(N, N - 1))
    m0 = sp.simplify((u * rec.initial + v).subs(N, model.start))
    return q, h, m0, _check_metric_recurrence(model, met, q, h, m0)

def _check_metric_recurrence(model, met, q, h, m0):
    """``M_n = q_n M_{n-1} + h_n`` and ``M_start = m0`` against exact iteration of the model."""
    pts = checks.sample(model, sp.true, 2)
    for pt in pts:
        ms = checks.metric_exact_at(model, met.expr, pt, range(model.start, model.start + 5))
        if not _sym.is_zero(ms[0] - m0.subs(pt)):
            return False
        for k in range(1, len(ms)):
            step = (q * ms[k - 1] + h).subs(pt).subs(N, model.start + k)
            if not _sym.is_zero(ms[k] - step):
                return False
    return bool(pts)
