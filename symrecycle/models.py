"""Models: recurrences plus metrics, and the registry of the report's models.

A :class:`Model` is a list of first-order sequences, each an initial value and
a next term written with indexed references (``A[n-1]``, ``C[n]``), and the
metrics built from them (the benefit first). Nothing here states a closed
form: :meth:`Model.closed_form` asks the solver of
:mod:`symrecycle.recurrence`, and every later quantity is derived from it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from . import _sym, asymptotics, calculus
from ._texsafe import check_math
from .params import STANDARD, Parameter
from .params import n as N
from .recurrence import Recurrence, VariableRecurrence, linear
from .results import QUANTITIES, NotDerived, Result

__all__ = ["Model", "SequenceDef", "Metric", "kickstarting", "augmentation", "QUANTITIES"]



@dataclass(frozen=True)
class SequenceDef:
    """One sequence: ``X[start] = initial``, ``X[n] = next`` for n > start."""

    name: str
    initial: sp.Expr
    next: sp.Expr
    description: str = ""


@dataclass(frozen=True)
class Metric:
    """A quantity built from the sequences at index n (``A[n]/C[n]``)."""

    name: str
    expr: sp.Expr
    description: str = ""
    latex: str = ""

    def __post_init__(self):
        # the label is typeset in compiled documents: math only, never TeX code
        check_math(self.latex, f"metric {self.name}: latex")


def seq(name: str) -> sp.IndexedBase:
    """The indexed symbol of a sequence, for writing ``A[n-1]``."""
    return sp.IndexedBase(name)


@dataclass(frozen=True)
class Model:
    """A recycling model: parameters, sequences and metrics.

    Examples
    --------
    >>> m = kickstarting()
    >>> m.limit().expr
    Piecewise((r/(-alpha + r), alpha < r), (oo, True))
    """

    name: str
    description: str
    parameters: tuple
    sequences: tuple
    metrics: tuple
    adjusted: str = "A"
    start: int = 1
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        names = [s.name for s in self.sequences]
        if self.adjusted not in names:
            raise ValueError(f"model {self.name!r}: adjusted sequence {self.adjusted!r} not in {names}")
        if not self.metrics:
            raise ValueError(f"model {self.name!r}: at least one metric (the benefit) is needed")
        known = {p.symbol for p in self.parameters} | {N}
        for s in self.sequences:
            for e in (s.initial, s.next):
                extra = {x for x in e.free_symbols if not isinstance(x, sp.Indexed)} - known
                extra = {x for x in extra if not isinstance(x, sp.IndexedBase) and x.name not in names}
                if extra:
                    raise ValueError(
                        f"model {self.name!r}: sequence {s.name} uses unknown names "
                        f"{sorted(map(str, extra))}"
                    )
        # the iteration reads X[n] and X[n-1] in next terms, X[start] in initial
        # values and X[n] in metrics: refuse anything else rather than misread it
        allowed = {
            "next": {N, N - 1}, "initial": {sp.Integer(self.start)}, "metric": {N},
        }
        parts = [(f"sequence {s.name} ({k})", k, e) for s in self.sequences
                 for k, e in (("initial", s.initial), ("next", s.next))]
        parts += [(f"metric {m.name}", "metric", m.expr) for m in self.metrics]
        for where, kind, e in parts:
            for ref in e.atoms(sp.Indexed):
                if ref.base.label.name not in names:
                    raise ValueError(f"model {self.name!r}: {where} refers to unknown sequence {ref}")
                if len(ref.indices) != 1 or sp.expand(ref.indices[0]) not in allowed[kind]:
                    forms = ", ".join(sorted(f"{ref.base.label.name}[{i}]" for i in map(str, allowed[kind])))
                    raise ValueError(
                        f"model {self.name!r}: {where} uses {ref}; expected one of {forms}"
                    )

    # -- names --------------------------------------------------------------------
    @property
    def symbols(self) -> dict:
        """Parameter symbols by name, and ``"n"``."""
        out = {p.name: p.symbol for p in self.parameters}
        out["n"] = N
        return out

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters)
        raise ValueError(f"model {self.name!r} has no parameter {name!r}; its parameters: {known}")

    def metric(self, name: str | None = None) -> Metric:
        if name is None:
            return self.metrics[0]
        for m in self.metrics:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.metrics)
        raise ValueError(f"model {self.name!r} has no metric {name!r}; its metrics: {known}")

    def __repr__(self):
        params = ", ".join(f"{p.name} in {p.domain_text}" for p in self.parameters)
        return f"Model({self.name!r}: {params}; metrics {[m.name for m in self.metrics]})"

    def _repr_latex_(self):
        lines = []
        for s in self.sequences:
            x, x0 = sp.Symbol(f"{s.name}_n"), sp.Symbol(f"{s.name}_{self.start}")
            lines.append(
                f"{sp.latex(x0)} &= {sp.latex(_pretty(s.initial))}, \\quad "
                f"{sp.latex(x)} = {sp.latex(_pretty(s.next))}"
            )
        lines += [f"{m.latex or m.name} &= {sp.latex(_pretty(m.expr))}" for m in self.metrics]
        return "$$\\begin{aligned}" + r"\\".join(lines) + r"\end{aligned}$$"

    def _cached(self, key, make):
        if key not in self._cache:
            what = _QUANTITY_OF_KEY.get(key[0], key[0])
            try:
                self._cache[key] = make()
            except NotDerived as exc:
                if str(exc).startswith(f"model {self.name!r}"):
                    raise
                raise type(exc)(f"model {self.name!r}: {what} not derived: {exc}") from exc
            except _ENGINE_ERRORS as exc:
                # SymPy (or the engine) gave up inside the derivation: a limitation, said as one
                raise NotDerived(
                    f"model {self.name!r}: {what} not derived: {_step(exc)} raised "
                    f"{type(exc).__name__}: {_short(exc)}"
                ) from exc
        return self._cache[key]

    # -- the engine -----------------------------------------------------------------
    def recurrence(self, name: str) -> Recurrence | VariableRecurrence:
        """The recurrence of sequence ``name``, earlier sequences solved and substituted.

        A :class:`~symrecycle.recurrence.Recurrence` where the coefficient of
        the previous term is constant and the forcing exponential, else a
        :class:`~symrecycle.recurrence.VariableRecurrence`.
        """
        return self._cached(("rec", name), lambda: self._make_recurrence(name))

    def _make_recurrence(self, name):
        order = [s.name for s in self.sequences]
        sdef = self.sequences[order.index(name)]
        prev = sp.Symbol(f"{name}_prev")
        earlier = {s: self.solve(s).expr for s in order[: order.index(name)]}

        def sub(e):
            base = e.base.label.name
            if base == name:
                if sp.simplify(e.indices[0] - (N - 1)) != 0:
                    raise ValueError(
                        f"model {self.name!r}: {e} in the recurrence of {name}: only {name}[n-1] "
                        "may appear (first order)"
                    )
                return prev
            if base not in earlier:
                raise ValueError(
                    f"model {self.name!r}: {e} in the recurrence of {name} refers to a later "
                    "or unknown sequence"
                )
            return earlier[base].subs(N, e.indices[0])

        nxt = sdef.next.replace(lambda e: isinstance(e, sp.Indexed), sub)
        nxt = sp.piecewise_fold(nxt)
        if isinstance(nxt, sp.Piecewise):
            raise NotDerived(
                f"model {self.name!r}: the recurrence of {name} depends on a sequence with cases"
            )
        init = sdef.initial.replace(lambda e: isinstance(e, sp.Indexed), sub)
        init = init.subs(N, self.start)
        return linear(nxt, prev, init, self.start, name)

    def solve(self, name: str):
        """The solver's :class:`~symrecycle.recurrence.ClosedForm` of sequence ``name``."""
        def make():
            rec = self.recurrence(name)
            return rec.solve(self.parameters) if isinstance(rec, Recurrence) else rec.solve()

        return self._cached(("solve", name), make)

    def _substitute_sequences(self, expr):
        def sub(e):
            return self.solve(e.base.label.name).expr.subs(N, e.indices[0])

        # a metric that is one sequence is that sequence's closed form, already in the solver's form
        tidy = (lambda v: v) if isinstance(expr, sp.Indexed) else _sym.simplify_branch
        expr = sp.piecewise_fold(expr.replace(lambda e: isinstance(e, sp.Indexed), sub))
        pairs = [(_sym.sum_inside(tidy(_sym.substitute_condition(v, c))), c)
                 for v, c in _sym.pieces(expr)]
        return pairs[0][0] if len(pairs) == 1 else sp.Piecewise(*pairs)

    def _result(self, quantity, expr, label, certificate, verified, notes=(), **meta):
        return Result(
            model=self.name,
            quantity=quantity,
            expr=expr,
            label=label,
            conditions=(
                *(p.condition for p in self.parameters),
                sp.Contains(N, sp.Range(self.start, sp.oo), evaluate=False),
            ),
            verified=verified,
            certificate=tuple(certificate),
            notes=tuple(notes),
            meta=meta,
        )

    def closed_form(self, sequence: str | None = None) -> Result:
        """The closed form of a sequence (default: adjusted compute), with its certificate."""
        name = sequence or self.adjusted
        if name not in [s.name for s in self.sequences]:
            raise ValueError(f"model {self.name!r} has no sequence {name!r}")

        def make():
            cf = self.solve(name)
            cert = [str(c) for c in cf.certificate]
            ok, lines = self._check_iteration(cf.expr, sp.IndexedBase(name)[N])
            return self._result("closed-form", cf.expr, f"{name}_{{n}}", cert + lines, cf.verified and ok)

        return self._cached(("closed_form", name), make)

    def benefit(self, metric: str | None = None) -> Result:
        """The metric (default: the benefit) at iteration n, from the closed forms."""
        met = self.metric(metric)

        def make():
            expr = self._substitute_sequences(met.expr)
            ok, lines = self._check_iteration(expr, met.expr)
            cert_ok = all(self.solve(s.name).verified for s in self.sequences)
            names = ", ".join(s.name for s in self.sequences)
            lines.insert(0, f"closed forms of {names} " + ("certified" if cert_ok else "NOT certified"))
            return self._result(
                "benefit", expr, met.latex or met.name, lines, ok and cert_ok, metric=met.name
            )

        return self._cached(("benefit", met.name), make)

    def limit(self, metric: str | None = None) -> Result:
        r"""The limit n -> oo of the metric, as a Piecewise by regime."""
        met = self.metric(metric)

        def make():
            b = self.benefit(met.name)
            cases = None
            if not b.expr.has(sp.Sum):
                try:
                    cases = asymptotics.limit_by_regime(b.expr, self.parameters)
                except ValueError as exc:  # not an exponential polynomial in n
                    if not self._unrolled(met):
                        raise NotDerived(str(exc)) from exc
            if cases is None:
                q, h, m0, derived = self._metric_recurrence(met)
                cases = asymptotics.limit_of_linear(q, h, m0, self.parameters)
                head = [f"derived from the metric's recurrence M_n = q_n M_(n-1) + h_n, q_n = {sp.sstr(q)}, "
                        f"h_n = {sp.sstr(h)}, M_{self.start} = {sp.sstr(m0)} "
                        + ("(checked against exact iteration, n = start..start+4)" if derived
                           else "(FAILED against exact iteration)")]
            else:
                head, derived = ["derived from the dominant base of each branch of the benefit"], True
            cases = [(v, _sym.within_domain(c, self.parameters)) for v, c in cases]
            cases = [(v, c) for v, c in cases if c is not sp.false]
            expr = _piecewise(cases, self.parameters)
            ok, lines = self._check_limit(b.expr, cases, met)
            lines[:0] = head
            ok = ok and derived
            return self._result(
                "limit", expr, r"\lim_{n \to \infty} " + (met.latex or met.name), lines, ok and b.verified,
                metric=met.name,
            )

        return self._cached(("limit", met.name), make)

    def _unrolled(self, met):
        """The sequences of metric ``met`` solved by unrolling (a coefficient that depends on n)."""
        refs = {e.base.label.name for e in met.expr.atoms(sp.Indexed)}
        return [s.name for s in self.sequences
                if s.name in refs and isinstance(self.recurrence(s.name), VariableRecurrence)]

    def _metric_recurrence(self, met):
        r"""``(q_n, h_n, M_start, checked)``: the metric's own recurrence ``M_n = q_n M_{n-1} + h_n``.

        For a metric ``M_n = u_n X_n + v_n`` linear in the one sequence X
        solved as an unrolled ``Sum`` (``X_n = a_n X_{n-1} + f_n``):
        ``q_n = a_n u_n / u_{n-1}`` and ``h_n = u_n f_n + v_n - q_n v_{n-1}``.
        ``checked``: the recurrence holds on exact iteration of the model (n = start..start+4).
        """
        unrolled = self._unrolled(met)
        if len(unrolled) != 1:
            raise NotDerived(
                f"model {self.name!r}: the limit of metric {met.name!r} is derived for a metric linear "
                "in one sequence with a coefficient that depends on n; it uses "
                f"{', '.join(unrolled) or 'none'}"
            )
        (name,) = unrolled
        x = sp.Dummy(name)

        def sub(e):
            if e.base.label.name == name:
                return x
            return self.solve(e.base.label.name).expr.subs(N, e.indices[0])

        expr = sp.piecewise_fold(met.expr.replace(lambda e: isinstance(e, sp.Indexed), sub))
        u = sp.simplify(sp.diff(expr, x))
        v = sp.simplify(expr - u * x)
        if expr.has(sp.Piecewise) or u.has(x) or v.has(x) or _sym.is_zero(u):
            raise NotDerived(
                f"model {self.name!r}: metric {met.name!r} is not linear in {name}[n] with coefficients "
                "free of cases; no limit derived"
            )
        rec = self.recurrence(name)
        q = sp.powsimp(sp.simplify(rec.a * u / u.subs(N, N - 1)))
        h = sp.simplify(u * rec.forcing + v - q * v.subs(N, N - 1))
        m0 = sp.simplify((u * rec.initial + v).subs(N, self.start))
        return q, h, m0, self._check_metric_recurrence(met, q, h, m0)

    def _check_metric_recurrence(self, met, q, h, m0):
        """``M_n = q_n M_{n-1} + h_n`` and ``M_start = m0`` against exact iteration of the model."""
        pts = self._sample(sp.true, 2)
        for pt in pts:
            ms = [self._metric_exact(met.expr, pt, k) for k in range(self.start, self.start + 5)]
            if not _sym.is_zero(ms[0] - m0.subs(pt)):
                return False
            for k in range(1, len(ms)):
                step = (q * ms[k - 1] + h).subs(pt).subs(N, self.start + k)
                if not _sym.is_zero(ms[k] - step):
                    return False
        return bool(pts)

    def _on_domain(self, expr):
        """A Piecewise with relations its parameters' domains decide dropped (``rho <= 1`` on (0, 1])."""
        if not isinstance(expr, sp.Piecewise):
            return expr
        pairs = [(v, _sym.within_domain(c, self.parameters)) for v, c in expr.args]
        return sp.Piecewise(*[(v, _sym.simplify_condition(c)) for v, c in pairs if c is not sp.false])

    def _quantity_expr(self, n, metric):
        return self.limit(metric) if n is None else self.benefit(metric)

    def _explicit_ends(self, expr):
        """Cases that hold only on a closed end of a parameter's domain, with that end stated.

        ``Piecewise((0, rho < 1), (alpha, True))`` with rho in (0, 1] reads
        ``Piecewise((0, rho < 1), (alpha, Eq(rho, 1)))``: the derivative then
        sees the set where the quantity may jump.
        """
        if not isinstance(expr, sp.Piecewise):
            return expr
        out = []
        for (v, c), (_, excl) in zip(_sym.pieces(expr), _sym.exclusive_pieces(expr)):
            for p in self.parameters:
                ends = p.closed_ends()
                if not ends or p.symbol not in excl.free_symbols:
                    continue
                others = [q for q in self.parameters if q is not p and q.symbol in excl.free_symbols]
                grid = [dict(zip([q.symbol for q in others], combo)) for combo in itertools.islice(
                    itertools.product(*[[sp.Rational(x) for x in _coverage_points(q)] for q in others]), 64)]

                inner = [sp.Rational(x) for x in p.interior_points()]
                if any(_sym.holds_at(excl, {**g, p.symbol: x}) for g in grid for x in inner):
                    continue
                at = [e for e in ends
                      if any(_sym.holds_at(excl, {**g, p.symbol: sp.Rational(e)}) for g in grid)]
                if len(at) == 1:
                    c = sp.And(c, sp.Eq(p.symbol, sp.Rational(at[0])))
            out.append((v, c))
        return sp.Piecewise(*out)

    def sensitivity(self, param: str, n=None, metric: str | None = None) -> Result:
        r"""``d Q / d param`` of the limit (``n=None``) or of the metric at n (``n=sr.n``)."""
        p = self.parameter(param).symbol
        met = self.metric(metric)

        def make():
            base = self._quantity_expr(n, met.name)
            exact = self._metric_derivative(met, p, n) if n is not None else None
            if exact is not None:
                expr = _piecewise([(calculus.tidy(d), c) for d, _, c in exact])
            else:
                expr = calculus.derivative(self._explicit_ends(base.expr), p, self.parameters)
            expr = self._on_domain(expr)
            if n is not None and n != N:
                expr = _at_index(expr, n)
            ok, lines = self._check_derivative(base.expr, expr, p, n)
            lab = (met.latex or met.name) if n is not None else base.label
            return self._result(
                "sensitivity", expr, rf"\frac{{\partial}}{{\partial {sp.latex(p)}}} {lab}",
                lines, ok and base.verified, metric=met.name, wrt=param,
            )

        return self._cached(("sens", param, n, met.name), make)

    def _metric_derivative(self, met, p, at=None):
        """``[(dM/dp, M, condition), ...]`` at iteration n, exact on every case's set, or None.

        The chain rule over the sequences the metric reads, with each
        sequence's derivative from its solver (:meth:`ClosedForm.derivative
        <symrecycle.recurrence.ClosedForm.derivative>`, no limit taken); for
        metrics of at most one sequence with cases, else None (the caller
        differentiates the Piecewise).
        """
        refs = sorted({e.base.label.name for e in met.expr.atoms(sp.Indexed)})
        forms = {name: self.solve(name) for name in refs}
        if any(not f.cases for f in forms.values()):
            return None
        split = [name for name, f in forms.items() if len(f.cases) > 1]
        if len(split) > 1:
            return None
        held = {name: sp.Dummy(name) for name in refs}
        m = met.expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: held[e.base.label.name])
        at = at if at is not None and at != N else None
        branches = forms[split[0]].derivative(p, at) if split else [(None, sp.true)]
        shown = _sym.pieces(self.benefit(met.name).expr)  # the metric's cases, as the benefit states them
        if len(shown) != len(branches):
            return None
        out = []
        for b, (dy, cond) in enumerate(branches):
            vals, ders = {}, {}
            for name, f in forms.items():
                pieces = _sym.pieces(f.expr)
                vals[name] = pieces[b][0] if name in split else pieces[0][0]
                ders[name] = dy if name in split else f.derivative(p, at)[0][0]
            sub = {held[x]: vals[x] for x in refs}
            value = shown[b][0]
            if cond is sp.true:  # off every degenerate set: the formula's own derivative, tidied
                out.append((calculus.tidy(sp.diff(value, p)), value, cond))
                continue
            dm = sp.diff(m, p) + sum((sp.diff(m, held[x]) * ders[x] for x in refs), sp.Integer(0))
            if at is not None:
                sub = {k: v.subs(N, at) for k, v in sub.items()}
                value = value.subs(N, at)
            out.append((dm.xreplace(sub), value, cond))
        return out

    def elasticity(self, param: str, n=None, metric: str | None = None) -> Result:
        r"""``(p/Q) dQ/dp`` of the limit or of the metric at n."""
        p = self.parameter(param).symbol
        met = self.metric(metric)

        def make():
            base = self._quantity_expr(n, met.name)
            exact = self._metric_derivative(met, p, n) if n is not None else None
            if exact is not None:
                expr = _piecewise([(_sym.simplify_branch(p * d / q) if len(exact) <= 3 else p * d / q, c)
                                   for d, q, c in exact])
            else:
                expr = calculus.elasticity(self._explicit_ends(base.expr), p, self.parameters)
            expr = self._on_domain(expr)
            if n is not None and n != N:
                expr = _at_index(expr, n)
            sens = self.sensitivity(param, n=n, metric=met.name)  # the derivative divided here, checked there
            ok, lines = sens.verified, list(sens.certificate)
            lab = (met.latex or met.name) if n is not None else base.label
            return self._result(
                "elasticity", expr,
                rf"\varepsilon_{{{sp.latex(p)}}}\left[{lab}\right]", lines, ok and base.verified,
                metric=met.name, wrt=param,
            )

        return self._cached(("elast", param, n, met.name), make)

    def breakeven(self, param: str, level=1, of: str = "benefit", metric: str | None = None) -> Result:
        """Values of ``param`` where the metric at n (``of="benefit"``) or its limit equals ``level``."""
        par = self.parameter(param)
        met = self.metric(metric)
        if of not in ("benefit", "limit"):
            raise ValueError(f"of: got {of!r}, expected 'benefit' or 'limit'")

        def make():
            base = self.benefit(met.name) if of == "benefit" else self.limit(met.name)
            if base.expr.has(sp.Sum):
                raise NotDerived(
                    f"the {met.name} at iteration n is a sum without a closed form as a finite formula; "
                    f"its breakeven in {param} is not solved symbolically. The breakeven of the limit "
                    "(of='limit') is; at finite n, find the root of model.evaluate numerically"
                )
            sols = calculus.breakeven(base.expr, par, level)
            points = [(s, c) for s, c in sols if s is not sp.S.Reals]
            every = [c for s, c in sols if s is sp.S.Reals]
            expr = _piecewise([*points, (sp.nan, sp.true)]) if points else sp.nan
            notes = []
            if points:
                dep = any(s.has(N) for s, _ in points)
                notes.append(
                    "the breakeven depends on n" if dep else "the breakeven does not depend on n"
                )
            at_start = base.expr.subs(N, self.start) if of == "benefit" else None
            if at_start is not None and _sym.is_zero(sp.piecewise_fold(at_start) - level):
                every.insert(0, sp.Eq(N, self.start))
            notes += [f"every value of {param} is a solution where {sp.sstr(c)}" for c in every]
            notes.append("nan: no solution on the domain " + par.domain_text)
            lines = ["every factor of the numerator of the quantity minus the level solved exactly; "
                     "solutions off the domain or off their branch discarded"]
            lines += [f"{param} = {sp.sstr(s)} substituted back gives {level} exactly" for s, _ in points]
            return self._result(
                "breakeven", expr, f"{sp.latex(par.symbol)}^{{*}}", lines, base.verified,
                notes, metric=met.name, wrt=param, level=level, of=of,
            )

        return self._cached(("breakeven", param, level, of, met.name), make)

    def iterations_to(self, fraction=0.99, metric: str | None = None) -> Result:
        r"""The real n* from which the metric stays within ``1 - fraction`` of its limit."""
        f = Fraction(str(fraction)) if isinstance(fraction, float) else Fraction(fraction)
        if not 0 < f < 1:
            raise ValueError(f"fraction: got {fraction!r}, expected a number in (0, 1)")
        met = self.metric(metric)

        def make():
            b, lim = self.benefit(met.name), self.limit(met.name)
            if b.expr.has(sp.Sum):
                raise NotDerived(
                    f"the {met.name} at iteration n is a sum without a closed form as a finite formula, "
                    "so n* has none; find it by iteration (model.iterate(n, metric=...))"
                )
            cases = asymptotics.iterations_to(
                b.expr, asymptotics.limit_by_regime(b.expr, self.parameters), sp.Rational(f),
                self.parameters,
            )
            expr = _piecewise(cases)
            ok, lines = self._check_iterations(b.expr, lim.expr, cases, sp.Rational(f))
            return self._result(
                "iterations-to", expr, rf"n^{{*}}_{{{sp.latex(sp.Rational(f))}}}", lines,
                ok and lim.verified,
                ("|B_n - L| <= (1 - fraction)|L| for n >= n* when the approach is monotone; "
                 "the first integer iteration is ceiling(n*), or the first iteration when n* is below it",),
                metric=met.name, fraction=float(f),
            )

        return self._cached(("iter", f, met.name), make)

    def derive(self, quantity: str, wrt: str | None = None, n=None, fraction=0.99, level=1,
               metric: str | None = None) -> Result:
        """Any derived quantity by its command-line name (see :data:`QUANTITIES`)."""
        q = quantity.replace("_", "-")
        if q in ("sensitivity", "elasticity", "breakeven") and wrt is None:
            raise ValueError(f"quantity {quantity!r} needs a parameter (wrt)")
        if q == "closed-form":
            return self.closed_form()
        if q == "benefit":
            return self.benefit(metric)
        if q == "limit":
            return self.limit(metric)
        if q == "sensitivity":
            return self.sensitivity(wrt, n=n, metric=metric)
        if q == "elasticity":
            return self.elasticity(wrt, n=n, metric=metric)
        if q == "breakeven":
            return self.breakeven(wrt, level=level, metric=metric)
        if q == "iterations-to":
            return self.iterations_to(fraction, metric=metric)
        raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}")

    # -- numbers -------------------------------------------------------------------------
    def evaluate(self, quantity, dps=None, **kwargs):
        """Numbers for a derived quantity; see :func:`symrecycle.numeric.evaluate`."""
        from .numeric import evaluate

        return evaluate(self, quantity, dps=dps, **kwargs)

    def iterate(self, n, **kwargs):
        """Direct iteration; see :func:`symrecycle.numeric.iterate`."""
        from .numeric import iterate

        return iterate(self, n, **kwargs)

    # -- exact iteration and checks --------------------------------------------------
    def iterate_exact(self, values: dict, count: int) -> dict:
        """``{name: [X_start, ..., X_{start+count-1}]}`` in exact arithmetic."""
        for k, v in values.items():
            self.parameter(k if isinstance(k, str) else k.name).validate(v)
        vals = {self.parameter(k).symbol if isinstance(k, str) else k: _exact(v) for k, v in values.items()}
        out = {s.name: [] for s in self.sequences}
        for k in range(self.start, self.start + count):
            for s in self.sequences:
                e = s.initial if k == self.start else s.next
                e = e.subs(vals).subs(N, k)

                def ref(x, k=k):
                    idx = int(x.indices[0].subs(N, k)) - self.start
                    return out[x.base.label.name][idx]

                out[s.name].append(_sym.as_sympy(e.replace(lambda x: isinstance(x, sp.Indexed), ref)))
        return out

    def _metric_exact(self, metric_expr, values, k):
        seqs = self.iterate_exact(values, k - self.start + 1)
        vals = {self.parameter(a).symbol if isinstance(a, str) else a: _exact(v) for a, v in values.items()}
        e = metric_expr.subs(vals).subs(N, k)
        return _sym.as_sympy(e.replace(
            lambda x: isinstance(x, sp.Indexed),
            lambda x: seqs[x.base.label.name][int(x.indices[0]) - self.start],
        ))

    def _points(self, expr, count=2):
        pts = []
        for _, cond in _sym.exclusive_pieces(expr):
            pts += self._sample(cond, count)
        return pts

    def _sample(self, cond, count=2):
        """Interior sample points of ``cond`` and, where ``cond`` holds there, its closed domain ends.

        (A result wrong only on a closed end, ``alpha = 0`` say, is caught there.)
        """
        pts = _sym.sample_points(cond, self.parameters, count)
        if not pts:  # a region on the domain's closed ends only (alpha = 1, say)
            params = list(self.parameters)
            combos = itertools.islice(itertools.product(
                *[[sp.Rational(x) for x in _coverage_points(p)] for p in params]), 4096)
            for combo in combos:
                pt = dict(zip([p.symbol for p in params], combo))
                if _sym.holds_at(cond, pt):
                    return [pt]
            return []
        extra = []
        for p in self.parameters:
            if p.symbol not in pts[0]:
                continue
            for end in p.closed_ends():
                moved = {**pts[0], p.symbol: sp.Rational(end)}
                if _sym.holds_at(cond, moved) and moved not in pts + extra:
                    extra.append(moved)
        return pts + extra

    def _check_iteration(self, expr, metric_expr):
        pts, unchecked = [], []
        for _, cond in _sym.exclusive_pieces(expr):
            found = self._sample(cond, 2)
            if not found:
                unchecked.append(cond)
            pts += [p for p in found if p not in pts]
        ks = [self.start, self.start + 1, self.start + 4]
        for pt in pts:
            for k in ks:
                want = self._metric_exact(metric_expr, pt, k)
                got = _sym.as_sympy(_sym.branch_at(expr, pt).subs(N, k).subs(pt)).doit()
                if sp.simplify(got - want) != 0:
                    return False, [f"exact iteration differs at {pt}, n={k}: {got} != {want}"]
        lines = [f"equals exact Rational iteration at n = {ks} on {len(pts)} points, one per branch or more"]
        if unchecked:
            lines.append("no sample point (so NOT checked) on the case(s) "
                         + "; ".join(_short(sp.sstr(c), 200) for c in unchecked))
        return bool(pts) and not unchecked, lines

    def _check_limit(self, bexpr, cases, met=None):
        import mpmath

        from .numeric import iterate

        lines, ok = [], True
        unchecked = []
        for value, cond in cases:
            pts = self._sample(cond, 2)
            if not pts:
                unchecked.append(cond)
            for pt in pts:
                with _sym.workdps(60):
                    if bexpr.has(sp.Sum):  # iterated: a sum of 8000 terms per point is slower
                        # a closed form grows at most like exp(poly(n)): no bound on the magnitude
                        seq = iterate(self, 8000, dps=60, metric=met.name, max_bits=None,
                                      **{k.name: Fraction(int(v.p), int(v.q)) for k, v in pt.items()})
                        b0, b1, b2, b3 = seq[3999 - self.start], seq[4000 - self.start], seq[-2], seq[-1]
                    else:
                        f = sp.lambdify(N, _sym.branch_at(bexpr, pt).subs(pt), "mpmath")
                        b0, b1, b2, b3 = (f(mpmath.mpf(k)) for k in (3999, 4000, 7999, 8000))
                    v = value.subs(pt)
                    if v is sp.nan:  # no limit: consecutive terms stay apart (the oscillation does not die)
                        step1, step2 = abs(b1 - b0), abs(b3 - b2)
                        good = step2 >= 0.5 * step1 and step2 > 1e-6 * max(1, abs(b3))
                    elif v is sp.oo:
                        good = b2 > b1 and b2 > 1e3
                    elif v is -sp.oo:
                        good = b2 < b1 and b2 < -1e3
                    else:
                        v = mpmath.mpf(str(sp.N(v, 70)))
                        err1, err2, scale = abs(b1 - v), abs(b2 - v), max(1, abs(v))
                        # geometric approach: there already; slower (like 1/n): halving, and close
                        good = (err2 <= 1e-6 * scale and err2 <= err1 + 1e-50) or (
                            err2 <= 0.6 * err1 and err2 <= 1e-2 * scale)
                ok &= bool(good)
                if not good:
                    lines.append(f"limit check FAILED at {pt}: value {value}")
        if unchecked:
            ok = False
            lines.append("no rational sample point (so NOT checked) where "
                         + "; ".join(sp.sstr(c) for c in unchecked))
        lines.append(
            f"checked against the metric at n = 4000 and 8000 (60 digits) in {len(cases) - len(unchecked)} "
            f"of {len(cases)} regions, closed domain ends included"
        )
        return ok, lines

    def _check_derivative(self, qexpr, dexpr, p, n):
        import mpmath

        ok, count, bad = True, 0, []
        pts = self._points(qexpr, 2)
        pts += [x for x in self._points(dexpr, 1) if x not in pts]  # the derivative's own cases too
        for pt in pts:
            if p not in pt:
                continue
            nval = 5 if n is None or n == N else n
            q = qexpr.subs({k: v for k, v in pt.items() if k != p}).subs(N, nval)
            d = _sym.branch_at(dexpr, pt).subs(pt).subs(N, nval)
            if q.subs(p, pt[p]).has(sp.oo, -sp.oo, sp.zoo):
                continue
            f = sp.lambdify(p, q, "mpmath")
            with _sym.workdps(150):
                x0 = mpmath.mpf(pt[p].p) / pt[p].q
                par = self.parameter(p.name)
                h = mpmath.mpf(10) ** -40
                if par.lower is not None and x0 - h < par.lower:
                    fd = (f(x0 + h) - f(x0)) / h
                elif par.upper is not None and x0 + h > par.upper:
                    fd = (f(x0) - f(x0 - h)) / h
                else:
                    fd = (f(x0 + h) - f(x0 - h)) / (2 * h)
                if d is sp.nan:  # no derivative: right only where the quantity jumps (a huge difference)
                    good = not mpmath.isfinite(fd) or abs(fd) > mpmath.mpf(10) ** 20
                else:
                    dn = sp.N(d, 60)
                    if dn.is_Number and dn.is_finite:
                        dv = mpmath.mpf(str(dn))
                        good = abs(fd - dv) <= mpmath.mpf(10) ** -15 * max(1, abs(dv))
                    else:  # a derivative that does not evaluate to a finite number there
                        good = False
            if not good:
                bad.append(f"derivative {sp.sstr(d)} at {pt} differs from the finite difference "
                           f"{mpmath.nstr(fd, 12)}")
            ok &= bool(good)
            count += 1
        line = (f"equals a 150-digit finite difference at {count - len(bad)} of {count} points "
                "(n = 5 where n is free; nan only across a jump)")
        return ok and count > 0, [*bad[:3], line]

    def _check_iterations(self, bexpr, lexpr, cases, f):
        import mpmath

        count, ok = 0, True
        for value, cond in cases:
            if value.has(sp.oo) or value == 1:
                continue
            for pt in _sym.sample_points(cond, self.parameters, 2):
                nstar = sp.N(value.subs(pt), 50)
                with _sym.workdps(50):
                    b = sp.lambdify(N, bexpr.subs(pt), "mpmath")(mpmath.mpf(str(nstar)))
                    lim = mpmath.mpf(str(sp.N(lexpr.subs(pt), 50)))
                    dist = abs(b - lim) / abs(lim)
                    good = abs(dist - (1 - mpmath.mpf(f.p) / f.q)) < mpmath.mpf(10) ** -30
                ok &= bool(good)
                count += 1
        return ok and count > 0, [
            f"at n = n* the distance to the limit is (1 - fraction) of it, at {count} points"
        ]


