r"""Linear recurrences whose characteristic polynomial has numeric factors without usable radical roots.

For :math:`x_n = h_1 x_{n-1} + \dots + h_d x_{n-d} + w(n)` with a characteristic
polynomial :math:`H(z) = z^d - h_1 z^{d-1} - \dots - h_d = \prod_f f(z)^{m_f}`
whose factors f are numeric and irreducible over the rationals (a cubic, a
quartic, a complex pair beside other roots), the solution is written as a sum
over the roots of each factor, SymPy's ``RootSum``:

.. math::

    x_n = P(n) + \sum_f \sum_{f(z) = 0} \Big(\sum_{t < m_f} n^t R_{f,t}(z)\Big) z^{n - s},

with :math:`R_{f,t}` polynomials of degree below :math:`\deg f` whose
coefficients are rational in the parameters. The sum over the roots of a
rational polynomial in z is rational (a combination of power sums), so the
closed form is real, exact at every integer n, and its coefficients come from
a linear system with rational entries: no radical of a cubic and no complex
number appears. :math:`P(n)` is the particular solution of the exponential-
polynomial forcing (a base that may be a root of H is refused by name).

Every closed form here is decided: :func:`rootsum_zero` reduces the sum over
the roots of f modulo f (a remainder of 0 is a proof for every n) and decides
the rest as an exponential polynomial. :func:`schur_inside` decides, in exact
arithmetic, that every root of a polynomial lies in the open unit disc (the
Schur-Cohn test), which proves the limits of such sums.
"""

from __future__ import annotations

import sympy as sp

from ..core import points as _points
from ..core import sym as _sym
from ..core.params import n as N
from ..core.results import NotDerived
from .cases import decompose_forcing
from .signs import sign_on

__all__ = ["characteristic", "check_iteration", "modulus_bound", "particular", "power_sum", "rootsum_zero",
           "schur_inside", "solve_over_roots"]


def particular(p, lam, coefficients, n=N):
    """``q(n)`` with ``q(n) lam**n`` solving ``x_n = sum_j c_j x_{n-j} + p(n) lam**n``.

    ``lam`` must not be a root of ``z**k - c_1 z**(k-1) - ... - c_k`` (then q
    has the degree of p).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> particular(sp.Integer(1), sp.Integer(2), [1, 1])  # x_n = x_{n-1} + x_{n-2} + 2**n
    4
    """
    k = len(coefficients)
    d = sp.Poly(p, n).degree()
    qs = sp.symbols(f"q0:{d + 1}", cls=sp.Dummy)
    q = sum((c * n**j for j, c in enumerate(qs)), sp.Integer(0))
    # divided by lam**(n-k): lam**k q(n) - sum_j c_j lam**(k-j) q(n-j) = lam**k p(n)
    shifted = (c * lam ** (k - j) * q.subs(n, n - j) for j, c in enumerate(coefficients, 1))
    eq = lam**k * (q - p) - sum(shifted, sp.Integer(0))
    sol = sp.solve(sp.Poly(sp.expand(eq), n).coeffs(), qs, dict=True)
    if len(sol) != 1:
        raise ValueError(f"no particular solution for the forcing term {p}*{lam}**n (a root, here)")
    return sp.factor(q.subs(sol[0]))


def characteristic(coefficients, z):
    """``z**k - c_1 z**(k-1) - ... - c_k``: the characteristic polynomial of ``x_n = sum_j c_j x_{n-j}``.

    Examples
    --------
    >>> import sympy as sp
    >>> characteristic([1, 1], sp.Symbol("z"))
    z**2 - z - 1
    """
    k = len(coefficients)
    terms = (_sym.as_sympy(c) * z ** (k - 1 - i) for i, c in enumerate(coefficients))
    return z**k - sum(terms, sp.Integer(0))


def power_sum(f, m):
    r"""The sum of the m-th powers of the roots of ``f`` (a Poly with rational coefficients): exact.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z")
    >>> power_sum(sp.Poly(z**2 - z - 1, z), 5)  # Lucas: L_5
    11
    """
    z = f.gen
    return sp.RootSum(f, sp.Lambda(z, z**m))


def schur_inside(coefficients) -> bool:
    r"""Whether every root of ``sum_k a_k z**k`` (``coefficients`` from a_0 up, real) has ``|z| < 1``.

    The Schur-Cohn test in exact arithmetic: with :math:`|a_0| < |a_d|`, the
    polynomial :math:`(a_d p(z) - a_0 z^d p(1/z)) / z` has one root fewer in the
    disc than p and none on its circle that p has not; p is stable exactly
    when it is stable too.

    Examples
    --------
    >>> schur_inside([-1, 0, 4]), schur_inside([-1, 0, 1])  # roots +-1/2, then +-1
    (True, False)
    """
    a = [sp.Rational(c) if not isinstance(c, sp.Basic) else sp.nsimplify(c) for c in coefficients]
    while len(a) > 1:
        if not abs(a[0]) < abs(a[-1]):
            return False
        d = len(a) - 1
        a = [a[-1] * a[k] - a[0] * a[d - k] for k in range(1, d + 1)]
    return True


