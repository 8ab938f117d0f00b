"""Direct iteration of any model's sequences: floats (vectorized), mpmath at any precision, or exact
rationals; overflowing float points are iterated again in mpmath."""

from __future__ import annotations

import numbers

import mpmath
import numpy as np
import sympy as sp

from ..core import sym as _sym
from ..core.params import as_array
from ..core.params import n as N
from ..core.sequences import lag_symbol
from .compile import as_mpf

__all__ = ["iterate"]


# -- direct iteration ---------------------------------------------------------------------
@_sym.memo(64)
def _step_functions(model, module):
    """The plan's expressions compiled: f(params..., n, X__0, X__1, ..., Y__0, ...) for each sequence.

    Compiled once per model (by its content) and module: a cross-check iterates a thousand points
    one by one. The functions read mpmath's precision when they are called, not when compiled.
    """
    pl = model.iteration_plan
    params = [p.symbol for p in model.parameters]
    syms = [*params, N, *(lag_symbol(nm, lag) for nm, lag in pl.symbols)]
    # complex infinity (log(0) written in the model, log(log(n)) at n = 1) has no value in the reals:
    # nan, where the printers know no name for it
    if module == "mpmath":  # powers with a variable exponent, and exp, through a guard (a tower ends in inf)
        def make(e):
            guarded = e.xreplace({sp.zoo: sp.nan}).replace(
                lambda x: isinstance(x, sp.Pow) and not x.exp.is_Number, lambda x: _MP_POW(x.base, x.exp)
            ).replace(lambda x: isinstance(x, sp.exp) and not x.args[0].is_Number,
                      lambda x: _MP_EXP(x.args[0]))
            return sp.lambdify(syms, guarded, modules=[{"mp_pow": _mp_pow, "mp_exp": _mp_exp}, "mpmath"])
    else:
        def make(e):
            return sp.lambdify(syms, e.xreplace({sp.zoo: sp.nan}), modules=module)
    steps = {nm: make(pl.next[nm]) for nm in pl.order}
    inits = {nm: [make(e) for e in pl.initials[nm]] for nm in pl.order}
    return pl, steps, inits


_MP_POW = sp.Function("mp_pow")


def _mp_pow(b, e):
    """``b**e`` in mpmath, where a result beyond 2^(+-MP_MAX_BITS) is inf (or 0) at once: mpmath raises
    an integer-valued base to an integer-valued exponent exactly, which for ``A**A`` from ``A_1 = 2``
    would take longer than any time limit."""
    # a term free of the parameters comes out of lambdify as a Python integer: as an mpf here
    if not isinstance(b, mpmath.mpf) and isinstance(b, numbers.Real):
        b = mpmath.mpf(b)
    if not isinstance(e, mpmath.mpf) and isinstance(e, numbers.Real):
        e = mpmath.mpf(e)
    if (isinstance(b, mpmath.mpf) and isinstance(e, mpmath.mpf) and mpmath.isfinite(b) and mpmath.isfinite(e)
            and b != 0 and abs(e) > 1):
        bits = mpmath.mag(b) * e  # log2 |b**e|, within a factor 2
        odd = b < 0 and mpmath.isint(e) and int(e) % 2 == 1
        if b > 0 or mpmath.isint(e):
            if bits > MP_MAX_BITS:
                return -mpmath.inf if odd else mpmath.inf
            if bits < -MP_MAX_BITS:
                return mpmath.mpf(0)
    return b**e


_MP_EXP = sp.Function("mp_exp")
_LOG2_E = 1.4426950408889634  # log2(e): exp(x) is 2**(x * log2(e))


def _mp_exp(x):
    """``exp(x)`` in mpmath, where a result beyond 2^(+-MP_MAX_BITS) is inf (or 0) at once: mpmath
    reduces ``x`` by log(2) at the precision of ``x``'s integer part, which for ``exp(exp(exp(A)))``
    from ``A_1 = 15`` means log(2) to millions of digits (minutes)."""
    if not isinstance(x, mpmath.mpf) and isinstance(x, numbers.Real):
        x = mpmath.mpf(x)
    if isinstance(x, mpmath.mpf) and mpmath.isfinite(x):
        if x * _LOG2_E > MP_MAX_BITS:
            return mpmath.inf
        if x * _LOG2_E < -MP_MAX_BITS:
            return mpmath.mpf(0)
    return mpmath.exp(x)


#: an mpmath value beyond 2^(10^6) in magnitude is taken as infinite: a step such as r**A or
#: exp(A) beyond it would build exponents of millions of digits (minutes, or an OverflowError)
MP_MAX_BITS = 10**6


