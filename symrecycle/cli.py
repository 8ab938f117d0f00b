"""The ``symrecycle`` command: a thin layer over the public API.

Every user mistake ends with exit status 2 and one line on stderr naming the
problem and the expected form; internal failures exit 1 with a short message
(the traceback only with ``--debug``). Output goes to stdout, or with
``--out FILE`` to a file that appears complete or not at all (written to a
temporary name in the same directory, then renamed).

Only the standard library is imported at start-up: the package (SymPy, numpy,
mpmath) is imported by the commands that need it, and matplotlib only for the
figures of ``mc --fan`` and ``mc --hist``.

A model without closed forms (a model file whose recurrence the engine does
not solve) is a limitation, not a failure: the symbolic commands exit with
status 2 naming the reason and pointing to ``symrecycle iterate``, which
iterates every model numerically.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
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
    "mc": (
        "symrecycle mc kickstarting limit --set 'r=lognormal 2 to 6' --set 'alpha=uniform 0.5 to 1'\n"
        "  symrecycle mc kickstarting limit --set 'r=lognormal 2 to 6' --set 'alpha=uniform 0.5 to 1' "
        "--corr r,alpha=-0.3 --format json\n"
        "  symrecycle mc kickstarting benefit --set 'r=lognormal 2 to 6' --set alpha=0.9 --n 1:30:30 "
        "--fan fan.pdf --csv draws.csv\n"
        "  symrecycle mc kickstarting limit --set 'r=loguniform 1.1 to 10' --set alpha=1 "
        "--hist limit.png --log"
    ),
    "sensitivity": (
        "symrecycle sensitivity kickstarting limit --set 'r=lognormal 2 to 6' "
        "--set 'alpha=uniform 0.5 to 1'\n"
        "  symrecycle sensitivity kickstarting benefit --set 'r=lognormal 2 to 6' "
        "--set 'alpha=uniform 0.5 to 1' --n 10 --format csv --out sobol.csv\n"
        "  symrecycle sensitivity augmentation limit --set 'r=lognormal 2 to 6' --set 'g=uniform 1 to 3' "
        "--set 'beta=uniform 0.2 to 0.8' --samples 8192 --format json"
    ),
    "iterate": (
        "symrecycle iterate reuse-decay --set r=4.2 --set alpha=0.9 --set rho=0.95 --n 10\n"
        "  symrecycle iterate reuse-decay --set r=4.2 --set alpha=0.9 --set rho=0.95 --n 1000 --last\n"
        "  symrecycle iterate kickstarting --set r=4.2 --set alpha=0.9 --n 30 --sequence A --format csv\n"
        "  symrecycle iterate endogenous-progress --set r=4.2 --set g=2 --set alpha=0.9 --set theta=0.5 "
        "--n 20 --metric gain --format json"
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
#: points of a grid at most (streamed in chunks, but each is computed: 10^7 float points take seconds)
MAX_POINTS = 10**8
#: digits of an mpmath evaluation at most (--dps)
MAX_DPS = 10_000
#: grid points at most with --dps (mpmath evaluates one point at a time)
MAX_POINTS_MP = 10**5
#: the last iteration of ``iterate`` at most (each step is exact or mpmath arithmetic)
MAX_ITERATE = 10**5
#: the iteration n at most where a closed form is evaluated (integers beyond 2^53 are not exact floats)
MAX_N = 2**53
SET_FORM = "NAME=VALUE, NAME=START:STOP:NUM or NAME=V1,V2,..."
N_FORM = "N, START:STOP:NUM or N1,N2,... (integers, or inf)"
#: the distributions --set reads (symrecycle.uncertainty.SPEC_FORMS, without importing numpy at start-up)
DIST_FORM = ("a number, 'uniform 2 to 6', 'loguniform 2 to 6', 'normal(0.9, 0.1)', 'lognormal 2 to 6' "
             "(5th to 95th percentile) or 'triangular(2, 3, 6)', optionally followed by 'truncated'")


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
    """An exact number: ``1``, ``0.99``, ``3/2``, ``1e-3`` (of bounded size: see ``params.exact_number``)."""
    from .params import exact_number

    try:
        f = exact_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return int(f) if f.denominator == 1 else f


def _fraction01(text):
    """A fraction of the limit, in (0, 1), exact."""
    f = _fraction(text)
    if not 0 < f < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a number in (0, 1) such as 0.99")
    return f


def _dps(text):
    try:
        d = int(text) if len(text) <= 12 else 0
    except ValueError:
        d = 0
    if not 1 <= d <= MAX_DPS:
        raise argparse.ArgumentTypeError(
            f"got {text!r}, expected a whole number of digits from 1 to {MAX_DPS}")
    return d


def _integer(low, high=None, what="an integer"):
    """An argparse type: an integer in [low, high]."""
    def parse(text):
        try:
            k = int(text)
        except ValueError:
            k = None
        if k is None or k < low or (high is not None and k > high):
            upto = "" if high is None else f" up to {high}"
            raise argparse.ArgumentTypeError(f"got {text!r}, expected {what} >= {low}{upto}")
        return k

    return parse


def _power_of_two(text):
    """The base sample count of a Sobol' analysis: a power of 2 from 8 to 2**24."""
    k = _integer(8, 2**24, "a power of 2")(text)
    if k & (k - 1):
        below = 1 << (k.bit_length() - 1)
        raise argparse.ArgumentTypeError(
            f"got {text!r}, expected a power of 2 (Sobol' sequences need one), e.g. {below} or {2 * below}"
        )
    return k