def modulus_bound(f):
    """A rational just above the largest modulus of the roots of ``f``, proved by :func:`schur_inside`.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z")
    >>> bound = modulus_bound(sp.Poly(z**2 + 1, z) * sp.Poly(2 * z - 1, z))  # roots +-i, 1/2
    >>> 1 < bound < sp.Rational(101, 100)
    True
    """
    moduli = [abs(complex(r)) for r in sp.Poly(f).nroots(n=30)]
    top = max(moduli) if moduli else 0.0
    for pad in (1e-12, 1e-9, 1e-6, 1e-3, 1e-1):
        bound = sp.Rational(top * (1 + pad) + pad).limit_denominator(10**15)
        scaled = [c * bound**k for k, c in enumerate(reversed(sp.Poly(f).all_coeffs()))]
        if bound > top and schur_inside(scaled):
            return bound
    raise ValueError(f"no modulus bound proved for the roots of {f}")  # pragma: no cover


def _rootsum_parts(expr, n):
    """``(rest, {(f, z): Q})``: ``expr`` with its sums over roots taken out, or None if of another form.

    Each term ``c * RootSum(f, Lambda(z, body))``, its body a sum of
    ``b(n) z**(n + e)`` (e an integer), contributes ``sum b(n) z**(e - low)``
    to ``Q``, ``low`` the lowest e of the whole expression: the sums over roots
    of f together are the sum of ``Q(z) z**(n + low)``.
    """
    rest, found = sp.Integer(0), []
    for term in sp.Add.make_args(sp.expand(expr)):
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.RootSum)]
        if not sums:
            rest += term
            continue
        if len(sums) != 1:
            return None
        (rs,) = sums
        (z,), body = rs.fun.variables, rs.fun.expr
        f = sp.Poly(rs.poly.as_expr(z), z)  # in the Lambda's own variable (the cache may name it apart)
        if f.degree() < 1:
            return None
        key = (f.monic().as_expr(), z)
        for t in sp.Add.make_args(sp.expand(term / rs * body)):
            z_exp, c = sp.Integer(0), sp.Integer(1)
            for fac in sp.Mul.make_args(t):
                b, e = fac.as_base_exp()
                if b == z:
                    z_exp += e
                elif fac.has(z):
                    return None
                else:
                    c *= fac
            e = sp.expand(z_exp - n)
            if not e.is_Integer:
                return None  # a power of z not of the form z**(n + e)
            found.append((key, c, e))
    low = min((e for _, _, e in found), default=0)
    parts: dict = {}
    for key, c, e in found:
        parts[key] = parts.get(key, sp.Integer(0)) + c * key[1] ** (e - low)
    return rest, parts


def rootsum_zero(expr, n=N) -> bool:
    """Whether ``expr`` is 0 for every n: sums over roots reduced modulo their polynomial, the rest decided.

    False means "not proved".

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> z = sp.Symbol("z")
    >>> f = z**3 - z - 1
    >>> s = lambda k: sp.RootSum(f, sp.Lambda(z, z**(n + k)))
    >>> rootsum_zero(s(3) - s(1) - s(0)), rootsum_zero(s(3) - s(1))
    (True, False)
    """
    split = _rootsum_parts(expr, n)
    if split is None:
        return False
    rest, parts = split
    for (f, z), q in parts.items():
        num, _den = sp.fraction(sp.together(q))
        try:
            left = sp.rem(sp.Poly(sp.expand(num), z), sp.Poly(f, z))
        except sp.PolynomialError:
            return False
        if not all(_sym.is_zero(c) for c in left.all_coeffs()):
            return False
    rest = sp.expand(rest)
    return rest == 0 or _sym.expo_zero(sp.powsimp(rest), n)


def hard_factors(coefficients, params=None):
    """``[(f, m)]``: the numeric irreducible factors of ``z**k - c_1 z**(k-1) - ... - c_k`` solved over roots.

    Those of degree 3 or more (their roots are no radicals a reader can use),
    and beyond second order those of degree 2 too (a complex pair beside other
    roots, or radicals that a cascade of k levels would carry), and a quadratic
    of the parameters whose discriminant is not proved positive (solved as a
    second-order recurrence, by the sign of its discriminant); ``[]`` where
    there is none. Second order keeps its radicals and its sines.
    """
    k = len(coefficients)
    z = sp.Dummy("z")
    char = characteristic(coefficients, z)
    _, factors = sp.factor_list(sp.expand(char), z)
    out = []
    for f, m in factors:
        fz = sp.Poly(f, z)
        if fz.degree() < 2:
            continue
        if f.free_symbols - {z}:  # beyond second order, a quadratic of parameters whose roots may be complex
            a2, a1, a0 = fz.all_coeffs() if fz.degree() == 2 else (1, 0, 0)
            if fz.degree() == 2 and k > 2 and sign_on(sp.factor(a1**2 - 4 * a2 * a0), params or []) != 1:
                out.append((fz.monic(), m))
            continue
        # beyond second order every such factor: radicals through a cascade of k levels are slow and long
        if fz.degree() >= 3 or k > 2 or sp.discriminant(fz) < 0:
            out.append((fz.monic(), m))
    return out


