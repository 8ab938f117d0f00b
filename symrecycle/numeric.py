r"""Numeric evaluation of derived results: fast floats where floats are exact
enough, mpmath where they are not, and direct iteration to check both.

The float path is the symbolic result compiled with ``lambdify`` after two
rewrites derived from the expression itself:

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
"""

from __future__ import annotations

import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from . import _sym
from .params import n as N
from .results import QUANTITIES

__all__ = ["evaluate", "compile_expr", "Compiled", "CompiledSums", "iterate", "cross_check", "CrossCheck"]

#: elements per block of the float path
BLOCK = 1 << 16
#: one thread at a time in mpmath (its precision is a process-wide setting)
_MP_LOCK = _sym.MP_LOCK

_POOL = None


def _workers() -> int:
    """Threads for the float path: the usable cores (``SYMRECYCLE_THREADS`` overrides)."""
    env = os.environ.get("SYMRECYCLE_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _pool():
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="symrecycle")
    return _POOL
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
        sub = _sym.solve_equality(eq)
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


def _logb(b, bm1):
    """log(b), from ``log1p(b - 1)`` near 1 (b - 1 computed exactly there), else ``log(b)``."""
    out = np.log(b)
    near = np.abs(bm1) < 0.5
    if near.any():
        np.log1p(bm1, out=out, where=near)
    return out


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


