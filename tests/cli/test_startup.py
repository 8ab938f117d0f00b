"""A lean start-up: each command imports what it needs, and no more.

``symrecycle --help`` (and any parse) imports the standard library only; the symbolic and numeric
commands import neither matplotlib, SciPy nor SALib (those are for ``mc`` and ``sensitivity``, and
matplotlib for their figures only). Each check runs in a fresh interpreter, where ``sys.modules``
shows what was imported; it fails when someone adds an eager import back.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest

import symrecycle as sr
from symrecycle.core.runtime import COLLECTOR_THRESHOLDS

HEAVY = ("matplotlib", "scipy", "SALib", "pandas")
#: the engine: not for parsing the command line or ``--help``
ENGINE = ("sympy", "numpy", "mpmath", *HEAVY)

#: command lines parsed (not run), each as the parser sees it
PARSED = [
    ["eval", "kickstarting", "limit", "--set", "r=4.2", "--set", "alpha=1"],
    ["derive", "kickstarting", "limit"],
    ["summary"],
    ["check", "claims.toml"],
    ["iterate", "kickstarting", "--set", "r=4.2", "--n", "5"],
    ["mc", "kickstarting", "limit", "--set", "r=uniform 2 to 6", "--fan", "fan.png"],
    ["sensitivity", "kickstarting", "limit", "--set", "r=uniform 2 to 6"],
]

#: command lines run in-process (quick ones: one small derivation at most)
RUN = [
    ["eval", "kickstarting", "limit", "--set", "r=4.2", "--set", "alpha=1"],
    ["iterate", "kickstarting", "--set", "r=4.2", "--set", "alpha=1", "--n", "5", "--last"],
]

SCRIPT = f"""
import contextlib, io, json, sys

def loaded(names):
    return sorted(m for m in names if m in sys.modules)

report = {{}}
from symrecycle.cli import main as _main
from symrecycle.cli.parser import _parser

for argv in {PARSED!r}:
    _parser().parse_args(argv)
with contextlib.redirect_stdout(io.StringIO()):
    _main.main(["--help"])
    _main.main(["eval", "--help"])
report["parsed"] = loaded({ENGINE!r})

import symrecycle
symrecycle.__all__, symrecycle.__version__
report["face"] = loaded({ENGINE!r})

out = io.StringIO()
for argv in {RUN!r}:
    with contextlib.redirect_stdout(out):
        status = _main.main(argv)
    assert status == 0, (argv, status)
report["output"] = out.getvalue().split()
report["run"] = loaded({HEAVY!r})
print(json.dumps(report))
"""


def test_commands_import_only_what_they_need():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["parsed"] == [], "parsing and --help import the standard library only"
    assert report["face"] == [], "import symrecycle imports its public names on first use"
    assert report["run"] == [], "eval and iterate import neither matplotlib, SciPy, SALib nor pandas"
    limit, fifth = map(float, report["output"])
    assert limit == 1.3125  # r / (r - alpha) at r = 4.2, alpha = 1
    assert 1 < fifth < limit


def test_the_face_names_its_public_api_lazily():
    model = importlib.import_module("symrecycle.models.model")  # binds nothing over sr.models

    assert callable(sr.models)
    assert sr.models() == ["augmentation", "kickstarting"]
    assert set(sr.__all__) <= set(dir(sr))
    for name in sr.__all__:
        assert getattr(sr, name) is not None, name
    assert sr.Model is model.Model
    assert sr.__version__ == sr.VERSION
    namespace = {}
    exec("from symrecycle import *", namespace)
    assert set(sr.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no_such_name"):
        sr.no_such_name  # noqa: B018


WARM = """
import contextlib, io, json, sys
from symrecycle.cli.main import main

with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main(["eval", "kickstarting", "limit", "--set", "r=4.2", "--set", "alpha=1"])
extra = ("numpy.testing", "numpy.ma", "numpy.random", "unittest", "sympy.physics")
loaded = sorted(m for m in sys.modules if m.startswith("symrecycle.solve") or m in extra)
print(json.dumps({"status": status, "value": out.getvalue().strip(), "loaded": loaded}))
"""


def test_a_result_read_from_the_cache_imports_no_solver(tmp_path):
    """The second eval reads the limit from the derivation cache: no solver, no lambdify star import.

    The first derives it without the physical-units package that ``sympy.simplify`` imports.
    """
    env = {**os.environ, "SYMRECYCLE_CACHE_DIR": str(tmp_path)}
    env.pop("SYMRECYCLE_NO_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", WARM], capture_output=True, text=True, timeout=120,
                           check=False, env=env) for _ in range(2)]
    first, second = (json.loads(r.stdout.splitlines()[-1]) for r in runs)
    assert (first["status"], first["value"]) == (0, "1.3125")
    assert any(m.startswith("symrecycle.solve") for m in first["loaded"])  # derived: the solvers ran
    assert "sympy.physics" not in first["loaded"]  # simplify's units package: 0.1 s for nothing here
    assert second == {"status": 0, "value": "1.3125", "loaded": []}


@pytest.mark.parametrize(("args", "status"), [(["models"], 0), (["derive", "nosuchmodel", "limit"], 2)])
def test_the_program_leaves_with_its_status_its_output_and_its_exit_handlers_run(tmp_path, args, status):
    # run() leaves without the interpreter's teardown: what was printed and the exit handlers must not
    # be lost (a temporary folder's finalizer is one)
    code = ("import atexit, sys, tempfile\n"
            "kept = tempfile.TemporaryDirectory(dir=sys.argv[1])\n"
            "atexit.register(print, 'exit handler ran')\n"
            f"sys.argv = ['symrecycle', *{args!r}]\n"
            "from symrecycle.cli.main import run\n"
            "run()\n")
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.returncode == status, p.stderr
    assert p.stdout.rstrip().endswith("exit handler ran")
    assert ("kickstarting" in p.stdout) is (status == 0)
    assert ("nosuchmodel" in p.stderr) is (status == 2)
    assert list(tmp_path.iterdir()) == []  # the TemporaryDirectory was removed on leaving


def test_a_closed_stdout_still_leaves_with_the_status_of_the_command():
    # started with stdout closed, Python has sys.stdout None: leaving must not trip over it
    p = subprocess.run(["bash", "-c", f"'{sys.executable}' -m symrecycle derive nosuchmodel limit >&-"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 2, p.stderr
    assert "nosuchmodel" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize(("env", "size"), [(None, 10000), ("500", 500)])
def test_the_program_sets_sympys_cache_unless_the_environment_does_and_the_collectors_thresholds(env, size):
    # (Python's own thresholds are 700, 10, 10)
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('cache', __import__('sympy').core.cache.SYMPY_CACHE_SIZE,\n"
            "                              'collector', *gc.get_threshold()))\n"
            "sys.argv = ['symrecycle', 'derive', 'kickstarting', 'limit', '--no-cache']\n"
            "from symrecycle.cli.main import run\n"
            "run()\n")
    environ = {k: v for k, v in os.environ.items() if k != "SYMPY_CACHE_SIZE"}
    if env is not None:
        environ["SYMPY_CACHE_SIZE"] = env
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                       env=environ)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip().endswith(f"cache {size} collector {' '.join(map(str, COLLECTOR_THRESHOLDS))}")
