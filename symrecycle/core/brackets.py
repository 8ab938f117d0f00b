r"""One bracketed root finder, for numpy float arrays (vectorized over points) and for mpmath numbers.

:func:`bracketed_root` is Illinois' regula falsi on a sign change, the
bracket kept (the root lies between the two ends it returns);
:func:`fixed_point_mp` and :func:`fixed_point_values` find the fixed point an
iteration reaches (:class:`~.fixedpoint.FixedPoint`) with it, the first at
any mpmath precision, the second in float64 over arrays of points.
"""

from __future__ import annotations

import mpmath
import numpy as np

__all__ = ["bracketed_root", "fixed_point_mp", "fixed_point_values", "is_root"]

#: doublings of the step that looks for the far end of the bracket
MAX_DOUBLINGS = 1100
#: steps of regula falsi (Illinois) beyond which the bracket is halved instead
MAX_STEPS = 4000
#: in mpmath, a step beyond this is squared rather than doubled
_FAST = 2**64


def bracketed_root(h, lo, hi, hlo=None, hhi=None, rel=None):
    r"""Roots of ``h`` between ``lo`` and ``hi`` where ``h(lo)`` and ``h(hi)`` differ in sign, elementwise.

    Illinois' modification of regula falsi, the bracket kept at every step
    (a step that does not halve the bracket is followed by bisection), until
    the bracket is at most ``rel`` times the size of its ends. Works on
    numpy float arrays (vectorized: each point stops when its own bracket
    is small) and on numpy object arrays of mpmath numbers (``rel``
    defaults to the working precision). ``h(x, idx)`` is the function at
    the points ``idx`` (indices into ``lo``) and values ``x``. Returns
    ``(root, lo, hi)``: each root lies between its ``lo`` and ``hi``.

    Examples
    --------
    >>> root, lo, hi = bracketed_root(lambda x, i: x * x - 2, np.array([1.0, 0.0]), np.array([2.0, 3.0]))
    >>> root.tolist()
    [1.414213562373095, 1.414213562373095]
    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     r, _, _ = bracketed_root(lambda x, i: x * x - 2, np.array([mpmath.mpf(1)], dtype=object),
    ...                              np.array([mpmath.mpf(2)], dtype=object))
    ...     print(r[0])
    1.41421356237309504880168872421
    """
    mp = lo.dtype == object
    if rel is None:
        rel = mpmath.mpf(2) ** (8 - mpmath.mp.prec) if mp else 4 * np.finfo(float).eps
    every = np.arange(lo.size)
    hlo = h(lo, every) if hlo is None else hlo
    hhi = h(hi, every) if hhi is None else hhi
    lo, hi, hlo, hhi = (np.array(a, dtype=lo.dtype) for a in (lo, hi, hlo, hhi))
    out = np.where(hlo == 0, lo, hi).astype(lo.dtype)
    active = (hlo != 0) & (hhi != 0)
    tlo, thi = hlo.copy(), hhi.copy()  # the true values at the ends (Illinois halves hlo, hhi)
    side = np.zeros(lo.shape, dtype=int)  # the end kept last step: Illinois halves its value if kept again
    width = abs(hi - lo)
    for _ in range(MAX_STEPS):
        scale = np.maximum(abs(lo), abs(hi))
        active &= abs(hi - lo) > rel * np.where(scale > 0, scale, 1)
        if not active.any():
            break
        i = np.nonzero(active)[0]
        a, b, fa, fb = lo[i], hi[i], hlo[i], hhi[i]
        x = b - fb * (b - a) / (fb - fa)
        bisect = (abs(b - a) > width[i] / 2) | ~((x - a) * (x - b) < 0)
        x = np.where(bisect, (a + b) / 2, x)
        width[i] = abs(b - a)
        fx = h(x, i)
        same = _sign(fx) == _sign(fa)  # the root is between x and b
        lo[i], hi[i] = np.where(same, x, a), np.where(same, b, x)
        hlo[i] = np.where(same, fx, np.where(side[i] == -1, fa / 2, fa))
        hhi[i] = np.where(same, np.where(side[i] == 1, fb / 2, fb), fx)
        tlo[i], thi[i] = np.where(same, fx, tlo[i]), np.where(same, thi[i], fx)
        side[i] = np.where(same, 1, -1)
        done = fx == 0
        out[i] = np.where(done, x, out[i])
        active[i] &= ~done
    rest = (hlo != 0) & (hhi != 0)  # the end where |h| is smaller
    out[rest] = np.where(abs(tlo[rest]) <= abs(thi[rest]), lo[rest], hi[rest])
    return out, lo, hi


def _sign(a):
    return np.sign(a.astype(float)) if a.dtype == object else np.sign(a)