def _not_real(name, k, text):
    return ValueError(f"sequence {name}: the value at n = {k} is not real ({text}); "
                      "expected parameter values where the model stays real")


def _bounded(x, name, k, max_bits=MP_MAX_BITS):
    """An mpmath step's value, real and of bounded size (``inf`` beyond ``max_bits``; None: no bound)."""
    if isinstance(x, mpmath.mpc):
        if x.imag != 0:
            raise _not_real(name, k, mpmath.nstr(x, 8))
        x = x.real
    if max_bits is not None and isinstance(x, mpmath.mpf) and mpmath.isfinite(x) and x != 0 and (
            mpmath.mag(x) > max_bits):
        return mpmath.inf if x > 0 else -mpmath.inf
    return x


def _as_float(value, name, k):
    """A step's value in floats: a term free of the parameters comes out of ``lambdify`` as a Python
    integer, and integers raised to integers (``A**A`` from ``A_1 = 2``) would grow exactly, past
    anything a float holds; beyond floats, its sign times infinity (then iterated again in mpmath).
    A single point's power of a negative number comes out of Python complex: not real, as in mpmath
    (an array's is nan, from numpy)."""
    if isinstance(value, complex):
        if value.imag != 0:
            raise _not_real(name, k, f"{value:.8g}")
        value = value.real
    try:
        return np.asarray(value, dtype=float)
    except OverflowError:
        return np.asarray(np.inf if value > 0 else -np.inf)


#: steps between two calls of an iteration's ``progress`` callback
PROGRESS_EVERY = 1 << 12


def _run(model, values, count, module, convert, last=False, lost=None, max_bits=MP_MAX_BITS, progress=None):
    """Iterate every sequence; with ``lost`` (an empty list, floats), it ends holding the mask
    of the points where a sequence passed through the subnormal range (digits lost, though finite).

    Each index computes the sequences in the plan's order (each after those it uses at that
    index); with ``last`` only the plan's depth of history is kept (bounded memory).
    """
    pl, steps, inits = _step_functions(model, module)
    pvals = [values[p.symbol] for p in model.parameters]
    zero = convert(0)
    hist = {nm: [] for nm in pl.order}  # the values so far (the last depth + 1 of them with last=True)
    # ref at index k - lag: its last value is at k once it came first (the same for every k)
    reads = {nm: [(hist[ref], pl.back(ref, nm, lag)) for ref, lag in pl.symbols] for nm in pl.order}
    tiny = np.finfo(float).tiny
    for k in range(model.start, model.start + count):
        i = k - model.start
        at = convert(k)
        for nm in pl.order:
            f = inits[nm][i] if i < len(inits[nm]) else steps[nm]
            args = [*pvals, at]
            for h, back in reads[nm]:
                args.append(h[-1 - back] if 0 <= back < len(h) else zero)
            try:
                value = f(*args)
            except ZeroDivisionError:  # mpmath divides exactly: the step is undefined here
                raise ValueError(f"sequence {nm}: a division by zero at n = {k}; the model is not "
                                 "defined at these parameter values") from None
            if module == "mpmath":
                value = _bounded(value, nm, k, max_bits)
            elif module == "numpy":
                value = _as_float(value, nm, k)
            if lost is not None:  # one mask, or-ed in place: bounded memory
                x = np.abs(np.asarray(value, dtype=float))
                sub = (x < tiny) & (x > 0)
                if not lost:
                    lost.append(sub)
                elif sub.any():
                    lost[0] = lost[0] | sub
            hist[nm].append(value)
            if last and len(hist[nm]) > pl.depth + 1:
                del hist[nm][0]
        if progress is not None and ((i + 1) % PROGRESS_EVERY == 0 or i + 1 == count):
            progress(i + 1, count)
    return hist if not last else {nm: h[-1:] for nm, h in hist.items()}