def _name(taken):
    return sp.Symbol(next(x for x in ("z", "w", "zeta", "xi") if x not in taken))


def solve_over_roots(coefficients, forcing, initials, start, params=None, name="x"):
    r"""The solution of ``x_n = sum_j h_j x_{n-j} + w(n)`` (``n >= start + d``), every factor numeric.

    ``coefficients`` are ``h_1, ..., h_d``, numbers, with no rational root;
    ``forcing`` an exponential polynomial (no cases); ``initials`` the d first
    values. Raises :class:`~symrecycle.core.results.NotDerived` where a forcing
    base may be a root.

    Examples
    --------
    ``x_n = x_{n-1} + x_{n-3}`` (Narayana's cows), ``x_1 = x_2 = x_3 = 1``:

    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> x = solve_over_roots([1, 0, 1], sp.Integer(0), [1, 1, 1], 1)
    >>> [x.subs(n, k) for k in range(1, 10)]
    [1, 1, 1, 2, 3, 4, 6, 9, 13]
    """
    n, s, d = N, start, len(coefficients)
    hs = [_sym.as_sympy(c) for c in coefficients]
    taken = {str(x) for x in _sym.as_sympy(forcing).free_symbols}
    taken |= {str(x) for v in initials for x in _sym.as_sympy(v).free_symbols}
    z = _name(taken)
    char = sp.Poly(characteristic(hs, z), z)
    part = sp.Integer(0)
    for p, lam in decompose_forcing(_sym.as_sympy(forcing), n):
        at = sp.factor(char.as_expr().subs(z, lam))
        if at == 0 or not (at.is_number or sign_on(at, params or []) in (1, -1)):
            raise NotDerived(
                f"recurrence for {name}: the forcing base {sp.sstr(lam)} may be a root of "
                f"{sp.sstr(char.as_expr())} (that case is not yet solved)")
        part += particular(p, lam, hs, n) * lam**n
    _, factors = sp.factor_list(char.as_expr(), z)
    basis = []  # (f, t, j): n**t z**j z**(n - s) summed over the roots of f
    for f, m in factors:
        fz = sp.Poly(f, z).monic()
        basis += [(fz, t, j) for t in range(m) for j in range(fz.degree())]
    matrix = sp.Matrix([[(s + i) ** t * power_sum(f, j + i) for f, t, j in basis] for i in range(d)])
    rhs = sp.Matrix([sp.expand(_sym.as_sympy(x0) - part.subs(n, s + i)) for i, x0 in enumerate(initials)])
    coeffs = [sp.factor(c) for c in matrix.LUsolve(rhs)]
    bodies: dict = {}
    for (f, t, j), c in zip(basis, coeffs):
        bodies[f] = bodies.get(f, sp.Integer(0)) + c * n**t * z**j
    expr = part + sum((sp.RootSum(f, sp.Lambda(z, sp.collect(body, z) * z ** (n - s)))
                       for f, body in bodies.items()), sp.Integer(0))
    return expr


def check_iteration(coefficients, forcing, initials, start, expr, params, where=sp.true, count=3, steps=6):
    """``expr`` against exact iteration of the order-k recurrence at points of ``where``: ``(ok, line)``."""
    n, s, k = N, start, len(coefficients)
    pts = _points.sample_points(where, params, count) if params else [{}]
    if not pts:
        return False, f"no sample point where {sp.sstr(where)} (so NOT checked)"
    for pt in pts:
        cs = [_sym.at_point(_sym.as_sympy(c), pt) for c in coefficients]
        xs = [_sym.at_point(_sym.as_sympy(x), pt) for x in initials]
        f, at = _sym.at_point(_sym.as_sympy(forcing), pt), _sym.at_point(expr, pt)
        for m in range(s + k, s + k + steps):
            xs.append(sp.expand(sum((c * xs[-j] for j, c in enumerate(cs, 1)), sp.Integer(0))
                                + _sym.at_point(f, {n: m})))
        for j, want in enumerate(xs):
            if not _sym.is_zero(_sym.at_point(at, {n: s + j}) - want):
                return False, f"differs from exact iteration at {pt}, n = {s + j}"
    return True, (f"equals exact iteration at n = {s}..{s + k + steps - 1} on {len(pts)} point(s) "
                  f"where {sp.sstr(where)}")
