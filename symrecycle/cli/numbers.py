"""The commands ``mc``, ``sensitivity``, ``iterate``, ``check`` and ``reproduce``."""

from __future__ import annotations

import json
import math
import os

from .commands import _n_json, _plain_json, _with_hint
from .common import (
    Progress,
    _api,
    _check_target,
    _check_values,
    _fmt,
    _json_value,
    _model,
    _n_text,
    _number,
    _one_line,
    _parse_value,
    _quantity,
    _sequence,
    _Sink,
)
from .parser import DIST_FORM, MAX_ITERATE, UserError


def _specs(model, items, command):
    """``{name: Distribution}`` from the ``--set NAME=DIST`` options."""
    from ..uncertainty import distributions as _distributions

    if not items:
        params = ", ".join(p.name for p in model.parameters)
        raise UserError(f"{command} needs parameter distributions: give --set NAME=DIST for the "
                        f"parameters of {model.name} ({params}), DIST being {DIST_FORM}")
    for item in items:
        name = item.partition("=")[0].strip()
        if name == "n":
            raise UserError(f"--set {item}: the iteration is given with --n, not --set")
        try:
            _distributions.parse_specs([item])
        except ValueError as exc:
            raise UserError(f"--set {item}: {_one_line(exc)}") from None
    return _api(_distributions.parse_specs, items)


def _iterations(model, text, option, several=True):
    """``(n, is_grid)`` from ``--n`` text (eval's forms); n is None when not given."""
    if text is None:
        return None, False
    where = f"{option} {text}"
    values, grid = _parse_value("n", text, where, model.start)
    _check_values(model, "n", values, where)
    if grid and not several:
        raise UserError(f"{where}: expected one iteration, an integer >= {model.start} or inf")
    if grid:
        import numpy as np

        return np.asarray(values, dtype=float), True
    return values[0], False


def _check_outputs(args, options):
    """Refuse, before any work, output files that would be refused afterwards."""
    seen = {}
    for option in options:
        path = getattr(args, option.lstrip("-").replace("-", "_"), None)
        if path is None:
            continue
        where = f"{option} {path}"
        _check_target(option, path, args.force)
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
            raise UserError(f"{where}: cannot write there; expected a file in an existing, writable "
                            "directory")
        real = os.path.realpath(path)
        if real in seen:
            raise UserError(f"{where}: {seen[real]} writes the same file; expected different files")
        seen[real] = option
        if option in ("--fan", "--hist"):
            from matplotlib.backends.backend_agg import FigureCanvasAgg  # only for a figure

            ext = os.path.splitext(path)[1].lstrip(".").lower()
            kinds = FigureCanvasAgg.get_supported_filetypes()
            if ext not in kinds:
                raise UserError(f"{where}: unknown figure format {ext!r}; expected a file name ending in "
                                f"one of .{', .'.join(sorted(kinds))}")


def _write_file(option, path, write):
    """Write an output file through the API; its refusal becomes a user error naming the option."""
    try:
        write()
    except ValueError as exc:
        raise UserError(f"{option} {path}: {_one_line(exc)}") from None
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write it ({exc.strerror}); expected a file in an "
                        "existing, writable directory") from None


def cmd_mc(args, out):
    m = _model(args.model)
    q = _quantity(args.quantity, m, args.wrt, args.metric)
    specs = _specs(m, args.specs, "mc")
    from ..uncertainty import distributions as _distributions
    from ..uncertainty import montecarlo as _montecarlo

    corr = {}
    for item in args.correlations:
        corr.update(_api(_distributions.parse_correlations, [item]))
    n, grid = _iterations(m, args.n, "--n")
    if args.fan is not None and not (grid and len(n) > 1 and math.inf not in n.tolist()):
        raise UserError(f"--fan {args.fan}: a fan chart needs the quantity at several finite iterations; "
                        "expected --n START:STOP:NUM or N1,N2,... without inf (e.g. --n 1:30:30)")
    for option, value in (("--hist-n", args.hist_n), ("--bins", args.bins), ("--log", args.log or None)):
        if value is not None and args.hist is None:
            raise UserError(f"{option} is an option of the histogram; expected it with --hist FILE")
    if args.size is not None and args.fan is None and args.hist is None:
        raise UserError("--size is an option of the figures; expected it with --fan FILE or --hist FILE")
    hist_n = None
    if args.hist_n is not None:
        hist_n, _ = _iterations(m, args.hist_n, "--hist-n", several=False)
        known = n.tolist() if grid else [n]
        if hist_n not in known:
            shown = ", ".join(_n_text(x) for x in known if x is not None) or "none (the default)"
            raise UserError(f"--hist-n {args.hist_n}: not one of the iterations of --n: {shown}")
        if not grid:
            hist_n = None  # the samples are of that one iteration
    _check_outputs(args, ("--out", "--csv", "--fan", "--hist"))
    bar = Progress(f"{m.name} mc {q}", args.samples, args.quiet)
    try:
        mc = _with_hint(_montecarlo.monte_carlo, m, q, specs, args.samples, args.seed, n=n, wrt=args.wrt,
                        chunk=args.chunk, correlations=corr or None, metric=args.metric,
                        fraction=args.fraction, level=args.level, keep_inputs=args.csv is not None,
                        progress=bar, option="--set NAME=DIST")
    finally:
        bar.close()
    with _Sink(args.out, args.force) as sink:
        if args.csv is not None:
            _write_file("--csv", args.csv, lambda: mc.to_csv(args.csv, overwrite=args.force))
        if args.fan is not None:
            _write_file("--fan", args.fan,
                        lambda: _montecarlo.save_figure(mc.fan_chart(size=args.size), args.fan,
                                                        overwrite=args.force))
        if args.hist is not None:
            _write_file("--hist", args.hist, lambda: _montecarlo.save_figure(
                mc.histogram(bins=args.bins, n=hist_n, log=args.log or None, size=args.size), args.hist,
                overwrite=args.force))
        if args.format == "json":
            d = mc.to_dict()
            d["n"] = _n_json(mc.n)
            json.dump(_plain_json(d), sink, indent=2)
            sink.write("\n")
        else:
            text = mc.summary()
            if n is not None and not grid:
                head, _, rest = text.partition("\n")
                text = f"{head}; n = {_n_text(n)}\n{rest}" if " n = " not in head else text
            sink.write(text + "\n")


