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

__all__ = ["without_vanishing_terms"]


def without_vanishing_terms(expr, params, n=N):
    """``expr`` less its terms that tend to 0 by a proved modulus below 1.

    Such terms are ``c n**j rho**n sin(n theta + phi)`` (or cos), and sums over
    the roots of a numeric polynomial f, ``RootSum(f, z -> p(n) z**(n + e))``,
    times powers ``b**(n + e)``: the modulus is ``rho`` (|sin| <= 1), or a
    rational bound above the roots' moduli proved by the Schur-Cohn test, times
    the b. A term whose symbolic modulus is not proved below 1 is refused by
    name; a trigonometric term with a numeric modulus of 1 or more (``sin(n)``)
    is left in ``expr``, and the rules of :func:`~.asymptotics.decompose` refuse it.
    """
    def trig(t):
        return any(f.has(n) for f in t.atoms(sp.sin, sp.cos)) or t.has(sp.RootSum)

    if not trig(expr):
        return expr
    terms = sp.Add.make_args(sp.expand_mul(expr))
    kept = []
    for t in terms:
        if not trig(t):
            kept.append(t)
            continue
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
        below = sign_on(sp.expand(modulus**2) - 1, params)  # modulus >= 0: modulus < 1 iff its square is
        if modulus.is_number and below != -1 and not roots:
            return expr  # sin(n), or a modulus above 1: the rules below refuse it by name
        if not (sign_on(modulus, params) in (1, "nonneg") and below == -1):
            if roots:
                raise NotDerived(
                    f"a sum over the roots of {sp.sstr(roots[0].poly.as_expr())}, of modulus up to "
                    f"({sp.sstr(modulus)})**n, not proved to vanish (the limit where roots of modulus 1 "
                    "or more dominate is not derived)")
            raise NotDerived(f"an oscillating term of modulus ({sp.sstr(modulus)})**n, not proved below 1 "
                             "(a complex pair of roots with a modulus that may reach 1)")
    return sp.Add(*kept)


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
