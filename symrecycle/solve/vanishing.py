"""Terms of a closed form that tend to 0 by a proved modulus below 1: sines and sums over roots.

:func:`~symrecycle.solve.asymptotics.limit_by_regime` compares exponential
bases by regime; an oscillating term (a complex pair in sines, or a sum over
the roots of a numeric polynomial) has no base to compare, but where its
modulus is proved below 1 it vanishes and is dropped before the comparison.
"""

from __future__ import annotations

import sympy as sp

from ..core.params import n as N
from ..core.results import NotDerived
from .rootsums import modulus_bound
from .signs import sign_on

__all__ = ["amplitudes", "without_vanishing_terms"]


def without_vanishing_terms(expr, params, n=N):
    """``(rest, oscillation)``: ``expr`` less its terms that tend to 0 by a proved modulus below 1.

    Such terms are ``c n**j rho**n sin(n theta + phi)`` (or cos), and sums over
    the roots of a numeric polynomial f, ``RootSum(f, z -> p(n) z**(n + e))``,
    times powers ``b**(n + e)``: the modulus is ``rho`` (|sin| <= 1), or a
    rational bound above the roots' moduli proved by the Schur-Cohn test, times
    the b. Trigonometric terms whose modulus is not proved below 1 stay in
    ``rest`` and are returned as ``oscillation = (terms, modulus)`` (one
    modulus for all; else :class:`~symrecycle.core.results.NotDerived`); a sum
    over roots not proved to vanish is refused by name. ``oscillation`` is None
    where there is none.
    """
    def trig(t):
        return any(f.has(n) for f in t.atoms(sp.sin, sp.cos)) or t.has(sp.RootSum)

    if not trig(expr):
        return expr, None
    kept, staying, moduli = [], [], set()
    for t in sp.Add.make_args(sp.expand_mul(expr)):
        if not trig(t):
            kept.append(t)
            continue
        modulus, roots = _modulus(t, n)
        below = sign_on(sp.expand(modulus**2) - 1, params)  # modulus >= 0: modulus < 1 iff its square is
        if sign_on(modulus, params) in (1, "nonneg") and below == -1:
            continue  # tends to 0
        if roots:
            raise NotDerived(
                f"a sum over the roots of {sp.sstr(roots[0].poly.as_expr())}, of modulus up to "
                f"({sp.sstr(modulus)})**n, not proved to vanish (the limit where roots of modulus 1 "
                "or more dominate is not derived)")
        kept.append(t)
        staying.append(t)
        moduli.add(sp.powsimp(sp.cancel(modulus)))
    if len(moduli) > 1:
        raise NotDerived(f"oscillating terms of several moduli {', '.join(map(sp.sstr, moduli))}, not proved "
                         "below 1: their comparison is not derived")
    return sp.Add(*kept), ((tuple(staying), moduli.pop()) if staying else None)


def _modulus(t, n):
    """``(modulus, sums over roots)`` of one term: the product of its powers' bases (per unit of n)."""
    modulus, roots = sp.Integer(1), []
    num, den = sp.fraction(sp.together(t))
    for f in [*sp.Mul.make_args(sp.factor_terms(num)), *(1 / sp.factor_terms(den)).as_ordered_factors()]:
        if isinstance(f, sp.RootSum):
            modulus *= _roots_modulus(f, n)
            roots.append(f)
            continue
        if not f.has(n) or (isinstance(f, (sp.sin, sp.cos)) and f.args[0].is_polynomial(n)
                            and sp.degree(f.args[0], n) == 1):
            continue
        b, e = f.as_base_exp()
        if b == n and e.is_Integer and e > 0:
            continue
        if b.has(n) or not e.is_polynomial(n) or sp.degree(e, n) != 1:
            raise NotDerived(f"the oscillating term {sp.sstr(t)} is not c n**j rho**n sin(n theta + phi)")
        modulus *= b ** sp.diff(e, n)
    return modulus, roots


def amplitudes(terms, modulus, n=N):
    r"""The coefficients that make ``sum(terms)`` vanish for every n exactly where they all vanish.

    Each term is ``c n**j rho**(n + e) sin(a n + b)`` (or cos) with ``rho`` the
    ``modulus``; by :math:`\sin(an + b) = \sin(an)\cos b + \cos(an)\sin b`
    (and the like for cos) the sum is :math:`\rho^n \sum_{j,a} n^j (A_{j,a}
    \sin(an) + B_{j,a} \cos(an))`, and these functions of n are independent
    (a is no multiple of pi: a complex pair). Returns the A and B.
    """
    groups: dict = {}
    for t in terms:
        waves = [f for f in sp.Mul.make_args(t) if isinstance(f, (sp.sin, sp.cos)) and f.has(n)]
        if len(waves) != 1:
            raise NotDerived(f"the oscillating term {sp.sstr(t)} is not c n**j rho**n sin(n theta + phi)")
        (wave,) = waves
        arg = sp.expand(wave.args[0])
        a = arg.coeff(n, 1)
        b = sp.expand(arg - a * n)
        # sin(a n) and cos(a n) are independent where a is no multiple of pi: acos(x) of a complex pair
        # (0 < theta < pi there), or a number that is not
        if not (isinstance(a, sp.acos) or (a.is_number and (a / sp.pi).is_integer is False)):
            raise NotDerived(f"the frequency {sp.sstr(a)} of {sp.sstr(wave)} is not proved apart from the "
                             "multiples of pi")
        powers = (f.as_base_exp() for f in sp.Mul.make_args(t))
        j = max((int(e) for base, e in powers if base == n), default=0)
        c = sp.powsimp(sp.expand_power_exp(t / wave / n**j / modulus**n), force=True)
        if c.has(n):
            raise NotDerived(f"the oscillating term {sp.sstr(t)} is not c n**j rho**n sin(n theta + phi)")
        sin_part, cos_part = (sp.cos(b), sp.sin(b)) if isinstance(wave, sp.sin) else (-sp.sin(b), sp.cos(b))
        key = (j, a)
        old = groups.get(key, (sp.Integer(0), sp.Integer(0)))
        groups[key] = (old[0] + c * sin_part, old[1] + c * cos_part)
    return [sp.expand_trig(x) for pair in groups.values() for x in pair]


def _roots_modulus(rootsum, n):
    """A proved bound above the moduli of the roots of a RootSum's f (body ``p(n) z**(n + e)``)."""
    (z,), body = rootsum.fun.variables, rootsum.fun.expr
    for t in sp.Add.make_args(sp.expand(body)):
        parts = [f.as_base_exp() for f in sp.Mul.make_args(t)]
        z_exp = sum((e for b, e in parts if b == z), sp.Integer(0))
        rest = sp.Mul(*[b**e for b, e in parts if b != z])
        if not sp.expand(z_exp - n).is_Integer or rest.has(z) or not rest.is_polynomial(n):
            raise NotDerived(f"the sum over roots {sp.sstr(rootsum)} is not of the form p(n) z**(n + e)")
    return modulus_bound(rootsum.poly)
