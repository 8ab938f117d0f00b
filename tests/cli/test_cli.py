"""The command line, each command line run by the console entry point in a process of its own.

Every command line of this module is run once, all of them concurrently,
by the module fixture ``ran`` (a dict from the argument tuple to the
completed process); the tests then read their result from it. The processes
are forked from one that imported the package once (``tests/forkrun.py``: their
own stdout, stderr and exit status, nothing shared between commands); the
closed pipe and the run without matplotlib are fresh interpreters
(``python -m symrecycle``, ``python -c``), as is every run of
``test_startup.py``. Behaviour that needs a fake module or a fake terminal
is tested in-process through ``_main.main``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import symrecycle as sr
from symrecycle import uncertainty as unc
from symrecycle.cli import commands as _commands
from symrecycle.cli import common as _common
from symrecycle.cli import main as _main
from symrecycle.cli import parser as _parser
from symrecycle.io import registry as registry_module
from symrecycle.io.modelfile import variant_path, variants
from symrecycle.report import claims as report_claims
from symrecycle.report import reproduce as report_reproduce
from symrecycle.uncertainty import montecarlo as unc_montecarlo

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_claims_file():
    """The README's example claims file (its one ``toml`` block), which ``check`` reads in these tests."""
    (block,) = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return block


def matches(expected, got):
    """Line by line; a line ``...`` stands for any number of lines."""
    pattern = "".join(".*?" if line == "..." else re.escape(line + "\n") for line in expected.splitlines())
    return re.fullmatch(pattern, got, flags=re.S) is not None


