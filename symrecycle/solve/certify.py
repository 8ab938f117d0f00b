"""Certificates of closed forms: a branch's recurrence decided as an identity, and exact rational
iteration sampled on every case's set and on their intersections."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..core import conditions as _cond
from ..core import sym as _sym
from .cases import _condition, _decided_zero

__all__ = ["BranchCertificate", "exact_iterate"]


@dataclass(frozen=True)
class BranchCertificate:
    """The check of one branch: residuals that must be decided to be 0.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.solve.recurrence import Recurrence
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> cert = Recurrence(a, ((1, r),), 0, 0).solve().certificate[0]
    >>> cert.condition, cert.residual, cert.initial_residual, cert.ok
    (Eq(alpha, r), 0, 0, True)
    >>> print(BranchCertificate(sp.true, n - 1, sp.Integer(0)))  # a residual is left: not ok
    branch [True]: recurrence residual = n - 1, initial residual = 0 (FAILED)
    """

    condition: sp.Basic
    residual: sp.Expr
    initial_residual: sp.Expr
    method: str = ""

    @property
    def ok(self) -> bool:
        return self.residual == 0 and self.initial_residual == 0

    def __str__(self):
        status = "ok" if self.ok else "FAILED"
        how = f" ({self.method})" if self.method else ""
        return (
            f"branch [{self.condition}]{how}: recurrence residual = {self.residual}, "
            f"initial residual = {self.initial_residual} ({status})"
        )


def _certify_branch(rec, x, cond, method="") -> BranchCertificate:
    """The recurrence residual and the initial residual of ``x`` on ``cond``, decided."""
    res = rec.residual(x)
    init = x.subs(rec.n, rec.start) - rec.initial
    res, init = (_cond.substitute_condition(e, cond) for e in (res, init))
    return BranchCertificate(
        cond,
        sp.Integer(0) if _residual_zero(res, rec.n, rec.start + 1) else res,
        sp.Integer(0) if _decided_zero(init, rec.n) else init,
        method or "residual decided as an exponential polynomial",
    )


def _residual_zero(res, n, first):
    """Whether ``res`` is 0 for every n >= first.

    A power of a zero base, ``0**(n - k)``, is 1 at one index and 0 after it:
    the residual is decided at n = first exactly, and beyond it with every
    such power that has vanished by n = first + 1 set to 0.
    """
    zeros = [e for e in res.atoms(sp.Pow) if e.base == 0 and e.exp.has(n)]
    if not zeros:
        return _decided_zero(res, n)
    if sp.cancel(res.subs(n, first)) != 0:
        return False
    gone = {}
    for z in zeros:
        e = z.exp
        slope = sp.diff(e, n)
        if not (slope.is_number and slope > 0 and e.is_polynomial(n) and sp.degree(e, n) == 1):
            return False
        if not e.subs(n, first + 1) >= 1:
            return False
        gone[z] = sp.Integer(0)
    return _decided_zero(res.xreplace(gone), n)


def _grid(sym, params):
    """A few exact points for ``sym``: its domain's interior points and closed ends, else by assumptions."""
    for p in params or ():
        if p.symbol == sym:
            return [sp.Rational(x) for x in [*p.interior_points()[::2], *p.closed_ends()]]
    if sym.is_positive:
        return [sp.Rational(1, 2), sp.Rational(3, 2), sp.Integer(3)]
    if sym.is_nonnegative:
        return [sp.Rational(1, 2), sp.Integer(0), sp.Integer(3)]
    return [sp.Rational(1, 2), sp.Rational(-3, 2), sp.Integer(0), sp.Integer(3)]


def _exact_real(val):
    """A rational, or a real algebraic number such as ``sqrt(2)`` (exact iteration handles both)."""
    return bool(val.is_Rational or (val.is_number and val.is_real and val.is_algebraic))


def _in_domain(par, val):
    if val.is_Rational:
        return par.contains(Fraction(int(val.p), int(val.q)))
    lo, hi = par.interval.inf, par.interval.sup
    return bool(par.interval.contains(val)) if lo.is_finite or hi.is_finite else True


def _is_zero_number(d):
    """Whether a number (rational or algebraic) is exactly 0: by its minimal polynomial."""
    d = sp.cancel(d)
    if d.is_Rational:
        return d == 0
    x = sp.Dummy("x")
    if not d.is_finite:  # nan or an infinity: the closed form is not defined there
        return False
    try:
        return sp.minimal_polynomial(d, x) == x
    except (NotImplementedError, ValueError, ArithmeticError, sp.PolynomialError,
            sp.polys.polyerrors.NotAlgebraic):  # pragma: no cover
        return False


def _fits_assumptions(sym, val):
    """Whether the number ``val`` may stand for ``sym`` (a positive symbol takes no value <= 0)."""
    if sym.is_positive and not val > 0:
        return False
    if sym.is_nonnegative and not val >= 0:
        return False
    return not (sym.is_integer and not val.is_Integer)