def _in_blocks(block_fn, arrays, shape):
    """``block_fn(arrays, shape)`` over blocks of about :data:`BLOCK` elements along the first axis.

    Each input keeps its own shape (leading axes of length 1 are not copied);
    the blocks run on the thread pool (numpy releases the GIL in its loops).
    """
    out = np.empty(shape, dtype=float)
    rows = max(1, BLOCK // max(1, math.prod(shape[1:])))
    slices = [slice(i, i + rows) for i in range(0, shape[0], rows)]

    def work(sl):
        block = [a if a.shape[0] == 1 else a[sl] for a in arrays]
        out[sl] = block_fn(block, out[sl].shape)

    if len(slices) > 1 and _workers() > 1:
        list(_pool().map(work, slices))
    else:
        for sl in slices:
            work(sl)
    return out


@dataclass
class Compiled:
    """A derived expression compiled for float and mpmath evaluation.

    Built by :func:`compile_expr`; call :meth:`floats` or :meth:`mp`.
    """

    expr: sp.Basic
    args: tuple
    fast: tuple
    near: int
    growth: int
    inf_case: object
    precise: object

    def floats(self, values: dict):
        """Float evaluation with broadcasting; imprecise points recomputed in mpmath.

        Works through the broadcast shape in blocks of about :data:`BLOCK`
        elements along the first axis, so temporaries stay small.
        """
        arrays = [np.asarray(values[a], dtype=float) for a in self.args]
        shape = np.broadcast_shapes(*[x.shape for x in arrays])
        # subnormal or huge inputs lose digits in any formula: precise path
        extreme = [((np.abs(x) < 1e-290) & (x != 0)) | (np.abs(x) > 1e290) for x in arrays]
        extreme = [e for e in extreme if e.any()]
        # keep each input in its own shape (leading axes padded): what depends on
        # r alone is then computed once per r, not once per grid point
        arrays = [x.reshape((1,) * (len(shape) - x.ndim) + x.shape) for x in arrays]
        if extreme:
            arrays.append(np.logical_or.reduce([np.broadcast_to(e, shape) for e in extreme]))
        if not shape:
            out = np.empty(shape, dtype=float)
            out[()] = self._block([a.reshape(1) for a in arrays], (1,))[0]
            return out
        return _in_blocks(self._block, arrays, shape)

    def _block(self, arrays, shape):
        forced = arrays[len(self.args)] if len(arrays) > len(self.args) else None
        arrays = arrays[: len(self.args)]
        with np.errstate(all="ignore"):
            fast, fast_long, exponents = self.fast
            if exponents is not None and any(
                (np.abs(np.asarray(e)) > GROWTH_STEPS).any() for e in exponents(*arrays)
            ):
                fast = fast_long
            value, *checks = fast(*arrays)
            out = np.asarray(value, dtype=float)
            if out.shape != shape:
                out = np.broadcast_to(out, shape).copy()
            flag = np.isfinite(out)
            np.logical_not(flag, out=flag)
            if self.inf_case is not None and flag.any():
                flag &= ~np.asarray(self.inf_case(*arrays), dtype=bool)
            for i in range(self.growth):  # a power grown past e**64, or over many steps
                power, steps = np.asarray(checks[2 * i]), np.asarray(checks[2 * i + 1])
                flag |= power > _GROWN
                long = np.abs(steps) > GROWTH_STEPS
                if long.any():
                    flag |= (power > 1) & long
            for near in checks[2 * self.growth:]:
                flag |= near
            if forced is not None:
                flag |= forced
        if flag.any():
            if not out.flags.writeable:
                out = out.copy()
            idx = np.nonzero(flag)
            cols = [np.broadcast_to(a, shape)[idx] for a in arrays]
            out[idx] = [float(self.mp_point(*pt)) for pt in zip(*cols)]
        return out

    def mp_point(self, *point, dps=None):
        """One point in mpmath; precision raised until two evaluations agree.

        mpmath's working precision is global to the process: the blocks' threads
        take their turns here (one lock), so none runs at another's precision.
        """
        with _MP_LOCK:
            return _real(self._mp_point(point, dps))

    def _mp_point(self, point, dps):
        target = _AGREE if dps is None else mpmath.mpf(10) ** -(dps + 3)
        prec = 40 if dps is None else dps + 20
        def args():  # exact inputs (Fraction) rounded at the working precision
            return [_mpf(x, prec) for x in point]

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


def _fast_function(args, expr, checks, modules):
    """``f(*arrays) -> [value, *checks]``; a Piecewise evaluates only the cases that hold.

    (numpy's ``select`` would compute every case on every point.)
    """
    if not isinstance(expr, sp.Piecewise):
        return sp.lambdify(args, [expr, *checks], modules=modules, cse=True)
    cases = [
        (
            sp.lambdify(args, v, modules=modules),
            None if c is sp.true else sp.lambdify(args, c, modules=modules),
        )
        for v, c in expr.args
    ]
    check_fn = sp.lambdify(args, checks, modules=modules, cse=True) if checks else None

    def run(*arrays):
        shape = np.broadcast_shapes(*[np.shape(a) for a in arrays])
        out, left = None, None
        for value, cond in cases:
            mask = np.ones(shape, dtype=bool) if cond is None else np.broadcast_to(cond(*arrays), shape)
            if left is not None:
                mask = mask & left
            if left is None and mask.all():
                out = np.broadcast_to(np.asarray(value(*arrays), dtype=float), shape)
                break
            if out is None:
                out = np.full(shape, np.nan)
            if mask.any():
                out[mask] = np.broadcast_to(np.asarray(value(*arrays), dtype=float), shape)[mask]
            left = ~mask if left is None else left & ~mask
            if not left.any():
                break
        return [out, *(check_fn(*arrays) if check_fn else [])]

    return run


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
    """
    expr = _sym.as_sympy(expr)
    args = tuple(args)
    if expr.has(sp.Sum):
        return CompiledSums(expr, args)
    cases = _sym.pieces(expr)
    eqs = sorted({e for _, c in cases for e in c.atoms(sp.Eq)}, key=sp.default_sort_key)
    fast_expr = expr.subs(dict.fromkeys(eqs, sp.false)) if eqs else expr
    fast_expr = _float_constants(_log1p_rewrite(fast_expr))
    generic = cases[-1][0]
    powers = _n_powers(fast_expr)
    near = []
    for eq in eqs:
        delta = DELTA.get(_pole_order(generic, eq), 0.3)
        lhs, rhs = eq.lhs, eq.rhs
        if not (rhs.is_positive or rhs.is_negative) and (lhs.is_positive or lhs.is_negative):
            lhs, rhs = rhs, lhs
        if rhs.is_positive or rhs.is_negative:  # relative to a side of fixed sign: shares lhs/rhs - 1
            near.append(sp.Lt(sp.Abs(sp.together(lhs / rhs - 1)), delta))
        else:
            # (<=: a set such as alpha = 0 is met exactly, where both sides are 0)
            near.append(sp.Le(sp.Abs(lhs - rhs), delta * (sp.Abs(lhs) + sp.Abs(rhs))))
    modules = [{"logb": _logb, "exp": np.exp, "logn": np.log}, "numpy"]
    pairs = [x for p in powers for x in (p, p.exp)]
    fast = _fast_function(args, fast_expr, [*pairs, *near], modules)
    exponents = sp.lambdify(args, [p.exp for p in powers], modules="numpy") if powers else None
    long_expr = _exp_powers(fast_expr)
    long_pairs = [x for p in powers for x in (_exp_powers(p), p.exp)]
    fast_long = _fast_function(args, long_expr, [*long_pairs, *near], modules) if powers else fast
    inf_conds = [
        c for v, c in _sym.exclusive_pieces(fast_expr) if v.has(sp.oo, -sp.oo, sp.nan) and v.is_number
    ]
    inf_case = sp.lambdify(args, sp.Or(*inf_conds), modules="numpy") if inf_conds else None
    precise = sp.lambdify(args, expr, modules="mpmath")
    return Compiled(expr, args, (fast, fast_long, exponents), len(near), len(powers), inf_case, precise)


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
                sp.lambdify([k, *args], ff, modules=["scipy", "numpy"] if special else "numpy"),
                sp.lambdify([k, *args], f, modules="mpmath"),
                sp.lambdify(args, [lo, hi], modules="numpy"),
            ))
        self.outer = sp.lambdify([*args, *self.slots], outer, modules="numpy")
        self.outer_mp = sp.lambdify([*args, *self.slots], outer, modules="mpmath")
        super().__init__(expr, tuple(args), (None, None, None), 0, 0, None, self._precise)

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
        """Float evaluation with broadcasting, in blocks of about :data:`BLOCK` elements."""
        arrays = [np.asarray(values[a], dtype=float) for a in self.args]
        shape = np.broadcast_shapes(*[x.shape for x in arrays])
        if not shape:
            return self._block(arrays, shape)
        arrays = [x.reshape((1,) * (len(shape) - x.ndim) + x.shape) for x in arrays]
        for total in self.sums:  # the range of every sum first: a bad n fails before any work
            self._ranges(total, arrays)
        return _in_blocks(self._block, arrays, shape)

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


# -- inputs ---------------------------------------------------------------------------
def _as_array(name, value, param=None, integer=False, allow_inf=False):
    """Validate one input; returns a float array (or scalar)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"parameter {name!r}: got {value!r}, expected a number or an array of numbers")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and abs(int(value)) > 2**53:
        raise ValueError(f"parameter {name!r}: got {value!r}, too large to represent exactly")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name!r}: got {value!r}, expected numbers") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        if arr.dtype == object:
            try:
                arr = arr.astype(float)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"parameter {name!r}: got {value!r}, expected real numbers") from None
        else:
            raise ValueError(f"parameter {name!r}: got {value!r}, expected real numbers")
    if np.iscomplexobj(arr):
        raise ValueError(f"parameter {name!r}: got {value!r}, expected real numbers")
    if np.issubdtype(arr.dtype, np.integer) and arr.size and np.abs(arr).max() > 2**53:
        raise ValueError(f"parameter {name!r}: got {value!r}, too large to represent exactly")
    arr = arr.astype(float, copy=False)
    if np.isnan(arr).any():
        raise ValueError(f"parameter {name!r}: got nan, expected a number")
    bad_inf = np.isinf(arr) if not allow_inf else np.isneginf(arr)
    if bad_inf.any():
        dom = param.domain_text if param is not None else "a finite number"
        raise ValueError(f"parameter {name!r}: got {arr[bad_inf].flat[0]}, expected a finite value in {dom}")
    if integer:
        finite = arr[np.isfinite(arr)]
        if (finite != np.round(finite)).any() or (finite < 1).any():
            bad = finite[(finite != np.round(finite)) | (finite < 1)].flat[0]
            raise ValueError(f"parameter 'n': got {bad}, expected a positive integer or inf")
    if param is not None:
        lo, hi = param.lower, param.upper
        bad = np.zeros(arr.shape, dtype=bool)
        if lo is not None:
            bad |= (arr <= float(lo)) if param.lower_open else (arr < float(lo))
        if hi is not None:
            bad |= (arr >= float(hi)) if param.upper_open else (arr > float(hi))
        if bad.any():
            raise ValueError(
                f"parameter {name!r}: got {arr[bad].flat[0]!r}, outside its domain {param.domain_text}"
            )
    return arr


