r"""Derived results compiled to numbers: fast floats where floats are exact
enough, mpmath where they are not.

The float path is the symbolic result compiled to numpy (a :class:`~.kernel.Kernel`,
``lambdify`` where it does not apply) after two rewrites derived from the expression itself:

* degenerate branches (``Eq`` conditions) are dropped, and every point within
  a relative distance ``delta_k`` of a degenerate set is sent to the precise
  path, where ``k`` is the order of the removable singularity there (the
  multiplicity of the vanishing factor in the generic branch's denominator);
  away from it the generic branch loses at most ``~ulp / delta_k**k``;
* ``log(x)`` becomes ``log1p(x - 1)`` with ``x - 1`` brought over a common
  denominator, so that ``log(alpha/r)`` near ``alpha = r`` keeps its digits.

Points where the float value is not finite though the selected case is
finite (overflow of ``r**n``), and points where a power grows over more than
:data:`GROWTH` in ``e*log(b)`` (its relative error grows like that many ulps), also go to
the precise path: mpmath at a precision raised until two evaluations agree.
Branch selection there is exact (``g*r == 1`` is decided on the exact binary
values), so the degenerate points themselves are right.

The detection costs about one extra read of each block: every test is first
decided by a reduction (:func:`~.kernel.exists`; the value's sum for
finiteness) while its array is in cache, and a mask the size of the block is
built only for a test that finds something.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from ..core import conditions as _cond
from ..core import sym as _sym
from ..core.params import n as N
from .fixed import fixed_point_functions
from .kernel import _REL, Variant, _logb, exists, in_blocks
from .lambdas import numpy_function
from .pool import _MP_LOCK

__all__ = ["compile_expr", "Compiled", "CompiledSums", "mp_function"]


#: a growing power b**e with e*log(b) above this goes to the precise path
#: (its relative error is about e*log(b) ulps)
GROWTH = 64.0
_GROWN = math.exp(GROWTH)
#: a growing power over more steps than this goes to the precise path
#: (the rounding of its base is multiplied by the exponent)
GROWTH_STEPS = 200
#: relative distance to a degenerate set below which a point of pole order k is precise
DELTA = {1: 1e-2, 2: 0.06, 3: 0.2}
#: float relative tolerance the precise path aims at before rounding to float
_AGREE = mpmath.mpf(10) ** -22


def _pole_order(generic, eq):
    """Multiplicity of the factors of ``generic``'s denominator that vanish on ``eq``."""
    try:
        sub = _cond.solve_equality(eq)
    except ValueError:
        return 3
    den = sp.denom(sp.together(generic))
    order = 0
    for f in sp.Mul.make_args(sp.factor(den)):
        b, e = f.as_base_exp()
        if b.has(*sub) and _sym.is_zero(b.subs(sub)):
            order += int(e) if e.is_Integer else 3
    return max(order, 1)


_LOGB = sp.Function("logb")
_EXP = sp.Function("exp")


def _log1p_rewrite(expr):
    """``log(x)`` as ``log1p(x - 1)`` near 1, ``x - 1`` over a common denominator.

    ``log(alpha/r)`` then uses ``(alpha - r)/r``: exact subtraction near ``alpha = r``.
    """

    def log_of(arg):
        if arg.is_number:
            return sp.log(arg)
        return _LOGB(arg, sp.together(arg - 1))

    return expr.replace(lambda e: isinstance(e, sp.log), lambda e: log_of(e.args[0]))


def _n_powers(expr):
    """The powers ``b**e`` whose exponent depends on n (b not a number)."""
    return sorted(
        (p for p in expr.atoms(sp.Pow) if p.exp.has(N) and not p.base.is_number), key=sp.default_sort_key
    )


def _exp_powers(expr):
    """``b**e(n)`` (b >= 0) as ``exp(e*log(b))``: underflow without libm pow's slow subnormal path."""
    def is_pow(e):
        return isinstance(e, sp.Pow) and e.exp.has(N) and e.base.is_nonnegative and not e.base.is_number

    return expr.replace(is_pow, lambda e: _EXP(e.exp * sp.Function("logn")(e.base)))


