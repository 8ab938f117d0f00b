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
import math
from fractions import Fraction

EXAMPLES = {
    "summary": "symrecycle summary\n  symrecycle summary --model kickstarting",
    "models": "symrecycle models\n  symrecycle models --format json",
    "derive": (
        "symrecycle derive kickstarting limit\n"
        "  symrecycle derive kickstarting limit --format latex --out limit.tex\n"
        "  symrecycle derive kickstarting sensitivity --wrt alpha --at-n\n"
        "  symrecycle derive augmentation breakeven --wrt beta --format json\n"
        "  symrecycle derive kickstarting breakeven --wrt alpha --level 1.2 --of limit\n"
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
        "  symrecycle iterate kickstarting --set r=21/5 --set alpha=1/2 --n 5 --exact\n"
        "  symrecycle iterate endogenous-progress --set r=4.2 --set g=2 --set alpha=0.9 --set theta=0.5 "
        "--n 20 --metric gain --format json"
    ),
    "check": "symrecycle check claims.toml\n  symrecycle check claims.toml --format json",
    "cross-check": ("symrecycle cross-check kickstarting\n"
                    "  symrecycle cross-check reuse-decay --samples 200 --seed 1 --format json"),
    "reproduce": "symrecycle reproduce\n  symrecycle reproduce --out paper --force",
    "cache": ("symrecycle cache info\n  symrecycle cache clear\n"
              "  symrecycle derive kickstarting limit --no-cache"),
}

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
#: the distributions --set reads (symrecycle.uncertainty.distributions.SPEC_FORMS, without importing
#: numpy at start-up)
DIST_FORM = ("a number, 'uniform 2 to 6', 'loguniform 2 to 6', 'normal(0.9, 0.1)', 'lognormal 2 to 6' "
             "(5th to 95th percentile) or 'triangular(2, 3, 6)', optionally followed by 'truncated'")


class UserError(Exception):
    """A mistake in what the user asked for: exit status 2."""


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
    from ..core.params import exact_number

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
    common.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS,
                        help="derive everything anew: neither read nor write the derivation cache "
                             "(also SYMRECYCLE_NO_CACHE=1)")
    top = _Parser(
        prog="symrecycle",
        description="Derive, check and publish the mathematics of foundation-model recycling.",
        epilog="examples:\n  " + "\n  ".join(e.split("\n")[0] for e in EXAMPLES.values())
        + "\n\n'symrecycle COMMAND --help' describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    top.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    top.add_argument("--no-cache", action="store_true",
                     help="neither read nor write the derivation cache (see 'symrecycle cache --help')")
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
    p.add_argument("--of", choices=["benefit", "limit"],
                   help="for sensitivity, elasticity and breakeven: of the metric at iteration n "
                   "(benefit) or of its limit (limit); default: the limit for sensitivity and "
                   "elasticity, the benefit at n for breakeven, as in the API")
    p.add_argument("--at-n", action="store_true", help="the same as --of benefit")
    p.add_argument("--sequence", metavar="NAME", help="for closed-form: this sequence instead of "
                   "adjusted compute (e.g. C)")
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
    p.add_argument("--bins", type=_integer(1, 10**6), metavar="B",
                   help="histogram bins (default: chosen by the data, at most 100)")
    p.add_argument("--log", action="store_true", help="histogram on a log scale (default: where the "
                   "positive values span more than two decades)")
    p.add_argument("--size", choices=["one-column", "two-column"], help="print size of --fan and --hist: "
                   "one-column (3.4 in wide) or two-column (7 in; the default)")
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
    how = p.add_mutually_exclusive_group()
    how.add_argument("--dps", type=_dps, metavar="DIGITS", help="iterate in mpmath to this many digits")
    how.add_argument("--exact", action="store_true", help="iterate in exact rationals (values read as "
                     "exact decimals or fractions p/q)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    add_out(p)

    p = add("check", "audit the numeric claims of a claims file (TOML)",
            "Reproduce each claim of a TOML claims file and decide whether it is consistent at "
            "its stated precision; a claim over a region (forall, exists, monotone, region, measure) "
            "is proved, refuted with a counterexample, or not proved. Exit status 0: every claim "
            "consistent or proved; 1: some inconsistent, refuted or not proved; "
            "2: the file cannot be used.")
    p.add_argument("file", help="a claims file: [[claim]] tables with id, model, quantity, params, stated")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = add("cross-check", "compare a model's closed form in floats with exact-precision iteration",
            "Draw parameter points on the model's domain (a fifth on a degenerate set of the closed "
            "form, a fifth within 1e-15 of one) and iterations up to --n-max, evaluate the closed form "
            "in floats and the recurrence in mpmath, and print the largest relative error and where "
            "(symrecycle.cross_check).")
    p.add_argument("model", help=model_help)
    p.add_argument("quantity", nargs="?", default="benefit", choices=["benefit", "closed-form"],
                   help="benefit (the metric; the default) or closed-form (the adjusted sequence)")
    p.add_argument("--samples", type=_integer(1, 10**6), default=1000, metavar="N",
                   help="parameter points (default 1000)")
    p.add_argument("--seed", type=_integer(0), default=0, metavar="S", help="the random seed (default 0)")
    p.add_argument("--n-max", type=_integer(1, MAX_ITERATE), default=300, metavar="N",
                   help="the largest iteration drawn (default 300)")
    p.add_argument("--dps", type=_dps, default=40, metavar="DIGITS",
                   help="digits of the mpmath reference (default 40)")
    p.add_argument("--metric", help="the metric (default: the model's benefit)")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = add("reproduce", "regenerate every table, figure and equation of the report",
            "Regenerate the report's tables, figures, equations and claims audit into a directory.")
    p.add_argument("--out", metavar="DIR", default="reproduction",
                   help="output directory (default: reproduction)")
    p.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")

    p = add("cache", "show or clear the derivation cache",
            "Derived results are stored on disk, keyed by the model's content, the quantity and the "
            "versions of symrecycle, its code and SymPy, and read back without evaluating text; an "
            "entry that does not read back exactly is derived again. The folder is "
            "$SYMRECYCLE_CACHE_DIR, else the user's cache directory; SYMRECYCLE_NO_CACHE=1 or "
            "--no-cache turns it off.")
    p.add_argument("action", choices=["info", "clear"], help="info: where, how many entries, how large; "
                   "clear: remove every entry (nothing else in the folder)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    return top


#: seconds a command without a progress bar may run (derive, eval, summary, ...), unless
#: --time-limit or $SYMRECYCLE_TIME_LIMIT says otherwise; mc, sensitivity and reproduce show
#: their progress and have no limit by default
TIME_LIMIT = 300.0
_PROGRESS_COMMANDS = ("mc", "sensitivity", "reproduce")