def _result_pair(model, quantity, wrt, fraction, level, metric):
    """Thunks for (the result at finite n, the result as n -> oo or n-free); None where absent.

    Thunks, so that only what the requested n need is derived.
    """
    q = quantity.replace("_", "-")
    if q in ("sensitivity", "elasticity", "breakeven"):
        if wrt is None:
            raise ValueError(f"quantity {quantity!r} needs wrt=PARAMETER")
        model.parameter(wrt)
    model.metric(metric)
    if q == "closed-form":
        return model.closed_form, None
    if q == "benefit":
        return (lambda: model.benefit(metric)), (lambda: model.limit(metric))
    if q == "limit":
        return None, (lambda: model.limit(metric))
    if q in ("sensitivity", "elasticity"):
        f = model.sensitivity if q == "sensitivity" else model.elasticity
        return (lambda: f(wrt, n=N, metric=metric)), (lambda: f(wrt, metric=metric))
    if q == "breakeven":
        return (lambda: model.breakeven(wrt, level, of="benefit", metric=metric),
                lambda: model.breakeven(wrt, level, of="limit", metric=metric))
    if q == "iterations-to":
        return None, (lambda: model.iterations_to(fraction, metric=metric))
    raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}")


def _mp_input(value):
    """An exact scalar input (int, Fraction, SymPy rational, Decimal) as a Fraction, else None."""
    from decimal import Decimal

    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, (Fraction, Decimal)) or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ):
        return Fraction(value)
    return None