def cmd_sensitivity(args, out):
    m = _model(args.model)
    q = _quantity(args.quantity, m, args.wrt, args.metric)
    specs = _specs(m, args.specs, "sensitivity")
    n, _ = _iterations(m, args.n, "--n", several=False)
    from ..uncertainty import sensitivity as _sensitivity

    with _Sink(args.out, args.force) as sink:
        table = _with_hint(_sensitivity.sobol, m, q, specs, args.samples, args.seed, n=n, wrt=args.wrt,
                           metric=args.metric, fraction=args.fraction, level=args.level,
                           conf_level=args.conf, resamples=args.resamples, option="--set NAME=DIST")
        if args.format == "json":
            d = table.to_dict()
            d["n"] = _n_json(table.n)
            json.dump(_plain_json(d), sink, indent=2)
            sink.write("\n")
        elif args.format == "csv":
            import csv

            records = table.as_records()
            writer = csv.writer(sink, lineterminator="\n")
            writer.writerow(list(records[0]))
            writer.writerows([_csv_cell(v) for v in r.values()] for r in records)
        else:
            sink.write(str(table) + "\n")


def _csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


# -- iterate -----------------------------------------------------------------------------------
#: digits of the mpmath iteration that replaces a float iteration which overflowed
FALLBACK_DPS = 20


def cmd_iterate(args, out):
    m = _model(args.model)
    values = {}
    for spec in args.values:
        where = f"--set {spec}"
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise UserError(f"{where}: expected NAME=VALUE, one number")
        if name == "n":
            raise UserError(f"{where}: the last iteration is given with --n N")
        if ":" in text or "," in text:
            raise UserError(f"{where}: iterate takes one value per parameter; expected NAME=VALUE")
        if name in values:
            raise UserError(f"{where}: {name} is given twice")
        exact = _exact(text, where) if args.exact else None
        v = _number(text.strip(), where) if exact is None else float(exact)
        _check_values(m, name, [v], where)
        values[name] = v if exact is None else exact
    where = f"--n {args.n}"
    t = args.n.strip()
    n = int(t) if t.isdigit() and len(t) <= 20 else None
    if n is None or not m.start <= n <= MAX_ITERATE:
        raise UserError(f"{where}: expected an integer from {m.start} to {MAX_ITERATE} (the last iteration; "
                        "for the limit, symrecycle eval MODEL limit)")
    if args.sequence is not None:
        label = _sequence(m, args.sequence)
        what = {"sequence": label}
    else:
        label = _api(m.metric, args.metric).name
        what = {"metric": label}
    dps = args.dps
    with _Sink(args.out, args.force) as sink:
        bar = Progress(f"{m.name} iterate", n - m.start + 1, args.quiet)
        try:
            how = {"exact": True} if args.exact else {"dps": dps, "last": args.last and dps is None,
                                                     "progress": bar}
            got = _with_hint(m.iterate, n, **how, **what, **values)
        finally:
            bar.close()
        exact_texts = [_exact_text(x) for x in got] if args.exact else None
        if args.exact:
            got = [_ratio(t) for t in exact_texts]
        elif dps is None:
            import numpy as np

            got = np.atleast_1d(np.asarray(got, dtype=float))
            if not np.isfinite(got).all():
                # float iteration overflows (r**n) where the metric itself is finite: iterate again in
                # mpmath, whose exponents do not overflow, and round to floats (values that are not
                # finite there either stay as they are)
                try:
                    precise = m.iterate(n, dps=FALLBACK_DPS, **what, **values)
                except (ArithmeticError, ValueError):
                    precise = None
                if precise is not None:
                    got = np.array([float(x) for x in (precise[-1:] if args.last else precise)])
        got = list(got)
        if args.last:
            got = got[-1:]
        ns = [n] if args.last else list(range(m.start, n + 1))
        texts = exact_texts[-len(got):] if args.exact else [_fmt(v, dps) for v in got]
        if args.exact:
            values = {k: str(v) for k, v in values.items()}
        if args.format == "json":
            head = {"model": m.name, **what, "parameters": values}
            if dps:
                head["dps"] = dps
            if args.exact:
                head["exact"] = True
            sink.write(json.dumps(head)[:-1] + ', "points": [\n')
            sink.write(",\n".join(json.dumps({"n": k, "value": _json_value(v), "text": t})
                                  for k, v, t in zip(ns, got, texts)))
            sink.write("\n]}\n")
        elif args.format == "csv":
            sink.write(f"n,{label}\n")
            sink.write("".join(f"{k},{t}\n" for k, t in zip(ns, texts)))
        elif args.last:
            sink.write(texts[0] + "\n")
        else:
            width = max(len("n"), len(str(ns[-1])))
            sink.write(f"{'n':>{width}}  {label}\n")
            sink.write("".join(f"{k:>{width}}  {t}\n" for k, t in zip(ns, texts)))


