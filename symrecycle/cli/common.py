"""What the commands share: model and quantity resolution, value parsing, output sinks, progress.

The engine is imported by the functions that use it, never at start-up (see :mod:`.parser`).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time

from .parser import (
    MAX_AXIS,
    MAX_N,
    MAX_POINTS,
    MAX_POINTS_MP,
    SET_FORM,
    UserError,
)

# -- helpers ---------------------------------------------------------------------------
#: characters of one error line at most (a message quoting a huge expression is cut)
MAX_MESSAGE = 400


#: seconds of work before a progress bar appears (quick commands never show one)
PROGRESS_DELAY = 1.0


def _one_line(exc) -> str:
    return _short(" ".join(str(exc).split()), MAX_MESSAGE)


def _short(text, size):
    return text if len(text) <= size else text[: size - 3] + "..."


def _api(call, *args, **kwargs):
    """Call the API; its ValueError (bad input) becomes a user error."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        raise UserError(_one_line(exc)) from None


def _model(name):
    """A registered model, a model file (a path: ``my.toml``, ``models/x.toml``), or a shipped
    model file by its name (``reuse-decay``): :func:`symrecycle.io.registry.get_model`."""
    from ..io import registry

    try:
        return registry.get_model(name)
    except ValueError as exc:
        hint = " (see 'symrecycle models')" if str(exc).startswith("unknown model") else ""
        raise UserError(_one_line(exc) + hint) from None


def _quantity(text, model, wrt, metric):
    """Validate quantity, --wrt and --metric at once (cheap: before any derivation)."""
    from ..core.request import Request
    from ..core.results import QUANTITIES

    q = text.replace("_", "-")
    if q not in QUANTITIES:
        from ..core.suggest import did_you_mean

        raise UserError(f"unknown quantity {text!r}; expected one of: {', '.join(QUANTITIES)}"
                        + did_you_mean(text, QUANTITIES))
    if Request(q).needs_wrt and wrt is None:
        params = ", ".join(p.name for p in model.parameters)
        raise UserError(f"quantity {q!r} needs --wrt PARAM, one of the parameters of {model.name}: {params}")
    if wrt is not None:
        _api(model.parameter, wrt)
    if metric is not None:
        _api(model.metric, metric)
    return q


def _sequence(model, name):
    """``--sequence NAME``, checked against the model's sequences (with a "did you mean")."""
    from ..core.suggest import did_you_mean

    names = [s.name for s in model.sequences]
    if name not in names:
        raise UserError(f"--sequence {name}: model {model.name!r} has no sequence {name!r}; its sequences: "
                        f"{', '.join(names)}" + did_you_mean(name, names))
    return name


class _Sink:
    """stdout, or ``--out FILE`` written through :func:`symrecycle.io.files.atomic` (complete or not at all).

    ``--force`` replaces a regular file only; without it, a file that appears
    while the output is written is kept.
    """

    def __init__(self, path, force=False):
        self.path, self.force, self.stack, self.file = path, force, None, None

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        import io

        from ..io import files as _files

        _check_target("--out", self.path, self.force)
        self.stack = contextlib.ExitStack()
        try:
            fh = self.stack.enter_context(_files.atomic(self.path, replace=self.force))
        except OSError as exc:
            raise UserError(
                f"--out {self.path}: cannot write there ({exc.strerror}); expected a file in an existing, "
                "writable directory"
            ) from None
        self.file = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        if self.stack is None:
            return False
        failure = exc
        try:
            if failure is None:
                self.file.flush()
        except OSError as err:
            failure = err
        finally:
            self.file.detach()
        try:  # atomic() moves the file into place only where nothing failed
            if failure is None:
                self.stack.close()
            else:
                self.stack.__exit__(type(failure), failure, failure.__traceback__)
        except FileExistsError as err:
            raise UserError(f"--out {self.path}: {_one_line(err).partition(': ')[2]} "
                            "(pass --force to overwrite it)") from None
        except OSError as err:
            failure = err
        if isinstance(failure, OSError):
            raise UserError(f"--out {self.path}: cannot write it ({failure.strerror or failure})") from None
        return False


def _check_target(option, path, force):
    """Refuse an output name that is empty, a directory, existing (without ``--force``), or not a file."""
    from ..io import files as _files

    where = f"{option} {path}"
    if not path:
        raise UserError(f"{option}: got an empty name; expected a file name")
    if os.path.isdir(path):
        raise UserError(f"{where}: is a directory; expected a file name")
    if os.path.lexists(path):
        if not force:
            raise UserError(f"{where}: the file exists; pass --force to overwrite it")
        try:
            _files.check_replaceable(path)
        except IsADirectoryError:
            raise UserError(f"{where}: is not a regular file (a pipe, a device or a link to one); "
                            "--force replaces regular files only") from None
        except FileExistsError as exc:  # a file of a user's in an output folder
            raise UserError(f"{where}: {_one_line(exc).partition(': ')[2]}") from None