def _mpf(value, dps):
    """``value`` at the working precision: exact inputs rounded once, floats as they are."""
    exact = _mp_input(value)
    if exact is not None:
        return mpmath.mpf(exact.numerator) / exact.denominator
    if isinstance(value, sp.Basic):
        return mpmath.mpf(str(sp.N(value, dps + 5)))
    return mpmath.mpf(value)


def _compiled(model, result):
    key = ("compiled", result.quantity, result.meta.get("metric"), result.meta.get("wrt"),
           result.meta.get("fraction"), result.meta.get("level"), result.meta.get("of"), result.label)
    args = (*tuple(p.symbol for p in model.parameters), N)
    return model._cached(key, lambda: compile_expr(result.expr, args))


def evaluate(model, quantity, dps=None, wrt=None, fraction=0.99, level=1, metric=None, **values):
    """Evaluate a derived quantity of ``model`` at parameter values (arrays broadcast).

    ``n`` may be an integer, an integer array or ``inf`` (the limit).
    Returns a float or an ndarray; with ``dps``, mpmath numbers correct to
    about that many digits (scalar ints, Fractions, SymPy rationals and Decimals
    are then taken exactly, not through the nearest float).

    Examples
    --------
    >>> import symrecycle as sr
    >>> m = sr.get_model("kickstarting")
    >>> round(m.evaluate("limit", r=4.2, alpha=1.0), 6)
    1.3125
    """
    at_n, at_inf = _result_pair(model, quantity, wrt, fraction, level, metric)
    names = {p.name: p for p in model.parameters}
    if at_n is not None:
        if "n" not in values:
            if at_inf is None:
                raise ValueError(f"missing parameter 'n' (a positive integer) for {quantity}")
            nvals = np.asarray(np.inf)
        else:
            nvals = _as_array("n", values["n"], integer=True, allow_inf=at_inf is not None)
    else:
        nvals = np.asarray(np.inf)
        if "n" in values:
            nvals = _as_array("n", values["n"], integer=True, allow_inf=True)
        if np.isfinite(nvals).any():
            raise ValueError(f"parameter 'n': {quantity} does not depend on n; omit n or give inf")
    if nvals.size and (nvals < model.start).any():
        raise ValueError(f"parameter 'n': got {nvals.min()}, expected n >= {model.start}")
    at_n = at_n() if at_n is not None and np.isfinite(nvals).any() else None
    at_inf = at_inf() if at_inf is not None and not np.isfinite(nvals).all() else None
    unknown = set(values) - set(names) - {"n"}
    if unknown:
        raise ValueError(
            f"unknown parameter {sorted(unknown)[0]!r} for model {model.name!r}; "
            f"its parameters: {', '.join(names)}, n"
        )
    needed = set()
    for res in (at_n, at_inf):
        if res is not None:
            needed |= {s.name for s in res.expr.free_symbols}
    arrays = {}
    for name, p in names.items():
        if name in values:
            arrays[p.symbol] = _as_array(name, values[name], p)
        elif name in needed:
            raise ValueError(f"missing parameter {name!r} (domain {p.domain_text}) for {quantity}")
        else:
            arrays[p.symbol] = np.asarray(1.0)
    arrays[N] = nvals
    scalar = all(np.ndim(a) == 0 for a in arrays.values())
    shape = np.broadcast_shapes(*[np.shape(a) for a in arrays.values()])
    full = {k: np.broadcast_to(v, shape) for k, v in arrays.items()}
    finite_n = np.isfinite(nvals)  # in n's own shape: small
    parts = [(at_n, finite_n), (at_inf, ~finite_n)]
    if dps is None:
        out = np.empty(shape, dtype=float)
        for res, mask in parts:
            if res is None or not mask.any():
                continue
            comp = _compiled(model, res)
            every = bool(mask.all())  # on n's own shape
            mask = np.broadcast_to(mask, shape)
            if every:  # no copies: the inputs broadcast inside
                vals = dict(arrays)
                if res is at_inf:
                    vals[N] = np.asarray(1.0)
                vals_out = comp.floats(vals)
                out = np.broadcast_to(vals_out, shape).copy() if vals_out.shape != shape else vals_out
                continue
            vals = {k: v[mask] for k, v in full.items()}
            if res is at_inf:
                vals[N] = np.ones_like(vals[N])
            out[mask] = comp.floats(vals)
        return float(out) if scalar else out
    if not isinstance(dps, int) or dps < 1:
        raise ValueError(f"dps: got {dps!r}, expected a positive integer")
    out = np.empty(shape, dtype=object)
    for res, mask in parts:
        if res is None or not mask.any():
            continue
        mask = np.broadcast_to(mask, shape)
        comp = _compiled(model, res)
        exact = {p.symbol: _mp_input(values[p.name]) for p in model.parameters if p.name in values}
        for idx in zip(*np.nonzero(mask)) if shape else [()]:
            pt = [exact.get(a) if exact.get(a) is not None else full[a][idx] for a in comp.args]
            if res is at_inf:
                pt[-1] = 1.0
            out[idx] = comp.mp_point(*pt, dps=dps)
    return out[()] if scalar else out


