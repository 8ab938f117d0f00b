"""Signs proved on the parameters' domains, and on regimes of bases against 1.

:func:`sign_on` is the engine's one sign proof: the limits compare bases
with 1 through it, and the case walk drops sets that the domains exclude.
"""

from __future__ import annotations

import itertools

import sympy as sp

from ..core import sym as _sym
from ..core.ratsimp import simplify_rational

__all__ = ["open_square_roots", "sign_on"]


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
    return bool(getattr(_factored(expr), attr))


@_sym.memo(4096)
def _factored(expr):
    """``expr`` over one denominator, factored: the form whose sign SymPy's assumptions can see
    (asked of each sign in turn, it is factored once)."""
    return sp.factor(sp.cancel(sp.together(expr)))


#: most parameters with a closed upper end a sign is proved over (their corners: 2**k - 1 checks)
MAX_CLOSED_ENDS = 6

#: signs already proved: the limits ask the same question of many regimes
_PROVED: dict = _sym.remembered({})


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
    key = (_sym.as_sympy(expr), _sym.keyed(params or ()),
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
        # a symbol outside square roots first: solving for one inside would drop its domain and square
        under = set().union(*[p.base.free_symbols for p in moved.atoms(sp.Pow) if p.exp == sp.S.Half])
        cands = sorted(moved.free_symbols, key=lambda x: (isinstance(x, sp.Dummy), x in under, x.name))
        for sym in cands:
            # simplify=False: the solutions are simplified here (the same forms, without units)
            sol = [simplify_rational(x) for x in sp.solve(sp.Eq(moved, target), sym, simplify=False)]
            if len(sol) == 1:
                region_subs = {k: v.subs(sym, sol[0]) for k, v in region_subs.items()}
                region_subs[sym] = sol[0]
                break
        else:
            return None
    subs, ends = _reparametrize(params, region_subs)
    if len(ends) > MAX_CLOSED_ENDS:
        return None
    base = _sym.as_sympy(expr).subs(region_subs)
    # every set of closed upper ends at once: a corner (a = b = 1) is where each end alone may not show it
    checks = [{k: v for c in combo for k, v in c.items()}
              for size in range(1, len(ends) + 1) for combo in itertools.combinations(ends, size)]
    cases = [base.subs(subs)] + [base.subs(c).subs(subs) for c in checks]
    signs = [_sign_of(e) for e in cases]
    weak = (("nonneg", {1, 0, "nonneg"}), ("nonpos", {-1, 0, "nonpos"}))
    for answer, allowed in ((1, {1}), (-1, {-1}), *weak):
        if all(x in allowed for x in signs):
            return answer
    return None


def _sign_of(e):
    """The sign SymPy proves of ``e`` (its variables mapped onto positive ones), with one square root.

    0 for an expression that is exactly 0 (a closed end where it vanishes).
    ``u + v sqrt(D)`` (u, v free of the root, from the numerator and the
    denominator reduced modulo ``s**2 - D``) has the sign of u and v where they
    agree, else of u where ``u**2 - v**2 D > 0`` and of v where it is < 0.
    """
    if e == 0 or _proved(e, "is_zero"):
        return 0
    for attr, answer in (("is_positive", 1), ("is_negative", -1),
                         ("is_nonnegative", "nonneg"), ("is_nonpositive", "nonpos")):
        if _proved(e, attr):
            return answer
    e = open_square_roots(e, _strict)
    roots = {p for p in e.atoms(sp.Pow) if p.exp == sp.S.Half and not p.base.is_number}
    if len(roots) != 1:
        return None
    (root,) = roots
    if not _proved(root.base, "is_positive"):  # a real square root only: D > 0 on the whole domain
        return None
    s = sp.Dummy("s", positive=True)
    num, den = sp.fraction(sp.together(e.xreplace({root: s})))
    signs = [_sign_with_root(part, s, root.base) for part in (num, den)]
    if None in signs:
        return None
    return signs[0] * signs[1]


def open_square_roots(expr, sign):
    """``sqrt(q**2 w)`` as ``q sqrt(w)`` (or ``-q sqrt(w)``) where ``sign(q)`` proves q's sign.

    ``sign`` returns 1, -1, "nonneg", "nonpos" or None. A case such as
    ``b = r**2 - a r`` turns the discriminant ``a**2 + 4 b`` of radical roots
    into ``(2 r - a)**2``, whose square root is ``2 r - a`` where ``2 r > a``.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("a r", positive=True)
    >>> open_square_roots(sp.sqrt(a**2 - 4*a*r + 4*r**2), lambda q: 1)
    -a + 2*r
    """
    def opened(p):
        num, den = sp.fraction(sp.together(p.base))
        out, inside = sp.Integer(1), sp.Integer(1)
        for part, power in ((num, 1), (den, -1)):
            c, factors = sp.factor_list(part)
            inside *= c**power  # exactly: 1/2, 0.5 or sqrt(2) as they are
            for f, m in factors:
                out *= f ** (power * (m // 2))
                inside *= f ** (power * (m % 2))
        if out == 1:
            return p
        proved = sign(out)
        if proved not in (1, -1, "nonneg", "nonpos"):
            return p
        return (out if proved in (1, "nonneg") else -out) * sp.sqrt(inside)

    return expr.replace(lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half and not e.base.is_number,
                        opened)


def _sign_with_root(part, s, disc):
    """The strict sign of ``u + v s`` with ``s = sqrt(disc)``, or None."""
    try:
        left = sp.Poly(sp.rem(sp.expand(part), s**2 - disc, s), s)
    except sp.PolynomialError:
        return None
    if left.degree() > 1:  # pragma: no cover - a remainder modulo a quadratic
        return None
    v, u = (left.all_coeffs() if left.degree() == 1 else [sp.Integer(0), left.as_expr()])
    su = 0 if u == 0 else _strict(u)
    sv = 0 if v == 0 else _strict(v)
    if su is None and sv is None:
        return None
    if su is not None and sv is not None and (su == sv or 0 in (su, sv)) and (su or sv):
        return su or sv
    w = _strict(sp.expand(u**2 - v**2 * disc))
    if w == 1 and su:
        return su
    if w == -1 and sv:
        return sv
    return None


def _strict(e):
    return 1 if _proved(e, "is_positive") else -1 if _proved(e, "is_negative") else None


def _implied(mu, op, params):
    """Whether the domains alone prove the regime ``mu > 1`` (``op`` ">") or ``0 < mu < 1`` ("<")."""
    mu = _sym.as_sympy(mu)
    if op == ">":
        return sign_on(mu - 1, params) == 1
    return op == "<" and sign_on(mu - 1, params) == -1 and sign_on(mu, params) == 1
