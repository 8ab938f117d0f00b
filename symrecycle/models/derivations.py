"""Derivations of a :class:`~symrecycle.models.model.Model` beyond its closed forms and limits.

Sensitivities and elasticities (of the limit, or of the metric at n),
breakevens and the iterations needed to come within a fraction of the limit;
each one certified by :mod:`symrecycle.models.checks`. The :class:`Model`
methods of the same names are the entries.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy as sp

from ..core import canonical as _canonical
from ..core import conditions as _cond
from ..core import sym as _sym
from ..core.params import n as N
from ..core.results import NotDerived, Result
from ..solve import asymptotics, calculus, iterations
from . import checks
from . import maps as _maps
from .checks import _coverage_points, _piecewise


def sensitivity(model, param: str, n=None, metric: str | None = None) -> Result:
    r"""``d Q / d param`` of the limit (``n=None``) or of the metric at n (``n=sr.n``).

    Examples
    --------
    >>> from symrecycle.core.params import n
    >>> from symrecycle.io.modelfile import model_from_dict
    >>> m = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                      "recurrence": {"initial": "1", "next": "r*A[n-1]"}})  # benefit r**(n-1)
    >>> sensitivity(m, "r", n=n).expr, sensitivity(m, "r", n=3).expr
    (r**(n - 2)*(n - 1), 2*r)
    """
    p = model.parameter(param).symbol
    met = model.metric(metric)

    def make():
        base = model._quantity_expr(n, met.name)
        exact = metric_derivative(model, met, p, n) if n is not None else None
        if exact is not None:
            expr = _piecewise([(calculus.tidy(d), c) for d, _, c in exact])
        else:
            expr = calculus.derivative(explicit_ends(model, base.expr), p, model.parameters)
        expr = model._on_domain(expr)
        if n is not None and n != N:
            expr = _at_index(expr, n)
        ok, lines = checks.check_derivative(model, base.expr, expr, p, n)
        lab = (met.latex or met.name) if n is not None else base.label
        return model._result(
            "sensitivity", expr, rf"\frac{{\partial}}{{\partial {sp.latex(p)}}} {lab}",
            lines, ok and base.verified, metric=met.name, wrt=param, at=_at(n),
        )

    return model._cached(("sens", param, n, met.name), make)


def explicit_ends(model, expr):
    """Cases that hold only on a closed end of a parameter's domain, with that end stated.

    ``Piecewise((0, rho < 1), (alpha, True))`` with rho in (0, 1] reads
    ``Piecewise((0, rho < 1), (alpha, Eq(rho, 1)))``: the derivative then
    sees the set where the quantity may jump. Once per model and expression (the sensitivity and the
    elasticity of a limit ask for the same).
    """
    if not isinstance(expr, sp.Piecewise):
        return expr
    return model._step(("explicit-ends", expr), lambda: _ends_stated(model, expr))


def _ends_stated(model, expr):
    out = []
    for (v, c), (_, excl) in zip(_sym.pieces(expr), _sym.exclusive_pieces(expr)):
        for p in model.parameters:
            ends = p.closed_ends()
            if not ends or p.symbol not in excl.free_symbols:
                continue
            others = [q for q in model.parameters if q is not p and q.symbol in excl.free_symbols]
            grid = [dict(zip([q.symbol for q in others], combo)) for combo in itertools.islice(
                itertools.product(*[[sp.Rational(x) for x in _coverage_points(q)] for q in others]), 64)]

            inner = [sp.Rational(x) for x in p.interior_points()]
            if any(_cond.holds_at(excl, {**g, p.symbol: x}) for g in grid for x in inner):
                continue
            at = [e for e in ends
                  if any(_cond.holds_at(excl, {**g, p.symbol: sp.Rational(e)}) for g in grid)]
            if len(at) == 1:
                c = sp.And(c, sp.Eq(p.symbol, sp.Rational(at[0])))
        out.append((v, c))
    return sp.Piecewise(*out)


def metric_derivative(model, met, p, at=None):
    """``[(dM/dp, M, condition), ...]`` at iteration n, exact on every case's set, or None.

    The chain rule over the sequences the metric reads, with each
    sequence's derivative from its solver (:meth:`ClosedForm.derivative
    <symrecycle.solve.recurrence.ClosedForm.derivative>`, no limit taken); for
    metrics of at most one sequence with cases, else None (the caller
    differentiates the Piecewise).

    Examples
    --------
    >>> from symrecycle.core.params import n
    >>> from symrecycle.io.modelfile import model_from_dict
    >>> m = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                      "recurrence": {"initial": "1", "next": "r*A[n-1]"}})  # benefit r**(n-1)
    >>> metric_derivative(m, m.metric(), m.symbols["r"])
    [(r**(n - 2)*(n - 1), r**(n - 1), True)]
    """
    at = at if at is not None and at != N else None
    found = model._step(("metric-derivative", met.name, p, at), lambda: _metric_derivative(model, met, p, at))
    return None if found is None else list(found)


def _metric_derivative(model, met, p, at):
    refs = sorted({e.base.label.name for e in met.expr.atoms(sp.Indexed)})
    forms = {name: model.solve(name) for name in refs}
    if any(not f.cases for f in forms.values()):
        return None
    split = [name for name, f in forms.items() if len(f.cases) > 1]
    if len(split) > 1:
        return None
    held = {name: sp.Dummy(name) for name in refs}
    m = met.expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: held[e.base.label.name])
    branches = forms[split[0]].derivative(p, at) if split else [(None, sp.true)]
    shown = _sym.pieces(model.benefit(met.name).expr)  # the metric's cases, as the benefit states them
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
    return tuple(out)


def elasticity(model, param: str, n=None, metric: str | None = None) -> Result:
    r"""``(p/Q) dQ/dp`` of the limit or of the metric at n.

    Examples
    --------
    >>> from symrecycle.core.params import n
    >>> from symrecycle.io.modelfile import model_from_dict
    >>> m = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                      "recurrence": {"initial": "1", "next": "r*A[n-1]"}})  # benefit r**(n-1)
    >>> e = elasticity(m, "r", n=n)
    >>> e.expr, e.verified
    (n - 1, True)
    """
    p = model.parameter(param).symbol
    met = model.metric(metric)

    def make():
        base = model._quantity_expr(n, met.name)
        exact = metric_derivative(model, met, p, n) if n is not None else None
        if exact is not None:
            expr = _piecewise([(_cond.simplify_branch(p * d / q) if len(exact) <= 3 else p * d / q, c)
                               for d, q, c in exact])
        else:
            expr = calculus.elasticity(explicit_ends(model, base.expr), p, model.parameters)
        expr = model._on_domain(expr)
        if n is not None and n != N:
            expr = _at_index(expr, n)
        sens = model.sensitivity(param, n=n, metric=met.name)  # the derivative divided here, checked there
        ok, lines = sens.verified, list(sens.certificate)
        lab = (met.latex or met.name) if n is not None else base.label
        return model._result(
            "elasticity", expr,
            rf"\varepsilon_{{{sp.latex(p)}}}\left[{lab}\right]", lines, ok and base.verified,
            metric=met.name, wrt=param, at=_at(n),
        )

    return model._cached(("elast", param, n, met.name), make)


def breakeven(model, param: str, level=1, of: str = "benefit", metric: str | None = None) -> Result:
    """Values of ``param`` where the metric at n (``of="benefit"``) or its limit equals ``level``.

    Examples
    --------
    >>> from symrecycle.core.params import n
    >>> from symrecycle.io.modelfile import model_from_dict
    >>> m = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                      "recurrence": {"initial": "1", "next": "A[n-1] + r"}})  # benefit 1 + (n-1)*r
    >>> b = breakeven(m, "r", level=3)
    >>> b.expr, b.expr.subs(n, 5)
    (Piecewise((2/(n - 1), (n > 1) & Ne(n, 1)), (nan, True)), 1/2)
    """
    par = model.parameter(param)
    met = model.metric(metric)
    if of not in ("benefit", "limit"):
        raise ValueError(f"of: got {of!r}, expected 'benefit' or 'limit'")

    def make():
        base = model.benefit(met.name) if of == "benefit" else model.limit(met.name)
        if base.expr.has(sp.Sum):
            raise NotDerived(
                f"the {met.name} at iteration n is a sum without a closed form as a finite formula; "
                f"its breakeven in {param} is not solved symbolically. The breakeven of the limit "
                "(of='limit') is; at finite n, find the root of model.evaluate numerically"
            )
        expr, implicit = base.expr, []
        if of == "limit" and _maps.has_fixed_point(expr):
            expr, implicit = _maps.implicit_breakeven(expr, level, model.parameters)
        unconfirmed = []
        sols = calculus.breakeven(expr, par, level, unconfirmed=unconfirmed)
        points = [(s, c) for s, c in sols if s is not sp.S.Reals]
        every = [c for s, c in sols if s is sp.S.Reals]
        expr = _piecewise([*points, (sp.nan, sp.true)]) if points else sp.nan
        notes = []
        if points:
            dep = any(s.has(N) for s, _ in points)
            notes.append(
                "the breakeven depends on n" if dep else "the breakeven does not depend on n"
            )
        at_start = base.expr.subs(N, model.start) if of == "benefit" else None
        if at_start is not None and _sym.is_zero(sp.piecewise_fold(at_start) - level):
            every.insert(0, sp.Eq(N, model.start))
        doms = {p.symbol: p.interval for p in model.parameters}
        for i, c in enumerate(every):  # where an earlier one holds already, it is not said again
            if _canonical.canonical(c, doms, every[:i]).expr is not sp.false:
                notes.append(f"every value of {param} is a solution where "
                             f"{_canonical.canonical(c, doms).text()}")
        notes.append("nan: no solution on the domain " + par.domain_text)
        lines = ["every factor of the numerator of the quantity minus the level solved exactly; "
                 "solutions off the domain or off their branch discarded"]
        lines += implicit
        lines += [f"{param} = {sp.sstr(s)} substituted back gives {level} exactly" for s, _ in points
                  if s not in unconfirmed]
        lines += [f"{param} = {sp.sstr(s)} substituted back: NOT decided to give {level} (SymPy cannot tell "
                  "the difference from 0)" for s in unconfirmed]
        return model._result(
            "breakeven", expr, f"{sp.latex(par.symbol)}^{{*}}", lines, base.verified and not unconfirmed,
            notes, metric=met.name, wrt=param, level=level, of=of,
        )

    return model._cached(("breakeven", param, level, of, met.name), make)


def iterations_to(model, fraction=0.99, metric: str | None = None) -> Result:
    r"""The real n* from which the metric stays within ``1 - fraction`` of its limit."""
    f = Fraction(str(fraction)) if isinstance(fraction, float) else Fraction(fraction)
    if not 0 < f < 1:
        raise ValueError(f"fraction: got {fraction!r}, expected a number in (0, 1)")
    met = model.metric(metric)

    def make():
        if model.closed_form_problem() is not None and "map" in model.limit(met.name).meta:
            raise NotDerived(
                f"the {met.name} at iteration n has no closed form (the model is a nonlinear map, "
                f"{met.name}_n = F({met.name}_(n-1))), so n* has none; the rate of approach F'(x*) is "
                "limit().meta['rate'] (|x_n - x*| shrinks about that much per iteration); its value at "
                "parameter values comes by iteration: model.evaluate('iterations-to', ...), symrecycle "
                "eval MODEL iterations-to")
        b, lim = model.benefit(met.name), model.limit(met.name)
        if b.expr.has(sp.Sum):
            raise NotDerived(
                f"the {met.name} at iteration n is a sum without a closed form as a finite formula, "
                "so n* has none; find it by iteration (model.iterate(n, metric=...))"
            )
        cases = iterations.iterations_to(
            b.expr, asymptotics.limit_by_regime(b.expr, model.parameters), sp.Rational(f),
            model.parameters,
        )
        expr = _piecewise(cases)
        ok, lines = checks.check_iterations(model, b.expr, lim.expr, cases, sp.Rational(f))
        return model._result(
            "iterations-to", expr, rf"n^{{*}}_{{{sp.latex(sp.Rational(f))}}}", lines,
            ok and lim.verified,
            ("|B_n - L| <= (1 - fraction)|L| for n >= n* when the approach is monotone; "
             "the first integer iteration is ceiling(n*), or the first iteration when n* is below it",),
            metric=met.name, fraction=float(f),
        )

    return model._cached(("iter", f, met.name), make)


def _at(n):
    """Where a derivative is taken, in words: ``"the limit"``, ``"n"`` or ``"n = 5"``."""
    return "the limit" if n is None else "n" if n == N else f"n = {n}"


def _at_index(expr, k):
    """``expr`` at the iteration ``n = k``, with what then evaluates (``RisingFactorial(x, 4)``) done."""
    expr = expr.subs(N, k)
    return expr.doit() if expr.has(sp.Subs, sp.Derivative, sp.RisingFactorial, sp.Sum, sp.Product) else expr