class Progress:
    """A one-line progress bar on stderr, drawn only on a terminal, after :data:`PROGRESS_DELAY`.

    Also a callback, as :func:`symrecycle.report.reproduce.reproduce` calls it:
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


def _listed_models():
    """``[(model, file entry or None)]``: the registered models, then the shipped model files.

    A file entry is ``{"path", "model"}``, ``model`` being what to give as MODEL: the file's
    name, or its path where a registered model has that name.
    """
    from ..io import registry
    from ..io.modelfile import load_model, variants

    registered = registry.models()
    out = [(registry.get_model(name), None) for name in registered]
    for stem, path in sorted(variants().items()):
        use = str(path) if stem in registered else stem
        out.append((load_model(path), {"path": str(path), "model": use}))
    return out


def _file_head(m, f):
    """How ``models`` names a shipped model file: what to give as MODEL, and its path."""
    stem = os.path.splitext(os.path.basename(f["path"]))[0]
    if f["model"] == f["path"]:
        return f"{f['path']} (model file; give its path: {stem!r} names the registered model)"
    named = "" if m.name == f["model"] else f", its model named {m.name!r}"
    return f"{f['model']} (model file {f['path']}{named})"


# -- eval ----------------------------------------------------------------------------------
def _number(text, where):
    """A double from text: refused where double precision would change it beyond rounding."""
    t = text.strip()
    try:
        x = float(t) if len(t) <= 400 else math.nan
    except ValueError:
        x = math.nan
    if math.isnan(x) and t.lower() not in ("nan", "+nan", "-nan"):
        raise UserError(f"{where}: {_short(t, 60)!r} is not a number; expected {SET_FORM}")
    if math.isinf(x) and t.lower().lstrip("+-") not in ("inf", "infinity"):
        raise UserError(f"{where}: {t} is beyond double precision (about 1.8e308)")
    if x == 0 and any(c in "123456789" for c in t.lower().partition("e")[0]):
        raise UserError(f"{where}: {t} rounds to 0 in double precision (below about 5e-324)")
    if t.lstrip("+-").isdigit() and abs(x) >= 2**53 and int(t) != int(x):
        raise UserError(f"{where}: the integer {t} is not exact in double precision (integers are "
                        f"exact up to 2^53 = {2**53})")
    return x


def _n_number(text, where, start):
    """An iteration from text: an exact integer >= ``start`` up to :data:`MAX_N`, or inf."""
    t = text.strip().lower()
    if t in ("inf", "+inf", "oo", "infinity"):
        return math.inf
    if t.isdigit() and len(t) <= 20 and start <= int(t) <= MAX_N:
        return int(t)
    big = t.isdigit() and len(t) <= 20 and int(t) > MAX_N
    raise UserError(f"{where}: got {_short(text.strip(), 60)!r} for n, expected an integer from {start} "
                    f"to 2^53 = {MAX_N}" + (" (beyond it n is not exact in double precision)" if big else "")
                    + ", or inf (the limit)")


def _refuse_large_grid(specs, dps):
    """Refuse, before any axis is built, a grid of more points than one command evaluates."""
    total = 1
    for spec in specs:
        text = spec.partition("=")[2]
        parts = text.split(":")
        if len(parts) == 3 and parts[2].strip().isdigit() and len(parts[2].strip()) <= 30:
            total *= int(parts[2])
        elif "," in text:
            total *= text.count(",") + 1
    most = MAX_POINTS if dps is None else MAX_POINTS_MP
    if total > most:
        raise UserError(f"the grid has {total:.3g} points, more than the {most:.0e} that one command "
                        f"evaluates{' with --dps' if dps else ''}; choose fewer points per axis")


def _parse_value(name, text, where, start=None):
    """``(values, is_grid)`` for the text after ``NAME=`` (numbers parsed, never evaluated).

    ``start``: the model's first iteration, where ``name`` is n (read as exact integers or inf).
    """
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
    if name == "n" and start is not None:
        if "," in text:
            return [_n_number(t, where, start) for t in text.split(",")], True
        return [_n_number(text, where, start)], False
    if "," in text:
        return [_number(t, where) for t in text.split(",")], True
    return [_number(text, where)], False


def _check_values(model, name, values, where):
    """Domain checks before any derivation (the API checks again)."""
    import math

    if name == "n":
        for v in values:
            if not (v == math.inf or (math.isfinite(v) and v == int(v) and model.start <= v <= MAX_N)):
                hint = " (choose NUM so that the grid points are integers)" if ":" in where else ""
                raise UserError(f"{where}: got {v!r} for n, expected an integer >= {model.start} "
                                f"or inf{hint}")
        return
    p = _api(model.parameter, name)
    # an evenly spaced axis lies between its ends, and a domain is an interval: its ends decide
    ends = [float(values[0]), float(values[-1])] if ":" in where and len(values) > 2 else values
    for v in ends:
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


def _is_not_derived(exc):
    """What the engine does not derive (a model without closed forms, a quantity it cannot solve)."""
    results = sys.modules.get("symrecycle.core.results")
    return results is not None and isinstance(exc, results.NotDerived)


def _no_closed_form(exc, model):
    """What the engine does not derive: a limitation the user can work around, pointed to ``iterate``."""
    import shlex

    msg = _one_line(exc)
    cut = msg.find(" Numeric iteration is available")
    if cut > 0:
        msg = msg[:cut]
    msg = msg if msg.endswith(".") else msg + "."
    return (f"{msg} Numeric iteration is available: symrecycle iterate {shlex.quote(model)} "
            "--set NAME=VALUE ... --n N [--metric M]")
