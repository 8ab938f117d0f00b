"""Fixed points of maps in compiled results: each :class:`~symrecycle.core.fixedpoint.FixedPoint` as a
named function of its parameters, in float64 (vectorized) and in mpmath, through one root finder."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ..core.brackets import fixed_point_mp, fixed_point_values
from ..core.fixedpoint import FixedPoint
from .lambdas import numpy_function

__all__ = ["fixed_point_functions"]


def _lambertw(z, k=0):
    from scipy.special import lambertw

    return np.real(lambertw(z, k))


#: functions of maps that numpy lacks, by their SymPy names
_FUNCTIONS = {"LambertW": _lambertw}
#: a float root whose slope 1 - F'(x*) is smaller than this is ill conditioned (digits lost to
#: cancellation in F(x) - x, about eps/|1 - F'|): it is computed again in mpmath
ILL = 1e-2
#: digits of that mpmath computation
MP_DPS = 30


def _float_function(x, F, x0, syms, precise):
    Fn, x0n = numpy_function([x, *syms], F, _FUNCTIONS), numpy_function(syms, x0, _FUNCTIONS)
    dFn = numpy_function([x, *syms], sp.diff(F, x), _FUNCTIONS)

    def value(*arrays):
        shape = np.broadcast_shapes(*[np.shape(a) for a in arrays])
        flat = [np.broadcast_to(np.asarray(a, dtype=float), shape).ravel() for a in arrays]
        with np.errstate(all="ignore"):
            starts = np.broadcast_to(np.asarray(x0n(*flat), dtype=float), flat[0].shape if flat else ())

        def f(xv, idx):
            with np.errstate(all="ignore"):
                return Fn(xv, *[a[idx] for a in flat])

        roots = fixed_point_values(f, np.array(starts, dtype=float))
        every = np.arange(roots.size)
        with np.errstate(all="ignore"):
            fx = np.asarray(f(roots, every), dtype=float) * np.ones(roots.shape)
            slope = np.asarray(dFn(roots, *flat), dtype=float) * np.ones(roots.shape)
        residual = np.abs(fx - roots) <= 64 * np.finfo(float).eps * np.maximum(np.abs(roots), 1)
        redo = np.isfinite(roots) & ~(residual & (np.abs(1 - slope) >= ILL))
        for i in np.nonzero(redo)[0]:  # a pole, a root of rounding, or lost digits: mpmath decides
            with mpmath.workdps(MP_DPS):
                roots[i] = float(precise(*[a[i] for a in flat]))
        return roots.reshape(shape)

    return value


def _mp_function(x, F, x0, syms):
    Fm, x0m = sp.lambdify([x, *syms], F, modules="mpmath"), sp.lambdify(syms, x0, modules="mpmath")

    def value(*args):
        with mpmath.workprec(mpmath.mp.prec + 20):
            args = [mpmath.mpf(a) for a in args]  # 1 - theta at theta = 1e-20 is 1.0 in floats
            out = fixed_point_mp(lambda v: Fm(v, *args), x0m(*args))
        return +out

    return value


def fixed_point_functions(expr):
    """``expr`` with each ``FixedPoint`` as ``fixpoint<i>(p, q, ...)`` of its free symbols.

    Returns ``(expr, numpy_functions, mpmath_functions)``: the functions by name, the float one
    vectorized over arrays of the parameters (broadcast), the mpmath one at the working precision.

    Examples
    --------
    >>> x, c = sp.symbols("x c", positive=True)
    >>> e, fns, mps = fixed_point_functions(2 * FixedPoint(sp.Lambda(x, 1 + c * sp.sqrt(x)), 1))
    >>> e
    2*fixpoint0(c)
    >>> fns["fixpoint0"](np.array([0.5, 1.0])).round(12).tolist(), mpmath.nstr(mps["fixpoint0"](1), 15)
    ([1.640388203202, 2.61803398875], '2.61803398874989')
    """
    atoms = sorted(expr.atoms(FixedPoint), key=sp.default_sort_key)
    subs, np_fns, mp_fns = {}, {}, {}
    for i, fp in enumerate(atoms):
        (x, F), x0 = fp.map, fp.args[1]
        syms = sorted(fp.free_symbols, key=lambda s: s.name)
        name = f"fixpoint{i}"
        mp_fns[name] = _mp_function(x, F, x0, syms)
        np_fns[name] = _float_function(x, F, x0, syms, mp_fns[name])
        subs[fp] = sp.Function(name)(*syms)
    return (expr.xreplace(subs) if subs else expr), np_fns, mp_fns