# -- direct iteration ---------------------------------------------------------------------
def _step_functions(model, module):
    """For each sequence: f(params..., n, previous values..., current values...) -> next."""
    names = [s.name for s in model.sequences]
    prev = {nm: sp.Symbol(f"{nm}__prev") for nm in names}
    cur = {nm: sp.Symbol(f"{nm}__cur") for nm in names}
    params = [p.symbol for p in model.parameters]
    steps, inits = [], []
    for s in model.sequences:
        def ref(e):
            nm = e.base.label.name
            off = sp.simplify(e.indices[0] - N)
            return prev[nm] if off == -1 else cur[nm]

        nxt = s.next.replace(lambda e: isinstance(e, sp.Indexed), ref)
        init = s.initial.replace(
            lambda e: isinstance(e, sp.Indexed), lambda e: cur[e.base.label.name]
        ).subs(N, model.start)
        syms = [*params, N, *prev.values(), *cur.values()]
        steps.append(sp.lambdify(syms, nxt, modules=module))
        inits.append(sp.lambdify(syms, init, modules=module))
    return names, steps, inits


#: an mpmath value beyond 2^(10^6) in magnitude is taken as infinite: a step such as r**A or
#: exp(A) beyond it would build exponents of millions of digits (minutes, or an OverflowError)
MP_MAX_BITS = 10**6