def _probability(text):
    """A confidence level in (0, 1)."""
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not 0 < x < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a number in (0, 1) such as 0.95")
    return x


def _seconds(text):
    try:
        x = float(text) if len(text) <= 20 else math.nan
    except ValueError:
        x = math.nan
    if not 0 < x <= 10**6:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a number of seconds in (0, 1e6]")
    return x


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an internal error")
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bar")
    common.add_argument("--time-limit", type=_seconds, default=argparse.SUPPRESS, metavar="SECONDS",
                        help="stop (exit 2) after this many seconds; default: $SYMRECYCLE_TIME_LIMIT, "
                             f"else {TIME_LIMIT:g} s for the commands without a progress bar")
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

    def add_quantity_options(p):
        p.add_argument("--wrt", metavar="PARAM",
                       help="the parameter, for sensitivity, elasticity and breakeven")
        p.add_argument("--metric", help="the metric (default: the model's benefit)")
        p.add_argument("--fraction", type=_fraction01, default=Fraction(99, 100), metavar="F",
                       help="for iterations-to (default 0.99)")
        p.add_argument("--level", type=_fraction, default=1, metavar="L", help="for breakeven (default 1)")

    model_help = "a model name, a shipped model file's name, or a model file's path (see 'symrecycle models')"

    p = add("summary", "print every derived result of the models")
    p.add_argument("--model", action="append", help="only this model (repeatable)")

    p = add("models", "list the models with their recurrences, parameters, domains and metrics",
            "List the registered models and the model files shipped with symrecycle (a MODEL argument "
            "may name either), with their recurrences, parameters, domains and metrics.")
    p.add_argument("--format", choices=["text", "latex", "json"], default="text")

    quantities = "closed-form, benefit, limit, sensitivity, elasticity, breakeven, iterations-to"
    p = add("derive", "derive one quantity of a model",
            "Derive one quantity of a model symbolically, with its conditions and verification.")
    p.add_argument("model", help=model_help)
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
    p.add_argument("model", help=model_help)
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

    p = add("mc", "Monte Carlo of a quantity over parameter distributions",
            "Draw the parameters from distributions (seeded; the same seed and sample count give the "
            "same numbers) and summarize a derived quantity: its 5, 25, 50, 75 and 95 % quantiles and "
            "mean, at one iteration or at several (one row each). Optionally write the draws as CSV, a "
            "fan chart over the iterations, or a histogram.")
    p.add_argument("model", help=model_help)
    p.add_argument("quantity", help=quantities)
    p.add_argument("--set", action="append", default=[], metavar="NAME=DIST", dest="specs",
                   help=f"a parameter's distribution (repeatable): {DIST_FORM}")
    p.add_argument("--corr", action="append", default=[], metavar="A,B=RHO", dest="correlations",
                   help="a Spearman rank correlation in [-1, 1] between two parameters with a "
                   "distribution (repeatable)")
    p.add_argument("--samples", type=_integer(1, 2**40), default=100_000, metavar="N",
                   help="number of draws (default 100000)")
    p.add_argument("--seed", type=_integer(0), default=0, metavar="S", help="the random seed (default 0)")
    p.add_argument("--chunk", type=_integer(1), metavar="K", help="draws evaluated at a time (memory)")
    p.add_argument("--n", metavar="N", help=f"the iteration(s): {N_FORM}; default: the quantity's own "
                   "(the limit for benefit)")
    add_quantity_options(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    add_out(p)
    p.add_argument("--csv", metavar="FILE", help="also write every draw (inputs and outputs) as CSV")
    p.add_argument("--fan", metavar="FILE", help="also draw a fan chart over the iterations (needs "
                   "several n; the format from the extension: .pdf, .png, .svg, ...)")
    p.add_argument("--hist", metavar="FILE", help="also draw a histogram (at the last n, or --hist-n)")
    p.add_argument("--hist-n", metavar="N", help="the iteration of the histogram (one of --n)")
    p.add_argument("--bins", type=_integer(1, 10**6), metavar="B", help="histogram bins (default 50)")
    p.add_argument("--log", action="store_true", help="histogram on a log scale")
    p._option_string_actions["--force"].help = "overwrite the files of --out, --csv, --fan and --hist"

    p = add("sensitivity", "global (Sobol) and local sensitivity of a quantity to its parameters",
            "Sobol' first-order and total indices of a derived quantity over independent parameter "
            "distributions (Saltelli sampling, bootstrap confidence intervals), beside the elasticity "
            "at the distributions' medians; most important parameter first.")
    p.add_argument("model", help=model_help)
    p.add_argument("quantity", help=quantities)
    p.add_argument("--set", action="append", default=[], metavar="NAME=DIST", dest="specs",
                   help=f"a parameter's distribution (repeatable): {DIST_FORM}")
    p.add_argument("--samples", type=_power_of_two, default=4096, metavar="N",
                   help="base samples, a power of 2 (default 4096); N * (D + 2) evaluations for D "
                   "uncertain parameters")
    p.add_argument("--seed", type=_integer(0), default=0, metavar="S", help="the random seed (default 0)")
    p.add_argument("--n", metavar="N", help="the iteration: an integer, or inf (the default: the limit)")
    add_quantity_options(p)
    p.add_argument("--conf", type=_probability, default=0.95, metavar="LEVEL",
                   help="confidence level of the intervals (default 0.95)")
    p.add_argument("--resamples", type=_integer(2, 10**5), default=100, metavar="R",
                   help="bootstrap resamples (default 100)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    add_out(p)

    p = add("iterate", "iterate a model's recurrence directly (every model, closed form or not)",
            "Iterate the recurrences numerically from the first iteration to N and print a metric (the "
            "benefit by default) or a sequence at each iteration. Works for every model, also those "
            "without a closed form. Values are read as binary64 floats (as in Python), also with --dps.")
    p.add_argument("model", help=model_help)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="values",
                   help="a parameter value (repeatable; C1 defaults to 1)")
    p.add_argument("--n", required=True, metavar="N", help="the last iteration (an integer)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--metric", help="the metric (default: the model's benefit)")
    what.add_argument("--sequence", metavar="NAME", help="a sequence instead of a metric (e.g. A)")
    p.add_argument("--last", action="store_true", help="only the value at N")
    p.add_argument("--dps", type=_dps, metavar="DIGITS", help="iterate in mpmath to this many digits")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
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
#: characters of one error line at most (a message quoting a huge expression is cut)
MAX_MESSAGE = 400


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


def _is_path(name):
    return name.endswith(".toml") or os.sep in name or (os.altsep is not None and os.altsep in name)


def _shipped():
    """``{name: path}`` of the model files shipped with symrecycle (empty where there are none)."""
    try:
        from symrecycle import usermodels
    except ImportError:  # pragma: no cover - an installation without model files
        return {}
    variants = getattr(usermodels, "variants", None)
    return dict(sorted(variants().items())) if callable(variants) else {}


def _model(name):
    """A registered model, a model file (a path: ``my.toml``, ``models/x.toml``), or a shipped
    model file by its name (``reuse-decay``); a registered name wins."""
    import symrecycle as sr

    registered = sr.models()
    load = getattr(sr, "load_model", None)
    if name in registered or load is None:
        return _api(sr.get_model, name)
    if _is_path(name):
        return _api(load, name)
    shipped = _shipped()
    if name in shipped:
        return _api(load, shipped[name])
    files = [k for k in shipped if k not in registered]
    also = f"; shipped model files: {', '.join(files)}" if files else ""
    raise UserError(f"unknown model {name!r}; expected a registered model: {', '.join(registered)}{also}; "
                    "or the path of a .toml model file (see 'symrecycle models')")


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
    """stdout, or ``--out FILE`` written through :func:`symrecycle._files.atomic` (complete or not at all).

    ``--force`` replaces a regular file only; without it, a file that appears
    while the output is written is kept.
    """

    def __init__(self, path, force=False):
        self.path, self.force, self.stack, self.file = path, force, None, None

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        import io

        from . import _files

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
    from . import _files

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


def _listed_models():
    """``[(model, file entry or None)]``: the registered models, then the shipped model files.

    A file entry is ``{"path", "model"}``, ``model`` being what to give as MODEL: the file's
    name, or its path where a registered model has that name.
    """
    import symrecycle as sr

    registered = sr.models()
    out = [(sr.get_model(name), None) for name in registered]
    load = getattr(sr, "load_model", None)
    for stem, path in _shipped().items() if load is not None else ():
        use = str(path) if stem in registered else stem
        out.append((load(path), {"path": str(path), "model": use}))
    return out


def _file_head(m, f):
    """How ``models`` names a shipped model file: what to give as MODEL, and its path."""
    stem = os.path.splitext(os.path.basename(f["path"]))[0]
    if f["model"] == f["path"]:
        return f"{f['path']} (model file; give its path: {stem!r} names the registered model)"
    named = "" if m.name == f["model"] else f", its model named {m.name!r}"
    return f"{f['model']} (model file {f['path']}{named})"


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
    for name, m in zip(names, models):  # a model without closed forms is refused before any output
        problem = getattr(m, "closed_form_problem", None)
        text = problem() if callable(problem) else None
        if text:
            raise UserError(_no_closed_form(text, name))
    from .results import NotDerived

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
            if p.name == "C1":
                continue
            for q in ("sensitivity", "elasticity", "breakeven"):
                show(lambda q=q, m=m, p=p: getattr(m, q)(p.name))


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


def _specs(model, items, command):
    """``{name: Distribution}`` from the ``--set NAME=DIST`` options."""
    from symrecycle import uncertainty

    if not items:
        params = ", ".join(p.name for p in model.parameters)
        raise UserError(f"{command} needs parameter distributions: give --set NAME=DIST for the "
                        f"parameters of {model.name} ({params}), DIST being {DIST_FORM}")
    for item in items:
        name = item.partition("=")[0].strip()
        if name == "n":
            raise UserError(f"--set {item}: the iteration is given with --n, not --set")
        try:
            uncertainty.parse_specs([item])
        except ValueError as exc:
            raise UserError(f"--set {item}: {_one_line(exc)}") from None
    return _api(uncertainty.parse_specs, items)


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
    from symrecycle import uncertainty

    corr = {}
    for item in args.correlations:
        corr.update(_api(uncertainty.parse_correlations, [item]))
    n, grid = _iterations(m, args.n, "--n")
    if args.fan is not None and not (grid and len(n) > 1 and math.inf not in n.tolist()):
        raise UserError(f"--fan {args.fan}: a fan chart needs the quantity at several finite iterations; "
                        "expected --n START:STOP:NUM or N1,N2,... without inf (e.g. --n 1:30:30)")
    for option, value in (("--hist-n", args.hist_n), ("--bins", args.bins), ("--log", args.log or None)):
        if value is not None and args.hist is None:
            raise UserError(f"{option} is an option of the histogram; expected it with --hist FILE")
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
        mc = _with_hint(uncertainty.monte_carlo, m, q, specs, args.samples, args.seed, n=n, wrt=args.wrt,
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
                        lambda: uncertainty.save_figure(mc.fan_chart(), args.fan, overwrite=args.force))
        if args.hist is not None:
            _write_file("--hist", args.hist, lambda: uncertainty.save_figure(
                mc.histogram(bins=args.bins or 50, n=hist_n, log=args.log), args.hist, overwrite=args.force))
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
    from symrecycle import uncertainty

    with _Sink(args.out, args.force) as sink:
        table = _with_hint(uncertainty.sobol, m, q, specs, args.samples, args.seed, n=n, wrt=args.wrt,
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
        v = _number(text.strip(), where)
        _check_values(m, name, [v], where)
        values[name] = v
    where = f"--n {args.n}"
    t = args.n.strip()
    n = int(t) if t.isdigit() and len(t) <= 20 else None
    if n is None or not m.start <= n <= MAX_ITERATE:
        raise UserError(f"{where}: expected an integer from {m.start} to {MAX_ITERATE} (the last iteration; "
                        "for the limit, symrecycle eval MODEL limit)")
    if args.sequence is not None:
        names = [s.name for s in m.sequences]
        if args.sequence not in names:
            raise UserError(f"--sequence {args.sequence}: model {m.name!r} has no sequence "
                            f"{args.sequence!r}; its sequences: {', '.join(names)}")
        label, what = args.sequence, {"sequence": args.sequence}
    else:
        label = _api(m.metric, args.metric).name
        what = {"metric": label}
    dps = args.dps
    with _Sink(args.out, args.force) as sink:
        got = _with_hint(m.iterate, n, dps=dps, last=args.last and dps is None, **what, **values)
        if dps is None:
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
        texts = [_fmt(v, dps) for v in got]
        if args.format == "json":
            head = {"model": m.name, **what, "parameters": values}
            if dps:
                head["dps"] = dps
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
    """The TOML syntax error of ``text``, or None."""
    from ._toml import TomlError, read_toml

    try:
        read_toml(text, "")
    except TomlError as exc:
        return _one_line(exc).removeprefix(": ")
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
    "mc": cmd_mc, "sensitivity": cmd_sensitivity, "iterate": cmd_iterate,
    "check": cmd_check, "reproduce": cmd_reproduce,
}


#: seconds a command without a progress bar may run (derive, eval, summary, ...), unless
#: --time-limit or $SYMRECYCLE_TIME_LIMIT says otherwise; mc, sensitivity and reproduce show
#: their progress and have no limit by default
TIME_LIMIT = 300.0
_PROGRESS_COMMANDS = ("mc", "sensitivity", "reproduce")


class _OverBudget(BaseException):
    """The command's time limit passed (a BaseException: the engine's handlers let it through)."""


def _time_limit(args):
    if hasattr(args, "time_limit"):
        return args.time_limit
    env = os.environ.get("SYMRECYCLE_TIME_LIMIT")
    if env:
        try:
            return _seconds(env)
        except argparse.ArgumentTypeError as exc:
            raise UserError(f"SYMRECYCLE_TIME_LIMIT: {exc}") from None
    return None if args.command in _PROGRESS_COMMANDS else TIME_LIMIT


@contextlib.contextmanager
def _budget(seconds):
    """Raise :class:`_OverBudget` in the main thread after ``seconds`` (SIGALRM; nothing elsewhere)."""
    import signal
    import threading

    if not seconds or not hasattr(signal, "setitimer") or (
            threading.current_thread() is not threading.main_thread()):
        yield
        return

    def over(_signum, _frame):
        raise _OverBudget

    old = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(_signum, _frame):
    raise _Terminated


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0, 1 or 2; 130 after Ctrl-C, 143 after SIGTERM)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # between the command's own handlers
        return _interrupted(exc)
    finally:
        signal.signal(signal.SIGTERM, old)