@dataclass
class Compiled:
    """A derived expression compiled for float and mpmath evaluation.

    Built by :func:`compile_expr`; call :meth:`floats` or :meth:`mp`.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", positive=True)
    >>> c = compile_expr(x * y, [x, y])
    >>> type(c).__name__, c.args, float(c.floats({x: 3.0, y: 2.0}))
    ('Compiled', (x, y), 6.0)
    """

    expr: sp.Basic
    args: tuple
    fast: tuple
    near: tuple
    growth: int
    inf_case: object
    precise: object

    def floats(self, values: dict):
        """Float evaluation with broadcasting; imprecise points recomputed in mpmath.

        Works through the broadcast shape in blocks of about :data:`BLOCK`
        elements along the first axis, so temporaries stay small.

        Examples
        --------
        >>> import numpy as np
        >>> import sympy as sp
        >>> x, y = sp.symbols("x y", positive=True)
        >>> compile_expr(x * y, [x, y]).floats({x: np.array([1.0, 2.0]), y: np.array([[1.0], [10.0]])})
        array([[ 1.,  2.],
               [10., 20.]])
        """
        arrays = [np.asarray(values[a], dtype=float) for a in self.args]
        shape = np.broadcast_shapes(*[x.shape for x in arrays])
        # subnormal or huge inputs lose digits in any formula: precise path
        extreme = []
        for x in arrays:
            size = np.abs(x)
            bad = size > 1e290
            tiny = size < 1e-290
            if tiny.any():
                bad |= tiny & (x != 0)
            if bad.any():
                extreme.append(bad)
        # keep each input in its own shape (leading axes padded): what depends on
        # r alone is then computed once per r, not once per grid point
        arrays = [x.reshape((1,) * (len(shape) - x.ndim) + x.shape) for x in arrays]
        if extreme:
            arrays.append(np.logical_or.reduce([np.broadcast_to(e, shape) for e in extreme]))
        if not shape:
            out = np.empty(1)
            self._block([a.reshape(1) for a in arrays], out)
            return out.reshape(())
        return in_blocks(self._block, arrays, shape)

    def _block(self, arrays, out):
        """The block's values into ``out``; the points a check flags recomputed in mpmath."""
        forced = arrays[len(self.args)] if len(arrays) > len(self.args) else None
        arrays = arrays[: len(self.args)]
        with np.errstate(all="ignore"):
            fast, fast_long, exponents = self.fast
            if exponents is not None and any(
                (np.abs(np.asarray(e)) > GROWTH_STEPS).any() for e in exponents(*arrays)
            ):
                fast = fast_long
            long = fast is not self.fast[0]  # (then the powers' arrays are looked at)
            checks, screens, finite = fast.run(arrays, out, long)
            if any(screens) and checks is None:  # the same again, keeping the checks' arrays
                checks, screens, finite = fast.run(arrays, out, True)
            flag = None
            if not finite or any(screens) or forced is not None or long:
                flag = self._flags(out, checks, screens, finite, arrays, forced)
        if flag is not None:
            idx = np.nonzero(flag)
            cols = [np.broadcast_to(a, out.shape)[idx] for a in arrays]
            out[idx] = [float(self.mp_point(*pt)) for pt in zip(*cols)]

    def _flags(self, out, checks, screens, finite, arrays, forced):
        """The points to recompute, or None; a mask only for a check whose screen found something.

        ``checks``: each power and its exponent, then both sides of each
        near-degenerate test; ``screens``: whether some power exceeds
        :data:`GROWTH`, then whether some point is near each degenerate set
        (:func:`~.kernel.exists`); ``finite``: whether every value is. A point is
        flagged where its value is not finite though its case is, where a power
        grew past :data:`GROWTH` (or past 1 over more than :data:`GROWTH_STEPS`
        steps), near a degenerate set, or at an extreme input.
        """
        g = 2 * self.growth
        # over more than GROWTH_STEPS steps a power is flagged past 1 (only in the exp(e*log(b)) variant)
        limits = [np.where(np.abs(np.asarray(s)) > GROWTH_STEPS, 1.0, _GROWN) for s in checks[1:g:2]] \
            if checks is not None else []
        grown = [i for i in range(self.growth)
                 if screens[i] or (checks is not None and exists(checks[2 * i], ">", limits[i]))]
        near = [(checks[g + 2 * k], op, checks[g + 2 * k + 1])
                for k, op in enumerate(self.near) if screens[self.growth + k]]
        if finite and not grown and not near and forced is None:
            return None
        flag = np.zeros(out.shape, dtype=bool)
        if not finite:
            np.logical_not(np.isfinite(out), out=flag)
            if self.inf_case is not None and flag.any():
                flag &= ~np.asarray(self.inf_case(*arrays), dtype=bool)
        for i in grown:
            flag |= np.asarray(checks[2 * i]) > limits[i]
        for lhs, op, rhs in near:
            flag |= _REL[op](lhs, rhs)
        if forced is not None:
            flag |= forced
        return flag if flag.any() else None

    def mp_point(self, *point, dps=None):
        """One point in mpmath; precision raised until two evaluations agree.

        mpmath's working precision is global to the process: the blocks' threads
        take their turns here (one lock), so none runs at another's precision.

        Examples
        --------
        >>> import mpmath
        >>> import sympy as sp
        >>> x = sp.Symbol("x", positive=True)
        >>> mpmath.nstr(compile_expr(1 / x, [x]).mp_point(3, dps=30), 30)
        '0.333333333333333333333333333333'
        """
        with _MP_LOCK:
            return _real(self._mp_point(point, dps))

    def _mp_point(self, point, dps):
        target = _AGREE if dps is None else mpmath.mpf(10) ** -(dps + 3)
        prec = 40 if dps is None else dps + 20
        def args():  # exact inputs (Fraction) rounded at the working precision
            return [as_mpf(x, prec) for x in point]

        with _sym.workdps(prec):
            last = self.precise(*args())
        for _ in range(6):
            prec *= 2
            with _sym.workdps(prec):
                val = self.precise(*args())
                if not mpmath.isfinite(val) or not mpmath.isfinite(last):
                    if val == last or (mpmath.isnan(val) and mpmath.isnan(last)):
                        return +val
                elif abs(val - last) <= target * abs(val) or val == last:
                    return +val
                last = val
        return +last


