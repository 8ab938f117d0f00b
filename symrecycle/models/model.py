"""Models: sequences plus metrics, and everything derived from them.

A :class:`Model` is a list of first-order sequences, each an initial value and
a next term written with indexed references (``A[n-1]``, ``C[n]``), and the
metrics built from them (the benefit first). Nothing here states a closed
form: :meth:`Model.closed_form` asks the solver of
:mod:`symrecycle.solve.certify`, and every later quantity is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy as sp

from ..core import conditions as _cond
from ..core import points as _points
from ..core import sym as _sym
from ..core.params import STANDARD, Parameter
from ..core.params import n as N
from ..core.request import Request
from ..core.results import EngineStopped, NoClosedForm, NotDerived, Result
from ..core.sequences import SequenceDef, loop_through, plan, references, seq, uses
from ..core.suggest import did_you_mean
from ..core.texsafe import check_math
from ..numeric.evaluate import evaluate
from ..numeric.iterate import iterate
from . import checks
from . import store as _store
from .checks import ENGINE_ERRORS as _ENGINE_ERRORS
from .checks import _piecewise, _short

if TYPE_CHECKING:  # the solvers are imported where a derivation starts (a cached result needs none)
    from ..solve.recurrence import Recurrence, VariableRecurrence

__all__ = ["Model", "SequenceDef", "Metric", "seq"]


@dataclass(frozen=True)
class Metric:
    r"""A quantity built from the sequences at index n (``A[n]/C[n]``).

    Examples
    --------
    >>> from symrecycle.core.params import n
    >>> b = Metric("benefit", seq("A")[n] / seq("C")[n], "adjusted over real compute", "B_{n}")
    >>> b.expr, b.latex
    (A[n]/C[n], 'B_{n}')
    >>> Metric("bad", seq("A")[n], latex=r"\input{x}")
    Traceback (most recent call last):
    ...
    ValueError: metric bad: latex: got the command \input, expected math commands only (\frac, ...)
    """

    name: str
    expr: sp.Expr
    description: str = ""
    latex: str = ""

    def __post_init__(self):
        # the label is typeset in compiled documents: math only, never TeX code
        check_math(self.latex, f"metric {self.name}: latex")


@dataclass(frozen=True)
class Model:
    """A recycling model: parameters, sequences and metrics.

    Examples
    --------
    >>> from symrecycle.models.catalogue import kickstarting
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
    #: where the model was read from (a model file's path); "" for a model built in code
    source: str = ""
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)
    _plan: object = field(default=None, init=False, repr=False, compare=False, hash=False)
    #: steps between results that several derivations take (never stored on disk): :meth:`_step`
    _steps: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        names = [s.name for s in self.sequences]
        if self.adjusted not in names:
            raise ValueError(f"model {self.name!r}: adjusted sequence {self.adjusted!r} not in {names}")
        if not self.metrics:
            raise ValueError(f"model {self.name!r}: at least one metric (the benefit) is needed")
        known = {p.symbol for p in self.parameters} | {N}
        for s in self.sequences:
            for e in (*s.initials, s.next):
                extra = {x for x in e.free_symbols if not isinstance(x, sp.Indexed)} - known
                extra = {x for x in extra if not isinstance(x, sp.IndexedBase) and x.name not in names}
                if extra:
                    raise ValueError(
                        f"model {self.name!r}: sequence {s.name} uses unknown names "
                        f"{sorted(map(str, extra))}"
                    )
        # next terms read X[n-j] (j >= 1 for the sequence itself: its order is its deepest lag),
        # initial values the sequences at their own index or earlier ones, metrics X[n]: refuse
        # anything else rather than misread it
        for s in self.sequences:
            parts = [(f"sequence {s.name} (next)", s.next, N, "X[n], X[n-1], X[n-2], ...")]
            for i, e in enumerate(s.initials):
                at = self.start + i
                parts.append((f"sequence {s.name} (initial value at n = {at})", e.subs(N, at), at,
                              f"X[{self.start}], ..., X[{at}]"))
            for where, e, at, forms in parts:
                for ref, lag in references(e, at):
                    if ref not in names:
                        raise ValueError(f"model {self.name!r}: {where} refers to unknown sequence {ref}")
                    low = 1 if ref == s.name else 0
                    if lag is None or lag < low or (at != N and at - lag < self.start):
                        raise ValueError(f"model {self.name!r}: {where} uses {ref} at a lag of {lag}; "
                                         f"expected one of {forms.replace('X', ref)}"
                                         + (" (not itself at n)" if ref == s.name else ""))
            deepest = max([lag for _, lag in references(s.next, N)] or [1])
            if max(deepest, 1) != s.order:
                raise ValueError(f"model {self.name!r}: sequence {s.name}'s next term reaches {deepest} "
                                 f"iteration(s) back, so it needs {max(deepest, 1)} initial value(s); "
                                 f"got {s.order}")
        for m in self.metrics:
            for ref, lag in references(m.expr, N):
                if ref not in names:
                    raise ValueError(f"model {self.name!r}: metric {m.name} refers to unknown sequence {ref}")
                if lag != 0:
                    raise ValueError(f"model {self.name!r}: metric {m.name} uses {ref} at a lag of {lag}; "
                                     f"expected {ref}[n]")
        try:
            object.__setattr__(self, "_plan", plan(self.sequences, self.start))
        except ValueError as exc:  # sequences that use each other at one index
            raise ValueError(f"model {self.name!r}: {exc}") from None

    @property
    def iteration_plan(self):
        """How the sequences are iterated: :class:`~symrecycle.core.sequences.Plan` (order, lags)."""
        return self._plan

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
        raise ValueError(f"model {self.name!r} has no parameter {name!r}; its parameters: {known}"
                         + did_you_mean(name, [p.name for p in self.parameters]))

    def metric(self, name: str | None = None) -> Metric:
        if name is None:
            return self.metrics[0]
        for m in self.metrics:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.metrics)
        raise ValueError(f"model {self.name!r} has no metric {name!r}; its metrics: {known}"
                         + did_you_mean(name, [m.name for m in self.metrics]))

    def __repr__(self):
        params = ", ".join(f"{p.name} in {p.domain_text}" for p in self.parameters)
        return f"Model({self.name!r}: {params}; metrics {[m.name for m in self.metrics]})"

    def _repr_latex_(self):
        lines = []
        for s in self.sequences:
            x, x0 = sp.Symbol(f"{s.name}_n"), sp.Symbol(f"{s.name}_{self.start}")
            first, init = _sym.latex(x0), _sym.latex(_pretty(s.initial))
            step = f"{_sym.latex(x)} = {_sym.latex(_pretty(s.next))}"
            if first == init:  # the first term is a parameter of its own name: no tautology C_1 = C_1
                lines.append(f"{step.replace(' = ', ' &= ', 1)}, \\quad n > {self.start}")
            else:
                lines.append(f"{first} &= {init}, \\quad {step}")
        lines += [f"{m.latex or m.name} &= {_sym.latex(_pretty(m.expr))}" for m in self.metrics]
        return "$$\\begin{aligned}" + r"\\".join(lines) + r"\end{aligned}$$"

    def _cached(self, key, make):
        """``make()`` once per key: from memory, else from the derivation cache on disk, else derived."""
        if key in self._cache:
            return self._cache[key]
        stored = _store.lookup(self, key)
        if isinstance(stored, NotDerived):
            raise stored
        if stored is not None:
            self._cache[key] = stored
            return stored
        _store.must_derive(key)
        with _store.deriving(self, key) as held:
            stored = _store.lookup(self, key) if held else None  # another process's, while this waited
            if isinstance(stored, NotDerived):
                raise stored
            if stored is not None:
                self._cache[key] = stored
                return stored
            return self._derive(key, make)

    def _step(self, key, make):
        """``make()`` once per key in this model object: a step that several derivations take (the
        metric's derivative for its sensitivity and its elasticity, say), kept in memory only."""
        if key not in self._steps:
            self._steps[key] = make()
        return self._steps[key]

    def _derive(self, key, make):
        what = _QUANTITY_OF_KEY.get(key[0], key[0])
        try:
            value = make()
        except NotDerived as exc:
            if str(exc).startswith(f"model {self.name!r}"):
                _store.save(self, key, exc)
                raise
            said = type(exc)(f"model {self.name!r}: {what} not derived: {exc}")
            _store.save(self, key, said, cause=exc)
            raise said from exc
        except _ENGINE_ERRORS as exc:
            # SymPy (or the engine) gave up inside the derivation: a limitation, said as one
            said = EngineStopped(
                f"model {self.name!r}: {what} not derived: the engine stopped at a step SymPy "
                f"could not complete ({type(exc).__name__}: {_short(exc)}, in {_step(exc)})"
            )
            _store.save(self, key, said, cause=exc)
            raise said from exc
        self._cache[key] = value
        _store.save(self, key, value)
        return value

    # -- the engine -----------------------------------------------------------------
    def recurrence(self, name: str) -> Recurrence | VariableRecurrence:
        """The recurrence of sequence ``name``, earlier sequences solved and substituted.

        A :class:`~symrecycle.solve.recurrence.Recurrence` where the coefficient of
        the previous term is constant and the forcing exponential, else a
        :class:`~symrecycle.solve.recurrence.VariableRecurrence`. Where the
        engine has no solver for the sequence, :class:`NoClosedForm` says why
        (numeric iteration still works).
        """
        names = [s.name for s in self.sequences]
        if name not in names:
            raise ValueError(
                f"model {self.name!r} has no sequence {name!r}; its sequences: {', '.join(names)}")
        loop = loop_through(self.sequences, name)
        if loop:  # sequences that feed each other: a linear system, one component of it
            def make():
                from . import recurrences

                return recurrences.system_recurrence(self, name, loop)
        else:
            def make():
                return self._make_recurrence(name)
        try:
            return self._cached(("rec", name), make)
        except (NoClosedForm, EngineStopped):
            raise
        except (ValueError, NotImplementedError) as exc:
            # the model's references were checked when it was built: what is left is the engine's own limit
            reason = str(exc).removeprefix(f"model {self.name!r}: recurrence not derived: ")
            raise NoClosedForm(self._no_closed_form(reason)) from exc

    def _no_closed_form(self, reason):
        return (f"model {self.name!r}: no closed form is derived for this model: {reason}. "
                "Numeric iteration is available: model.iterate(n, metric=..., **values) "
                "(symrecycle.numeric.iterate.iterate)")

    def closed_form_problem(self) -> str | None:
        """``None`` if every sequence has a closed form, else why not (the message of :class:`NoClosedForm`).

        Examples
        --------
        >>> from symrecycle.io.modelfile import load_model, variant_path
        >>> load_model(variant_path("kickstarting")).closed_form_problem() is None
        True
        >>> print(load_model(variant_path("endogenous-progress")).closed_form_problem())  # doctest: +ELLIPSIS
        model 'endogenous-progress': no closed form is derived for this model: ... a coupled system...
        """
        try:
            for s in self.sequences:
                self.recurrence(s.name)
        except NoClosedForm as exc:
            return str(exc)
        return None

    def has_closed_form(self) -> bool:
        """Whether the engine derives closed forms for this model (else: iteration, and the limit through
        the metric's map where it has one)."""
        return self.closed_form_problem() is None

    def _make_recurrence(self, name):
        # the solvers are imported where a derivation starts: a result read from the cache needs none
        from ..solve.recurrence import linear_by_cases
        from . import recurrences

        sdef = next(s for s in self.sequences if s.name == name)
        prev = sp.Symbol(f"{name}_prev")
        used = {s: self.solve(s).expr for s in uses(self.sequences, name)}  # no loop: each is solved first
        if sdef.order > 1:
            return recurrences.higher_recurrence(self, sdef, used)
        feeding = recurrences.oscillating_inputs(self, name, used)
        if feeding:  # one system with the oscillating ones that feed it
            return recurrences.system_recurrence(self, name, [name, *feeding], [name, *feeding])

        def sub(e):
            base = e.base.label.name
            return prev if base == name else used[base].subs(N, e.indices[0])

        nxt = sdef.next.replace(lambda e: isinstance(e, sp.Indexed), sub)
        init = sdef.initial.replace(lambda e: isinstance(e, sp.Indexed), sub)
        init = init.subs(N, self.start)
        # a sequence it uses may have cases (alpha = r): one recurrence per case
        return linear_by_cases(nxt, prev, init, self.start, name)

    def solve(self, name: str):
        """The solver's :class:`~symrecycle.solve.recurrence.ClosedForm` of sequence ``name``."""
        def make():
            from ..solve.higher import HigherRecurrence
            from ..solve.recurrence import CaseRecurrence, Recurrence

            rec = self.recurrence(name)
            solvable = (Recurrence, CaseRecurrence, HigherRecurrence)
            return rec.solve(self.parameters) if isinstance(rec, solvable) else rec.solve()

        return self._cached(("solve", name), make)

    def _substitute_sequences(self, expr):
        def sub(e):
            return self.solve(e.base.label.name).expr.subs(N, e.indices[0])

        # a metric that is one sequence is that sequence's closed form, already in the solver's form
        tidy = (lambda v: v) if isinstance(expr, sp.Indexed) else _cond.simplify_branch
        expr = sp.piecewise_fold(expr.replace(lambda e: isinstance(e, sp.Indexed), sub))
        pairs = [(_cond.sum_inside(tidy(_cond.substitute_condition(v, c))), c)
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
            ok, lines = checks.check_iteration(self, cf.expr, sp.IndexedBase(name)[N])
            return self._result("closed-form", cf.expr, f"{name}_{{n}}", cert + lines, cf.verified and ok,
                                sequence=name)

        return self._cached(("closed_form", name), make)

    def benefit(self, metric: str | None = None) -> Result:
        """The metric (default: the benefit) at iteration n, from the closed forms."""
        met = self.metric(metric)

        def make():
            expr = self._substitute_sequences(met.expr)
            ok, lines = checks.check_iteration(self, expr, met.expr)
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
            from ..solve import asymptotics
            from . import recurrences

            if self.closed_form_problem() is not None:  # through the metric's map of itself
                from . import maps

                return maps.limit_result(self, met)
            b = self.benefit(met.name)
            cases = None
            if not b.expr.has(sp.Sum):
                try:
                    cases = asymptotics.limit_by_regime(b.expr, self.parameters)
                except ValueError as exc:  # not an exponential polynomial in n
                    if not recurrences.unrolled(self, met):
                        raise NotDerived(str(exc)) from exc
            if cases is None:
                q, h, m0, derived = recurrences.metric_recurrence(self, met)
                cases = asymptotics.limit_of_linear(q, h, m0, self.parameters)
                head = [f"derived from the metric's recurrence M_n = q_n M_(n-1) + h_n, q_n = {sp.sstr(q)}, "
                        f"h_n = {sp.sstr(h)}, M_{self.start} = {sp.sstr(m0)} "
                        + ("(checked against exact iteration, n = start..start+4)" if derived
                           else "(FAILED against exact iteration)")]
            else:
                head, derived = ["derived from the dominant base of each branch of the benefit"], True
            cases = [(v, _points.within_domain(c, self.parameters)) for v, c in cases]
            cases = [(v, c) for v, c in cases if c is not sp.false]
            expr = _piecewise(cases, self.parameters)
            ok, lines = checks.check_limit(self, b.expr, cases, met)
            lines[:0] = head
            ok = ok and derived
            return self._result(
                "limit", expr, r"\lim_{n \to \infty} " + (met.latex or met.name), lines, ok and b.verified,
                metric=met.name,
            )

        return self._cached(("limit", met.name), make)

    def _on_domain(self, expr):
        """A Piecewise with relations its parameters' domains decide dropped (``rho <= 1`` on (0, 1])."""
        if not isinstance(expr, sp.Piecewise):
            return expr
        pairs = [(v, _points.within_domain(c, self.parameters)) for v, c in expr.args]
        return sp.Piecewise(*[(v, _cond.simplify_condition(c)) for v, c in pairs if c is not sp.false])

    def _quantity_expr(self, n, metric):
        return self.limit(metric) if n is None else self.benefit(metric)

    def sensitivity(self, param: str, n=None, metric: str | None = None) -> Result:
        r"""``d Q / d param`` of the limit (``n=None``) or of the metric at n (``n=sr.n``)."""
        from . import derivations
        return derivations.sensitivity(self, param, n=n, metric=metric)

    def elasticity(self, param: str, n=None, metric: str | None = None) -> Result:
        r"""``(p/Q) dQ/dp`` of the limit or of the metric at n."""
        from . import derivations
        return derivations.elasticity(self, param, n=n, metric=metric)

    def breakeven(self, param: str, level=1, of: str = "benefit", metric: str | None = None) -> Result:
        """Values of ``param`` where the metric at n (``of="benefit"``) or its limit equals ``level``."""
        from . import derivations
        return derivations.breakeven(self, param, level=level, of=of, metric=metric)

    def iterations_to(self, fraction=0.99, metric: str | None = None) -> Result:
        r"""The real n* from which the metric stays within ``1 - fraction`` of its limit."""
        from . import derivations
        return derivations.iterations_to(self, fraction, metric=metric)

    def derive(self, quantity: str, wrt: str | None = None, n=None, fraction=0.99, level=1,
               metric: str | None = None, of: str = "benefit") -> Result:
        """Any derived quantity by its command-line name (see :data:`QUANTITIES`).

        Examples
        --------
        >>> from symrecycle.models.catalogue import kickstarting
        >>> kickstarting().derive("iterations_to", fraction=0.99).verified
        True
        """
        return Request.make(quantity, wrt, metric, n, fraction, level, of).check(self).derive(self)

    # -- numbers -------------------------------------------------------------------------
    def evaluate(self, quantity, dps=None, wrt=None, fraction=0.99, level=1, metric=None, **values):
        """Numbers for a derived quantity at parameter values (arrays broadcast).

        ``n`` may be an integer, an integer array or ``inf`` (the limit); a
        parameter with a default (``C1 = 1``) may be left out. Returns a float
        or an ndarray; with ``dps``, mpmath numbers correct to about that many
        digits (scalar ints, Fractions, SymPy rationals and Decimals are then
        taken exactly, not through the nearest float). The numbers come from
        :func:`symrecycle.numeric.evaluate.evaluate`.

        Examples
        --------
        >>> from symrecycle.models.catalogue import kickstarting
        >>> round(kickstarting().evaluate("limit", r=4.2, alpha=1.0), 6)
        1.3125
        """
        req = Request.make(quantity, wrt, metric, None, fraction, level).check(self)
        [self.parameter(k) for k in values.keys() - {"n"}]  # an unknown name, with "did you mean"
        at_n, at_inf = req.pair(self)
        try:
            return evaluate(self.parameters, at_n, at_inf, values, dps=dps, start=self.start,
                            cache=self._cached, quantity=quantity, model=self.name)
        except NotDerived:  # no closed form: the metric at n, and n*, by direct iteration
            if req.quantity not in ("benefit", "iterations-to") or self.closed_form_problem() is None:
                raise
            from . import maps
            if req.quantity == "iterations-to":
                return maps.iterations_by_iteration(self, req.metric, req.fraction, values, dps)
            return maps.evaluate_by_iteration(self, req.metric, values, dps)

    def iterate(self, n, **kwargs):
        """The benefit (or ``metric=``, ``sequence=``) at start..n, as ``symrecycle iterate``; options:
        :func:`symrecycle.numeric.iterate.iterate`.

        Examples
        --------
        >>> from symrecycle.models.catalogue import kickstarting
        >>> kickstarting().iterate(3, r=2.0, alpha=0.5).tolist()
        [1.0, 1.25, 1.3125]
        >>> kickstarting().iterate(3, r=2.0, alpha=0.5, sequence="A").tolist()
        [1.0, 2.5, 5.25]
        """
        [self.parameter(k) for k in kwargs.keys() - _ITERATE_OPTIONS]  # an unknown name, with "did you mean"
        if not kwargs.get("sequence"):
            kwargs["metric"] = kwargs.get("metric") or self.metrics[0].name
        return iterate(self, n, **kwargs)

    # -- exact iteration ------------------------------------------------------------------
    def iterate_exact(self, values: dict, count: int) -> dict:
        """``{name: [X_start, ..., X_{start+count-1}]}`` in exact arithmetic.

        Examples
        --------
        >>> from fractions import Fraction
        >>> from symrecycle.models.catalogue import kickstarting
        >>> kickstarting().iterate_exact({"r": 2, "alpha": Fraction(1, 2), "C1": 1}, 3)["A"]
        [1, 5/2, 21/4]
        """
        return checks.iterate_exact(self, values, count)

    def metric_exact(self, metric_expr, values: dict, k: int):
        """The metric expression ``metric_expr`` at iteration ``k`` in exact arithmetic."""
        return checks.metric_exact(self, metric_expr, values, k)

    def metric_exact_at(self, metric_expr, values: dict, ks):
        """:meth:`metric_exact` at each iteration of ``ks`` (one exact iteration to the largest)."""
        return checks.metric_exact_at(self, metric_expr, values, list(ks))


_ITERATE_OPTIONS = {"dps", "exact", "sequence", "metric", "last", "naive", "max_bits", "progress"}
_QUANTITY_OF_KEY = {"iter": "iterations-to", "sens": "sensitivity", "elast": "elasticity",
                    "rec": "recurrence",
                    "solve": "closed form", "closed_form": "closed form"}


def _step(exc) -> str:
    """The innermost function of symrecycle's that the exception passed through."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "symrecycle" in f.filename]
    return f"{frames[-1].name}" if frames else "the derivation"



def _pretty(expr):
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed),
        lambda e: sp.Symbol(f"{e.base.label.name}_{{{sp.latex(e.indices[0])}}}"),
    )


# -- the report's models -------------------------------------------------------------------
A, C, P = seq("A"), seq("C"), seq("P")
_s = {k: p.symbol for k, p in STANDARD.items()}