def _drop_stdout():
    """What is still buffered for stdout is dropped (its write failed; Python would try again at exit)."""
    with contextlib.suppress(OSError, ValueError):  # no stdout at all
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _interrupted(exc):
    """One line and the shell's status for a signal: 130 for SIGINT (Ctrl-C), 143 for SIGTERM."""
    term = isinstance(exc, _Terminated)
    print(f"symrecycle: {'terminated' if term else 'interrupted'}", file=sys.stderr)
    return 143 if term else 130


def _main(argv):
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
        limit = _time_limit(args)
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    try:
        with _budget(limit):
            status = COMMANDS[args.command](args, sys.stdout)
            sys.stdout.flush()
    except _OverBudget:
        _drop_stdout()
        print(f"symrecycle: error: {args.command} did not finish within its time limit of {limit:g} s "
              "(the input asks too much of the engine; a larger --time-limit, or symrecycle iterate for "
              "numbers)", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    except Unavailable as exc:
        print(f"symrecycle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        _drop_stdout()
        return 0
    except OSError as exc:  # the system refused a read or a write: a full disk, /dev/full, a closed stdout
        _drop_stdout()
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"symrecycle: error: {exc.strerror or _one_line(exc)}{where}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:
        model = args.model if isinstance(getattr(args, "model", None), str) else "MODEL"
        if not _is_not_derived(exc):
            return _internal_error(exc, debug)
        print(f"symrecycle: error: {_no_closed_form(exc, model)}", file=sys.stderr)
        return 2
    except Exception as exc:
        return _internal_error(exc, debug)
    return status or 0


def _is_not_derived(exc):
    """What the engine does not derive (a model without closed forms, a quantity it cannot solve)."""
    results = sys.modules.get("symrecycle.results")
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


def _internal_error(exc, debug):
    """Exit status 1 with a short message (and the traceback with --debug)."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    print(f"symrecycle: internal error: {type(exc).__name__}: {_one_line(exc)}"
          + ("" if debug else " (run with --debug for the traceback)"), file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
