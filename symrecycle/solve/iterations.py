"""How many iterations until a sequence comes within a fraction of its limit: n* by regime."""

from __future__ import annotations

import sympy as sp

from ..core import conditions as _cond
from ..core import sym as _sym
from ..core.params import n as N
from ..core.results import NotDerived
from .asymptotics import _abs, _contradictory, _merge, _zero_condition, decompose

__all__ = ["iterations_to"]


def iterations_to(expr, limit_cases, fraction, params, n=N):
    r"""The real n* from which ``expr`` stays within ``1 - fraction`` of its limit.

    Where the limit ``L`` is finite and nonzero and ``expr - L`` is a single
    term ``c * mu**n`` with ``mu < 1``,

    .. math::

        |c|\,\mu^{n} = (1 - f)\,|L| \iff n^* = \frac{\log\big((1-f)|L|/|c|\big)}{\log \mu}.

    Returns ``[(value, condition), ...]``; where ``c = 0`` the sequence sits at
    its limit from the start (``n* = start``); where the limit is infinite
    there is no such n (``oo``).

    Examples
    --------
    ``2 - 2**-n`` is within 1% of its limit 2 from ``n* = log2(50)``, where ``2**-n = 0.02``:

    >>> import sympy as sp
    >>> from symrecycle.core.params import STANDARD, n
    >>> iterations_to(2 - sp.Rational(1, 2)**n, [(sp.Integer(2), sp.true)], 0.99, [])
    [(log(50)/log(2), True)]
    >>> r = STANDARD["r"].symbol
    >>> iterations_to(2 - r**n, [(sp.Integer(2), r < 1)], 0.75, [STANDARD["r"]])
    [(-log(2)/log(r), r < 1)]
    """
    f = sp.nsimplify(fraction) if isinstance(fraction, float) else _sym.as_sympy(fraction)
    out = []
    for L, cond in limit_cases:
        if L.has(sp.oo, -sp.oo):
            out.append((sp.oo, cond))
            continue
        for branch, bcond in _sym.exclusive_pieces(expr):
            full = sp.And(cond, bcond)
            if _contradictory(full):
                continue
            diff = _cond.substitute_condition(branch - L, full)
            try:
                terms = decompose(diff, n)
            except ValueError as exc:  # sines, sums over roots: no single term c mu**n
                raise NotDerived(f"the distance to the limit is not a sum of terms c(n) mu**n (it oscillates "
                                 f"or sums over roots), so n* has no closed form: {exc}") from exc
            if not terms:
                out.append((sp.Integer(1), full))
                continue
            if len(terms) != 1:
                raise NotDerived(
                    f"{diff} has several terms; no closed form for the iterations"
                )
            (mu, c), = terms.items()
            if c.has(n):
                raise NotDerived(f"coefficient {c} depends on n")
            region = [(mu, "<")]
            size_c = _abs(c, params, region)
            ratio = sp.factor(sp.simplify((1 - f) * _abs(L, params, region) / size_c))
            nstar = sp.log(ratio) / sp.log(mu)
            zero = _zero_condition(c, params, region)
            l_zero = _zero_condition(L, params, region)
            out.append((nstar, sp.And(full, sp.Not(zero), sp.Not(l_zero))))
            out.append((sp.Integer(1), sp.And(full, zero)))
            # a limit of 0 is approached but never within a fraction of itself
            out.append((sp.oo, sp.And(full, sp.Not(zero), l_zero)))
    return _merge([(v, c) for v, c in out if not _contradictory(c)])