def _bounded(x, name, k, max_bits=MP_MAX_BITS):
    """An mpmath step's value, real and of bounded size (``inf`` beyond ``max_bits``; None: no bound)."""
    if isinstance(x, mpmath.mpc):
        if x.imag != 0:
            raise ValueError(f"sequence {name}: the value at n = {k} is not real ({mpmath.nstr(x, 8)}); "
                             "expected parameter values where the model stays real")
        x = x.real
    if max_bits is not None and isinstance(x, mpmath.mpf) and mpmath.isfinite(x) and x != 0 and (
            mpmath.mag(x) > max_bits):
        return mpmath.inf if x > 0 else -mpmath.inf
    return x


def _run(model, values, count, module, convert, last=False, lost=None, max_bits=MP_MAX_BITS):
    """Iterate every sequence; with ``lost`` (an empty list, floats), it ends holding the mask
    of the points where a sequence passed through the subnormal range (digits lost, though finite)."""
    names, steps, inits = _step_functions(model, module)
    pvals = [values[p.symbol] for p in model.parameters]
    zero = convert(0)
    prev = dict.fromkeys(names, zero)
    cur = dict.fromkeys(names, zero)
    out = {nm: [] for nm in names}
    tiny = np.finfo(float).tiny
    for k in range(model.start, model.start + count):
        fs = inits if k == model.start else steps
        new = {}
        for nm, f in zip(names, fs):
            args = [*pvals, convert(k), *prev.values(), *{**cur, **new}.values()]
            try:
                new[nm] = f(*args)
            except ZeroDivisionError:  # mpmath divides exactly: the step is undefined here
                raise ValueError(f"sequence {nm}: a division by zero at n = {k}; the model is not "
                                 "defined at these parameter values") from None
            if module == "mpmath":
                new[nm] = _bounded(new[nm], nm, k, max_bits)
            if lost is not None:  # one mask, or-ed in place: bounded memory
                x = np.abs(np.asarray(new[nm], dtype=float))
                sub = (x < tiny) & (x > 0)
                if not lost:
                    lost.append(sub)
                elif sub.any():
                    lost[0] = lost[0] | sub
        cur = dict.fromkeys(names, zero)
        for nm in names:
            if last:
                out[nm] = [new[nm]]
            else:
                out[nm].append(new[nm])
        prev = new
    return out


def iterate(model, n, dps=None, exact=False, sequence=None, metric=None, last=False, naive=False,
            max_bits=MP_MAX_BITS, **values):
    """The sequence (default: adjusted compute) for iterations start..n by direct iteration.

    Floats (numpy, vectorized over parameter arrays: the iteration axis is
    last), mpmath at ``dps`` digits, or exact rationals (``exact=True``).
    With ``metric=`` the metric (e.g. ``"benefit"``) instead of a sequence;
    with ``last=True`` (floats) only the term at n, in bounded memory.

    Float iteration overflows where the sequences outgrow floats (``r**n``)
    although a metric stays finite; parameter points that come out not
    finite are iterated again in mpmath (30 digits) and rounded, unless
    ``naive=True`` (the plain float iteration, e.g. as a baseline). In
    mpmath a value beyond ``2**max_bits`` is taken as infinite (a tower such
    as ``r**A`` would build exponents of millions of digits); ``None``: no bound.
    """
    if naive or exact or dps is not None:
        return _iterate(model, n, dps, exact, sequence, metric, last, max_bits=max_bits, **values)
    lost = []
    out = _iterate(model, n, None, False, sequence, metric, last, lost=lost, **values)
    bad = ~np.isfinite(out)
    params = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    pshape = np.broadcast_shapes(*[v.shape for v in params.values()]) if params else ()
    point_bad = bad if last else bad.any(axis=-1)
    for mask in lost:  # a sequence passed through subnormal floats: digits lost on the way
        point_bad = point_bad | np.broadcast_to(mask, pshape)
    if not point_bad.any():
        return out
    out = out.copy()
    for idx in zip(*np.nonzero(np.broadcast_to(point_bad, pshape))) if pshape else [()]:
        point = {k: float(np.broadcast_to(v, pshape)[idx]) for k, v in params.items()}
        with _sym.workdps(30):
            seq = _iterate(model, n, 30, False, sequence, metric, False, **point)
            vals = [float(x) for x in (seq[-1:] if last else seq)]
        out[idx] = vals[0] if last else vals
    return out