def _real(x):
    """A real mpmath value: a complex one with an imaginary part is ``nan`` (the quantity is not real)."""
    if isinstance(x, mpmath.mpc):
        return x.real if x.imag == 0 else mpmath.nan
    return x


class _PowerSums:
    """``m -> sum of z**m`` over the roots z of a rational polynomial, in floats and in mpmath.

    The float roots are computed once at 40 digits; mpmath's at the working
    precision (plus guard bits) of each call. The sum is real: the imaginary
    parts of conjugate roots cancel, and only the real part is kept.
    """

    def __init__(self, poly):
        self.coeffs = [int(c) for c in sp.Poly(poly).clear_denoms()[1].all_coeffs()]
        with _MP_LOCK, _sym.workdps(40):
            self.floats = np.array([complex(z) for z in mpmath.polyroots(self.coeffs, maxsteps=200,
                                                                         extraprec=200)])
        self._mp: dict = {}

    def numpy(self, m):
        m = np.asarray(m, dtype=float)
        return np.real(sum(z ** m for z in self.floats))

    def mpmath(self, m):
        prec = mpmath.mp.prec
        if prec not in self._mp:
            self._mp[prec] = mpmath.polyroots(self.coeffs, maxsteps=400, extraprec=2 * prec)
        return mpmath.re(mpmath.fsum(z ** m for z in self._mp[prec]))


def _power_sums(expr):
    """``expr`` with each ``RootSum(f, Lambda(z, sum c z**(n + e)))`` as ``sum c P_f(n + e)``.

    Returns ``(expr, numpy_functions, mpmath_functions, growth)``: ``P_f`` is a
    function of one argument, the power, named for lambdify; ``growth`` holds a
    power ``rho**(n + e)`` per call, rho the largest modulus of f's roots, so that
    the float path's growth checks see a sum over roots as they see ``r**n``.
    """
    sums = sorted(expr.atoms(sp.RootSum), key=sp.default_sort_key)
    if not sums:
        return expr, {}, {}, []
    np_fns, mp_fns, subs, growth = {}, {}, {}, []
    for i, rs in enumerate(sums):
        (z,), body = rs.fun.variables, rs.fun.expr
        name = f"rootpowers{i}"
        sums_of = _PowerSums(rs.poly.as_expr())
        np_fns[name], mp_fns[name] = sums_of.numpy, sums_of.mpmath
        rho = sp.Float(max(abs(sums_of.floats)), 17)
        fn = sp.Function(name)
        total = sp.Integer(0)
        for t in sp.Add.make_args(sp.expand(body)):
            z_exp, c = sp.Integer(0), sp.Integer(1)
            for fac in sp.Mul.make_args(t):
                b, e = fac.as_base_exp()
                if b == z:
                    z_exp += e
                else:
                    c *= fac
            if c.has(z):
                raise NotImplementedError(f"a sum over roots of another form: {rs}")
            total += c * fn(z_exp)
            growth.append(sp.Pow(rho, z_exp, evaluate=False))
        subs[rs] = total
    return expr.xreplace(subs), np_fns, mp_fns, growth


