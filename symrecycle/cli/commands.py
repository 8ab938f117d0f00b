"""The commands ``models``, ``derive``, ``summary``, ``eval`` and ``cache``.

The engine (SymPy, numpy) is imported inside the commands: ``symrecycle --help`` and a mistyped
option stay quick (see :mod:`.parser`).
"""

from __future__ import annotations

import json

from .common import (
    Progress,
    _api,
    _check_values,
    _file_head,
    _fmt,
    _is_not_derived,
    _json_value,
    _listed_models,
    _model,
    _model_dict,
    _n_text,
    _no_closed_form,
    _one_line,
    _parse_value,
    _quantity,
    _refuse_large_grid,
    _sequence,
    _Sink,
)
from .parser import SET_FORM, UserError

#: points evaluated per call on a grid (float path / mpmath path)
CHUNK = 1 << 16
CHUNK_MP = 64


def cmd_models(args, out):
    listed = _listed_models()
    if args.format == "json":
        records = []
        for m, f in listed:
            rec = {"kind": "file" if f else "registered", **_model_dict(m)}
            if f:
                rec.update(f)
            records.append(rec)
        json.dump(records, out, indent=2)
        print(file=out)
        return
    for m, f in listed:
        head = m.name if f is None else _file_head(m, f)
        if args.format == "latex":
            print(f"% {head}: {m.description}", file=out)
            print(m._repr_latex_().strip("$"), file=out)
            continue
        print(f"{head}: {m.description}", file=out)
        for s in m.sequences:
            print(f"  {s.name}[{m.start}] = {s.initial};  {s.name}[n] = {s.next}   ({s.description})",
                  file=out)
        for p in m.parameters:
            print(f"  parameter {p.name} in {p.domain_text}: {p.description}", file=out)
        for met in m.metrics:
            print(f"  metric {met.name} = {met.expr}   ({met.description})", file=out)


def _show(res, fmt, out):
    if fmt == "json":
        json.dump(res.to_dict(), out, indent=2)
        print(file=out)
    elif fmt == "latex":
        print(res.latex(), file=out)
    else:
        cases = res.cases
        if len(cases) == 1:
            print(f"{res.title()}: {cases[0][0]}", file=out)
        else:
            print(f"{res.title()}:", file=out)
        for v, c in cases if len(cases) > 1 else ():
            print(f"    {v}    {c}" if c.otherwise else f"    {v}    if {c}", file=out)
        for note in res.notes:
            print(f"    note: {note}", file=out)
        failed = res.failed()
        print(f"    verified: {res.verified}" + (f" ({_one_line(failed)})" if failed else ""), file=out)


def cmd_derive(args, out):
    from ..core.params import n as N
    from ..core.request import WITH_RESPECT_TO

    m = _model(args.model)
    q = _quantity(args.quantity, m, args.wrt, args.metric)
    of = args.of
    if args.at_n:
        if of == "limit":
            raise UserError("--at-n and --of limit contradict each other; expected one of them")
        of = "benefit"
    if args.of is not None and q not in WITH_RESPECT_TO:
        raise UserError(f"--of {args.of}: expected with {', '.join(WITH_RESPECT_TO)} only, not with {q}")
    if args.sequence is not None and q != "closed-form":
        raise UserError(f"--sequence {args.sequence}: expected with closed-form only, not with {q}")
    if q == "breakeven":  # the API's breakeven(of=...): of the benefit at n by default
        n, of = None, of or "benefit"
    else:  # the API's sensitivity(n=...): of the limit (n=None) by default
        n, of = (N if of == "benefit" else None), "benefit"
    with _Sink(args.out, args.force) as sink:
        try:
            if args.sequence is not None:  # the API's closed_form(sequence)
                res = _api(m.closed_form, _sequence(m, args.sequence))
            else:
                res = _api(m.derive, q, wrt=args.wrt, n=n, fraction=args.fraction, level=args.level,
                           metric=args.metric, of=of)
        except Exception as exc:
            if q == "breakeven" and args.of is None and _is_not_derived(exc):  # at n; the limit's may be
                level = "" if args.level == 1 else f" --level {args.level}"
                raise UserError(_no_closed_form(exc, args.model) + "; or the breakeven of the limit: "
                                f"symrecycle derive {args.model} breakeven --wrt {args.wrt}{level} "
                                "--of limit") from None
            raise
        _show(res, args.format, sink)


def cmd_summary(args, out):
    from ..core.request import WITH_RESPECT_TO
    from ..io import registry

    names = args.model or registry.models()
    models = [_model(name) for name in names]
    from ..core.results import NotDerived

    def show(derive):  # what the engine does not derive is said in its place
        try:
            _show(derive(), "text", out)
        except NotDerived as exc:
            print(f"  not derived: {_one_line(exc)}", file=out)

    for m in models:
        print(f"== {m.name} ==", file=out)
        for derive in (m.closed_form, m.benefit, m.limit, lambda m=m: m.iterations_to(0.99)):
            show(derive)
        for p in m.parameters:
            if p.default is not None:  # a scale (C1): no metric depends on it
                continue
            for q in WITH_RESPECT_TO:
                show(lambda q=q, m=m, p=p: getattr(m, q)(p.name))