def readme_console_examples():
    """``(args, expected stdout)`` of every ``$ symrecycle ...`` line in the README's console blocks."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for cmd in re.split(r"^\$ ", block, flags=re.M)[1:]:
            line, _, expected = cmd.partition("\n")
            words = shlex.split(line)
            assert words[0] == "symrecycle", line
            out.append((tuple(words[1:]), expected))
    return out


README_EXAMPLES = readme_console_examples()


# -- the command lines this module runs in subprocesses ----------------------------------
# one per subcommand and format; options and the variants of each mistake run in-process
# the README's examples double as the subprocess runs of the grid (CSV) and JSON grid paths
GRID = ("eval", "kickstarting", "limit", "--set", "r=1.3,3.3,4.2,10.5", "--set", "alpha=1")
BENEFIT_JSON = ("eval", "kickstarting", "benefit", "--set", "r=4.2", "--set", "alpha=0.5", "--n", "1,2,inf",
                "--format", "json")
DPS = ("eval", "kickstarting", "closed-form", "--set", "r=4.2", "--set", "alpha=0.9", "--set", "C1=3",
       "--n", "10", "--dps", "40")
POINT_JSON = ("eval", "kickstarting", "closed-form", "--set", "r=2", "--set", "alpha=0.5", "--set", "C1=3",
              "--n", "5", "--format", "json")
DERIVE_OUT = ("derive", "augmentation", "breakeven", "--wrt", "beta", "--level", "3/2", "--format", "json",
              "--out", "breakeven.json")
REPRODUCE_REFUSED = ("reproduce", "--out", "nonempty")
CHECK_JSON = ("check", "claims.toml", "--format", "json")
CHECK_TEXT = ("check", "claims.toml")
MODELS_JSON = ("models", "--format", "json")
MODELS_LATEX = ("models", "--format", "latex")
PIPE = ("eval", "kickstarting", "closed-form", "--set", "r=1:2:400", "--set", "alpha=0:1:500",
        "--set", "C1=1", "--n", "5")
R_DIST, ALPHA_DIST = "r=lognormal 2 to 6", "alpha=uniform 0.5 to 1"
# mc: its text is the README's example; JSON with every output file, a correlation and several n
MC_TEXT = ("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=1", "--samples", "10000",
           "--seed", "1")
MC_JSON = ("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", ALPHA_DIST, "--corr", "r,alpha=-0.5",
           "--samples", "2000", "--seed", "3", "--n", "1:10:10", "--format", "json", "--csv", "draws.csv",
           "--fan", "fan.pdf", "--hist", "hist.png", "--hist-n", "5")
SENSITIVITY = ("sensitivity", "kickstarting", "limit", "--set", R_DIST, "--set", ALPHA_DIST, "--set", "C1=1",
               "--samples", "256", "--seed", "5")
SENS_JSON = (*SENSITIVITY, "--format", "json")
SENS_CSV = (*SENSITIVITY, "--format", "csv", "--out", "sobol.csv")
# iterate: a shipped model file without closed forms, by its name (the README's example)
ITERATE = ("iterate", "reuse-decay", "--set", "r=4.2", "--set", "alpha=0.9", "--set", "rho=0.95", "--n", "5")
ITERATE_JSON = (*ITERATE[:-1], "12", "--format", "json")
ITERATE_CSV = (*ITERATE[:-1], "12", "--sequence", "a", "--format", "csv")
# a coefficient that depends on n: closed form as a sum, limit from the metric's recurrence
REUSE_LIMIT = ("derive", "reuse-decay", "limit", "--format", "json")
REUSE_EVAL = ("eval", "reuse-decay", "benefit", "--set", "r=4.2", "--set", "alpha=0.9", "--set", "rho=0.95",
              "--n", "1,2,12,600", "--format", "json")
# eval, mc and sensitivity without figures import no matplotlib
QUIET_CALLS = [
    ["eval", "kickstarting", "limit", "--set", "r=4.2", "--set", "alpha=1"],
    ["mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=1", "--samples", "100"],
    ["sensitivity", *SENSITIVITY[1:]],
]
NO_MATPLOTLIB = ("-c", "import contextlib, io, sys; from symrecycle.cli.main import main\n"
                 "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
                 f"    rcs = [main(a) for a in {QUIET_CALLS!r}]\n"
                 "print(out.getvalue().splitlines()[0], rcs)\n"
                 "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")

SUCCESS = [
    ("models",),
    ("derive", "kickstarting", "limit", "--format", "json"),
    ("derive", "kickstarting", "limit", "--format", "latex"),
    ("derive", "kickstarting", "sensitivity", "--wrt", "alpha", "--at-n"),
    ("summary", "--model", "kickstarting"),
    GRID, BENEFIT_JSON, DPS, POINT_JSON, DERIVE_OUT, MODELS_JSON, MODELS_LATEX, CHECK_JSON, CHECK_TEXT,
    REPRODUCE_REFUSED, MC_TEXT, MC_JSON, SENSITIVITY, SENS_JSON, SENS_CSV, ITERATE, ITERATE_JSON, ITERATE_CSV,
    REUSE_LIMIT, REUSE_EVAL,
]

# Each kind of mistake: (command line, words its one-line message must contain). The first
# command line of each kind also runs in a subprocess (exit status 2, no traceback there too).
USER_ERRORS = {
    "unknown model": [
        (("derive", "nosuchmodel", "limit"), ["nosuchmodel", "augmentation, kickstarting", "reuse-decay",
                                              ".toml"]),
        (("mc", "nosuchmodel", "limit", "--set", "r=2"), ["nosuchmodel", "augmentation, kickstarting"]),
        (("iterate", "nosuchmodel", "--set", "r=2", "--n", "3"), ["nosuchmodel", "endogenous-progress"]),
        (("iterate", "nodir/my.toml", "--set", "r=2", "--n", "3"), ["nodir/my.toml", "no such file"]),
        (("summary", "--model", "nosuchmodel"), ["nosuchmodel", "kickstarting"]),
        (("derive", "nosuchmodel", "limit", "--format", "json"), ["nosuchmodel", "kickstarting"]),
        (("eval", "nosuchmodel", "limit", "--set", "r=2"), ["nosuchmodel", "augmentation, kickstarting"]),
    ],
    "unknown quantity": [
        (("eval", "kickstarting", "nosuchquantity", "--set", "r=2"),
         ["nosuchquantity", "closed-form", "limit"]),
        (("derive", "kickstarting", "nosuchquantity"), ["nosuchquantity"]),
    ],
    "unknown parameter": [
        (("eval", "kickstarting", "limit", "--set", "beta=0.5", "--set", "r=2"), ["beta", "r, alpha, C1"]),
        (("derive", "kickstarting", "sensitivity", "--wrt", "beta"), ["beta"]),
        (("mc", "kickstarting", "limit", "--set", "beta=uniform 0 to 1"), ["beta", "r, alpha, C1"]),
        (("iterate", "reuse-decay", "--set", "beta=0.5", "--n", "3"), ["beta", "r, alpha, rho, C1"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "3", "--metric", "real"), ["real", "efficiency"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "3", "--sequence", "P"), ["P", "C, a, A"]),
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1", "--wrt", "gamma"),
         ["gamma", "r, alpha, C1"]),
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1", "--metric", "real"),
         ["real", "benefit"]),
    ],
    "missing parameter": [
        (("eval", "kickstarting", "closed-form", "--set", "r=2", "--set", "C1=1", "--n", "3"),
         ["missing parameter 'alpha'", "[0, 1]", "--set"]),
        (("eval", "kickstarting", "limit", "--set", "r=2"), ["missing parameter 'alpha'", "[0, 1]", "--set"]),
        (("derive", "kickstarting", "sensitivity"), ["wrt"]),
        (("eval", "kickstarting", "closed-form", "--set", "r=2", "--set", "alpha=1", "--set", "C1=1"),
         ["missing parameter 'n'", "--n N"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST), ["missing parameter 'alpha'", "--set NAME=DIST"]),
        (("mc", "kickstarting", "limit"), ["--set NAME=DIST", "r, alpha, C1", "lognormal 2 to 6"]),
        (("sensitivity", "kickstarting", "closed-form", "--set", R_DIST, "--set", "alpha=1", "--set", "C1=1"),
         ["missing parameter 'n'", "--n N"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--set", "rho=1", "--n", "3"),
         ["missing parameter 'alpha'", "--set NAME=VALUE"]),
        (("iterate", "reuse-decay", "--set", "r=2"), ["required", "--n"]),
    ],
    "value outside its domain": [
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1.5"),
         ["--set alpha=1.5", "alpha", "1.5", "[0, 1]"]),
        (("eval", "kickstarting", "limit", "--set", "r=-1:2:4", "--set", "alpha=1"),
         ["r", "-1.0", "(0, oo)"]),
        (("eval", "kickstarting", "limit", "--set", "r=nan", "--set", "alpha=1"), ["r", "nan", "finite"]),
        (("derive", "kickstarting", "iterations-to", "--fraction", "1.5"), ["--fraction", "1.5", "(0, 1)"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=uniform 0.5 to 1.5"),
         ["alpha", "uniform 0.5 to 1.5", "[0, 1]", "truncated"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=1.5"), ["alpha", "1.5", "[0, 1]"]),
        (("iterate", "reuse-decay", "--set", "alpha=2", "--n", "3"), ["--set alpha=2", "[0, 1]"]),
    ],
    "malformed --set": [
        (("eval", "kickstarting", "limit", "--set", "alpha=abc"), ["'abc' is not a number", "NAME=VALUE"]),
        (("eval", "kickstarting", "limit", "--set", "alpha"), ["--set alpha", "NAME=VALUE"]),
        (("eval", "kickstarting", "limit", "--set", "r=1:2"), ["r=1:2", "START:STOP:NUM"]),
        (("eval", "kickstarting", "limit", "--set", "r=1:2:x"), ["r=1:2:x", "NUM", "positive integer"]),
        (("eval", "kickstarting", "limit", "--set", "r=1:2:1e12"), ["NUM", "10000000"]),
        (("eval", "kickstarting", "limit", "--set", "r=1,2,__import__('os')"), ["is not a number"]),
        (("eval", "kickstarting", "limit", "--set", "r=1", "--set", "r=2"), ["r", "twice"]),
        (("mc", "kickstarting", "limit", "--set", "r=lognormal(2, 6)", "--set", "alpha=1"),
         ["--set r=lognormal(2, 6)", "90% interval", "lognormal 2 to 6"]),
        (("mc", "kickstarting", "limit", "--set", "r=2:3:4", "--set", "alpha=1"),
         ["--set r=2:3:4", "uniform 2 to 6"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "r=2", "--set", "alpha=1"),
         ["r", "twice"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "n=3"), ["--set n=3", "--n"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", ALPHA_DIST, "--corr", "r,alpha"),
         ["r,alpha", "A,B=RHO"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=1", "--corr", "r,alpha=0.5"),
         ["alpha", "fixed"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", ALPHA_DIST, "--corr", "r,alpha=1.5"),
         ["1.5", "[-1, 1]"]),
        (("sensitivity", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1"), ["every", "fixed"]),
        (("iterate", "reuse-decay", "--set", "r=1,2", "--n", "3"),
         ["--set r=1,2", "one value", "NAME=VALUE"]),
        (("iterate", "reuse-decay", "--set", "r=x", "--n", "3"), ["'x' is not a number"]),
        (("iterate", "reuse-decay", "--set", "n=3", "--n", "3"), ["--set n=3", "--n N"]),
    ],
    "bad iteration n": [
        (("eval", "kickstarting", "benefit", "--set", "r=2", "--set", "alpha=1", "--n", "2.5"),
         ["--n 2.5", "integer", "inf"]),
        (("eval", "kickstarting", "benefit", "--set", "r=2", "--set", "alpha=1", "--n", "1:10:3"),
         ["--n 1:10:3", "integer", "NUM"]),
        (("eval", "kickstarting", "benefit", "--set", "r=2", "--set", "alpha=1", "--n", "0"), ["--n 0"]),
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1", "--n", "5"),
         ["does not depend on n"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1:10:3"),
         ["--n 1:10:3", "integer", "NUM"]),
        (("sensitivity", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1,2"),
         ["--n 1,2", "one iteration"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "inf"), ["--n inf", "integer from 1"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "0"), ["--n 0", "integer from 1"]),
    ],
    "bad option value": [
        (("derive", "kickstarting", "limit", "--format", "pdf"), ["pdf", "text", "latex", "json"]),
        (("derive", "kickstarting", "iterations-to", "--fraction", "x"), ["--fraction", "'x'", "0.99"]),
        (("derive", "augmentation", "breakeven", "--wrt", "beta", "--level", "1/0"), ["--level", "1/0"]),
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1", "--dps", "0"),
         ["--dps", "'0'", "from 1 to 10000"]),
        (("eval", "kickstarting", "limit", "--set", "r=1:2:3", "--set", "alpha=1", "--format", "text"),
         ["grid", "csv"]),
        (("nosuchcommand",), ["nosuchcommand", "derive", "eval", "mc", "sensitivity", "iterate"]),
        (("derive", "kickstarting"), ["required", "quantity"]),
        (("sensitivity", "kickstarting", "limit", "--set", R_DIST, "--samples", "1000"),
         ["--samples", "'1000'", "power of 2", "512 or 1024"]),
        (("sensitivity", "kickstarting", "limit", "--set", R_DIST, "--conf", "95"), ["--conf", "(0, 1)"]),
        (("sensitivity", "kickstarting", "limit", "--set", "r=uniform 0.5 to 2", "--set", "alpha=1",
          "--samples", "8"), ["limit is inf", "finite"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--samples", "0"), ["--samples", "'0'", "integer"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--seed", "-1"), ["--seed", "'-1'", ">= 0"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--fan", "f.pdf"),
         ["--fan f.pdf", "several finite iterations", "--n"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1,2,inf",
          "--fan", "f.pdf"), ["--fan f.pdf", "without inf"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1:3:3",
          "--fan", "f.xyz"), ["--fan f.xyz", "'xyz'", ".pdf", ".png"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1:3:3",
          "--hist-n", "2"), ["--hist-n", "--hist FILE"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1:3:3",
          "--hist", "h.png", "--hist-n", "7"), ["--hist-n 7", "1, 2, 3"]),
        (("mc", "kickstarting", "sensitivity", "--wrt", "r", "--set", "r=uniform 2 to 3", "--set", "alpha=1",
          "--samples", "100", "--hist", "h.png", "--log"), ["--hist h.png", "log", "positive"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "3", "--metric", "benefit", "--sequence", "A"),
         ["--metric", "--sequence"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "3", "--format", "latex"), ["latex", "csv"]),
    ],
    "no closed form": [
        (("derive", "endogenous-progress", "closed-form"),
         ["model 'endogenous-progress'", "no closed form", "a coupled system",
          "Numeric iteration is available: symrecycle iterate endogenous-progress --set NAME=VALUE ... "
          "--n N"]),
        (("derive", "endogenous-progress", "benefit"),
         ["no closed form", "symrecycle iterate endogenous-progress"]),
    ],
    "not derived": [
        (("derive", "reuse-decay", "breakeven", "--wrt", "alpha"),
         ["model 'reuse-decay'", "breakeven not derived", "sum without a closed form", "of='limit'",
          "symrecycle iterate reuse-decay"]),
        (("derive", "augmentation", "iterations-to", "--metric", "real"),
         ["model 'augmentation'", "iterations-to not derived", "symrecycle iterate augmentation"]),
    ],
    "unreadable or malformed file": [
        (("check", "bad.toml"), ["bad.toml", "not valid TOML", "line 2"]),
        (("check", "missing.toml"), ["missing.toml", "cannot read", "TOML"]),
        (("check", "binary.toml"), ["binary.toml", "UTF-8"]),
        (("check", "adir"), ["adir", "cannot read"]),
    ],
    "output path not writable": [
        (("derive", "kickstarting", "limit", "--out", "exists.tex"), ["exists.tex", "exists", "--force"]),
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1", "--out", "nodir/x.csv"),
         ["nodir/x.csv", "cannot write", "existing, writable directory"]),
        (("eval", "kickstarting", "limit", "--set", "r=2", "--set", "alpha=1", "--out", "adir"),
         ["adir", "is a directory", "file name"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=1", "--csv", "exists.tex"),
         ["--csv exists.tex", "exists", "--force"]),
        (("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=1", "--n", "1:3:3",
          "--fan", "nodir/fan.pdf"), ["--fan nodir/fan.pdf", "existing, writable directory"]),
        (("mc", "kickstarting", "limit", "--set", R_DIST, "--set", "alpha=1", "--out", "same.txt", "--csv",
          "same.txt"), ["--csv same.txt", "--out", "same file"]),
        (("sensitivity", "kickstarting", "limit", "--set", R_DIST, "--out", "exists.tex"),
         ["exists.tex", "--force"]),
        (("iterate", "reuse-decay", "--set", "r=2", "--n", "3", "--out", "adir"), ["adir", "is a directory"]),
    ],
}


# the claims format (a number as printed, the model quantity and the parameter values),
# from the README's example: one claim of Table 1 consistent, one not
CLAIMS_FILE = readme_claims_file()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    # run away from the checkout: the installed package must be what is found
    d = tmp_path_factory.mktemp("cli")
    (d / "exists.tex").write_text("keep me\n")
    (d / "forced.txt").write_text("old\n")
    (d / "bad.toml").write_text('[[claim]]\nid = "x" = 2\n')
    (d / "claims.toml").write_text(CLAIMS_FILE)
    (d / "nonempty").mkdir()
    (d / "nonempty" / "mine.txt").write_text("mine\n")
    (d / "binary.toml").write_bytes(b"\xff\xfe\x00claim")
    (d / "adir").mkdir()
    return d


@pytest.fixture(scope="module")
def ran(workdir, forked):
    """Every command line of this module, run concurrently: ``{args: CompletedProcess}``."""
    lines = list(SUCCESS) + [cases[0][0] for cases in USER_ERRORS.values()]
    lines += [args for args, _ in README_EXAMPLES]
    lines = list(dict.fromkeys(lines))

    def one(args):
        return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                              cwd=workdir, check=False)

    def closed_pipe():
        # the reader goes away after one line (`symrecycle eval ... | head -1`)
        p = subprocess.Popen([sys.executable, "-m", "symrecycle", *PIPE], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=workdir)
        first = p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read()
        p.wait(timeout=300)
        p.stderr.close()
        return subprocess.CompletedProcess(PIPE, p.returncode, first.decode(), err.decode())

    jobs = max(2, min(4, (os.cpu_count() or 2) + 1))
    with ThreadPoolExecutor(3) as pool:
        pipe = pool.submit(closed_pipe)
        nompl = pool.submit(one, NO_MATPLOTLIB)
        done = dict(zip(lines, forked(lines, workdir, jobs), strict=True))
        done[PIPE] = pipe.result()
        done[NO_MATPLOTLIB] = nompl.result()
    return done


@pytest.fixture(scope="module")
def kick():
    return sr.get_model("kickstarting")


@pytest.fixture(scope="module")
def aug():
    return sr.get_model("augmentation")


@pytest.fixture
def call(capsys):
    """``_main.main`` in-process: ``(status, stdout, stderr)``."""
    def go(*args):
        status = _main.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return go


def ok(out):
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    return out.stdout


def strict_json(text):
    """JSON as jq reads it: no NaN or Infinity tokens."""
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


# -- models, derive, summary ----------------------------------------------------------------
def shipped_files():
    """``[(what to give as MODEL, path)]`` of the shipped model files, as ``models`` lists them."""
    return [(str(path) if stem in sr.models() else stem, str(path))
            for stem, path in sorted(variants().items())]


def test_models(ran):
    out = ran[("models",)]
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout.startswith("augmentation: ")
    assert "\nkickstarting: " in out.stdout
    assert "parameter alpha in [0, 1]" in out.stdout
    assert "parameter beta in [0, 1]" in out.stdout
    assert "metric real = " in out.stdout
    # then the shipped model files, with their paths; a file named as a registered model by its path
    assert f"\nreuse-decay (model file {variant_path('reuse-decay')}): kickstarting with re-use" in out.stdout
    assert "parameter rho in (0, 1]" in out.stdout
    assert (f"\n{variant_path('kickstarting')} (model file; give its path: 'kickstarting' names the "
            "registered model): ") in out.stdout
    heads = [line.split(" (model file")[0] for line in out.stdout.splitlines() if " (model file" in line]
    assert heads == [use for use, _ in shipped_files()]
    assert len(shipped_files()) >= 7
    assert sr.models() == ["augmentation", "kickstarting"]  # the registry is unchanged


def test_models_json_and_latex(ran):
    data = strict_json(ok(ran[MODELS_JSON]))
    registered = [d for d in data if d["kind"] == "registered"]
    files = [d for d in data if d["kind"] == "file"]
    assert registered + files == data
    assert [d["name"] for d in registered] == sr.models()
    assert [(d["model"], d["path"]) for d in files] == shipped_files()
    for d in data:
        m = sr.get_model(d["name"]) if d["kind"] == "registered" else sr.load_model(d["path"])
        assert d["name"] == m.name
        assert [(p["name"], p["domain"]) for p in d["parameters"]] == [
            (p.name, p.domain_text) for p in m.parameters
        ]
        assert [s["next"] for s in d["sequences"]] == [str(s.next) for s in m.sequences]
        assert [k["name"] for k in d["metrics"]] == [k.name for k in m.metrics]
        assert "$$" + d["latex"] + "$$" == m._repr_latex_()
    latex = ok(ran[MODELS_LATEX])
    for name in sr.models():
        assert f"% {name}: " in latex
        assert sr.get_model(name)._repr_latex_().strip("$") + "\n" in latex
    rd = sr.load_model(variant_path("reuse-decay"))
    assert f"% reuse-decay (model file {variant_path('reuse-decay')}): " in latex
    assert "\n" + rd._repr_latex_().strip("$") + "\n" in latex


def test_derive_limit_json(ran):
    out = ran[("derive", "kickstarting", "limit", "--format", "json")]
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"model", "quantity", "expression", "text", "latex", "conditions", "verified"} <= set(d)
    assert d["model"] == "kickstarting"
    assert d["quantity"] == "limit"
    assert d["verified"] is True
    assert isinstance(d["conditions"], list)
    # the expression is srepr: rebuild it and check it by hand, L = r/(r - alpha) for alpha < r
    expr = sp.sympify(d["expression"])
    syms = {s.name: s for s in expr.free_symbols}
    assert expr.subs({syms["r"]: 2, syms["alpha"]: sp.Rational(1, 2)}) == sp.Rational(4, 3)
    assert expr.subs({syms["r"]: sp.Rational(1, 2), syms["alpha"]: 1}) == sp.oo
    assert "\\frac" in d["latex"]
    assert "alpha" in d["text"]


def test_derive_json_is_the_api_result(ran, workdir, call, kick, aug):
    # --out: nothing on stdout, the file holds the JSON of breakeven at level 3/2
    assert ok(ran[DERIVE_OUT]) == ""
    got = strict_json((workdir / "breakeven.json").read_text())
    assert got == aug.breakeven("beta", level=sp.Rational(3, 2)).to_dict()
    assert got["expression"] != aug.breakeven("beta").to_dict()["expression"]  # the level was used
    # in-process: --fraction and --metric reach the API
    status, out, err = call("derive", "kickstarting", "iterations-to", "--fraction", "0.9",
                            "--format", "json")
    assert (status, err) == (0, "")
    assert strict_json(out) == kick.iterations_to(Fraction(9, 10)).to_dict()
    assert "n^{*}_{\\frac{9}{10}}" in strict_json(out)["latex"]
    status, out, err = call("derive", "augmentation", "benefit", "--metric", "real", "--format", "json")
    assert (status, err) == (0, "")
    assert strict_json(out) == aug.benefit("real").to_dict()


def test_derive_latex(ran):
    out = ran[("derive", "kickstarting", "limit", "--format", "latex")]
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("\\lim_{n \\to \\infty}")
    assert "\\frac{r}" in lines[0]
    assert "\\infty" in lines[0]


def test_derive_sensitivity_at_n_text(ran):
    out = ran[("derive", "kickstarting", "sensitivity", "--wrt", "alpha", "--at-n")]
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("kickstarting sensitivity to alpha of the benefit, at n:\n")
    assert "n*(n - 1)/(2*r)    if alpha = r\n" in out.stdout  # the degenerate branch alpha = r
    assert "verified: True" in out.stdout


def test_summary_one_model(ran):
    out = ran[("summary", "--model", "kickstarting")]
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("== kickstarting ==")
    assert "augmentation" not in out.stdout
    for title in ("closed-form of A", "benefit", "limit of the benefit",
                  "iterations-to of the benefit within 0.01 of its limit",
                  "sensitivity to alpha of the benefit, at the limit",
                  "elasticity in r of the benefit, at the limit", "breakeven alpha* where the benefit = 1"):
        assert f"kickstarting {title}:" in out.stdout, title
    assert "r/(-alpha + r)    if alpha < r\n" in out.stdout
    assert "~" not in out.stdout
    assert "Eq(" not in out.stdout.split("note:")[0]


# -- eval ---------------------------------------------------------------------------------------
def test_eval_grid_csv_matches_the_api(ran, kick):
    rows = list(csv.reader(io.StringIO(ok(ran[GRID]))))
    assert rows[0] == ["r", "alpha", "limit"]
    r = np.array([1.3, 3.3, 4.2, 10.5])
    want = kick.evaluate("limit", r=r, alpha=1.0)
    assert rows[1:] == [[repr(x), "1.0", repr(y)] for x, y in zip(r.tolist(), want.tolist(), strict=True)]
    assert [float(row[2]) for row in rows[1:]] == want.tolist()  # repr round-trips floats exactly


def test_eval_grid_outer_product(call, kick):
    status, out, err = call("eval", "kickstarting", "limit", "--set", "r=1.1:10:4",
                            "--set", "alpha=0.5,0.9,1")
    assert (status, err) == (0, "")
    got = np.array([[float(x) for x in row] for row in list(csv.reader(io.StringIO(out)))[1:]])
    r, alpha = np.linspace(1.1, 10, 4), np.array([0.5, 0.9, 1.0])
    # the first --set varies slowest
    np.testing.assert_array_equal(got[:, 0], np.repeat(r, 3))
    np.testing.assert_array_equal(got[:, 1], np.tile(alpha, 4))
    want = kick.evaluate("limit", r=r[:, None], alpha=alpha[None, :])
    np.testing.assert_array_equal(got[:, 2], want.ravel())


def test_eval_grid_json_with_n_and_inf(ran, call, kick, aug):
    d = strict_json(ok(ran[BENEFIT_JSON]))
    assert (d["model"], d["quantity"]) == ("kickstarting", "benefit")
    assert [p["parameters"]["n"] for p in d["points"]] == [1, 2, "inf"]
    want = kick.evaluate("benefit", r=4.2, alpha=0.5, n=np.array([1, 2, np.inf]))
    assert [p["value"] for p in d["points"]] == want.tolist()
    assert [p["text"] for p in d["points"]] == [repr(v) for v in want.tolist()]
    assert d["points"][1]["parameters"] == {"r": 4.2, "alpha": 0.5, "n": 2}
    # a second model
    status, out, err = call("eval", "augmentation", "benefit", "--set", "r=2", "--set", "g=1.5",
                            "--set", "beta=0.5", "--n", "1,5", "--format", "json")
    assert (status, err) == (0, "")
    want = aug.evaluate("benefit", r=2.0, g=1.5, beta=0.5, n=np.array([1, 5]))
    assert [p["value"] for p in strict_json(out)["points"]] == want.tolist()


def test_eval_one_point(ran, call, kick, aug):
    d = strict_json(ok(ran[POINT_JSON]))
    want = kick.evaluate("closed-form", r=2.0, alpha=0.5, C1=3.0, n=5)
    assert d == {"model": "kickstarting", "quantity": "closed-form",
                 "parameters": {"r": 2.0, "alpha": 0.5, "C1": 3.0, "n": 5}, "value": want, "text": repr(want)}
    # an infinite value: null in JSON (jq reads it), "inf" as text
    status, out, _ = call("eval", "kickstarting", "limit", "--set", "r=0.5", "--set", "alpha=1",
                          "--format", "json")
    d = strict_json(out)
    assert (status, d["value"], d["text"]) == (0, None, "inf")
    assert kick.evaluate("limit", r=0.5, alpha=1.0) == math.inf
    # --wrt with a finite n: the sensitivity of the benefit at n
    status, out, _ = call("eval", "kickstarting", "sensitivity", "--wrt", "alpha", "--set", "r=2",
                          "--set", "alpha=0.5", "--n", "5")
    assert out == repr(kick.evaluate("sensitivity", wrt="alpha", r=2.0, alpha=0.5, n=5)) + "\n"
    # --format csv for one point; --fraction and --level reach the API
    status, out, _ = call("eval", "kickstarting", "iterations-to", "--fraction", "0.9", "--set", "r=2",
                          "--set", "alpha=0.5", "--format", "csv")
    want = kick.evaluate("iterations-to", fraction=0.9, r=2.0, alpha=0.5)
    assert list(csv.reader(io.StringIO(out))) == [["r", "alpha", "iterations-to"], ["2.0", "0.5", repr(want)]]
    assert want == pytest.approx(math.log(10) / math.log(4), rel=1e-14)  # by hand: 10 = (r/alpha)**n*
    for level, value in (("1", 1), ("3/2", sp.Rational(3, 2))):
        status, out, _ = call("eval", "augmentation", "breakeven", "--wrt", "beta", "--level", level,
                              "--set", "r=2", "--set", "g=1", "--n", "5")
        assert out == repr(aug.evaluate("breakeven", wrt="beta", level=value, r=2.0, g=1.0, n=5)) + "\n"


def test_eval_dps(ran, kick):
    text = ok(ran[DPS]).strip()
    want = kick.evaluate("closed-form", r=4.2, alpha=0.9, C1=3.0, n=10, dps=40)
    assert text == mpmath.nstr(want, 40)
    assert len(text.replace(".", "")) == 40
    # the value at the binary floats given, to 40 digits (checked by exact iteration)
    exact = kick.iterate(10, exact=True, r=Fraction(4.2), alpha=Fraction(0.9), C1=3, sequence="A")[-1]
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(text) / mpmath.mpf(sp.N(exact, 60)) - 1) < mpmath.mpf(10) ** -38


def test_eval_out_file_and_force(ran, workdir, tmp_path, call, kick):
    out = tmp_path / "benefit.csv"
    args = ("eval", "kickstarting", "benefit", "--set", "r=1.5", "--set", "alpha=1", "--set", "n=1:9:5",
            "--out", str(out))
    assert call(*args) == (0, "", "")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["n"] for row in rows] == ["1", "3", "5", "7", "9"]
    want = kick.evaluate("benefit", r=1.5, alpha=1.0, n=np.array([1, 3, 5, 7, 9]))
    assert [float(row["benefit"]) for row in rows] == want.tolist()
    # a second time: refused without --force, the file untouched; replaced with --force
    out.write_text("mine\n")
    status, _, err = call(*args)
    assert status == 2
    assert "--force" in err
    assert out.read_text() == "mine\n"
    assert call(*args, "--force") == (0, "", "")
    assert out.read_text().startswith("r,alpha,n,benefit\n")
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # not the private mode of a temporary file
    # the subprocess refused to overwrite; no temporary file is left anywhere
    assert (workdir / "exists.tex").read_text() == "keep me\n"
    for d in (workdir, tmp_path):
        assert not [p for p in d.iterdir() if p.name.startswith(".")]


def test_closed_pipe_is_quiet(ran):
    out = ran[PIPE]
    assert out.returncode == 0, out.stderr
    assert out.stdout == "r,alpha,C1,n,closed-form\n"
    assert out.stderr == ""


def test_eval_mc_and_sensitivity_do_not_import_matplotlib(ran):
    out = ran[NO_MATPLOTLIB]
    assert out.returncode == 0, out.stderr
    assert out.stdout == "1.3125 [0, 0, 0]\n[]\n"


# -- mc, sensitivity ----------------------------------------------------------------------------
def specs(*items):
    return unc.parse_specs(list(items))


def test_mc_text_is_the_api_summary(ran, call, kick):
    mc = unc.monte_carlo(kick, "limit", specs(R_DIST, "alpha=1"), 10000, 1)
    text = ok(ran[MC_TEXT])
    assert text == mc.summary() + "\n"
    assert text.splitlines()[0] == "kickstarting: limit, 10000 samples, seed 1"
    assert mc.mean == math.inf  # some draws have r <= alpha = 1: the README says so
    # the seed and the sample count reach the API: another seed, other numbers
    status, out, err = call(*MC_TEXT[:-1], "2")
    assert (status, err) == (0, "")
    assert out == unc.monte_carlo(kick, "limit", specs(R_DIST, "alpha=1"), 10000, 2).summary() + "\n"
    assert out.splitlines()[4] != text.splitlines()[4]


def test_mc_json_and_files(ran, workdir, kick):
    d = strict_json(ok(ran[MC_JSON]))
    mc = unc.monte_carlo(kick, "benefit", specs(R_DIST, ALPHA_DIST), 2000, 3, n=np.arange(1, 11),
                         correlations={("r", "alpha"): -0.5})
    want = mc.to_dict()
    want["n"] = list(range(1, 11))
    assert d == want
    assert d["correlations"] == [["r", "alpha", -0.5]]
    assert len(d["quantiles"]["50"]) == 10
    assert [d["quantiles"][q][0] for q in ("5", "95")] == pytest.approx([1, 1], rel=1e-15)  # B_1 = 1
    # --csv: every draw, read back exactly
    got = unc.read_csv(workdir / "draws.csv")
    assert list(got) == ["r", "alpha", *mc.columns]
    np.testing.assert_array_equal(got["r"], mc.inputs["r"])
    np.testing.assert_array_equal(got["alpha"], mc.inputs["alpha"])
    np.testing.assert_array_equal(got["benefit[n=5]"], mc.samples[:, 4])
    ranks = [np.argsort(np.argsort(got[k])) for k in ("r", "alpha")]
    assert np.corrcoef(*ranks)[0, 1] == pytest.approx(-0.5, abs=0.06)  # --corr reached the draws
    assert (workdir / "fan.pdf").read_bytes()[:5] == b"%PDF-"
    assert (workdir / "hist.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in workdir.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_mc_options_reach_the_api(call, monkeypatch, tmp_path, kick):
    monkeypatch.chdir(tmp_path)
    figures = []

    def save_figure(fig, path, overwrite=False):
        figures.append((fig, path, overwrite))
        return real(fig, path, overwrite=overwrite)

    real = unc.save_figure
    monkeypatch.setattr(unc_montecarlo, "save_figure", save_figure)
    base = ("mc", "kickstarting", "benefit", "--set", R_DIST, "--set", "alpha=0.9", "--samples", "500")
    args = (*base, "--n", "1,5,10", "--hist", "h.svg", "--hist-n", "5", "--bins", "7", "--log")
    assert call(*args)[0] == 0
    (fig, path, overwrite), = figures
    ax = fig.axes[0]
    assert (path, overwrite) == ("h.svg", False)
    assert ax.get_xlabel() == "benefit[n=5]"
    assert ax.get_xscale() == "log"
    assert len(ax.patches) == 7
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    # refused without --force (before drawing), replaced with it
    status, out, err = call(*args)
    assert (status, out) == (2, "")
    assert "--hist h.svg: the file exists; pass --force" in err
    assert call(*args, "--force")[0] == 0
    assert figures[-1][2] is True
    # --fan: the median line over the iterations
    figures.clear()
    assert call(*base, "--n", "1:4:4", "--fan", "f.png")[0] == 0
    mc = unc.monte_carlo(kick, "benefit", specs(R_DIST, "alpha=0.9"), 500, 0, n=[1, 2, 3, 4])
    line = figures[0][0].axes[0].lines[0]
    assert line.get_xdata().tolist() == [1, 2, 3, 4]
    assert line.get_ydata().tolist() == mc.quantiles[50].tolist()
    # one iteration: the text names it; JSON writes inf as "inf" and an infinite value as null
    status, out, _ = call(*base, "--n", "inf")
    assert out.splitlines()[0] == "kickstarting: benefit, 500 samples, seed 0; n = inf"
    assert out.splitlines()[1:] == unc.monte_carlo(kick, "benefit", specs(R_DIST, "alpha=0.9"), 500, 0,
                                                   n=math.inf).summary().splitlines()[1:]
    status, out, _ = call("mc", "kickstarting", "limit", "--set", "r=loguniform 0.5 to 2", "--set", "alpha=1",
                          "--samples", "400", "--format", "json", "--out", "inf.json")
    assert (status, out) == (0, "")
    d = strict_json((tmp_path / "inf.json").read_text())
    assert d["n"] is None
    assert d["mean"] is None
    assert d["quantiles"]["95"] is None
    r95 = 0.5 * 4**0.95  # the 95th percentile of r: the 5th of r/(r - 1)
    assert d["quantiles"]["5"] == pytest.approx(r95 / (r95 - 1), rel=0.06)
    # --wrt, --metric, --fraction and --level reach the API
    for extra, kw in ((("sensitivity", "--wrt", "alpha"), {"wrt": "alpha"}),
                      (("iterations-to", "--fraction", "0.9"), {"fraction": Fraction(9, 10)})):
        status, out, err = call("mc", "kickstarting", extra[0], *extra[1:], "--set", "r=uniform 2 to 3",
                                "--set", "alpha=0.5", "--samples", "300", "--format", "json")
        assert (status, err) == (0, "")
        want = unc.monte_carlo(kick, extra[0], specs("r=uniform 2 to 3", "alpha=0.5"), 300, 0, **kw)
        assert strict_json(out)["quantiles"] == want.to_dict()["quantiles"]
    status, out, err = call("mc", "augmentation", "breakeven", "--wrt", "beta", "--level", "3/2",
                            "--metric", "real", "--set", "r=uniform 2 to 3", "--set", "g=1.5", "--n", "4",
                            "--samples", "300", "--format", "json")
    assert (status, err) == (0, "")
    want = unc.monte_carlo("augmentation", "breakeven", specs("r=uniform 2 to 3", "g=1.5"), 300, 0, n=4,
                           wrt="beta", level=Fraction(3, 2), metric="real")
    assert strict_json(out)["quantiles"] == _plain(want.to_dict()["quantiles"])
    assert strict_json(out)["label"] == "breakeven[beta](real)"


def _plain(d):
    return {k: None if not math.isfinite(v) else v for k, v in d.items()}


def test_mc_chunks_and_progress(on_terminal, capsys, kick):
    args = ["mc", "kickstarting", "limit", "--set", R_DIST, "--set", ALPHA_DIST, "--samples", "1000"]
    status, drawn = on_terminal([*args, "--chunk", "300"])
    assert status == 0
    # the same numbers as one chunk
    assert capsys.readouterr().out == unc.monte_carlo(kick, "limit", specs(R_DIST, ALPHA_DIST), 1000,
                                                      0).summary() + "\n"
    assert "kickstarting mc limit [" in drawn
    assert "1000/1000" in drawn
    assert on_terminal([*args, "--quiet"]) == (0, "")


def test_sensitivity_is_the_api_table(ran, workdir, call, kick):
    table = unc.sobol(kick, "limit", specs(R_DIST, ALPHA_DIST, "C1=1"), 256, 5)
    assert ok(ran[SENSITIVITY]) == str(table) + "\n"
    d = strict_json(ok(ran[SENS_JSON]))
    assert d == table.to_dict()
    assert [r["name"] for r in d["rows"]] == ["r", "alpha", "C1"]  # most important first, fixed last
    assert d["rows"][0]["elasticity"] == pytest.approx(-d["rows"][1]["elasticity"])  # r/(r - alpha)
    assert ok(ran[SENS_CSV]) == ""
    rows = list(csv.DictReader(io.StringIO((workdir / "sobol.csv").read_text())))
    assert list(rows[0]) == list(table.as_records()[0])
    for got, want in zip(rows, table.rows, strict=True):
        assert (got["name"], got["distribution"], got["fixed"]) == (want.name, want.distribution,
                                                                     str(want.fixed))
        assert [float(got[k]) for k in ("median", "S1", "S1_conf", "ST", "ST_conf", "elasticity")] == [
            want.median, want.S1, want.S1_conf, want.ST, want.ST_conf, want.elasticity]
    # --n, --conf and --resamples reach the API; n is written as eval writes it
    status, out, err = call("sensitivity", "kickstarting", "benefit", "--set", R_DIST, "--set", ALPHA_DIST,
                            "--samples", "64", "--n", "5", "--conf", "0.9", "--resamples", "20",
                            "--format", "json")
    assert (status, err) == (0, "")
    got = strict_json(out)
    want = unc.sobol(kick, "benefit", specs(R_DIST, ALPHA_DIST), 64, 0, n=5, conf_level=0.9,
                     resamples=20).to_dict()
    assert got["n"] == 5
    assert {**got, "n": 5.0} == want
    assert got["conf_level"] == 0.9


# -- iterate ----------------------------------------------------------------------------------
def reuse_decay_by_hand(n, r=4.2, alpha=0.9, rho=0.95):
    """The benefit B_n = A_n / C_n of reuse-decay.toml, iterated here as B_n = 1 + a_n B_{n-1} / r
    (A_n = C_n + a_n A_{n-1} over C_n = r C_{n-1}: no r**n to overflow)."""
    out, a = [1.0], alpha
    for _ in range(2, n + 1):
        a *= rho
        out.append(1 + a * out[-1] / r)
    return out


def test_a_closed_form_as_a_sum_on_the_command_line(ran):
    d = strict_json(ok(ran[REUSE_LIMIT]))
    assert d["verified"] is True
    assert "\\rho" in d["latex"]
    e = strict_json(ok(ran[REUSE_EVAL]))
    got = [p["value"] for p in e["points"]]
    by_hand = reuse_decay_by_hand(600)
    assert got == pytest.approx([by_hand[k - 1] for k in (1, 2, 12, 600)], rel=1e-14)


def test_iterate_a_model_without_closed_form(ran):
    rd = sr.load_model(variant_path("reuse-decay"))
    want = rd.iterate(12, metric="benefit", r=4.2, alpha=0.9, rho=0.95).tolist()
    assert want == pytest.approx(reuse_decay_by_hand(12), rel=1e-14)
    lines = ok(ran[ITERATE]).splitlines()
    assert lines[0] == "n  benefit"
    assert [line.split() for line in lines[1:]] == [[str(k), repr(v)] for k, v in enumerate(want[:5], 1)]
    d = strict_json(ok(ran[ITERATE_JSON]))
    assert {k: d[k] for k in ("model", "metric", "parameters")} == {
        "model": "reuse-decay", "metric": "benefit", "parameters": {"r": 4.2, "alpha": 0.9, "rho": 0.95}}
    assert [p["n"] for p in d["points"]] == list(range(1, 13))
    assert [p["value"] for p in d["points"]] == want
    assert [p["text"] for p in d["points"]] == [repr(v) for v in want]
    rows = list(csv.reader(io.StringIO(ok(ran[ITERATE_CSV]))))
    assert rows[0] == ["n", "a"]
    assert [int(n) for n, _ in rows[1:]] == list(range(1, 13))
    assert [float(v) for _, v in rows[1:]] == pytest.approx([0.9 * 0.95 ** k for k in range(12)], rel=1e-14)


def test_iterate_options(call, kick):
    rd = sr.load_model(variant_path("reuse-decay"))
    vals = {"r": 4.2, "alpha": 0.9, "rho": 0.95}
    base = ("iterate", "reuse-decay", "--set", "r=4.2", "--set", "alpha=0.9", "--set", "rho=0.95")
    # --last: one value; past the float range of r**n (n = 600) the values are still right
    status, out, err = call(*base, "--n", "600", "--last")
    assert (status, err) == (0, "")
    exact = rd.iterate(600, metric="benefit", dps=40, **vals)[-1]
    assert float(out) == pytest.approx(float(exact), rel=1e-15)
    assert float(out) == pytest.approx(reuse_decay_by_hand(600)[-1], rel=1e-15)
    status, out, _ = call(*base, "--n", "600", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 601
    assert all(math.isfinite(float(v)) for _, v in rows[1:])
    # --dps: every digit of the mpmath iteration
    status, out, _ = call(*base, "--n", "7", "--last", "--dps", "30", "--metric", "efficiency")
    assert out == mpmath.nstr(rd.iterate(7, metric="efficiency", dps=30, **vals)[-1], 30) + "\n"
    assert mpmath.mpf(out) == pytest.approx(0.9 * 0.95**6, rel=1e-15)
    status, out, _ = call(*base, "--n", "3", "--dps", "25", "--format", "json")
    assert strict_json(out)["dps"] == 25
    # a registered model iterates to its closed form; C1 defaults to 1
    status, out, err = call("iterate", "kickstarting", "--set", "r=4.2", "--set", "alpha=0.5", "--n", "30",
                            "--format", "csv")
    assert (status, err) == (0, "")
    got = [float(v) for _, v in list(csv.reader(io.StringIO(out)))[1:]]
    want = kick.evaluate("benefit", r=4.2, alpha=0.5, n=np.arange(1, 31)).tolist()
    assert got == pytest.approx(want, rel=1e-14)
    status, out, _ = call("iterate", "kickstarting", "--set", "r=2", "--set", "alpha=0.5", "--set", "C1=3",
                          "--n", "3", "--sequence", "A", "--last")
    assert out == "15.75\n"  # A = 3, 6 + 3/2, 12 + 7.5/2


def test_check_real_claims_file(ran, kick):
    out = ran[CHECK_JSON]
    assert out.returncode == 1, out.stderr  # one claim is inconsistent
    assert out.stderr == ""
    data = strict_json(out.stdout)
    assert [d["id"] for d in data] == ["table1-compute", "table1-hardware"]
    for d in data:
        assert {"id", "stated", "computed", "consistent", "explanations"} <= set(d)
    assert [d["stated"] for d in data] == ["1.3", "4.1"]
    assert [d["computed"] for d in data] == [pytest.approx(kick.evaluate("limit", r=r, alpha=1.0), rel=1e-15)
                                             for r in (4.2, 1.3)]
    # 1.3125 prints as 1.3; 13/3 = 4.33 does not print as 4.1
    assert [d["consistent"] for d in data] == [True, False]
    assert data[0]["explanations"] == []
    assert "r" in [e["parameter"] for e in data[1]["explanations"]]
    text = ran[CHECK_TEXT]
    assert text.returncode == 1, text.stderr
    assert "table1-compute" in text.stdout
    assert "table1-hardware" in text.stdout


def test_reproduce_refuses_a_directory_it_did_not_create(ran, workdir):
    # the whole reproduction takes about a minute: tests/report/test_derivations.py runs it; here the
    # command line's handling of its refusal
    out = ran[REPRODUCE_REFUSED]
    check_user_error(out.returncode, out.stdout, out.stderr, ["nonempty", "not empty", "--force"],
                     REPRODUCE_REFUSED)
    assert [p.name for p in (workdir / "nonempty").iterdir()] == ["mine.txt"]


# -- the README ---------------------------------------------------------------------------------
def test_readme_has_console_examples():
    cmds = [args[0] for args, _ in README_EXAMPLES]
    assert {"eval", "derive", "check"} <= set(cmds)
    assert ("check", "claims.toml") in [args for args, _ in README_EXAMPLES]


@pytest.mark.parametrize(("args", "expected"), README_EXAMPLES, ids=[" ".join(a) for a, _ in README_EXAMPLES])
def test_readme_console_example(ran, args, expected):
    out = ran[args]
    # check exits with status 1 when a claim is inconsistent, as the README's example says
    assert out.returncode == (1 if args[0] == "check" and "INCONSISTENT" in expected else 0), out.stderr
    assert out.stderr == ""
    assert matches(expected, out.stdout), out.stdout


def test_matches():
    assert matches("a\n...\nz\n", "a\nb\nc\nz\n")
    assert matches("a\n...\nz\n", "a\nz\n")
    assert not matches("a\n...\nz\n", "a\nb\n")
    assert not matches("a\nz\n", "a\nb\nz\n")


# -- user errors: exit status 2, one line naming the problem, no traceback --------------------
def check_user_error(status, out, err, words, args):
    assert status == 2, (args, out, err)
    assert out == "", args
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("symrecycle: error: "), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", list(USER_ERRORS))
def test_user_error(ran, workdir, call, monkeypatch, kind):
    (args, words), *_ = USER_ERRORS[kind]
    out = ran[args]
    check_user_error(out.returncode, out.stdout, out.stderr, words, args)
    monkeypatch.chdir(workdir)
    for args, words in USER_ERRORS[kind]:
        check_user_error(*call(*args), words, args)


# -- in-process: help, internal errors, progress, check and reproduce -------------------------
def test_help_of_every_command_has_examples(capsys):
    assert _main.main(["--help"]) == 0
    top = capsys.readouterr().out
    for name in _main.COMMANDS:
        assert name in top
        assert _main.main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert "examples:" in text
        assert f"symrecycle {name}" in text.split("examples:")[1]
    assert _main.main(["--version"]) == 0
    assert capsys.readouterr().out == f"symrecycle {sr.__version__}\n"


def test_help_examples_parse():
    parser = _parser._parser()
    for text in _parser.EXAMPLES.values():
        for line in text.splitlines():
            args = parser.parse_args(shlex.split(line.strip())[1:])
            assert args.command in _main.COMMANDS


def test_internal_error_is_short_without_debug(monkeypatch, capsys):
    def boom(args, out):
        raise RuntimeError("something broke\ninside")

    monkeypatch.setitem(_main.COMMANDS, "models", boom)
    assert _main.main(["models"]) == 1
    err = capsys.readouterr().err
    assert err == ("symrecycle: internal error: RuntimeError: something broke inside "
                   "(run with --debug for the traceback)\n")
    assert _main.main(["models", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.splitlines()[-1] == "symrecycle: internal error: RuntimeError: something broke inside"


def test_progress_bar_only_on_a_terminal(fake_tty):
    tty = fake_tty()
    bar = _common.Progress("grid", 4, stream=tty, delay=0)
    for k in range(1, 5):
        bar.last = None  # no redraw throttling in the test
        bar.update(k)
    bar.close()
    text = tty.getvalue()
    assert "grid [" in text
    assert " 25% 1/4" in text
    assert "100% 4/4" in text
    assert text.endswith("\r")  # the line is cleared at the end
    for stream, quiet in ((fake_tty(), True), (io.StringIO(), False)):
        bar = _common.Progress("grid", 4, quiet=quiet, stream=stream, delay=0)
        bar.update(2)
        bar.close()
        assert stream.getvalue() == ""
    # as a callback, in the forms a long job may call it
    tty = fake_tty()
    bar = _common.Progress("reproduce", stream=tty, delay=0)
    bar("table1", 1, 3)  # reproduce(): before step 1 of 3
    assert "table1 [" in tty.getvalue()
    assert "  0% 0/3" in tty.getvalue()
    bar.last = None
    bar(2, 3, "figure1")  # done 2 of 3
    assert "figure1 [" in tty.getvalue()
    assert " 67% 2/3" in tty.getvalue()
    bar.last = None
    bar(done=3, total=3, label="report")
    assert "100% 3/3" in tty.getvalue()


def test_eval_grid_shows_progress_on_a_terminal(on_terminal, monkeypatch, capsys, kick):
    monkeypatch.setattr(_commands, "CHUNK", 10)
    args = ["eval", "kickstarting", "limit", "--set", "r=1.5:3:5", "--set", "alpha=0:1:6"]
    status, drawn = on_terminal(args)
    assert status == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 31
    want = kick.evaluate("limit", r=np.linspace(1.5, 3, 5)[:, None], alpha=np.linspace(0, 1, 6)[None, :])
    assert [float(row[2]) for row in rows[1:]] == want.ravel().tolist()  # chunked like one call
    assert "kickstarting limit [" in drawn
    assert "30/30" in drawn
    assert on_terminal([*args, "--quiet"]) == (0, "")


def test_a_long_iteration_shows_its_progress_on_a_terminal(on_terminal, capsys):
    args = ["iterate", "kickstarting", "--n", "9000", "--set", "r=2", "--set", "alpha=0.5", "--last"]
    status, drawn = on_terminal(args)
    assert status == 0
    assert float(capsys.readouterr().out.split()[-1]) == pytest.approx(4 / 3, rel=1e-15)  # r / (r - alpha)
    assert "kickstarting iterate [" in drawn
    assert "4096/9000" in drawn
    assert "9000/9000" in drawn
    assert on_terminal([*args, "--quiet"]) == (0, "")


CLAIMS = """
[[claim]]
id = "t1"
model = "kickstarting"
quantity = "limit"
params = { r = "4.2", alpha = "1" }
stated = "1.3125"
source = "a test"

