"""The ``symrecycle`` command: a thin layer over the public API.

Every user mistake ends with exit status 2 and one line on stderr naming the
problem and the expected form; internal failures exit 1 with a short message
(the traceback only with ``--debug``). Output goes to stdout, or with
``--out FILE`` to a file that appears complete or not at all (written to a
temporary name in the same directory, then renamed).

Only the standard library is imported at start-up: the package (SymPy, numpy,
mpmath) is imported by the commands that need it, and matplotlib by none of
them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from fractions import Fraction

EXAMPLES = {
    "summary": "symrecycle summary\n  symrecycle summary --model kickstarting",
    "models": "symrecycle models\n  symrecycle models --format json",
    "derive": (
        "symrecycle derive kickstarting limit\n"
        "  symrecycle derive kickstarting limit --format latex --out limit.tex\n"
        "  symrecycle derive kickstarting sensitivity --wrt alpha --at-n\n"
        "  symrecycle derive augmentation breakeven --wrt beta --format json\n"
        "  symrecycle derive kickstarting iterations-to --fraction 0.9"
    ),
    "eval": (
        "symrecycle eval kickstarting limit --set r=4.2 --set alpha=1\n"
        "  symrecycle eval kickstarting benefit --set r=4.2 --set alpha=0.9 --n 10 --dps 40\n"
        "  symrecycle eval kickstarting limit --set r=1.1:10:50 --set alpha=0.5,0.9,1 --out grid.csv\n"
        "  symrecycle eval augmentation benefit --set r=4.2 --set g=2.5 --set beta=0.5 --n 1:20:20"
    ),
    "check": "symrecycle check claims.toml\n  symrecycle check claims.toml --format json",
    "reproduce": "symrecycle reproduce\n  symrecycle reproduce --out paper --force",
}

#: seconds of work before a progress bar appears (quick commands never show one)
PROGRESS_DELAY = 1.0
#: points evaluated per call on a grid (float path / mpmath path)
CHUNK = 1 << 16
CHUNK_MP = 64
#: points per grid axis at most (an axis is held in memory; the grid itself is streamed)
MAX_AXIS = 10**7
SET_FORM = "NAME=VALUE, NAME=START:STOP:NUM or NAME=V1,V2,..."


class UserError(Exception):
    """A mistake in what the user asked for: exit status 2."""


class Unavailable(Exception):
    """A command whose implementation is not part of this installation: exit status 1."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block), raised rather than printed."""

    def error(self, message):
        raise UserError(f"{message} (see '{self.prog} --help')")


class _Version(argparse.Action):
    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("symrecycle")
        except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
            v = "unknown"
        print(f"symrecycle {v}")
        parser.exit()


# -- argument types (parsed from text, never evaluated) ----------------------------
def _fraction(text):
    """An exact number: ``1``, ``0.99``, ``3/2``, ``1e-3``."""
    try:
        f = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a number such as 1, 0.99 or 3/2") from None
    return int(f) if f.denominator == 1 else f


def _fraction01(text):
    """A fraction of the limit, in (0, 1), exact."""
    f = _fraction(text)
    if not 0 < f < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a number in (0, 1) such as 0.99")
    return f