def _iterate(model, n, dps, exact, sequence, metric, last, lost=None, max_bits=MP_MAX_BITS, **values):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < model.start:
        raise ValueError(f"parameter 'n': got {n!r}, expected an integer >= {model.start}")
    count = int(n) - model.start + 1
    names = {p.name: p for p in model.parameters}
    unknown = set(values) - set(names)
    if unknown:
        raise ValueError(f"unknown parameter {sorted(unknown)[0]!r} for model {model.name!r}")
    vals = {}
    for nm, p in names.items():
        if nm not in values:
            if nm == "C1":
                vals[p.symbol] = 1
                continue
            raise ValueError(f"missing parameter {nm!r} (domain {p.domain_text})")
        vals[p.symbol] = values[nm]
    if exact:
        for nm, p in names.items():
            if nm in values:
                p.validate(values[nm])
        seqs = model.iterate_exact(vals, count)
    elif dps is not None:
        for nm, p in names.items():
            if nm in values:
                p.validate(values[nm])
        with _sym.workdps(dps):
            mvals = {k: _mpf(v, dps) for k, v in vals.items()}
            seqs = _run(model, mvals, count, "mpmath", mpmath.mpf, max_bits=max_bits)
            if metric is not None:
                return _metric_values(model, seqs, mvals, count, metric, "mpmath", mpmath.mpf)
        return seqs[sequence or model.adjusted]
    else:
        arrs = {p.symbol: _as_array(p.name, vals[p.symbol], p) for p in model.parameters}
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            seqs = _run(model, arrs, count, "numpy", float, last=last, lost=lost)
            if last:
                if metric is not None:
                    met = _metric_values(model, seqs, arrs, 1, metric, "numpy", float, offset=count - 1)
                    return np.asarray(met[0])
                return np.asarray(seqs[sequence or model.adjusted][0])
            if metric is not None:
                res = _metric_values(model, seqs, arrs, count, metric, "numpy", float)
                return np.stack(np.broadcast_arrays(*res), axis=-1)
        return np.stack(np.broadcast_arrays(*seqs[sequence or model.adjusted]), axis=-1)
    if metric is not None:
        met = model.metric(metric)
        return [model._metric_exact(met.expr, vals, k) for k in range(model.start, model.start + count)]
    return seqs[sequence or model.adjusted]


def _metric_values(model, seqs, vals, count, metric, module, convert, offset=0):
    met = model.metric(metric)
    names = [s.name for s in model.sequences]
    cur = {nm: sp.Symbol(f"{nm}__cur") for nm in names}
    expr = met.expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: cur[e.base.label.name])
    params = [p.symbol for p in model.parameters]
    f = sp.lambdify([*params, N, *cur.values()], expr, modules=module)
    pv = [vals[p] for p in params]
    return [f(*pv, convert(model.start + offset + i), *[seqs[nm][i] for nm in names]) for i in range(count)]


# -- cross-check -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossCheck:
    """The largest relative discrepancy between the toolkit and direct iteration."""

    model: str
    quantity: str
    samples: int
    max_rel_error: float
    worst_point: dict
    reference: str

    def __str__(self):
        pt = ", ".join(f"{k}={v!r}" for k, v in self.worst_point.items())
        return (
            f"{self.model} {self.quantity}: {self.samples} samples, largest relative error "
            f"{self.max_rel_error:.3g} at {pt} (reference: {self.reference})"
        )


