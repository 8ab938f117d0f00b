r"""Rigorous interval enclosures of SymPy expressions over boxes, and branch and bound.

:func:`enclose` evaluates an expression with :mod:`mpmath.iv` (outward-rounded
interval arithmetic): every value the expression takes on the box lies in the
returned interval. A ``Piecewise`` takes the hull of the pieces whose
conditions the box does not decide against. :func:`branch_and_bound` splits a
box until a test decides each sub-box from its enclosure, or a budget of boxes
is spent. An unbounded side ``[lo, oo)`` is mapped onto ``u`` in ``[0, 1]`` by
``x = lo + u/(1 - u)`` (exact, so the enclosures stay sound; near ``u = 1`` they
are wide and such boxes stay undecided unless the expression is bounded there).

mpmath's ``iv`` was chosen over python-flint's ``arb``: it ships with mpmath,
already a dependency, and the expressions here are small rational functions
and powers, where balls gain nothing.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy as sp
from mpmath import iv
from mpmath.libmp import libmpf as _libmpf

from ..core.sym import as_sympy

__all__ = ["enclose", "enclose_map", "decide", "branch_and_bound", "Box", "Undecided", "BnB"]

INF = mpmath.inf


class Undecided(ValueError):
    """An expression whose enclosure is not defined on the box (a nan, a complex value)."""


def _num(x):
    x = sp.Rational(x)
    return iv.mpf(int(x.p)) / iv.mpf(int(x.q))


def enclose(expr, values: dict):
    """An interval holding every value of ``expr`` for the symbols ranging over ``values``.

    ``values`` maps symbols to ``(lo, hi)`` pairs of Fractions (or ``mpmath.iv`` intervals).

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> e = enclose(r / (r - a), {a: (Fraction(0), Fraction(1)), r: (Fraction(23, 4), Fraction(23, 4))})
    >>> round(float(e.a), 6), round(float(e.b), 6)
    (1.0, 1.210526)
    """
    env = {s: (v if isinstance(v, iv.mpf) else _interval(*v)) for s, v in values.items()}
    out = _enc(as_sympy(expr), env)
    if _isnan(out):
        raise Undecided("the enclosure is not defined on this box")
    return out


def _interval(lo, hi):
    a = _num(lo) if lo is not None else iv.mpf(-INF)
    b = _num(hi) if hi is not None else iv.mpf(INF)
    return iv.mpf([a.a, b.b])


def _isnan(x):
    a, b = x._mpi_
    return a == _libmpf.fnan or b == _libmpf.fnan


def _enc(e, env):
    if e in env:
        return env[e]
    if e.is_Rational:
        return _num(e)
    if e is sp.oo:
        return iv.mpf(INF)
    if e is sp.S.NegativeInfinity:
        return iv.mpf(-INF)
    if e.is_Float:
        return iv.mpf(mpmath.mpf(e))
    if isinstance(e, sp.Add):
        out = iv.mpf(0)
        for a in e.args:
            out = out + _enc(a, env)
        return out
    if isinstance(e, sp.Mul):
        out = iv.mpf(1)
        for a in e.args:
            out = out * _enc(a, env)
        return out
    if isinstance(e, sp.Pow):
        base = _enc(e.base, env)
        if e.exp.is_Integer:
            k = int(e.exp)
            if k < 0 and base.a <= 0 <= base.b:
                if base.a == 0 == base.b:
                    raise Undecided("division by zero")
                return iv.mpf([-INF, INF]) if base.a < 0 < base.b else _pow_pos(base, k)
            return base ** k
        if base.a < 0:
            raise Undecided(f"a power {e} of a base that may be negative")
        return _pow_pos(base, _enc(e.exp, env))
    if isinstance(e, sp.exp):
        return iv.exp(_enc(e.args[0], env))
    if isinstance(e, sp.log):
        x = _enc(e.args[0], env)
        if x.a <= 0:
            raise Undecided(f"log of a value that may not be positive: {e}")
        return iv.log(x)
    if isinstance(e, sp.Piecewise):
        hull = None
        for v, c in e.args:
            t = decide(c, env)
            if t is False:
                continue
            x = _enc(v, env)
            hull = x if hull is None else iv.mpf([min(hull.a, x.a), max(hull.b, x.b)])
            if t is True:
                return hull
        if hull is None:
            raise Undecided("no case of the Piecewise holds here")
        return hull
    raise Undecided(f"no interval rule for {type(e).__name__}")


def _pow_pos(base, k):
    """``base ** k`` for a nonnegative base (a zero base with a negative power gives +oo)."""
    if isinstance(k, int):
        k = iv.mpf(k)
    out = base ** k
    if _isnan(out):
        raise Undecided("an undefined power")
    return out


def decide(cond, env):
    """True, False or None (undecided) for a condition over the box ``env`` (symbols to intervals).

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> env = {a: iv.mpf([0, 1]), r: iv.mpf([2, 3])}
    >>> decide(a < r, env), decide(sp.Eq(a, r), env), decide(a < 1 / 2, env)
    (True, False, None)
    """
    if cond is sp.true or cond is True:
        return True
    if cond is sp.false or cond is False:
        return False
    if isinstance(cond, sp.And):
        vals = [decide(c, env) for c in cond.args]
        return False if False in vals else (True if all(v is True for v in vals) else None)
    if isinstance(cond, sp.Or):
        vals = [decide(c, env) for c in cond.args]
        return True if True in vals else (False if all(v is False for v in vals) else None)
    if isinstance(cond, sp.Not):
        v = decide(cond.args[0], env)
        return None if v is None else not v
    if isinstance(cond, (sp.Eq, sp.Ne, sp.Lt, sp.Le, sp.Gt, sp.Ge)):
        try:
            d = _enc(cond.lhs - cond.rhs, env)
        except Undecided:
            return None
        if _isnan(d):
            return None
        lo, hi = d.a, d.b
        if isinstance(cond, (sp.Eq, sp.Ne)):
            eq = False if (lo > 0 or hi < 0) else (True if lo == hi == 0 else None)
            return eq if isinstance(cond, sp.Eq) or eq is None else not eq
        if isinstance(cond, sp.Lt):
            return True if hi < 0 else (False if lo >= 0 else None)
        if isinstance(cond, sp.Le):
            return True if hi <= 0 else (False if lo > 0 else None)
        if isinstance(cond, sp.Gt):
            return True if lo > 0 else (False if hi <= 0 else None)
        return True if lo >= 0 else (False if hi < 0 else None)
    return None


# -- boxes ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """Sides ``((lo, hi), ...)`` as Fractions, in the order of :attr:`BnB.symbols`.

    Examples
    --------
    >>> left, right = Box(((Fraction(0), Fraction(1)), (Fraction(0), Fraction(4)))).split([1, 1])
    >>> left.sides[1], right.volume()
    ((Fraction(0, 1), Fraction(2, 1)), Fraction(2, 1))
    """

    sides: tuple

    def split(self, weights):
        k = max(range(len(self.sides)), key=lambda i: (self.sides[i][1] - self.sides[i][0]) * weights[i])
        lo, hi = self.sides[k]
        mid = (lo + hi) / 2
        left = (*self.sides[:k], (lo, mid), *self.sides[k + 1:])
        right = (*self.sides[:k], (mid, hi), *self.sides[k + 1:])
        return Box(left), Box(right)

    def volume(self):
        v = Fraction(1)
        for lo, hi in self.sides:
            v *= hi - lo
        return v

    def center(self):
        return tuple((lo + hi) / 2 for lo, hi in self.sides)


@dataclass
class BnB:
    """What :func:`branch_and_bound` found: sub-boxes that hold, that fail, and that stay undecided.

    ``worst`` is the enclosure (lo, hi as floats) of the held box nearest to failing;
    ``evaluated`` the number of enclosures computed.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> res = branch_and_bound(x, {x: (Fraction(1), None)}, lambda e: True if e.a > 0 else None)
    >>> len(res.held), res.point(res.held[0])  # [1, oo) mapped onto [0, 1]: the centre u = 1/2 is x = 2
    (1, {x: Fraction(2, 1)})
    """

    symbols: tuple
    held: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    undecided: list = field(default_factory=list)
    evaluated: int = 0
    worst: tuple | None = None
    unbounded: tuple = ()

    def point(self, box):
        """The box's centre in the claim's own variables (undoing the map of unbounded sides)."""
        out = {}
        for s, c in zip(self.symbols, box.center()):
            for u, lo, orig in self.unbounded:
                if u == s:
                    s, c = orig, lo + c / (1 - c)
                    break
            out[s] = c
        return out


def branch_and_bound(expr, sides, test, budget=2000, stop_on_fail=True, margin=None):
    """Split the box ``sides`` (``{symbol: (lo, hi)}``, hi None for oo) until ``test`` decides each part.

    ``expr`` is a SymPy expression, or a function of ``{symbol: interval}`` returning an enclosure
    (then every side is bounded). ``test(enclosure)`` returns True (the relation holds on the part), False
    (it fails on the whole part) or None. ``margin(enclosure)`` ranks held parts
    (the smallest is reported as ``worst``).

    Examples
    --------
    >>> a = sp.Symbol("alpha", nonnegative=True)
    >>> def test(e):
    ...     return True if e.b <= 0.3 else None
    >>> res = branch_and_bound(a * (1 - a), {a: (Fraction(0), Fraction(1))}, test)
    >>> len(res.failed), len(res.undecided), len(res.held) > 0
    (0, 0, True)
    """
    syms, start, unbounded = [], [], []
    fn = expr if callable(expr) else None
    expr = None if fn is not None else as_sympy(expr)
    for s, (lo, hi) in sides.items():
        syms.append(s)
        if hi is None:  # [lo, oo) -> u in [0, 1]
            if fn is not None:
                raise ValueError(f"an enclosure function needs a bounded box; {s} is unbounded")
            u = sp.Dummy(f"u_{s}")
            expr = expr.xreplace({s: sp.Rational(lo) + u / (1 - u)})
            syms[-1] = u
            unbounded.append((u, Fraction(lo), s))
            start.append((Fraction(0), Fraction(1)))
        else:
            start.append((Fraction(lo), Fraction(hi)))
    res = BnB(tuple(syms), unbounded=tuple(unbounded))
    weights = [1 / max(hi - lo, Fraction(1, 10**12)) for lo, hi in start]
    scale = [max(hi - lo, Fraction(1, 10**12)) for lo, hi in start]

    def key(b):  # the largest part (relative to the box) first: undecided volume shrinks evenly
        v = Fraction(1)
        for (lo, hi), s in zip(b.sides, scale):
            v *= (hi - lo) / s
        return -v

    count = itertools.count()
    stack = [(0, 0, Box(tuple(start)))]
    while stack:
        box = heapq.heappop(stack)[2]
        if res.evaluated >= budget:
            res.undecided.append(box)
            continue
        res.evaluated += 1
        try:
            env = dict(zip(syms, box.sides))
            enc = fn({s: _interval(*v) for s, v in env.items()}) if fn is not None else enclose(expr, env)
            verdict = test(enc)
        except (ValueError, ZeroDivisionError):  # Undecided, or a nan end
            enc, verdict = None, None
        if verdict is True:
            res.held.append(box)
            if margin is not None:
                m = margin(enc)
                if res.worst is None or m < res.worst[0]:
                    res.worst = (m, (float(enc.a), float(enc.b)))
        elif verdict is False:
            res.failed.append(box)
            if stop_on_fail:
                res.undecided.extend(b for _, _, b in stack)
                return res
        elif all(hi - lo < Fraction(1, 2**40) for lo, hi in box.sides):
            res.undecided.append(box)  # too small to split further
        else:
            for b in box.split(weights):
                heapq.heappush(stack, (key(b), next(count), b))
    return res


def enclose_map(step, start, count, env):
    """The enclosure of ``M_count`` for ``M_{k+1} = step(M_k, k)`` from ``M_0 = start`` (SymPy expressions
    in the box's symbols and ``u`` for ``M_k``, ``k`` for the index), every symbol ranging over ``env``.

    Examples
    --------
    >>> a, u, k = sp.symbols("alpha u k")
    >>> e = enclose_map((1 + a * u / 2, u, k), 1, 2, {a: iv.mpf([0, 1])})  # M = 1 + a M / 2
    >>> float(e.a), float(e.b)
    (1.0, 1.75)
    """
    expr, u, k = step
    f = compiled(expr)
    m = _enc(as_sympy(start), env)
    env = dict(env)
    has_k = k in expr.free_symbols
    for i in range(count):
        env[u] = m
        if has_k:
            env[k] = iv.mpf(i)
        m = f(env)
        if _isnan(m):
            raise Undecided("the enclosure is not defined on this box")
    return m


_COMPILED: dict = {}


def compiled(expr):
    """``expr`` as a function of ``{symbol: interval}`` (the rules of :func:`enclose`, without its
    dispatch on every call); a Piecewise is left to :func:`enclose`'s walk."""
    if expr not in _COMPILED:
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        _COMPILED[expr] = _compile(as_sympy(expr))
    return _COMPILED[expr]


def _compile(e):
    if e.is_Symbol:
        return lambda env: env[e]
    if e.is_Rational:
        c = _num(e)
        return lambda env: c
    if isinstance(e, (sp.Add, sp.Mul)):
        parts = [_compile(a) for a in e.args]
        if isinstance(e, sp.Add):
            def add(env):
                out = parts[0](env)
                for p in parts[1:]:
                    out = out + p(env)
                return out
            return add

        def mul(env):
            out = parts[0](env)
            for p in parts[1:]:
                out = out * p(env)
            return out
        return mul
    if isinstance(e, sp.Pow) and e.exp.is_Integer and int(e.exp) > 0:
        b, k = _compile(e.base), int(e.exp)
        return lambda env: b(env) ** k
    if isinstance(e, sp.Pow) and e.exp == -1:
        b = _compile(e.base)

        def inv(env):
            x = b(env)
            lo, hi = x._mpi_
            if _libmpf.mpf_le(lo, _libmpf.fzero) and _libmpf.mpf_ge(hi, _libmpf.fzero):
                raise Undecided("division by an interval holding 0")
            return 1 / x
        return inv
    return lambda env: _enc(e, env)