def cmd_eval(args, out):
    m = _model(args.model)
    q = _quantity(args.quantity, m, args.wrt, args.metric)
    specs = list(args.values) + ([f"n={args.n}"] if args.n is not None else [])
    _refuse_large_grid(specs, args.dps)
    axes, grid = {}, False
    for i, spec in enumerate(specs):
        where = f"--n {args.n}" if args.n is not None and i == len(specs) - 1 else f"--set {spec}"
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise UserError(f"{where}: expected {SET_FORM}")
        if name in axes:
            raise UserError(f"{where}: {name} is given twice (--set {name}=... or --n)")
        values, is_grid = _parse_value(name, text, where, m.start)
        _check_values(m, name, values, where)
        axes[name] = values
        grid |= is_grid

    fmt = args.format or ("csv" if grid else "text")
    if grid and fmt == "text":
        raise UserError("--format text gives one value; a grid is written as --format csv (the default) "
                        "or json")
    opts = {"dps": args.dps, "wrt": args.wrt, "fraction": args.fraction, "level": args.level,
            "metric": args.metric}
    meta = {"model": m.name, "quantity": q}
    meta.update({k: v for k, v in (("wrt", args.wrt), ("metric", args.metric), ("dps", args.dps)) if v})
    if q == "iterations-to":
        meta["fraction"] = str(args.fraction)
    if q == "breakeven":
        meta["level"] = str(args.level)
    with _Sink(args.out, args.force) as sink:
        _eval_points(m, q, axes, opts, meta, fmt, sink, grid, args.quiet)


def _param_text(name, x):
    return _n_text(x) if name == "n" else repr(x)


def _param_json(name, x):
    if name == "n":
        return "inf" if x == float("inf") else int(x)
    return x


def _eval_points(m, q, axes, opts, meta, fmt, sink, grid, quiet):
    import math

    import numpy as np

    names = list(axes)
    arrays = [np.asarray(axes[k], dtype=float) for k in names]
    shape = tuple(len(a) for a in arrays)
    total = math.prod(shape)
    dps = opts["dps"]
    if fmt == "csv":
        sink.write(",".join([*names, q]) + "\n")
    elif fmt == "json" and grid:
        sink.write(json.dumps(meta)[:-1] + ', "points": [\n')
    bar = Progress(f"{m.name} {q}", total, quiet)
    chunk = CHUNK if dps is None else CHUNK_MP
    try:
        for start in range(0, total, chunk):
            stop = min(start + chunk, total)
            idx = np.unravel_index(np.arange(start, stop), shape) if shape else ()
            cols = {k: a[i].tolist() for k, a, i in zip(names, arrays, idx, strict=True)}
            if grid:
                point = {k: np.asarray(v) for k, v in cols.items()}
            else:
                point = {k: v[0] for k, v in cols.items()}
            try:
                values = m.evaluate(q, **opts, **point)
            except ValueError as exc:
                hint = ""
                if str(exc).startswith("missing parameter"):
                    option = "--n N" if "'n'" in str(exc) else "--set NAME=VALUE"
                    hint = f" (give it with {option})"
                raise UserError(_one_line(exc) + hint) from None
            values = np.asarray(values, dtype=object if dps else float).reshape(-1).tolist()
            texts = [_fmt(v, dps) for v in values]
            if fmt == "csv":
                rows = zip(*[[_param_text(k, x) for x in cols[k]] for k in names], texts, strict=True)
                sink.write("".join(",".join(row) + "\n" for row in rows))
            elif fmt == "text":
                sink.write(texts[0] + "\n")
            else:
                for j, (v, t) in enumerate(zip(values, texts, strict=True)):
                    rec = {"parameters": {k: _param_json(k, cols[k][j]) for k in names},
                           "value": _json_value(v), "text": t}
                    if grid:
                        sink.write(("" if start + j == 0 else ",\n") + json.dumps(rec))
                    else:
                        json.dump({**meta, **rec}, sink, indent=2)
                        sink.write("\n")
            bar.update(stop)
    finally:
        bar.close()
    if fmt == "json" and grid:
        sink.write("\n]}\n")


# -- mc, sensitivity ---------------------------------------------------------------------
def _plain_json(v):
    """Plain Python values for JSON, non-finite floats as null (``jq`` reads no NaN or Infinity)."""
    if isinstance(v, dict):
        return {str(k): _plain_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain_json(x) for x in v]
    if v is None or isinstance(v, (bool, str, int)):
        return v
    return _json_value(v)


def _n_json(n):
    """An iteration (or several) for JSON, as ``eval`` writes them: an integer, ``"inf"``, or null."""
    if n is None:
        return None
    if hasattr(n, "tolist"):
        n = n.tolist()
    if isinstance(n, list):
        return [_param_json("n", x) for x in n]
    return _param_json("n", n)


def _with_hint(call, *args, option="--set NAME=VALUE", **kwargs):
    """``_api``, adding where a missing parameter is given on the command line."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        msg = _one_line(exc)
        if msg.startswith("missing parameter"):
            msg += " (give it with " + ("--n N" if "'n'" in msg.split("(")[0] else option) + ")"
        raise UserError(msg) from None
    except MemoryError:
        raise UserError("not enough memory for this many samples; expected a smaller --samples "
                        "(or fewer iterations in --n)") from None


def cmd_cache(args, out):
    from ..models import store

    def entries(k):
        return f"{k} entr{'y' if k == 1 else 'ies'}"

    if args.action == "clear":
        removed = store.clear()
        if args.format == "json":
            print(json.dumps({"removed": removed, "directory": str(store.directory())}), file=out)
        else:
            print(f"removed {entries(removed)} from {store.directory()}", file=out)
        return
    info = store.info()
    if args.format == "json":
        print(json.dumps(info), file=out)
        return
    state = "on" if info["enabled"] else "off (SYMRECYCLE_NO_CACHE or --no-cache)"
    print(f"derivation cache: {info['directory']}\n  {state}; {entries(info['entries'])}, "
          f"{info['bytes'] / 1024:.1f} KiB", file=out)