def sample_set(subs, free, params, count=3):
    """Up to ``count`` exact points of the set ``{x: subs[x]}`` (the other symbols ``free`` on their grids).

    Points where a substituted value is not an exact real, leaves its domain
    or breaks its symbol's assumptions are skipped. The grids are walked
    along a diagonal, not as a product, so the work does not grow with the
    number of parameters.
    """
    free = sorted(free, key=lambda s: s.name)
    grids = [_grid(s, params) for s in free]
    doms = {p.symbol: p for p in params or ()}
    out, tries = [], max([len(g) for g in grids] + [1]) * 4
    for i in range(tries):
        full = {s: g[(i * (j + 1) + i // len(g)) % len(g)] for j, (s, g) in enumerate(zip(free, grids))}
        point = dict(full)
        for s, v in subs.items():
            val = sp.cancel(_sym.as_sympy(v).subs(point))
            if not _exact_real(val) or (s in doms and not _in_domain(doms[s], val)) \
                    or not _fits_assumptions(s, val):
                break
            full[s] = val
        else:
            if full not in out:
                out.append(full)
            if len(out) >= count:
                break
    return out


def _check_exact(rec, expr, nodes, params, count=2, steps=5):
    """The closed form against the tests' kind of loop over exact rationals, on every case's set.

    Points are sampled on each case's set and on the intersection of every
    two of them (where both hold at once); ``(lines, ok)``.
    """
    free = rec.free_symbols
    sets = [nd.subs for nd in nodes]
    for s1, s2 in itertools.combinations([nd for nd in nodes if nd.subs], 2):
        joint = dict(s1.subs)
        try:
            for g in s2.eqs:
                g = sp.cancel(sp.together(g.subs(joint)))
                comps = _cond.components(g)
                if comps is None:
                    continue
                if not comps:
                    raise _cond.Contradiction("empty")
                sol = _cond.solve_component(comps[0])
                joint = {k: sp.cancel(v.subs(sol)) for k, v in joint.items()}
                joint.update(sol)
        except (_cond.Contradiction, _cond.Unsolved):
            continue
        if joint not in sets:
            sets.append(joint)
    points, missing = [], []
    for i, subs in enumerate(sets):
        pts = sample_set(subs, free - set(subs), params, count)
        if not pts and i < len(nodes):  # a case with no point to check (an intersection may be empty)
            missing.append(_condition(nodes[i]))
        points += [p for p in pts if p not in points]
    pieces = _sym.pieces(expr)
    for pt in points:
        seq = exact_iterate(rec, steps, pt)
        branch = next((v for v, c in pieces
                       if c is sp.true or _sym.as_sympy(c).xreplace(pt) is sp.true), None)
        for j, want in enumerate(seq):
            # the index first: x_k as a function of the parameters (0**n is 0 only for n >= 1)
            got = None if branch is None else branch.xreplace({rec.n: sp.Integer(rec.start + j)}).xreplace(pt)
            if got is None or not _is_zero_number(got - want):
                return [f"exact iteration differs at {pt}, n = {rec.start + j}: {got} != {want}"], False
    lines = [f"equals exact rational iteration (n = {rec.start}..{rec.start + steps - 1}) at {len(points)} "
             f"points on every case's set ({len(nodes) - len(missing)} of {len(nodes)}) and on "
             f"{len(sets) - len(nodes)} intersections of two"]
    if missing:
        lines.append("no rational point found (so NOT checked) on the case(s) "
                     + "; ".join(sp.sstr(c) for c in missing))
    return lines, bool(points) and not missing


#: What SymPy's product and summation raise where they give up (complex roots compared, say).
_SYMPY_GAVE_UP = (TypeError, ValueError, NotImplementedError, sp.PolynomialError, RecursionError)


def _index_symbols(taken, count=2):
    """Integer summation indices named k, j (or k_1, ...) that clash with nothing in ``taken``."""
    names = {s.name for s in taken}
    out = []
    for base in ("k", "j", "i", "m"):
        name = base
        while name in names:
            name += "_1"
        names.add(name)
        out.append(sp.Symbol(name, integer=True))
        if len(out) == count:
            return out
    return out  # pragma: no cover


def _rationals(values):
    return {s: sp.Rational(Fraction(v)) if isinstance(v, float) else v for s, v in values.items()}


def exact_iterate(rec, count: int, values: dict):
    """``[x_start, ..., x_{start+count-1}]`` in exact rational arithmetic (either kind of recurrence).

    Floats among ``values`` are read as the rationals they are.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.solve.recurrence import Recurrence, VariableRecurrence
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> exact_iterate(Recurrence(a, ((1, r),), 0, 0), 4, {a: 0.5, r: 2})  # x_n = x_{n-1}/2 + 2**n
    [0, 2, 5, 21/2]
    >>> exact_iterate(VariableRecurrence(a * n, 1, 1, 1), 4, {a: sp.Rational(1, 2)})
    [1, 2, 4, 9]
    """
    vals = _rationals(values)
    a, f, x = rec.a.subs(vals), rec.forcing_expr.subs(vals), rec.initial.subs(vals)
    out = [x]
    for j in range(rec.start + 1, rec.start + count):
        x = a.subs(rec.n, j) * x + f.subs(rec.n, j)
        out.append(x)
    return out