def _exact(text, where):
    """An exact value for ``iterate --exact``: ``0.9`` is 9/10, ``21/5`` is 21/5 (never a binary float)."""
    from fractions import Fraction

    from ..core.params import exact_number

    t = text.strip()
    try:
        if "/" in t:
            num, _, den = t.partition("/")
            return Fraction(exact_number(num)) / Fraction(exact_number(den))
        return Fraction(exact_number(t))
    except (ValueError, ZeroDivisionError) as exc:
        raise UserError(f"{where}: {_one_line(exc)}; expected an exact number such as 0.9 or 21/5") from None


def _exact_text(x):
    """An exact iterate as text: ``21/4``, ``3``."""
    from fractions import Fraction

    try:
        f = Fraction(int(x.p), int(x.q)) if hasattr(x, "q") else Fraction(x)
    except (TypeError, ValueError):
        return str(x)
    return str(f)


def _ratio(text):
    """The float nearest an exact ``p/q`` (for JSON's ``value``; ``inf`` beyond floats, written null)."""
    from fractions import Fraction

    try:
        return float(Fraction(text))
    except OverflowError:
        return math.inf if not text.startswith("-") else -math.inf


def cmd_cross_check(args, out):
    m = _model(args.model)
    if args.metric is not None:
        _api(m.metric, args.metric)
    from ..models.crosscheck import cross_check

    res = _with_hint(cross_check, m, samples=args.samples, seed=args.seed, quantity=args.quantity,
                     n_max=args.n_max, dps=args.dps, metric=args.metric)
    if args.format == "json":
        json.dump(_plain_json({"model": res.model, "quantity": res.quantity, "samples": res.samples,
                               "max_rel_error": res.max_rel_error, "worst_point": res.worst_point,
                               "reference": res.reference, "seed": args.seed}), out)
        print(file=out)
    else:
        print(res, file=out)


# -- check, reproduce ------------------------------------------------------------------
def cmd_check(args, out):
    path = args.file
    try:
        with open(path, "rb") as f:
            f.read().decode("utf-8")  # a clear error for an unreadable or binary file
    except OSError as exc:
        raise UserError(
            f"claims file {path}: cannot read it ({exc.strerror}); expected a readable TOML file"
        ) from None
    except UnicodeDecodeError:
        raise UserError(f"claims file {path}: not UTF-8 text; expected a TOML file") from None
    from ..report import claims

    try:
        results = claims.check_file(path)
    except (ValueError, OSError) as exc:
        raise UserError(f"claims file {path}: {_one_line(exc)}") from None
    if args.format == "json":
        json.dump([r.to_dict() for r in results], out, indent=2, default=str)
        print(file=out)
    else:
        out.write(claims.format_text(results))
    return 1 if any(not r.consistent for r in results) else 0


def cmd_reproduce(args, out):
    from ..numeric import forks

    # the workers' server imports what they run while this process imports the rest
    forks.prepare(["symrecycle.report.latex", "symrecycle.report.reproduce"])
    from ..report.reproduce import reproduce

    bar = Progress("reproduce", None, args.quiet)
    summary = []
    try:
        result = reproduce(args.out, force=args.force, progress=bar, summary=summary)
    except (ValueError, OSError) as exc:
        raise UserError(f"reproduce --out {args.out}: {_one_line(exc)}") from None
    finally:
        bar.close()
    print(os.fspath(result), file=out)
    print(*summary, file=out)  # claims consistent or not, results verified, what was not derived
    return 0
