"""Shared fixtures and Hypothesis settings for the symrecycle tests."""

from __future__ import annotations

import atexit
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from symrecycle.core.runtime import collector_thresholds, sympy_cache_size

sympy_cache_size()  # SymPy's cache as the program has it (before SymPy is imported; subprocesses inherit it)
collector_thresholds()  # and the garbage collector's

import symrecycle as sr  # noqa: E402

# No example database on disk (keeps the checkout clean); no per-example
# deadline: a SymPy substitution may take a few milliseconds more on CI. Two profiles:
# "symrecycle" (the default, fast) and "thorough", ten times the examples of every property
# (SYMRECYCLE_HYPOTHESIS=thorough python -m pytest); a test that pins its count scales it by
# settings.default.max_examples / 100.
settings.register_profile("symrecycle", database=None, deadline=None, max_examples=100)
settings.register_profile("thorough", database=None, deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("SYMRECYCLE_HYPOTHESIS", "symrecycle"))

# The derivation cache of the whole run, shared by its worker processes and the command-line
# subprocesses (they inherit it): never the user's own, empty at the start, removed at the end by the
# process that made it. A derivation is then derived once per run.
_CACHE = os.environ.get("SYMRECYCLE_TEST_CACHE")
if not _CACHE:
    _CACHE = os.environ["SYMRECYCLE_TEST_CACHE"] = tempfile.mkdtemp(prefix="symrecycle-test-cache-")
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
os.environ["SYMRECYCLE_CACHE_DIR"] = _CACHE
os.environ.pop("SYMRECYCLE_NO_CACHE", None)


def pytest_unconfigure(config):
    """Each process of the run (this one and every xdist worker) leaves without the interpreter's last
    garbage collection: it would walk every object the tests made, for nothing, as the process ends (1.8 s
    after 45 s of tests in one process; the whole run ended 3.4 s sooner after its last test). The exit
    handlers still run."""
    atexit.register(gc.freeze)  # registered last, so run first: the collection at exit then skips it all


@pytest.fixture(scope="session")
def kick():
    return sr.get_model("kickstarting")


@pytest.fixture(scope="session")
def aug():
    return sr.get_model("augmentation")


@pytest.fixture
def pdflatex():
    """Skips a test that compiles LaTeX where pdflatex is not installed (fails it in CI)."""
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is missing in CI: .ci/run installs texlive-latex-base and -recommended")
        pytest.skip("pdflatex is not installed on this machine (shutil.which('pdflatex') is None)")


@pytest.fixture(scope="session")
def forked():
    """``run(lines, cwd, jobs=3) -> [CompletedProcess]``: each line in a process of its own, forked from
    one that imported the package once (``tests/forkrun.py``), ``jobs`` at once. A line is a tuple of
    arguments to ``symrecycle``, or ``{"script": path, "args": [...]}`` (``python path args``)."""
    def run(lines, cwd, jobs=3):
        entries = [[list(a["args"]), str(cwd), str(a["script"])] if isinstance(a, dict) else
                   [list(a), str(cwd), None] for a in lines]
        # its own process group: on a timeout the runner and every child it forked are stopped
        p = subprocess.Popen([sys.executable, str(Path(__file__).with_name("forkrun.py")), str(jobs)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            stdout, stderr = p.communicate(json.dumps(entries), timeout=600)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
        assert p.returncode == 0, stderr
        return [subprocess.CompletedProcess([e[2] or "symrecycle", *e[0]], rc, out, err)
                for e, (rc, out, err) in zip(entries, json.loads(stdout), strict=True)]

    return run