[[claim]]
id = "t2"
model = "kickstarting"
quantity = "limit"
params = { r = "4.2", alpha = "1" }
stated = "1.5"
source = "a test"
"""


def test_check_wiring(monkeypatch, capsys, tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS)
    assert _main.main(["check", str(path), "--format", "json"]) == 1  # one claim is inconsistent
    data = strict_json(capsys.readouterr().out)
    assert [(d["id"], d["consistent"]) for d in data] == [("t1", True), ("t2", False)]
    assert _main.main(["check", str(path)]) == 1
    text = capsys.readouterr().out
    assert "t1: CONSISTENT  stated = 1.3125" in text
    assert "t2: INCONSISTENT  stated = 1.5" in text
    assert text.endswith("2 claims: 1 consistent, 1 not\n")

    def refuse(p):
        raise ValueError("line 4: claim 't1' has no 'params'")

    monkeypatch.setattr(report_claims, "check_file", refuse)
    assert _main.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"symrecycle: error: claims file {path}: line 4: claim 't1' has no 'params'\n"


def test_reproduce_wiring(on_terminal, monkeypatch, capsys, tmp_path):
    calls = []

    def reproduce(out_dir, force=False, progress=None, summary=None):
        calls.append((out_dir, force))
        for k, step in enumerate(("table1", "figure1"), 1):
            progress(step, k, 2)
        summary.append("claims: all 2 consistent; 1 results: 1 verified, 0 not verified, 0 not derived")
        return Path(out_dir) / "report.md"

    monkeypatch.setattr(report_reproduce, "reproduce", reproduce)
    out = tmp_path / "paper"
    status, drawn = on_terminal(["reproduce", "--out", str(out), "--force"])
    assert status == 0
    assert calls == [(str(out), True)]
    assert capsys.readouterr().out == (f"{out / 'report.md'}\n"  # the path, then the one-line summary
                                       "claims: all 2 consistent; 1 results: 1 verified, 0 not verified, "
                                       "0 not derived\n")
    assert "table1 [" in drawn
    assert "figure1 [" in drawn
    assert "1/2" in drawn
    assert on_terminal(["reproduce", "--out", str(out), "--quiet"]) == (0, "")
    assert calls[-1] == (str(out), False)

    def refuse(out_dir, force=False, progress=None, summary=None):
        raise FileExistsError(f"{out_dir} is not empty and was not created by symrecycle; use --force")

    monkeypatch.setattr(report_reproduce, "reproduce", refuse)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _main.main(["reproduce", "--out", str(out)]) == 2
    assert sys.stderr.getvalue() == (
        f"symrecycle: error: reproduce --out {out}: {out} is not empty and was not created by "
        "symrecycle; use --force\n"
    )


def test_common_options_before_or_after_the_command():
    parser = _parser._parser()
    for argv in (["--quiet", "--debug", "models"], ["models", "--quiet", "--debug"],
                 ["models", "-q", "--debug"]):
        args = parser.parse_args(argv)
        assert (args.quiet, args.debug) == (True, True), argv
    args = parser.parse_args(["models"])
    assert (args.quiet, args.debug) == (False, False)


def test_a_model_file_path_is_loaded(monkeypatch, call, kick):
    seen = []

    def load_model(path):
        seen.append(path)
        if path not in ("my.toml", variant_path("reuse-decay")):
            raise ValueError(f"model file {path!r}: no such file")
        return kick

    monkeypatch.setattr(registry_module, "load_model", load_model)
    status, out, err = call("derive", "my.toml", "limit", "--format", "json")
    assert (status, err) == (0, "")
    assert strict_json(out) == kick.limit().to_dict()
    status, out, err = call("eval", "models/other.toml", "limit", "--set", "r=2", "--set", "alpha=1")
    assert (status, out) == (2, "")
    assert err == "symrecycle: error: model file 'models/other.toml': no such file\n"
    assert seen == ["my.toml", "models/other.toml"]
    # a registered name is never read as a file
    assert call("derive", "kickstarting", "limit", "--format", "latex")[1] == kick.limit().latex() + "\n"
    assert seen == ["my.toml", "models/other.toml"]
    # a shipped model file by its name
    status, out, err = call("derive", "reuse-decay", "limit", "--format", "latex")
    assert (status, err) == (0, "")
    assert seen == ["my.toml", "models/other.toml", variant_path("reuse-decay")]


def test_a_shipped_model_file_by_name(call):
    path = variant_path("kickstarting-effective")
    status, out, err = call("iterate", "kickstarting-effective", "--set", "r=2", "--set", "g=1.5",
                            "--set", "alpha=0.5", "--n", "4", "--format", "json")
    assert (status, err) == (0, "")
    d = strict_json(out)
    assert d["model"] == "kickstarting-effective" == sr.load_model(path).name
    # effective compute grows by r*g = 3: B = 1, 1 + 1/6, 1 + 1/6 + 1/36, ...
    assert [p["value"] for p in d["points"]] == pytest.approx([sum(6.0**-k for k in range(j)) for j in
                                                               range(1, 5)], rel=1e-15)


def test_summary_says_what_is_not_derived_and_goes_on(capsys):
    assert _main.main(["summary", "--model", "reuse-decay"]) == 0
    out = capsys.readouterr().out
    assert "reuse-decay closed-form of A: Sum(" in out
    assert "reuse-decay limit of the benefit:\n    1    if rho < 1\n" in out
    assert "  not derived: model 'reuse-decay': iterations-to not derived: the benefit" in out
    assert out.count("not derived: model 'reuse-decay': breakeven not derived") == 3  # r, alpha, rho
    assert out.count("reuse-decay sensitivity to ") == 3
