"""The endogenous-progress family's symbols, parameters, default model and helpers."""

from __future__ import annotations

import functools
import itertools

import sympy as sp

from ...core.params import Parameter
from ...core.params import n as N
from ...io.modelfile import load_model, variant_path

__all__ = [
    "B", "c", "theta", "B_n", "B_prev", "C_PARAMETER", "THETA_PARAMETER", "MODEL_NAME", "default_model"
]


#: the shipped model file analysed by default
MODEL_NAME = "endogenous-progress"

#: the map's coefficient (in the model's parameters: ``benefit_map().meta["coefficient"]``)
C_PARAMETER = Parameter("c", 0, None, description="coefficient c of the benefit map F(B) = 1 + c B^(1-theta)")
#: the elasticity of progress to the benefit
THETA_PARAMETER = Parameter("theta", 0, 1, description="elasticity of progress per iteration to the benefit")
c = C_PARAMETER.symbol
theta = THETA_PARAMETER.symbol
#: the map's variable: the benefit at the previous iteration
B = sp.Symbol("B", positive=True)
#: the benefits at n and n - 1, as :func:`gain_ratio` writes them
B_n = sp.Symbol("B_n", positive=True)
B_prev = sp.Symbol("B_{n-1}", positive=True)

#: theta at which :func:`fixed_point` states closed forms by default
CLOSED_FORM_THETAS = (sp.Integer(0), sp.Rational(1, 2), sp.Integer(1))
#: c at which a radical root is checked to be the positive one (both sides of every discriminant sign change
#: of the cubics and quartics up to theta = 3/4)
_C_SAMPLES = (0, sp.Rational(1, 100), sp.Rational(1, 2), 1, sp.Rational(3, 2), 2, 3, 10, 100)
#: (c, theta) at which results are compared with high-precision numbers
_GRID = tuple(itertools.product(
    (0, sp.Rational(1, 10), sp.Rational(9, 10), 1, 3, 20),
    (sp.Rational(1, 100), sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(9, 10), 1),
))
#: digits of the high-precision checks, and the agreement asked of them
_DPS, _AGREE = 40, sp.Rational(1, 10**30)
_MAX_NEWTON = 200
#: largest polynomial degree (denominator of theta) searched for radical roots
_MAX_DEGREE = 12


# -- the model ------------------------------------------------------------------------------------
@functools.cache
def default_model():
    """The shipped model ``endogenous-progress`` (read once).

    Examples
    --------
    >>> m = default_model()
    >>> m.name, [p.name for p in m.parameters], default_model() is m
    ('endogenous-progress', ['r', 'g', 'alpha', 'theta', 'C1'], True)
    """
    return load_model(variant_path(MODEL_NAME))


def _model(model):
    return default_model() if model is None else model


def _previous_symbols(model):
    return {s.name: sp.Symbol(f"{s.name}_{{n-1}}", positive=True) for s in model.sequences}


def _offset(ref):
    return sp.expand(ref.indices[0] - N)


def _at_previous(model, expr, prev):
    """``expr`` (with ``X[n]``, ``X[n-1]``) in the values at n - 1: next terms replace ``X[n]``."""
    nexts = {s.name: s.next for s in model.sequences}
    for _ in range(len(nexts) + 1):
        if not any(_offset(e) == 0 for e in expr.atoms(sp.Indexed)):
            break
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and _offset(e) == 0,
                            lambda e: nexts[e.base.label.name])

    def sub(e):
        if _offset(e) != -1:
            raise ValueError(f"model {model.name!r}: {e} is neither at n nor at n-1")
        return prev[e.base.label.name]

    return expr.replace(lambda e: isinstance(e, sp.Indexed), sub)


def _at_start(model, expr):
    """``expr`` (a metric, with ``X[n]``) at the first index, from the initial values."""
    inits = {s.name: s.initial for s in model.sequences}
    for _ in range(len(inits) + 1):
        if not expr.atoms(sp.Indexed):
            break
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: inits[e.base.label.name])
    return sp.simplify(expr.subs(N, model.start))


def _tidy(expr):
    """A short form: powers of the same base combined, fractions expanded."""
    def expand(e):
        return sp.expand(e, power_exp=False)

    out = sp.powsimp(expand(sp.powsimp(expand(expr))))
    simp = sp.powsimp(expand(sp.powsimp(sp.simplify(out))))
    return simp if sp.count_ops(simp) < sp.count_ops(out) else out


def _power_form(expr):
    """``(a, k, e)`` if ``expr = a + k B**e`` with a, k, e free of B; else None."""
    terms = sp.Add.make_args(sp.expand(expr))
    power = [t for t in terms if t.has(B)]
    if len(power) != 1:
        return None
    coef, rest = power[0].as_independent(B, as_Add=False)
    base, exp = sp.powsimp(rest).as_base_exp()
    if base != B or exp.has(B):
        return None
    return sp.Add(*[t for t in terms if not t.has(B)]), coef, exp


@functools.cache
def _reduction(model, metric):
    """The metric at n as a function of itself at n - 1 (raises ValueError if it is not one)."""
    met = model.metric(metric)
    prev = _previous_symbols(model)
    now = _at_previous(model, met.expr, prev)
    before = _at_previous(model, met.expr.subs(N, N - 1), prev)
    # the adjusted sequence first, then the others in the order of the file
    order = [prev[model.adjusted]] + [p for name, p in prev.items() if name != model.adjusted]
    order = [p for p in order if before.has(p)]
    tried = []
    for sym in order:
        try:
            sols = sp.solve(sp.Eq(before, B), sym, dict=True)
        except NotImplementedError:  # pragma: no cover - SymPy gives up
            sols = []
        if len(sols) != 1:
            tried.append(f"{sym}: {len(sols)} solutions of {met.name}_{{n-1}} = B")
            continue
        sub = {sym: sols[0][sym]}
        F = _tidy(now.subs(sub))
        left = sorted(map(str, F.free_symbols & ({*prev.values(), N})))
        if not left:
            return {"prev": prev, "now": now, "eliminated": sym, "substitution": sub, "F": F}
        tried.append(f"eliminating {sym} via {sym} = {sub[sym]} leaves {', '.join(left)}")
    raise ValueError(
        f"model {model.name!r}: the metric {met.name!r} (= {sp.sstr(met.expr)}) does not reduce to a map of "
        f"itself, B_n = F(B_(n-1)): " + ("; ".join(tried) if tried else
                                          "it does not depend on the values at n-1")
    )


def _map_parts(model, metric="benefit"):
    """``(F, coefficient, theta)`` of ``F = 1 + c B**(1 - theta)``; ValueError otherwise."""
    F = _reduction(model, metric)["F"]
    form = _power_form(F)
    if form is None or form[0] != 1:
        raise ValueError(
            f"model {model.name!r}: the map of {metric!r} is F(B) = {sp.sstr(F)}; expected the form "
            "1 + c*B**(1 - theta), which the fixed-point analysis covers"
        )
    _, coef, exp = form
    th = sp.simplify(1 - exp)
    params = {p.symbol: p for p in model.parameters}
    if th not in params or params[th].interval != THETA_PARAMETER.interval:
        raise ValueError(
            f"model {model.name!r}: the map of {metric!r} is F(B) = {sp.sstr(F)} with exponent 1 - {th}; "
            f"expected 1 - theta for a parameter theta in {THETA_PARAMETER.domain_text}"
        )
    if not coef.is_nonnegative:
        raise ValueError(
            f"model {model.name!r}: the coefficient {coef} of the map of {metric!r} is not shown to be "
            f"nonnegative; expected c in {C_PARAMETER.domain_text}"
        )
    return F, coef, th