def mp_function(args, expr):
    """``expr`` as an mpmath function of ``args`` (sums over roots through their power sums).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> z = sp.Symbol("z")
    >>> f = mp_function([n], sp.RootSum(z**2 - z - 1, sp.Lambda(z, z**n)))  # Lucas numbers
    >>> [int(f(k)) for k in range(1, 7)]
    [1, 3, 4, 7, 11, 18]
    """
    expr, _, mp_fns, _ = _power_sums(_sym.as_sympy(expr))
    expr, _, mp_fixed = fixed_point_functions(expr)
    return sp.lambdify(args, expr, modules=[{**mp_fns, **mp_fixed}, "mpmath"])


def _float_constants(expr):
    """Exact numbers beyond int64 (``log(10**27)``) as floats: numpy has no ufunc for Python's big ints."""
    big = {a: sp.Float(a, 30) for a in expr.atoms(sp.Rational) if max(abs(a.p), a.q) > 2**53}
    return expr.xreplace(big) if big else expr


def compile_expr(expr, args) -> Compiled:
    """Compile ``expr`` (a Piecewise derived quantity) over the symbols ``args``.

    Two float variants are built: powers by ``pow`` (used while every
    exponent in a block is at most :data:`GROWTH_STEPS`), and powers as
    ``exp(e*log(b))`` for long exponents, where ``pow`` crawls through
    subnormal results. Both return, beside the value, each power and its
    exponent (for the growth checks) and the near-degenerate tests.

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> c = compile_expr(sp.Piecewise((1 / x, x > 1), (x, True)), [x])
    >>> c.floats({x: np.array([0.5, 2.0, 4.0])})
    array([0.5 , 0.5 , 0.25])
    """
    expr = _sym.as_sympy(expr)
    args = tuple(args)
    if expr.has(sp.Sum):
        return CompiledSums(expr, args)
    expr, np_fns, mp_fns, root_powers = _power_sums(expr)
    expr, np_fixed, mp_fixed = fixed_point_functions(expr)
    np_fns, mp_fns = {**np_fns, **np_fixed}, {**mp_fns, **mp_fixed}
    cases = _sym.pieces(expr)
    eqs = sorted({e for _, c in cases for e in c.atoms(sp.Eq)}, key=sp.default_sort_key)
    fast_expr = expr.subs(dict.fromkeys(eqs, sp.false)) if eqs else expr
    fast_expr = _float_constants(_log1p_rewrite(fast_expr))
    generic = cases[-1][0]
    powers = [*_n_powers(fast_expr), *root_powers]
    near = []
    for eq in eqs:
        delta = DELTA.get(_pole_order(generic, eq), 0.3)
        lhs, rhs = eq.lhs, eq.rhs
        if not (rhs.is_positive or rhs.is_negative) and (lhs.is_positive or lhs.is_negative):
            lhs, rhs = rhs, lhs
        if rhs.is_positive or rhs.is_negative:  # relative to a side of fixed sign: shares lhs/rhs - 1
            # |num/den| < delta as |num| < delta*|den| (num shared with the value), widened by 2**-30
            num, den = sp.fraction(sp.together(lhs / rhs - 1))
            near.append((sp.Abs(num), "<", sp.Float(delta * (1 + 2.0**-30)) * sp.Abs(den)))
        else:
            # relative to the sides and to the size of the terms of their difference (a r + b - r**2 = 0
            # is near where those terms nearly cancel; a term both sides share cancels in the difference
            # but not in the sides); <=: a set such as alpha = 0 is met exactly, where both sides are 0
            diff = sp.expand(lhs - rhs)
            parts = sp.Add.make_args(diff)
            scale = sp.Abs(lhs) + sp.Abs(rhs) + (sp.Add(*map(sp.Abs, parts)) if len(parts) > 1 else 0)
            near.append((sp.Abs(diff), "<=", delta * scale))
    namespace = {"logb": _logb, "exp": np.exp, "logn": np.log, **np_fns}
    sides = [x for lhs, _, rhs in near for x in (lhs, rhs)]
    pairs = [x for p in powers for x in (p, p.exp)]
    g = len(pairs)
    screens = [(2 * i, ">", _GROWN) for i in range(len(powers))]
    screens += [(g + 2 * k, op, g + 2 * k + 1) for k, (_, op, _) in enumerate(near)]
    fast = Variant(args, fast_expr, [*pairs, *sides], screens, np_fns, namespace)
    exponents = numpy_function(args, [p.exp for p in powers]) if powers else None
    long_pairs = [x for p in powers for x in (_exp_powers(p), p.exp)]
    fast_long = fast
    if powers:
        fast_long = Variant(args, _exp_powers(fast_expr), [*long_pairs, *sides], screens, np_fns, namespace)
    inf_conds = [
        c for v, c in _sym.exclusive_pieces(fast_expr) if v.has(sp.oo, -sp.oo, sp.nan) and v.is_number
    ]
    inf_case = numpy_function(args, sp.Or(*inf_conds)) if inf_conds else None
    precise = sp.lambdify(args, expr, modules=[mp_fns, "mpmath"])
    return Compiled(expr, args, (fast, fast_long, exponents), tuple(op for _, op, _ in near), len(powers),
                    inf_case, precise)


