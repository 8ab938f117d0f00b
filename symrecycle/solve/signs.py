"""Signs proved on the parameters' domains, and on regimes of bases against 1.

:func:`sign_on` is the engine's one sign proof: the limits compare bases
with 1 through it, and the case walk drops sets that the domains exclude.
"""

from __future__ import annotations

import sympy as sp

from ..core import sym as _sym

__all__ = ["sign_on"]


def _reparametrize(params, region_subs):
    """Substitutions that turn interval domains into positive variables."""
    subs, checks = dict(region_subs), []
    for p in params:
        s = p.symbol
        if any(s in v.free_symbols for v in subs.values()) or s in subs:
            continue
        if p.upper is not None and p.lower is not None:
            t = sp.Dummy("t", positive=True) if p.lower_open else sp.Dummy("t", nonnegative=True)
            lo, hi = sp.Rational(p.lower), sp.Rational(p.upper)
            subs[s] = lo + (hi - lo) * t / (1 + t)  # covers (lo, hi) or [lo, hi)
            if not p.upper_open:
                checks.append({s: hi})
        elif p.lower is not None and p.lower != 0:  # (lo, oo) or [lo, oo): lo + t
            t = sp.Dummy("t", positive=True) if p.lower_open else sp.Dummy("t", nonnegative=True)
            subs[s] = sp.Rational(p.lower) + t
        elif p.upper is not None and p.lower is None:  # (-oo, hi) or (-oo, hi]: hi - t
            t = sp.Dummy("t", positive=True) if p.upper_open else sp.Dummy("t", nonnegative=True)
            subs[s] = sp.Rational(p.upper) - t
    return subs, checks


def _proved(expr, attr):
    expr = sp.factor(sp.cancel(sp.together(expr)))
    return bool(getattr(expr, attr))


#: signs already proved: the limits ask the same question of many regimes
_PROVED: dict = {}


def sign_on(expr, params, region=()):
    """The sign of ``expr`` proved on the domain and region, or None.

    Returns ``1`` (positive), ``-1`` (negative), ``"nonneg"``, ``"nonpos"``
    or ``None`` (not proved). ``region`` is a sequence of ``(mu, op)`` with
    op in ``"<", ">"``: the regime conditions ``0 <= mu < 1`` or ``mu > 1``. The
    proof substitutes ``mu = 1/(1+s)`` (where mu > 0 is proved; else
    ``mu = s/(1+s)``, s >= 0) or ``mu = 1+s`` (s > 0) and maps
    bounded parameters onto nonnegative variables, then asks SymPy whether
    the factored rational function has a sign; the closed endpoints of
    intervals are checked apart.

    Examples
    --------
    >>> from symrecycle.core.params import STANDARD
    >>> params = [STANDARD["r"], STANDARD["alpha"]]
    >>> a, r = STANDARD["alpha"].symbol, STANDARD["r"].symbol
    >>> sign_on(1 - a, params), sign_on(a - 1, params)
    ('nonneg', 'nonpos')
    >>> sign_on(r / (r - a), params) is None, sign_on(r / (r - a), params, [(a / r, "<")])
    (True, 1)
    """
    key = (_sym.as_sympy(expr), tuple((p, p.symbol) for p in params or ()),
           tuple((_sym.as_sympy(mu), op) for mu, op in region))
    if key not in _PROVED:
        if len(_PROVED) > 4096:
            _PROVED.clear()
        _PROVED[key] = _sign_on(expr, params, region)
    return _PROVED[key]


def _sign_on(expr, params, region):
    if region:  # a sign on the whole domain holds on the region; its proof needs no solve per entry
        whole = sign_on(expr, params)
        if whole in (1, -1):
            return whole
        region = [(mu, op) for mu, op in region if not _implied(mu, op, params)]
    region_subs = {}
    for mu, op in region:
        if not _sym.as_sympy(mu).free_symbols:  # a number: its comparison with 1 is already decided
            continue
        if op == "<" and sign_on(mu, params) != 1:  # 0 <= mu < 1: mu = 0 is in the regime too
            s = sp.Dummy("s", nonnegative=True)
            target = s / (1 + s)
        else:
            s = sp.Dummy("s", positive=True)
            target = {"<": 1 / (1 + s), ">": 1 + s, "=": sp.Integer(1)}[op]
        moved = mu.subs(region_subs)
        # a parameter, else a variable of an earlier region (solving for it keeps the
        # proof sound: it then ranges over a superset)
        cands = sorted(moved.free_symbols, key=lambda x: (isinstance(x, sp.Dummy), x.name))
        for sym in cands:
            sol = sp.solve(sp.Eq(moved, target), sym)
            if len(sol) == 1:
                region_subs = {k: v.subs(sym, sol[0]) for k, v in region_subs.items()}
                region_subs[sym] = sol[0]
                break
        else:
            return None
    subs, checks = _reparametrize(params, region_subs)
    base = _sym.as_sympy(expr).subs(region_subs)
    cases = [base.subs(subs)] + [base.subs(c).subs(subs) for c in checks]
    for attr, answer in (
        ("is_positive", 1), ("is_negative", -1),
        ("is_nonnegative", "nonneg"), ("is_nonpositive", "nonpos"),
    ):
        if all(_proved(e, attr) for e in cases):
            return answer
    return None


def _implied(mu, op, params):
    """Whether the domains alone prove the regime ``mu > 1`` (``op`` ">") or ``0 < mu < 1`` ("<")."""
    mu = _sym.as_sympy(mu)
    if op == ">":
        return sign_on(mu - 1, params) == 1
    return op == "<" and sign_on(mu - 1, params) == -1 and sign_on(mu, params) == 1