def _far_end(h, x0, h0, floor=None):
    """For each point, a bracket of the root on the side ``h(x0)`` points to.

    Steps ``1, 2, 4, ...`` times ``max(1, |x0|)`` away from x0; towards ``floor``, the distance to
    it is halved instead where a step would reach it. Returns ``(near, h(near), far, h(far), open)``:
    ``open`` where no sign change was found within :data:`MAX_DOUBLINGS` steps.
    """
    d = _sign(h0)
    step = np.maximum(abs(x0), 1)
    mp = x0.dtype == object
    near, hnear = x0.copy(), h0.copy()
    far, hfar = x0.copy(), h0.copy()
    open_ = d != 0
    for _ in range(MAX_DOUBLINGS):
        if not open_.any():
            break
        i = np.nonzero(open_)[0]
        x = near[i] + d[i] * step[i]
        if floor is not None:
            x = np.where((d[i] < 0) & (x <= floor), (near[i] + floor) / 2, x)
        hx = h(x, i)
        still = _sign(hx) == d[i]
        far[i], hfar[i] = x, hx
        near[i], hnear[i] = np.where(still, x, near[i]), np.where(still, hx, hnear[i])
        open_[i] = still
        # doubling; in mpmath, squared beyond 2**64 (a fixed point may lie far beyond 2**1100 there)
        step[i] = np.array([v * v if v > _FAST else 2 * v for v in step[i]], dtype=object) if mp \
            else step[i] * 2
    return near, hnear, far, hfar, open_


def fixed_point_mp(f, x0, floor=None):
    """The fixed point of ``f`` reached from ``x0``, at the working mpmath precision (:class:`FixedPoint`).

    ``inf`` (with the sign of the direction) where no root is found on that side.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(25):
    ...     print(fixed_point_mp(lambda b: 1 + b / 2, mpmath.mpf(1)), fixed_point_mp(lambda b: b / 2, 1))
    2.0 0.0
    """
    def h(x, _i):
        return np.array([f(v) - v for v in x], dtype=object)

    x0 = np.array([mpmath.mpf(x0)], dtype=object)
    h0 = h(x0, None)
    if h0[0] == 0:
        return x0[0]
    near, hnear, far, hfar, open_ = _far_end(h, x0, h0, floor)
    if open_[0]:
        return mpmath.inf if h0[0] > 0 else mpmath.ninf
    root, lo, hi = bracketed_root(h, near, far, hnear, hfar)
    return root[0] if is_root(f, root[0], lo[0], hi[0]) else mpmath.nan


def is_root(f, x, lo, hi):
    """Whether ``x`` is a root of ``f(v) = v`` bracketed by ``lo`` and ``hi``, checked at more
    precision (twice the working one, plus the bits of their size): ``f(v) - v`` changes sign between
    ``lo`` and ``hi`` (a root only rounding made, ``v + 1 = v`` at ``2**130``, has none) and is small
    at ``x`` (a bracket that closed on a pole is not).

    Examples
    --------
    >>> import mpmath
    >>> big = mpmath.mpf(2) ** 130
    >>> is_root(lambda v: v + 1, big, big, 2 * big), is_root(lambda v: 1 + v / 2, 2, 1, 3)
    (False, True)
    """
    prec = mpmath.mp.prec
    size = max([0] + [int(mpmath.mag(v)) for v in (x, lo, hi) if v != 0 and mpmath.isfinite(v)])
    # the bracket widened to half the working precision: rounding in f(v) - v moves the root it
    # brackets by about the precision over the slope |f' - 1|
    step = mpmath.mpf(2) ** (-prec // 2) * max(1, abs(x))
    lo, hi = min(lo, hi) - step, max(lo, hi) + step
    with mpmath.workprec(2 * prec + 20 + size):
        ends = [f(+v) - v for v in (lo, hi)]
        value = f(+x)
        crosses = ends[0] == 0 or ends[1] == 0 or (ends[0] > 0) != (ends[1] > 0)
        return bool(crosses and abs(value - x) <= mpmath.mpf(2) ** (-prec // 2) * max(1, abs(x), abs(value)))


def fixed_point_values(f, x0, floor=None):
    """:func:`fixed_point_mp` in float64, vectorized over points.

    ``f(x, idx)`` is the map at the points ``idx`` (indices into ``x0``, flattened) and values ``x``;
    ``x0`` the starts. nan where ``f`` is not finite at the start.

    Examples
    --------
    >>> c = np.array([0.5, 2.0, 1.0])
    >>> f = lambda x, i: 1 + c[i] * np.sqrt(x)
    >>> fixed_point_values(f, np.ones(3)).round(12).tolist()  # ((c + sqrt(c**2 + 4))/2)**2
    [1.640388203202, 5.828427124746, 2.61803398875]
    """
    x0 = np.asarray(x0, dtype=float)
    shape, x0 = x0.shape, x0.ravel()

    def h(x, idx):
        with np.errstate(all="ignore"):
            return np.asarray(f(x, idx), dtype=float) * np.ones(x.shape) - x

    everywhere = np.arange(x0.size)
    h0 = h(x0, everywhere)
    out = np.where(h0 == 0, x0, np.nan)
    go = np.nonzero(np.isfinite(h0) & (h0 != 0))[0]
    if go.size:
        def h_go(x, i):
            return h(x, go[i])

        near, hnear, far, hfar, open_ = _far_end(h_go, x0[go], h0[go], floor)
        vals = np.where(open_, np.sign(h0[go]) * np.inf, np.nan)
        j = np.nonzero(~open_)[0]
        if j.size:
            def h_j(x, i):
                return h(x, go[j[i]])

            vals[j] = bracketed_root(h_j, near[j], far[j], hnear[j], hfar[j])[0]
        out[go] = vals
    return out.reshape(shape)