_QUANTITY_OF_KEY = {"iter": "iterations-to", "sens": "sensitivity", "elast": "elasticity",
                    "rec": "recurrence",
                    "solve": "closed form", "closed_form": "closed form"}


def _at_index(expr, k):
    """``expr`` at the iteration ``n = k``, with what then evaluates (``RisingFactorial(x, 4)``) done."""
    expr = expr.subs(N, k)
    return expr.doit() if expr.has(sp.Subs, sp.Derivative, sp.RisingFactorial, sp.Sum, sp.Product) else expr


#: What a derivation may raise from inside SymPy or the engine's own solvers (not a user's mistake).
_ENGINE_ERRORS = (
    TypeError, ArithmeticError, AttributeError, KeyError, IndexError, RecursionError, NotImplementedError,
    sp.PolynomialError, sp.polys.polyerrors.BasePolynomialError, _sym.Unsolved, _sym.Contradiction,
)


def _step(exc) -> str:
    """The innermost function of symrecycle's that the exception passed through."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "symrecycle" in f.filename]
    return f"{frames[-1].name}" if frames else "the derivation"


def _short(exc, limit=300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _exact(v):
    if isinstance(v, float):
        return sp.Rational(Fraction(v))
    return _sym.as_sympy(v) if not isinstance(v, sp.Basic) else v


def _piecewise(cases, params=None):
    """A Piecewise of ``(value, condition)`` cases that cover the domain.

    The last case becomes ``otherwise``; with ``params``, if it holds at no
    sample point of the domain, the case that holds at most of them takes
    its place.
    """
    cases = list(cases)
    if len(cases) == 1:
        return cases[0][0]
    if params is not None:
        used = set().union(*[c.free_symbols for _, c in cases])
        params = [p for p in params if p.symbol in used]
        combos = list(itertools.islice(
            itertools.product(*[[sp.Rational(x) for x in _coverage_points(p)] for p in params]), 4096
        ))
        if len(combos) > 256:  # a fixed, spread subset: the order must not depend on chance
            combos = combos[:: len(combos) // 256]
        grid = [dict(zip([p.symbol for p in params], combo)) for combo in combos]

        def coverage(case):
            return sum(_sym.holds_at(case[1], pt) for pt in grid)

        if coverage(cases[-1]) == 0:  # never "otherwise" a case met at no sample point
            last = max(range(len(cases)), key=lambda i: coverage(cases[i]))
            cases = cases[:last] + cases[last + 1:] + [cases[last]]
    return sp.Piecewise(*cases[:-1], (cases[-1][0], sp.true))


def _coverage_points(p):
    """Every other interior point of ``p``'s domain, and its closed ends (``rho = 1`` in ``(0, 1]``)."""
    return [*p.interior_points()[::2], *p.closed_ends()]


