"""Numbers from derived Results: float arrays (vectorized) or mpmath at a chosen precision.

:func:`evaluate` takes the Results themselves (as thunks, so that only what
the requested n need is derived) and the parameter values; it never derives
anything. :meth:`~symrecycle.models.model.Model.evaluate` is the entry that
builds the request and hands its Results here.
"""

from __future__ import annotations

import numpy as np

from ..core.params import as_array
from ..core.params import n as N
from .compile import compile_expr, exact_input

__all__ = ["evaluate"]


def _compiled(result, args, cache):
    key = ("compiled", result.quantity, result.meta.get("metric"), result.meta.get("wrt"),
           result.meta.get("fraction"), result.meta.get("level"), result.meta.get("of"), result.label)
    return cache(key, lambda: compile_expr(result.expr, args))


def _no_cache(_key, make):
    return make()


def evaluate(parameters, at_n, at_inf, values: dict, dps=None, start=1, cache=_no_cache,
             quantity="the quantity", model="the model"):
    """Evaluate derived Results at parameter values (arrays broadcast).

    Parameters
    ----------
    parameters : sequence of Parameter
        The model's parameters, in order (the compiled functions take them so).
    at_n, at_inf : callable or None
        Thunks returning the :class:`~symrecycle.core.results.Result` at a finite
        n and as n -> oo (or free of n); ``None`` where the quantity has none.
    values : dict
        Parameter values by name; ``n`` may be an integer, an integer array or
        ``inf`` (the limit). A parameter with a default may be left out.
    dps : int, optional
        mpmath numbers correct to about this many digits (scalar ints,
        Fractions, SymPy rationals and Decimals are then taken exactly).
    start : int
        The model's first iteration.
    cache : callable
        ``cache(key, make)``: where compiled functions are kept (the model's cache).

    Returns a float or an ndarray; with ``dps``, mpmath numbers.

    Examples
    --------
    >>> import symrecycle as sr
    >>> m = sr.get_model("kickstarting")
    >>> round(evaluate(m.parameters, None, m.limit, {"r": 4.2, "alpha": 1.0}), 6)
    1.3125
    """
    names = {p.name: p for p in parameters}
    if at_n is not None:
        if "n" not in values:
            if at_inf is None:
                raise ValueError(f"missing parameter 'n' (a positive integer) for {quantity}")
            nvals = np.asarray(np.inf)
        else:
            nvals = as_array("n", values["n"], integer=True, allow_inf=at_inf is not None)
    else:
        nvals = np.asarray(np.inf)
        if "n" in values:
            nvals = as_array("n", values["n"], integer=True, allow_inf=True)
        if np.isfinite(nvals).any():
            raise ValueError(f"parameter 'n': {quantity} does not depend on n; omit n or give inf")
    if nvals.size and (nvals < start).any():
        raise ValueError(f"parameter 'n': got {nvals.min()}, expected n >= {start}")
    at_n = at_n() if at_n is not None and np.isfinite(nvals).any() else None
    at_inf = at_inf() if at_inf is not None and not np.isfinite(nvals).all() else None
    unknown = set(values) - set(names) - {"n"}
    if unknown:
        raise ValueError(
            f"unknown parameter {sorted(unknown)[0]!r} for model {model!r}; "
            f"its parameters: {', '.join(names)}, n"
        )
    needed = set()
    for res in (at_n, at_inf):
        if res is not None:
            needed |= {s.name for s in res.expr.free_symbols}
    arrays = {}
    for name, p in names.items():
        if name in values:
            arrays[p.symbol] = as_array(name, values[name], p)
        elif name in needed and p.default is None:
            raise ValueError(f"missing parameter {name!r} (domain {p.domain_text}) for {quantity}")
        else:  # a default, or a parameter the result does not use
            arrays[p.symbol] = np.asarray(float(p.default) if p.default is not None else 1.0)
    arrays[N] = nvals
    args = (*(p.symbol for p in parameters), N)
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
            comp = _compiled(res, args, cache)
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
        comp = _compiled(res, args, cache)
        exact = {p.symbol: exact_input(values[p.name]) for p in parameters if p.name in values}
        for idx in zip(*np.nonzero(mask)) if shape else [()]:
            pt = [exact.get(a) if exact.get(a) is not None else full[a][idx] for a in comp.args]
            if res is at_inf:
                pt[-1] = 1.0
            out[idx] = comp.mp_point(*pt, dps=dps)
    return out[()] if scalar else out