def iterate(model, n, dps=None, exact=False, sequence=None, metric=None, last=False, naive=False,
            max_bits=MP_MAX_BITS, progress=None, **values):
    """The sequence (default: adjusted compute) for iterations start..n by direct iteration.

    Floats (numpy, vectorized over parameter arrays: the iteration axis is
    last), mpmath at ``dps`` digits, or exact rationals (``exact=True``).
    With ``metric=`` the metric (e.g. ``"benefit"``) instead of a sequence;
    with ``last=True`` only the term at n, in bounded memory (in mpmath, a list of one).
    :func:`iterate_at`: the terms at a few iterations alone.

    Float iteration overflows where the sequences outgrow floats (``r**n``)
    although a metric stays finite; parameter points that come out not
    finite are iterated again in mpmath (30 digits) and rounded, unless
    ``naive=True`` (the plain float iteration, e.g. as a baseline). In
    mpmath a value beyond ``2**max_bits`` is taken as infinite (a tower such
    as ``r**A`` would build exponents of millions of digits); ``None``: no bound.
    ``progress(done, total)``, where given, is called every
    :data:`PROGRESS_EVERY` iterations and at the end (floats and mpmath).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> iterate(m, 4, r=2.0, alpha=0.5, metric="benefit").tolist()
    [1.0, 1.25, 1.3125, 1.328125]
    >>> iterate(m, 3, exact=True, r=2, alpha=Fraction(1, 2), sequence="C")
    [1, 2, 4]
    """
    if naive or exact or dps is not None:
        return _iterate(model, n, dps, exact, sequence, metric, last, max_bits=max_bits, progress=progress,
                        **values)
    lost = []
    out = _iterate(model, n, None, False, sequence, metric, last, lost=lost, progress=progress, **values)
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
            vals = [float(x) for x in _iterate(model, n, 30, False, sequence, metric, last, **point)]
        out[idx] = vals[0] if last else vals
    return out


def iterate_at(model, at, dps, values: dict, sequence=None, metric=None, max_bits=MP_MAX_BITS):
    """The terms (of ``sequence``, default the adjusted compute, or of the ``metric``) at the
    iterations ``at`` alone, in its order: an mpmath iteration at ``dps`` digits up to the last of them,
    the metric computed at those iterations only (a limit's check reads two windows of 8000 terms).

    Examples
    --------
    >>> from fractions import Fraction
    >>> from symrecycle.models.catalogue import kickstarting
    >>> m = kickstarting()
    >>> iterate_at(m, [4, 2], 30, {"r": 2, "alpha": Fraction(1, 2)}, metric="benefit")
    [mpf('1.328125'), mpf('1.25')]
    """
    at = list(at)
    bad = next((k for k in at if isinstance(k, bool) or not isinstance(k, numbers.Integral)
                or k < model.start), None)
    if bad is not None or not at:
        raise ValueError(f"parameter 'at': got {bad if at else at!r}, expected iterations from {model.start}")
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or dps < 1:
        raise ValueError(f"parameter 'dps': got {dps!r}, expected a number of digits (an integer >= 1)")
    return _iterate(model, max(at), dps, False, sequence, metric, False, max_bits=max_bits, at=at, **values)


def _iterate(model, n, dps, exact, sequence, metric, last, lost=None, max_bits=MP_MAX_BITS, progress=None,
             at=None, **values):
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
            if p.default is not None:
                vals[p.symbol] = p.default
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
            mvals = {k: as_mpf(v, dps) for k, v in vals.items()}
            seqs = _run(model, mvals, count, "mpmath", mpmath.mpf, last=last, max_bits=max_bits,
                        progress=progress)
            if at is not None:
                return _terms_at(model, seqs, mvals, at, sequence, metric)
            if metric is not None:  # with last, the metric at n alone
                return _metric_values(model, seqs, mvals, 1 if last else count, metric, "mpmath", mpmath.mpf,
                                      offset=count - 1 if last else 0)
        return seqs[sequence or model.adjusted]
    else:
        arrs = {p.symbol: as_array(p.name, vals[p.symbol], p) for p in model.parameters}
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            seqs = _run(model, arrs, count, "numpy", float, last=last, lost=lost, progress=progress)
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
        return model.metric_exact_at(met.expr, vals, range(model.start, model.start + count))
    return seqs[sequence or model.adjusted]


def _terms_at(model, seqs, vals, at, sequence, metric):
    """The mpmath terms (of ``sequence``, or the ``metric``) at the iterations ``at`` alone."""
    out = []
    for k in at:
        i = k - model.start
        if metric is None:
            out.append(seqs[sequence or model.adjusted][i])
        else:
            out += _metric_values(model, {nm: h[i:i + 1] for nm, h in seqs.items()}, vals, 1, metric,
                                  "mpmath", mpmath.mpf, offset=i)
    return out


def _metric_values(model, seqs, vals, count, metric, module, convert, offset=0):
    f = _metric_function(model, metric, module)
    names = [s.name for s in model.sequences]
    pv = [vals[p.symbol] for p in model.parameters]
    return [f(*pv, convert(model.start + offset + i), *[seqs[nm][i] for nm in names]) for i in range(count)]


@_sym.memo(64)
def _metric_function(model, metric, module):
    """The metric compiled: f(params..., n, X, Y, ...) with each sequence at n (once per model)."""
    met = model.metric(metric)
    cur = {s.name: sp.Symbol(f"{s.name}__cur") for s in model.sequences}
    expr = met.expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: cur[e.base.label.name])
    return sp.lambdify([*(p.symbol for p in model.parameters), N, *cur.values()], expr, modules=module)