# -- sums (closed forms of coefficients that depend on n) ---------------------------------------
#: most terms a float or mpmath sum is evaluated with; beyond, iterate the model
MAX_SUM_TERMS = 1_000_000
#: a float sum whose terms' magnitudes exceed its value by this factor (cancellation) is recomputed in mpmath
CANCELLATION = 1e3


@dataclass
class _Sum:
    index: sp.Symbol
    term: object  # f(k, *args) -> term (numpy)
    term_mp: object  # the same in mpmath
    bounds: object  # f(*args) -> (lo, hi) (numpy)


class CompiledSums(Compiled):
    """A derived expression with unevaluated ``Sum`` s (no closed form as a finite formula).

    Floats: every sum term by term, vectorized over the parameters (a loop
    over the index, ``n`` finite and integer); a point whose value is not
    finite, or whose terms cancel (``sum |t_k| > CANCELLATION * |sum t_k|``),
    goes to mpmath (:meth:`~Compiled.mp_point`, the same sums with ``fsum``).

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x, (k, n) = sp.Symbol("x", positive=True), sp.symbols("k n", integer=True)
    >>> c = compile_expr(sp.Sum(x**k, (k, 0, n - 1)), [x, n])
    >>> type(c).__name__, c.floats({x: 2.0, n: np.array([1, 2, 10])}).tolist()
    ('CompiledSums', [1.0, 3.0, 1023.0])
    """

    def __init__(self, expr, args):
        sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
        if any(len(t.limits) != 1 or t.function.has(sp.Sum) for t in sums):
            raise NotImplementedError(f"sums over one index are evaluated; got {expr}")
        self.slots = [sp.Dummy(f"S{i}") for i in range(len(sums))]
        outer = expr.xreplace(dict(zip(sums, self.slots)))
        self.sums = []
        for total in sums:
            (k, lo, hi), f = total.limits[0], total.function
            # rising factorials and the like through the gamma function (scipy.special in floats)
            special = f.has(sp.RisingFactorial, sp.FallingFactorial, sp.factorial, sp.binomial)
            ff = f.rewrite(sp.gamma) if special else f
            self.sums.append(_Sum(
                k,
                (sp.lambdify([k, *args], ff, modules=["scipy", "numpy"]) if special
                 else numpy_function([k, *args], ff)),
                sp.lambdify([k, *args], f, modules="mpmath"),
                numpy_function(args, [lo, hi]),
            ))
        self.outer = numpy_function([*args, *self.slots], outer)
        self.outer_mp = sp.lambdify([*args, *self.slots], outer, modules="mpmath")
        super().__init__(expr, tuple(args), (None, None, None), (), 0, None, self._precise)

    def _ranges(self, total, arrays):
        lo, hi = (np.asarray(x, dtype=float) for x in total.bounds(*arrays))
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            raise ValueError("parameter 'n': a sum without a closed form needs a finite n "
                             "(for n = inf, evaluate the limit)")
        k0, k1 = int(lo.min()), int(hi.max())
        if k1 - k0 + 1 > MAX_SUM_TERMS:
            raise ValueError(
                f"parameter 'n': a sum of {k1 - k0 + 1} terms, expected at most {MAX_SUM_TERMS} "
                "(this quantity has no closed form as a finite formula; model.iterate(n, last=True) "
                "iterates in bounded memory)"
            )
        return lo, hi, k0, k1

    def floats(self, values: dict):
        """Float evaluation with broadcasting, in blocks of about :data:`BLOCK` elements.

        Examples
        --------
        >>> import numpy as np
        >>> import sympy as sp
        >>> x, (k, n) = sp.Symbol("x", positive=True), sp.symbols("k n", integer=True)
        >>> compile_expr(sp.Sum(x**k, (k, 0, n - 1)), [x, n]).floats({x: np.array([0.5, 2.0]), n: 3})
        array([1.75, 7.  ])
        """
        arrays = [np.asarray(values[a], dtype=float) for a in self.args]
        shape = np.broadcast_shapes(*[x.shape for x in arrays])
        if not shape:
            return self._block(arrays, shape)
        arrays = [x.reshape((1,) * (len(shape) - x.ndim) + x.shape) for x in arrays]
        for total in self.sums:  # the range of every sum first: a bad n fails before any work
            self._ranges(total, arrays)
        return in_blocks(self._write, arrays, shape)

    def _write(self, arrays, out):
        out[...] = self._block(arrays, out.shape)

    def _block(self, arrays, shape):
        flag = np.zeros(shape, dtype=bool)
        totals = []
        with np.errstate(all="ignore"):
            for total in self.sums:
                lo, hi, k0, k1 = self._ranges(total, arrays)
                acc, mag = np.zeros(shape), np.zeros(shape)
                for k in range(k0, k1 + 1):
                    t = np.broadcast_to(np.asarray(total.term(float(k), *arrays), dtype=float), shape)
                    t = np.where((lo <= k) & (k <= hi), t, 0.0)
                    acc += t
                    mag += np.abs(t)
                flag |= ~np.isfinite(mag) | (mag > CANCELLATION * np.abs(acc))
                totals.append(acc)
            out = np.array(np.broadcast_to(np.asarray(self.outer(*arrays, *totals), dtype=float), shape))
            flag |= ~np.isfinite(out)
            # a sum that cancels against the rest of the expression: nudged by a relative eps, it moves
            # the value by far more than eps (sum by sum, so two sums cancelling are seen too)
            eps = 2.0**-20
            for i in range(len(totals)):
                nudged = [t * (1 + eps) if j == i else t for j, t in enumerate(totals)]
                moved = np.asarray(self.outer(*arrays, *nudged), dtype=float) - out
                flag |= np.abs(moved) > CANCELLATION * eps * np.abs(out)
        if not shape:
            return out if not flag else np.asarray(float(self.mp_point(*[float(a) for a in arrays])))
        if flag.any():
            idx = np.nonzero(flag)
            cols = [np.broadcast_to(a, shape)[idx] for a in arrays]
            out[idx] = [float(self.mp_point(*pt)) for pt in zip(*cols)]
        return out

    def _precise(self, *args):
        totals = []
        for total in self.sums:
            lo, hi = (int(x) for x in total.bounds(*[float(a) for a in args]))
            if hi - lo + 1 > MAX_SUM_TERMS:
                raise ValueError(
                    f"parameter 'n': a sum of {hi - lo + 1} terms, expected at most {MAX_SUM_TERMS}")
            totals.append(mpmath.fsum(total.term_mp(mpmath.mpf(k), *args) for k in range(lo, hi + 1)))
        return self.outer_mp(*args, *totals)


def exact_input(value):
    """An exact scalar input (int, Fraction, SymPy rational, Decimal) as a Fraction, else None."""
    from decimal import Decimal

    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, (Fraction, Decimal)) or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ):
        return Fraction(value)
    return None


def as_mpf(value, dps):
    """``value`` at the working precision: exact inputs rounded once, floats as they are."""
    exact = exact_input(value)
    if exact is not None:
        return mpmath.mpf(exact.numerator) / exact.denominator
    if isinstance(value, sp.Basic):
        return mpmath.mpf(str(sp.N(value, dps + 5)))
    return mpmath.mpf(value)
