r"""Sensitivities, elasticities and breakevens of derived quantities.

The derivative of a Piecewise closed form is not the Piecewise of the
branch derivatives: on a degenerate set such as ``r = alpha`` a change of
``alpha`` leaves the set, so the derivative there is the limit of the generic
branch's derivative as the set is approached,

.. math::

    \left.\frac{\partial Q}{\partial p}\right|_{p = p_0}
    = \lim_{\varepsilon \to 0}
      \frac{\partial Q_{\text{generic}}}{\partial p}(p_0 + \varepsilon).

Breakevens solve ``Q = level`` branch by branch on the numerator of
``Q - level``, factor by factor; a factor free of the parameter gives the
condition under which every value is a solution (for example n = 1), and a
factor such as ``u - u**n`` in an exponential base ``u`` is solved in ``u``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ..core import conditions as _cond
from ..core import points as _points
from ..core import sym as _sym
from ..core.fixedpoint import FixedPoint
from ..core.params import n as N
from ..core.results import NotDerived
from . import asymptotics

__all__ = ["derivative", "elasticity", "breakeven"]


def _limit_onto(expr, eq, p, value=None):
    """``expr`` on the set ``eq`` approached along the parameter ``p``.

    A fixed point of a map there is the quantity's ``value`` on the set: an attracting fixed point
    moves continuously with the parameters (implicit functions, F'(x*) < 1); the derivative check
    compares the result with finite differences on both sides.
    """
    sol = sp.solve(eq, p)
    if len(sol) != 1:
        raise NotDerived(f"cannot approach {eq} along {p}")
    if expr.has(FixedPoint):
        if value is None or value.has(sp.oo, -sp.oo, sp.nan):
            raise NotDerived(f"no limit of {expr} onto {eq}")
        moved = expr.subs(p, sol[0])
        return _cond.simplify_branch(moved.xreplace(dict.fromkeys(moved.atoms(FixedPoint), value)))
    eps = sp.Dummy("epsilon")
    moved = sp.simplify(expr.subs(p, sol[0] + eps))
    value = sp.limit(moved, eps, 0)
    if value.has(sp.Limit) or value in (sp.nan, sp.zoo):
        raise NotDerived(f"no limit of {expr} onto {eq}")
    return _cond.simplify_branch(value)


def _disjuncts(expr):
    """The pieces of ``expr`` with each condition split into its disjuncts (``Eq(a, b) | (a < 1)``
    becomes two pieces), so that an equality inside an ``Or`` is seen as a degenerate set."""
    out = []
    for v, c in _sym.pieces(expr):
        if len(c.atoms(sp.core.relational.Relational)) <= 6:
            c = sp.to_dnf(c)
        out += [(v, d) for d in (c.args if isinstance(c, sp.Or) else (c,))]
    return tuple(out)


def _neighbours(branches, cond, p, params, generic):
    """The values of the cases next to the set ``cond`` along ``p`` (off it by a relative 1e-6,
    on each side inside the domain); ``[generic]`` without parameters or sample points."""
    if params is None:
        return [generic]
    par = next((q for q in params if q.symbol == p), None)
    pts = _points.sample_points(cond, params, 2) if par is not None else []
    found = []
    for pt in pts:
        at = sp.nsimplify(pt[p])
        if not at.is_Rational:
            continue
        step = max(abs(at), 1) / sp.Integer(10**6)
        for x in (at + step, at - step):
            if not par.contains(Fraction(int(x.p), int(x.q))):
                continue
            moved = {**pt, p: x}
            for v, c in branches:
                if _cond.holds_at(c, moved):
                    if v not in found:
                        found.append(v)
                    break
    return found or [generic]


def derivative(expr, p, params=None):
    """``d expr / d p`` for a Piecewise derived quantity (see module text).

    On a degenerate set (a case whose condition fixes p), the derivative is
    the limit of the neighbouring cases' derivative, where the quantity is
    continuous across the set, else nan; with ``params`` (the model's
    parameters) the neighbours are found by stepping off the set along p.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> derivative(sp.Piecewise((r / (r - a), a < r), (sp.oo, True)), a)
    Piecewise((r/(alpha - r)**2, alpha < r), (nan, True))

    On the set alpha = r the derivative is that of the neighbouring case, 1, not ``d(2 r)/d alpha = 0``:

    >>> derivative(sp.Piecewise((2 * r, sp.Eq(a, r)), (a + r, True)), a)
    1
    """
    return _rebuild([(d, c) for d, c, _ in _derivative_cases(expr, p, params)])


def _derivative_cases(expr, p, params):
    """``((derivative, condition, the quantity's value there), ...)``: a quantity's sensitivity and its
    elasticity ask for the same."""
    return _cases_of_derivative(_sym.as_sympy(expr), p, _sym.keyed(params))


@_sym.memo(256)
def _cases_of_derivative(expr, p, key):
    params = _sym.unkeyed(key)
    branches = _disjuncts(expr) if isinstance(expr, sp.Piecewise) else _sym.pieces(expr)
    # the generic branch: the last finite one whose condition asserts no equality, else the last
    free = [v for v, c in branches if not _sym.equalities(c) and not v.has(sp.oo, -sp.oo, sp.nan)]
    generic = free[-1] if free else branches[-1][0]
    out = []
    for value, cond in branches:
        if value.has(sp.oo, -sp.oo, sp.nan):
            out.append((sp.nan, cond, value))
            continue
        eqs = [e for e in _sym.equalities(cond) if e.has(p)]
        if not eqs:
            out.append((tidy(sp.diff(value, p)), cond, value))
            continue
        onto = _onto(value, cond, eqs, p, _neighbours(branches, cond, p, params, generic))
        out += [(d, c, value) for d, c in (onto if onto is not None else [(sp.nan, cond)])]
    return tuple(out)


def _onto(value, cond, eqs, p, neighbours):
    """The derivative on the degenerate set ``cond`` from its neighbouring cases, or None (no derivative)."""
    others = sp.And(*[e for e in _sym.equalities(cond) if not e.has(p)])
    fixed = [_cond.solve_equality(eq, prefer=[s for s in eq.free_symbols if s != p]) for eq in eqs[1:]]
    ds, smooth = [], []
    for g in neighbours:
        if g.has(sp.oo, -sp.oo, sp.nan):
            return None
        target, source = sp.diff(g, p), g
        for sol in fixed:
            target, source = target.subs(sol), source.subs(sol)
        try:
            d = _limit_onto(_cond.substitute_condition(target, others), eqs[0], p, value)
            jump = sp.factor(_cond.substitute_condition(_limit_onto(source, eqs[0], p, value) - value, cond))
        except NotDerived:  # the neighbour's derivative has no limit there: no derivative
            return None
        if ds and not _sym.is_zero(d - ds[0]):
            return None  # the two sides disagree
        ds.append(d)
        # the limit of the neighbour's derivative is the derivative only where the quantity
        # is continuous across the set (a limit that jumps there has none)
        if not _sym.is_zero(jump):
            smooth.append(_cond.tidy_condition(sp.Eq(sp.numer(sp.together(jump)), 0)))
    if not smooth:
        return [(ds[0], cond)]
    where = sp.And(*smooth)
    return ([(ds[0], sp.And(cond, where))] if where is not sp.false else []) + [(sp.nan, cond)]


def tidy(expr):
    """``(x/r)**n / x`` as ``x**(n-1) / r**n``: finite where x = 0."""
    return _cond.tidy_sums(_cond.simplify_branch(sp.powsimp(sp.expand_power_base(expr))))


def elasticity(expr, p, params=None):
    r"""``(p / Q) dQ/dp``, case by case (see :func:`derivative`).

    .. math::

        \varepsilon_p = \frac{p}{Q} \frac{\partial Q}{\partial p}

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> elasticity(r / (r - a), a)
    alpha/(-alpha + r)
    >>> elasticity(a**2 * r, a)
    2
    """
    out = []
    for dv, cond, qv in _derivative_cases(expr, p, params):
        if dv is sp.nan:
            out.append((sp.nan, cond))
            continue
        qv = _cond.substitute_condition(qv, cond) if _sym.equalities(cond) else qv
        out.append((_cond.simplify_branch(p * dv / qv), cond))
    return _rebuild(out)


def _rebuild(pairs):
    if len(pairs) == 1 and pairs[0][1] is sp.true:
        return pairs[0][0]
    pw = sp.Piecewise(*pairs)  # merges neighbouring cases of equal value, in conjunctive form
    if not isinstance(pw, sp.Piecewise):
        return pw
    return sp.Piecewise(*[(v, _cond.simplify_condition(c)) for v, c in pw.args])


def _solve_factor(f, p, n=N):
    """Solutions of ``f = 0`` for ``p``.

    A factor with exponential bases in ``p`` (``alpha**n``) is solved in the
    base ``u`` as a whole (``u - u**n = 0``: u = 0 or u = 1), which
    ``sympy.solve`` misses; otherwise ``sympy.solve``.
    """
    try:
        terms = asymptotics.decompose(f, n)
    except ValueError:
        terms = {}
    bases = [mu for mu in terms if mu.has(p)]
    if len(bases) == 1:
        (mu,) = bases
        u = sp.Dummy("u", nonnegative=True)
        back = sp.solve(sp.Eq(mu, u), p)
        if len(back) == 1:
            fu = sp.Add(*[
                c.subs(p, back[0]) * (u if b == mu else b) ** n for b, c in terms.items()
            ])
            if not fu.has(p):
                try:
                    return [back[0].subs(u, s) for s in _roots_in_base(fu, u, name=mu)]
                except NotImplementedError as exc:
                    raise NotDerived(f"cannot solve {f} = 0 for {p}{_why(exc)}") from exc
    try:
        return _solve(f, p)
    except NotImplementedError as exc:
        raise NotDerived(f"cannot solve {f} = 0 for {p}{_why(exc)}") from exc


class _NoClosedForm(NotImplementedError):
    """An equation that :func:`_no_root_formula` turns away (the reason is the message)."""


def _why(exc):
    return f": {exc}" if isinstance(exc, _NoClosedForm) else ""


def _solve(f, x, name=None):
    """``sympy.solve(f, x)``; ``_NoClosedForm`` first where :func:`_no_root_formula` gives a reason (in
    which ``x`` is called ``name``, where given)."""
    why = _no_root_formula(f, x, name)
    if why is not None:
        raise _NoClosedForm(why)
    return sp.solve(f, x)


def _no_root_formula(f, x, name=None):
    """Why ``f = 0`` has no general root formula in ``x`` (called ``name`` where given); else None.

    ``f`` written out must be a sum of ``c * x**e`` (each ``c`` and ``e`` free of ``x``) with three or
    more different powers, an exponent that is a symbol's expression, and differences that are
    not all rational multiples of one: ``c0 + c1 x + c2 x**n``, ``x**(n + 1) + a x**n + b``. A
    trinomial or longer in powers of x with a free exponent has no root formula in general (a
    particular one may have an evident root, ``x = 1`` of ``x**n + x - 2``, but not its roots for every
    n and coefficients), and ``sympy.solve`` has no method for it: it tries for up to seconds, then
    raises ``NotImplementedError``. Powers that are multiples of one (``x**(2n) - 3 x**n + 2``, a
    polynomial in ``x**n``), numeric exponents, products of factors in ``x`` (``sympy.factor``'s) and
    anything else are left to ``sympy.solve``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> u, b = sp.symbols("u b", positive=True)
    >>> _no_root_formula(u**n - b*u + b - 1, u)
    'a sum of 3 powers of u (exponents 0, 1, n), not all multiples of one: no general root formula'
    >>> _no_root_formula(u**(2*n) - 3*u**n + 2, u) is None, _no_root_formula(u**3 - b*u + 1, u) is None
    (True, True)
    """
    powers: dict = {}
    for term in sp.Add.make_args(sp.expand(f)):
        c, e = [], []  # x * x**n is a product of two powers of x (SymPy keeps it apart)
        for factor in sp.Mul.make_args(term):
            base, k = factor.as_base_exp()
            if base == x and not k.has(x):
                e.append(k)
            elif factor.has(x):
                return None
            else:
                c.append(factor)
        e = sp.Add(*e)
        powers[e] = powers.get(e, 0) + sp.Mul(*c)
    exps = sorted((e for e, c in powers.items() if sp.expand(c) != 0), key=sp.default_sort_key)
    if len(exps) < 3 or all(e.is_number for e in exps):
        return None
    steps = [e - exps[0] for e in exps[1:]]
    if all(sp.cancel(s / steps[0]).is_Rational for s in steps):
        return None
    if len([g for g in sp.Mul.make_args(sp.factor(f)) if g.has(x)]) > 1:
        return None  # a product: a factor may have roots in closed form
    shown = ", ".join(sp.sstr(e) for e in exps)
    return (f"a sum of {len(exps)} powers of {x if name is None else name} (exponents {shown}), not all "
            "multiples of one: no general root formula")


def _roots_in_base(expr, u, name=None):
    """Nonnegative roots of a sum of ``c * u**e`` with symbolic exponents e (``u`` standing for ``name``).

    The smallest exponent ``k`` (``e - k >= 0`` provably for every term) is
    factored out first: ``u - u**n = u * (1 - u**(n-1))``.
    """
    terms = [t.as_coeff_exponent(u) for t in sp.Add.make_args(sp.expand(expr))]
    roots = []
    for _, k in terms:
        if all((e - k).is_nonnegative for _, e in terms):
            if k.is_positive:
                roots.append(sp.Integer(0))
            rest = sp.Add(*[c * u ** (e - k) for c, e in terms])
            break
    else:
        rest = expr
    for g in sp.Mul.make_args(sp.factor(rest)):
        g = g.as_base_exp()[0]
        if g.has(u):
            roots += _solve(g, u, name)
    return list(dict.fromkeys(roots))


def breakeven(expr, param, level=1, n=N, unconfirmed=None):
    """Where the quantity equals ``level``, solved for ``param`` on its domain.

    Returns a list of ``(solution, condition)``; the solution ``sp.S.Reals``
    stands for "every value of the parameter" (the condition says when). A
    solution that, substituted back, is not decided to give ``level`` (SymPy
    cannot tell its difference from 0) is kept and appended to the list
    ``unconfirmed`` where one is given; never dropped as if it were wrong.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD
    >>> alpha, r = STANDARD["alpha"], STANDARD["r"].symbol
    >>> breakeven(r / (r - alpha.symbol), alpha, level=2)  # alpha = r/2, inside [0, 1] where r <= 2
    [(r/2, 2 >= r)]
    >>> breakeven(sp.Integer(1), alpha, level=1)
    [(Reals, True)]
    """
    p = param.symbol
    out = []
    for value, cond in _sym.exclusive_pieces(expr):
        if value.has(sp.oo, -sp.oo):
            continue
        value = _cond.substitute_condition(value, cond)
        num = sp.factor(sp.numer(sp.together(value - level)))
        if num == 0:
            out.append((sp.S.Reals, cond))
            continue
        factors = [f.as_base_exp()[0] for f in _split_powers(num) if not f.is_number]
        on_p = [e for e in _sym.equalities(cond) if e.has(p)]
        for f in factors:
            if not f.has(p) and on_p and f.free_symbols - {n}:
                # the branch itself fixes p (e.g. g*r = 1 fixes r = 1/g)
                for s in sp.solve(on_p[0], p):
                    rest = sp.And(*[c for c in _sym.conjuncts(cond) if c is not on_p[0]])
                    full = sp.And(rest.subs(p, s), sp.Eq(f, 0), _in_domain(s, param))
                    if full is not sp.false:
                        out.append((_cond.simplify_branch(s), full))
                continue
            if not f.has(p):
                out.append((sp.S.Reals, sp.And(cond, sp.Eq(f, 0))))
                continue
            for s in _solve_factor(f, p, n):
                s = _cond.simplify_branch(s)
                if s.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
                    continue
                inside = _in_domain(s, param)
                full = sp.And(cond.subs(p, s), inside)
                check = _cond.substitute_condition(value.subs(p, s), full) - level
                if full is sp.false:
                    continue
                if not _sym.is_zero(check):
                    if _proved_nonzero(check):
                        continue
                    if unconfirmed is not None:
                        unconfirmed.append(s)
                out.append((s, full))
    return [
        (s, _cond.tidy_condition(c)) for s, c in out if _cond.substitute_condition(c, c) is not sp.false
    ]


def _proved_nonzero(expr):
    """Whether ``expr`` is decided to differ from 0 (by SymPy's assumptions, or as a nonzero number)."""
    e = sp.factor(sp.together(expr))
    if e.is_number:
        return bool(e.is_nonzero) or (e.is_comparable and abs(sp.N(e, 30)) > sp.Float(10) ** -25)
    return bool(e.is_nonzero)


def _split_powers(expr):
    """Factors of ``expr``, with common powers of symbols (symbolic exponents too) split off.

    ``alpha - alpha**n*r**(1-n)`` gives ``alpha`` and ``1 - alpha**(n-1)*r**(1-n)``.
    """
    out = []
    for f in sp.Mul.make_args(sp.factor(expr)):
        base, e = f.as_base_exp()
        if not isinstance(base, sp.Add):
            out.append(f)
            continue
        terms = sp.Add.make_args(sp.expand(base))
        rest = list(terms)
        for sym in sorted(base.free_symbols, key=lambda x: x.name):
            exps = [t.as_coeff_exponent(sym)[1] for t in rest]
            k = next((k for k in exps if all((x - k).is_nonnegative for x in exps)), None)
            if k is not None and k != 0 and all(t.as_coeff_exponent(sym)[1] == x for t, x in zip(rest, exps)):
                out.append(sym**k)
                rest = [sp.powsimp(sp.expand(t / sym**k)) for t in rest]
        out.append(sp.factor(sp.Add(*rest)) ** e)
    return out


def _in_domain(s, param):
    parts = []
    if param.lower is not None:
        parts.append(_cleared(s - sp.Rational(param.lower), param.lower_open))
    if param.upper is not None:
        parts.append(_cleared(sp.Rational(param.upper) - s, param.upper_open))
    return sp.And(*parts)


def _cleared(x, strict):
    """``x > 0`` (or ``>= 0``) with its denominator cleared: polynomial conditions."""
    num, den = sp.fraction(sp.together(x))
    if den.is_positive:
        lhs = sp.expand(num)
        return lhs > 0 if strict else lhs >= 0
    if den.is_negative:
        lhs = sp.expand(-num)
        return lhs > 0 if strict else lhs >= 0
    lhs = sp.expand(num * den)  # same sign as x where den != 0
    return sp.And(lhs > 0 if strict else lhs >= 0, sp.Ne(den, 0))
