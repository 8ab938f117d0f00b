"""numeric.evaluate."""

from __future__ import annotations

import numbers

import numpy as np

from ..core.params import n as N
from ..core.results import QUANTITIES
from .compile import compile_expr, exact_input

__all__ = ["evaluate"]


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
        exact = {p.symbol: exact_input(values[p.name]) for p in model.parameters if p.name in values}
        for idx in zip(*np.nonzero(mask)) if shape else [()]:
            pt = [exact.get(a) if exact.get(a) is not None else full[a][idx] for a in comp.args]
            if res is at_inf:
                pt[-1] = 1.0
            out[idx] = comp.mp_point(*pt, dps=dps)
    return out[()] if scalar else out