def _pretty(expr):
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed),
        lambda e: sp.Symbol(f"{e.base.label.name}_{{{sp.latex(e.indices[0])}}}"),
    )


# -- the report's models -------------------------------------------------------------------
A, C, P = seq("A"), seq("C"), seq("P")
_s = {k: p.symbol for k, p in STANDARD.items()}


def kickstarting() -> Model:
    """Kickstarting: ``C_n = r C_{n-1}``, ``A_n = C_n + alpha A_{n-1}``, benefit ``A_n/C_n``."""
    p = STANDARD
    return Model(
        name="kickstarting",
        description="recycling by kickstarting: each run learns from the previous model",
        parameters=(p["r"], p["alpha"], p["C1"]),
        sequences=(
            SequenceDef("C", _s["C1"], _s["r"] * C[N - 1], "real compute"),
            SequenceDef("A", C[1], C[N] + _s["alpha"] * A[N - 1], "adjusted compute"),
        ),
        metrics=(Metric("benefit", A[N] / C[N], "adjusted over real compute", "B_{n}"),),
    )


def augmentation() -> Model:
    """Model augmentation: ``P_n = g P_{n-1}``, ``A_n = beta P_n C_n + A_{n-1}``."""
    p = STANDARD
    return Model(
        name="augmentation",
        description="recycling by model augmentation: the old weights are trained on",
        parameters=(p["r"], p["g"], p["beta"], p["C1"]),
        sequences=(
            SequenceDef("C", _s["C1"], _s["r"] * C[N - 1], "real compute"),
            SequenceDef("P", sp.Integer(1), _s["g"] * P[N - 1], "algorithmic efficiency"),
            SequenceDef("A", C[1], _s["beta"] * P[N] * C[N] + A[N - 1], "adjusted compute"),
        ),
        metrics=(
            Metric("benefit", A[N] / (P[N] * C[N]), "adjusted over effective compute", "B_{n}"),
            Metric("real", A[N] / C[N], "adjusted over real compute", r"A_{n}/C_{n}"),
        ),
    )
