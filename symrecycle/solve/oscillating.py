r"""Second order with a complex pair of roots: the closed form in real cosines and sines.

For :math:`x_n = c_1 x_{n-1} + c_2 x_{n-2} + f(n)` whose discriminant
:math:`D = c_1^2 + 4 c_2` is negative (proved on the parameters' domains, or a
number), the roots are :math:`\rho e^{\pm i\theta}` with :math:`\rho = \sqrt{-c_2}`
and :math:`\cos\theta = c_1 / (2\rho)`. With the Lucas sequence

.. math::

    U_m = \rho^{m-1} \frac{\sin(m\theta)}{\sin\theta}
    \qquad (U_0 = 0,\; U_1 = 1,\; U_m = c_1 U_{m-1} + c_2 U_{m-2}),

the solution from :math:`x_s, x_{s+1}` is

.. math::

    x_n = P(n) + h_{s+1} U_{n-s} + c_2 h_s U_{n-s-1}, \qquad h_j = x_j - P(j),

where :math:`P(n) = \sum_i q_i(n) \lambda_i^n` solves the recurrence with the
forcing :math:`\sum_i p_i(n) \lambda_i^n` (a real base is never a root here, so
there is no degenerate case). Every part is decided:

- the homogeneous part as a polynomial identity in :math:`\rho^n`,
  :math:`\sin(n\theta)` and :math:`\cos(n\theta)` (each shift opened with the
  addition formulas; every coefficient decided to be 0, which proves the
  identity for every n);
- the particular part as an exponential-polynomial identity;
- the two first values exactly;

and exact iteration is sampled on the domain.
"""

from __future__ import annotations

import sympy as sp

from ..core import sym as _sym
from ..core.params import n as N
from .cases import decompose_forcing
from .certify import BranchCertificate
from .recurrence import ClosedForm
from .rootsums import check_iteration, particular
from .signs import sign_on

__all__ = ["is_complex_pair", "solve_complex_pair"]


def is_complex_pair(coefficients, params=None) -> bool:
    """Whether ``z**2 - c1 z - c2`` has a complex pair of roots for every parameter value.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", positive=True)
    >>> is_complex_pair([1, -1]), is_complex_pair([1, 1])
    (True, False)
    """
    if len(coefficients) != 2:
        return False
    c1, c2 = (_sym.as_sympy(c) for c in coefficients)
    disc = sp.factor(c1**2 + 4 * c2)
    if disc.is_number:
        return bool(disc.is_negative)
    return bool(params) and sign_on(disc, params) == -1


def solve_complex_pair(rec, params=None, where=sp.true) -> ClosedForm:
    """The closed form of a second-order ``rec`` (a HigherRecurrence) whose roots are a complex pair.

    ``where``: the set of parameters it is for (``c1**2 + 4 c2 < 0`` where that
    is not the whole domain), on which the exact iteration is sampled.
    """
    n, s = N, rec.start
    c1, c2 = (_sym.as_sympy(c) for c in rec.coefficients)
    x0, x1 = (_sym.as_sympy(x) for x in rec.initials)
    forcing = _sym.as_sympy(rec.forcing)
    if forcing.has(sp.Piecewise):
        raise ValueError("a forcing with cases, beside a complex pair of roots, is not yet solved")
    terms = [(p, lam, particular(p, lam, [c1, c2])) for p, lam in decompose_forcing(forcing, n)]
    part = sum((q * lam**n for _, lam, q in terms), sp.Integer(0))
    h0, h1 = sp.expand(x0 - part.subs(n, s)), sp.expand(x1 - part.subs(n, s + 1))
    rho = sp.sqrt(-c2)
    theta = sp.acos(c1 / (2 * rho))

    def lucas(m):
        return rho ** (m - 1) * sp.sin(m * theta) / sp.sin(theta)

    expr = part + h1 * lucas(n - s) + c2 * h0 * lucas(n - s - 1)
    certificate = (
        _homogeneous_certificate(c1, c2, h0, h1, s, rho, theta),
        _particular_certificate(part, c1, c2, forcing),
        BranchCertificate(sp.true, sp.Integer(0), _initial_residual(expr, rec, x0, x1),
                          "the first two values, exact"),
    )
    ok, line = check_iteration(rec.coefficients, rec.forcing, rec.initials, s, expr, params, where)
    return ClosedForm(rec, expr, certificate, checks=(line,), checked=ok)


def _homogeneous_certificate(c1, c2, h0, h1, s, rho, theta):
    """``h_{s+1} U_{n-s} + c2 h_s U_{n-s-1}`` against the homogeneous recurrence, decided."""
    big_r, sin_n, cos_n = sp.symbols("R S C", cls=sp.Dummy)

    def lucas_at(shift):  # U_{n+shift} with rho**n, sin(n theta), cos(n theta) held as symbols
        c = sp.expand_trig(sp.cos(shift * theta))
        si = sp.expand_trig(sp.sin(shift * theta))
        return big_r * rho ** (shift - 1) * (sin_n * c + cos_n * si) / sp.sin(theta)

    # an identity for every h0, h1 (they enter linearly): held as symbols, the coefficients stay small
    big_h0, big_h1 = sp.symbols("H0 H1", cls=sp.Dummy)

    def h_at(j):  # the homogeneous part at n - j
        return big_h1 * lucas_at(-s - j) + c2 * big_h0 * lucas_at(-s - 1 - j)

    residual = sp.expand(h_at(0) - c1 * h_at(1) - c2 * h_at(2))
    coefficients = sp.Poly(residual, big_r, sin_n, cos_n, big_h0, big_h1).coeffs() if residual != 0 else []
    # undecided coefficients by their moduli: none may cancel another into a proof
    left = sp.Add(*[sp.Abs(c) for c in coefficients if not _sym.is_zero(sp.radsimp(c))])
    return BranchCertificate(sp.true, left, sp.Integer(0),
                             "complex pair: a polynomial identity in rho**n, sin(n theta), cos(n theta)")


def _particular_certificate(part, c1, c2, forcing):
    n = N
    residual = sp.expand(part - c1 * part.subs(n, n - 1) - c2 * part.subs(n, n - 2) - forcing)
    decided = residual == 0 or _sym.expo_zero(sp.powsimp(residual), n)
    return BranchCertificate(sp.true, sp.Integer(0) if decided else residual, sp.Integer(0),
                             "the forcing's particular solution, an exponential-polynomial identity")


def _initial_residual(expr, rec, x0, x1):
    n, s = N, rec.start
    left = [expr.subs(n, s + i) - x for i, x in ((0, x0), (1, x1))]
    return sp.Add(*[sp.Abs(e) for e in left if not _sym.is_zero(e)])  # is_zero opens sin(k acos(x))