def _dps(text):
    try:
        d = int(text)
    except ValueError:
        d = 0
    if d < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a positive integer number of digits")
    return d


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an internal error")
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bar")
    top = _Parser(
        prog="symrecycle",
        description="Derive, check and publish the mathematics of foundation-model recycling.",
        epilog="examples:\n  " + "\n  ".join(e.split("\n")[0] for e in EXAMPLES.values())
        + "\n\n'symrecycle COMMAND --help' describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    top.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    top.add_argument("--version", action=_Version, help="print the version and exit")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, help_, description=None):
        import textwrap

        return sub.add_parser(
            name, help=help_, description=textwrap.fill(description or help_, 79), parents=[common],
            epilog="examples:\n  " + EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    def add_out(p):
        p.add_argument("--out", metavar="FILE",
                       help="write to FILE (complete or not at all) instead of stdout")
        p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    p = add("summary", "print every derived result of the models")
    p.add_argument("--model", action="append", help="only this model (repeatable)")

    p = add("models", "list the models with their recurrences, parameters, domains and metrics")
    p.add_argument("--format", choices=["text", "latex", "json"], default="text")

    quantities = "closed-form, benefit, limit, sensitivity, elasticity, breakeven, iterations-to"
    p = add("derive", "derive one quantity of a model",
            "Derive one quantity of a model symbolically, with its conditions and verification.")
    p.add_argument("model", help="a model name (see 'symrecycle models')")
    p.add_argument("quantity", help=quantities)
    p.add_argument("--wrt", metavar="PARAM", help="the parameter, for sensitivity, elasticity and breakeven")
    p.add_argument("--at-n", action="store_true",
                   help="sensitivity/elasticity of the benefit at iteration n, not of its limit")
    p.add_argument("--fraction", type=_fraction01, default=Fraction(99, 100), metavar="F",
                   help="for iterations-to: the fraction of the limit to reach (default 0.99)")
    p.add_argument("--level", type=_fraction, default=1, metavar="L",
                   help="for breakeven: the level the benefit should equal (default 1)")
    p.add_argument("--metric", help="the metric (default: the model's benefit; see 'symrecycle models')")
    p.add_argument("--format", choices=["text", "latex", "json"], default="text")
    add_out(p)

    p = add("eval", "evaluate a quantity at parameter values, or on a grid (CSV)",
            "Evaluate a derived quantity numerically. One value is printed as a number; a grid "
            "(any --set NAME=START:STOP:NUM or NAME=V1,V2,...) is written as CSV with a header, "
            "one row per point of the outer product, the first --set varying slowest. Values are "
            "read as binary64 floats (as in Python), also with --dps.")
    p.add_argument("model", help="a model name (see 'symrecycle models')")
    p.add_argument("quantity", help=quantities)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="values",
                   help=f"a parameter value (repeatable): {SET_FORM}")
    p.add_argument("--n", metavar="N", help="the iteration: an integer, inf (the default: the limit), "
                   "START:STOP:NUM or N1,N2,...")
    p.add_argument("--wrt", metavar="PARAM", help="the parameter, for sensitivity, elasticity and breakeven")
    p.add_argument("--fraction", type=_fraction01, default=Fraction(99, 100), metavar="F",
                   help="for iterations-to (default 0.99)")
    p.add_argument("--level", type=_fraction, default=1, metavar="L", help="for breakeven (default 1)")
    p.add_argument("--metric", help="the metric (default: the model's benefit)")
    p.add_argument("--dps", type=_dps, metavar="DIGITS", help="evaluate in mpmath to this many digits")
    p.add_argument("--format", choices=["text", "json", "csv"],
                   help="text (one value; the default), csv (the default for a grid) or json")
    add_out(p)

    p = add("check", "audit the numeric claims of a claims file (TOML)",
            "Reproduce each claim of a TOML claims file and decide whether it is consistent at "
            "its stated precision. Exit status 0: all consistent; 1: some inconsistent; "
            "2: the file cannot be used.")
    p.add_argument("file", help="a claims file: [[claim]] tables with id, model, quantity, params, stated")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = add("reproduce", "regenerate every table, figure and equation of the report",
            "Regenerate the report's tables, figures, equations and claims audit into a directory.")
    p.add_argument("--out", metavar="DIR", default="reproduction",
                   help="output directory (default: reproduction)")
    p.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")
    return top


# -- helpers ---------------------------------------------------------------------------
def _one_line(exc) -> str:
    return " ".join(str(exc).split())


def _api(call, *args, **kwargs):
    """Call the API; its ValueError (bad input) becomes a user error."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        raise UserError(_one_line(exc)) from None


def _model(name):
    """A registered model, or a model file (a path: ``my.toml``, ``models/x.toml``)."""
    import symrecycle as sr

    load = getattr(sr, "load_model", None)
    if name not in sr.models() and load is not None and (name.endswith(".toml") or os.sep in name):
        return _api(load, name)
    return _api(sr.get_model, name)


def _quantity(text, model, wrt, metric):
    """Validate quantity, --wrt and --metric at once (cheap: before any derivation)."""
    import symrecycle as sr

    q = text.replace("_", "-")
    if q not in sr.QUANTITIES:
        raise UserError(f"unknown quantity {text!r}; expected one of: {', '.join(sr.QUANTITIES)}")
    params = ", ".join(p.name for p in model.parameters)
    if q in ("sensitivity", "elasticity", "breakeven") and wrt is None:
        raise UserError(f"quantity {q!r} needs --wrt PARAM, one of the parameters of {model.name}: {params}")
    if wrt is not None:
        _api(model.parameter, wrt)
    if metric is not None:
        _api(model.metric, metric)
    return q


def _optional(module, command, function):
    """Import ``symrecycle.<module>`` for a command, or explain that it is not there."""
    import importlib

    name = f"symrecycle.{module}"
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        msg = f"'symrecycle {command}' needs {name}, which this installation does not have yet"
        raise Unavailable(msg) from None
    if not callable(getattr(mod, function, None)):
        raise Unavailable(f"'symrecycle {command}' needs {name}.{function}(), which this installation lacks")
    return mod


class _Sink:
    """stdout, or ``--out FILE`` written to a temporary name and renamed when complete."""

    def __init__(self, path, force=False):
        self.path, self.force, self.tmp, self.file = path, force, None, None

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        import tempfile

        path = self.path
        if os.path.isdir(path):
            raise UserError(f"--out {path}: is a directory; expected a file name")
        if os.path.lexists(path) and not self.force:
            raise UserError(f"--out {path}: the file exists; pass --force to overwrite it")
        folder = os.path.dirname(os.path.abspath(path))
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise UserError(
                f"--out {path}: cannot write there ({exc.strerror}); expected a file in an existing, "
                "writable directory"
            ) from None
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        if self.file is None:
            return False
        self.file.close()
        if exc_type is None:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(self.tmp, 0o666 & ~mask)
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)
        return False


class Progress:
    """A one-line progress bar on stderr, drawn only on a terminal, after :data:`PROGRESS_DELAY`.

    Also a callback, as :func:`symrecycle.reproduce.reproduce` calls it:
    ``progress(step_name, i, total)`` before step ``i`` (from 1) starts; or
    ``progress(done, total)``, ``progress(done, total, label)`` after work is done.
    """

    def __init__(self, label="", total=None, quiet=False, stream=None, delay=None):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and _isatty(self.stream)
        self.label, self.total = label, total
        self.delay = PROGRESS_DELAY if delay is None else delay
        self.start = time.monotonic()
        self.last, self.width = None, 0

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], str):  # (step name, step number from 1, steps): starting it
            label, step, total = (*args, None, None)[:3]
            done = None if step is None else step - 1
        else:
            nums = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
            texts = [a for a in args if isinstance(a, str)]
            label = texts[0] if texts else None
            done = nums[0] if nums else None
            total = nums[1] if len(nums) > 1 else None
        self.update(kwargs.get("done", done), kwargs.get("total", total), kwargs.get("label", label))

    def update(self, done, total=None, label=None):
        if not self.enabled:
            return
        if total is not None:
            self.total = total
        new_label = label is not None and label != self.label
        if label is not None:
            self.label = label
        now = time.monotonic()
        if now - self.start < self.delay:
            return
        finished = done is not None and self.total and done >= self.total
        if self.last is not None and now - self.last < 0.1 and not (finished or new_label):
            return
        if done is not None and self.total:
            frac = min(1.0, done / self.total)
            bar = "#" * int(30 * frac)
            line = f"{self.label} [{bar:<30}] {100 * frac:3.0f}% {done}/{self.total}"
        else:
            line = f"{self.label} ..."
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width, self.last = max(self.width, len(line)), now

    def close(self):
        if self.enabled and self.last is not None:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- models, derive, summary -----------------------------------------------------------
def _model_dict(m):
    return {
        "name": m.name,
        "description": m.description,
        "start": m.start,
        "sequences": [
            {"name": s.name, "initial": str(s.initial), "next": str(s.next), "description": s.description}
            for s in m.sequences
        ],
        "parameters": [
            {"name": p.name, "domain": p.domain_text, "description": p.description} for p in m.parameters
        ],
        "metrics": [
            {"name": k.name, "expression": str(k.expr), "latex": k.latex, "description": k.description}
            for k in m.metrics
        ],
        "latex": m._repr_latex_().strip("$"),
    }


def cmd_models(args, out):
    import symrecycle as sr

    ms = [sr.get_model(name) for name in sr.models()]
    if args.format == "json":
        json.dump([_model_dict(m) for m in ms], out, indent=2)
        print(file=out)
        return
    for m in ms:
        if args.format == "latex":
            print(f"% {m.name}: {m.description}", file=out)
            print(m._repr_latex_().strip("$"), file=out)
            continue
        print(f"{m.name}: {m.description}", file=out)
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
        print(f"{res.model} {res.quantity}: {res.text()}", file=out)
        for v, c in res.cases if len(res.cases) > 1 else ():
            print(f"    {v}    if {c}", file=out)
        for note in res.notes:
            print(f"    note: {note}", file=out)
        print(f"    verified: {res.verified}", file=out)


def cmd_derive(args, out):
    import symrecycle as sr

    m = _model(args.model)
    q = _quantity(args.quantity, m, args.wrt, args.metric)
    with _Sink(args.out, args.force) as sink:
        res = _api(m.derive, q, wrt=args.wrt, n=sr.n if args.at_n else None, fraction=args.fraction,
                   level=args.level, metric=args.metric)
        _show(res, args.format, sink)


def cmd_summary(args, out):
    import symrecycle as sr

    names = args.model or sr.models()
    models = [_model(name) for name in names]
    for m in models:
        print(f"== {m.name} ==", file=out)
        for res in (m.closed_form(), m.benefit(), m.limit(), m.iterations_to(0.99)):
            _show(res, "text", out)
        for p in m.parameters:
            if p.name == "C1":
                continue
            for res in (m.sensitivity(p.name), m.elasticity(p.name), m.breakeven(p.name)):
                _show(res, "text", out)


# -- eval ----------------------------------------------------------------------------------
def _number(text, where):
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{where}: {text!r} is not a number; expected {SET_FORM}") from None


def _parse_value(name, text, where):
    """``(values, is_grid)`` for the text after ``NAME=`` (numbers parsed, never evaluated)."""
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise UserError(f"{where}: expected START:STOP:NUM, e.g. {name}=1.1:10:50")
        start, stop = _number(parts[0], where), _number(parts[1], where)
        try:
            num = int(parts[2])
        except ValueError:
            num = 0
        if not 1 <= num <= MAX_AXIS:
            raise UserError(f"{where}: NUM must be a positive integer up to {MAX_AXIS} (the number of "
                            f"points), got {parts[2]!r}")
        import numpy as np

        return np.linspace(start, stop, num), True
    if "," in text:
        return [_number(t, where) for t in text.split(",")], True
    return [_number(text, where)], False


def _check_values(model, name, values, where):
    """Domain checks before any derivation (the API checks again)."""
    import math

    if name == "n":
        for v in values:
            if not (v == math.inf or (math.isfinite(v) and v == int(v) and v >= model.start)):
                hint = " (choose NUM so that the grid points are integers)" if ":" in where else ""
                raise UserError(f"{where}: got {v!r} for n, expected an integer >= {model.start} "
                                f"or inf{hint}")
        return
    p = _api(model.parameter, name)
    for v in values:
        try:
            p.validate(v)
        except ValueError as exc:
            raise UserError(f"{where}: {_one_line(exc)}") from None


def _fmt(v, dps):
    if dps is None:
        return repr(float(v))
    import mpmath

    if mpmath.isnan(v):
        return "nan"
    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    return mpmath.nstr(v, dps)


def _json_value(v):
    f = float(v)
    return f if f == f and abs(f) != float("inf") else None


def _n_text(v):
    return "inf" if v == float("inf") else str(int(v))


def cmd_eval(args, out):
    m = _model(args.model)
    q = _quantity(args.quantity, m, args.wrt, args.metric)
    specs = list(args.values) + ([f"n={args.n}"] if args.n is not None else [])
    axes, grid = {}, False
    for i, spec in enumerate(specs):
        where = f"--n {args.n}" if args.n is not None and i == len(specs) - 1 else f"--set {spec}"
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise UserError(f"{where}: expected {SET_FORM}")
        if name in axes:
            raise UserError(f"{where}: {name} is given twice (--set {name}=... or --n)")
        values, is_grid = _parse_value(name, text, where)
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
            idx = np.unravel_index(np.arange(start, stop), shape)
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


# -- check, reproduce ------------------------------------------------------------------
def _as_record(res):
    if isinstance(res, dict):
        return res
    if hasattr(res, "to_dict"):
        return res.to_dict()
    import dataclasses

    if dataclasses.is_dataclass(res):
        return dataclasses.asdict(res)
    return vars(res)


def _toml_error(text):
    """The TOML syntax error of ``text``, or None (None also where no TOML parser is installed)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        return None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _one_line(exc)
    return None


def cmd_check(args, out):
    path = args.file
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as exc:
        raise UserError(
            f"claims file {path}: cannot read it ({exc.strerror}); expected a readable TOML file"
        ) from None
    except UnicodeDecodeError:
        raise UserError(f"claims file {path}: not UTF-8 text; expected a TOML file") from None
    try:
        claims = _optional("claims", "check", "check_file")
    except Unavailable:
        # a malformed file is the user's mistake whatever this installation lacks
        err = _toml_error(text)
        if err is not None:
            raise UserError(f"claims file {path}: not valid TOML: {err}; expected [[claim]] tables "
                            "with id, model, quantity, params and stated") from None
        raise
    try:
        results = claims.check_file(path)
    except (ValueError, OSError) as exc:
        raise UserError(f"claims file {path}: {_one_line(exc)}") from None
    records = [_as_record(r) for r in results]
    if args.format == "json":
        json.dump(records, out, indent=2, default=str)
        print(file=out)
    elif callable(getattr(claims, "format_text", None)):
        out.write(claims.format_text(results))
    else:
        for r in records:
            verdict = "consistent" if r.get("consistent") else "INCONSISTENT"
            print(f"{verdict:<12} {r.get('id')}: stated {r.get('stated')}, computed {r.get('computed')}",
                  file=out)
            for e in r.get("explanations") or ():
                print(f"             reproduced by {_explain(e)}", file=out)
        bad = sum(not r.get("consistent") for r in records)
        print(f"{len(records)} claims, {len(records) - bad} consistent, {bad} inconsistent", file=out)
    return 1 if any(not r.get("consistent") for r in records) else 0


def _explain(e):
    if isinstance(e, dict):
        return ", ".join(f"{k} {v}" for k, v in e.items())
    return str(e)


def cmd_reproduce(args, out):
    mod = _optional("reproduce", "reproduce", "reproduce")
    bar = Progress("reproduce", None, args.quiet)
    try:
        result = mod.reproduce(args.out, force=args.force, progress=bar)
    except (ValueError, OSError) as exc:
        raise UserError(f"reproduce --out {args.out}: {_one_line(exc)}") from None
    finally:
        bar.close()
    if result is None:
        print(f"wrote {args.out}", file=out)
    elif isinstance(result, (str, os.PathLike)):
        print(os.fspath(result), file=out)
    elif isinstance(result, dict):
        for k, v in result.items():
            print(f"{k}: {v}", file=out)
    else:
        for item in result:
            print(os.fspath(item) if isinstance(item, os.PathLike) else item, file=out)


COMMANDS = {
    "models": cmd_models, "derive": cmd_derive, "summary": cmd_summary, "eval": cmd_eval,
    "check": cmd_check, "reproduce": cmd_reproduce,
}


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0, 1 or 2)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return 0 if not exc.code else 2
    if args.command is None:
        parser.print_help()
        return 0
    args.quiet = getattr(args, "quiet", False)
    debug = getattr(args, "debug", False)
    try:
        status = COMMANDS[args.command](args, sys.stdout)
        sys.stdout.flush()
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    except Unavailable as exc:
        print(f"symrecycle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"symrecycle: internal error: {type(exc).__name__}: {_one_line(exc)}"
              + ("" if debug else " (run with --debug for the traceback)"), file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