def random_point(model, rng, degenerate=False):
    """A random parameter point of the model's domain (floats)."""
    pt = {}
    for p in model.parameters:
        if p.lower is not None and p.upper is not None:
            v = rng.uniform(float(p.lower), float(p.upper))
            closed = [float(b) for b in p.closed_ends()]
            if closed and rng.random() < 0.1:
                v = float(rng.choice(closed))
            while not p.contains(v):  # an open end drawn by chance
                v = rng.uniform(float(p.lower), float(p.upper))
        else:  # log-uniform over five decades around 1, sometimes far out
            v = float(np.exp(rng.uniform(np.log(1e-2), np.log(1e2))))
            if rng.random() < 0.05:
                v = float(np.exp(rng.uniform(np.log(1e-6), np.log(1e6))))
        pt[p.name] = v
    return pt


def cross_check(model, samples=1000, seed=0, quantity="benefit", n_max=300, dps=40, metric=None):
    """Compare the toolkit's float evaluation with mpmath direct iteration.

    Parameters are drawn from the model's domain (log-uniform over five
    decades for unbounded ones, endpoints of bounded ones now and then); a
    fifth of the points lie on a degenerate set of the closed form (e.g.
    ``alpha = r``) and a fifth within 1e-15 relative of one. ``quantity`` is
    ``"benefit"`` (the metric) or ``"closed-form"`` (the adjusted sequence).
    The floats are evaluated in one vectorized call.
    """
    if quantity not in ("benefit", "closed-form"):
        raise ValueError(f"quantity: got {quantity!r}, expected 'benefit' or 'closed-form'")
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples: got {samples!r}, expected a positive integer")
    rng = np.random.default_rng(seed)
    res = model.benefit(metric) if quantity == "benefit" else model.closed_form()
    eqs = sorted({e for _, c in _sym.pieces(res.expr) for e in c.atoms(sp.Eq)}, key=sp.default_sort_key)
    points = []
    for i in range(samples):
        pt = random_point(model, rng)
        if eqs and i % 5 in (1, 2):
            pt = _onto(model, eqs[i % len(eqs)], pt, nudge=(i % 5 == 2))
        points.append((pt, int(rng.integers(model.start, n_max + 1))))
    names = [p.name for p in model.parameters]
    arrays = {nm: np.array([pt[nm] for pt, _ in points]) for nm in names}
    got = model.evaluate(quantity, metric=metric, n=np.array([k for _, k in points]), **arrays)
    worst, where = 0.0, {}
    metric_name = metric or model.metrics[0].name
    for (pt, k), g in zip(points, got):
        with _sym.workdps(dps):
            if quantity == "benefit":
                ref = iterate(model, k, dps=dps, metric=metric_name, **pt)[-1]
            else:
                ref = iterate(model, k, dps=dps, **pt)[-1]
            err = _rel_error(float(g), ref)
        if not err <= worst:
            worst, where = err, {**pt, "n": k}
    return CrossCheck(model.name, quantity, samples, worst, where, f"mpmath iteration at {dps} digits")


def _rel_error(got, ref):
    """Relative error of a float against an mpmath reference, as floats can hold it.

    Beyond the float range the right answer is ``inf`` of the right sign; in
    the subnormal range, within one subnormal step of the rounded reference.
    """
    nearest = float(ref)  # rounds, and overflows to inf
    if not math.isfinite(nearest):
        return 0.0 if got == nearest else math.inf
    if abs(nearest) < np.finfo(float).tiny:
        return 0.0 if abs(got - nearest) <= 2 * math.ulp(0.0) else math.inf
    return float(abs(got - ref) / abs(ref))


def _onto(model, eq, pt, nudge=False):
    sub = _sym.solve_equality(eq, prefer=[p.symbol for p in model.parameters])
    (sym, expr), = sub.items()
    par = model.parameter(sym.name)
    val = float(expr.subs({model.parameter(k).symbol: v for k, v in pt.items()}))
    if nudge:
        val *= 1 + 1e-15
    if par.contains(val):
        pt = {**pt, sym.name: val}
    return pt
