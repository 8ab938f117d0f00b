"""Inputs that ask too much are refused before work starts; exact inputs read exactly; honest writes.

Each case is a probe that once ran without bound, misread its input, or
reported success on a failed write.
"""

from __future__ import annotations

import errno
import gc
import io
import os
import re
import signal
import sys
import time

import pytest

from symrecycle.cli import common as _common
from symrecycle.cli import main as _main
from symrecycle.core.params import exact_number
from symrecycle.core.results import NoClosedForm
from symrecycle.io.modelfile import load_model
from symrecycle.report import latex as _latex

KICK = ("kickstarting", "--set", "r=4.2", "--set", "alpha=1")


@pytest.fixture
def call(capsys):
    """``_main.main`` in-process: ``(status, stdout, stderr)``, and its time is bounded."""
    def go(*args):
        t = time.monotonic()
        status = _main.main(list(args))
        out, err = capsys.readouterr()
        assert time.monotonic() - t < 30, args
        return status, out, err

    return go


@pytest.mark.parametrize(("args", "says"), [
    (("eval", *KICK, "limit", "--dps", "100000000"), "from 1 to 10000"),
    (("eval", "kickstarting", "benefit", "--set", "r=1:10:100000", "--set", "alpha=0:1:100000"),
     "the grid has 1e+10 points"),
    (("eval", "kickstarting", "benefit", "--set", "r=1:10:1000", "--set", "alpha=0:1:1000", "--dps", "20"),
     "with --dps"),
    (("eval", "kickstarting", "benefit", "--set", "r=1:10:10000000", "--set", "alpha=0:1:10000000",
      "--set", "C1=1:2:10000000"), "the grid has 1e+21 points"),  # refused before any axis is built
    (("iterate", *KICK, "--n", "1000000000000000000"), "from 1 to 100000"),
    (("iterate", *KICK, "--n", "100000000", "--last"), "from 1 to 100000"),
    (("eval", *KICK[:1], "iterations-to", *KICK[1:], "--fraction", "1e-100000000"), "exponent within"),
    (("eval", "kickstarting", "breakeven", "--wrt", "alpha", "--set", "r=4.2", "--level", "1e100000000"),
     "exponent within"),
    (("derive", "kickstarting", "breakeven", "--wrt", "alpha", "--level", "1e100000000"), "exponent within"),
    (("derive", "kickstarting", "breakeven", "--wrt", "alpha", "--level", "1" * 5000), "at most 1000 digits"),
])
def test_oversized_inputs_are_refused_at_once(call, args, says):
    args = [a for a in args if a]
    status, out, err = call(*args)
    assert status == 2
    assert out == ""
    assert says in err
    assert len(err.strip().splitlines()) == 1
    assert len(err) < 500


@pytest.mark.parametrize(("n", "says"), [
    ("1e400", "expected an integer from 1 to 2^53"),
    ("9007199254740993", "not exact in double precision"),
    ("2.5", "expected an integer"),
])
def test_the_iteration_is_read_exactly_or_refused(call, n, says):
    status, _, err = call("eval", "kickstarting", "benefit", "--set", "r=4.2", "--set", "alpha=1", "--n", n)
    assert status == 2
    assert says in err


def test_the_largest_exact_iteration_is_accepted(call):
    status, out, _ = call("eval", "kickstarting", "benefit", "--set", "r=4.2", "--set", "alpha=0", "--n",
                          str(2**53))
    assert status == 0
    assert float(out) == 1.0  # alpha = 0: no benefit at any n


@pytest.mark.parametrize(("value", "says"), [
    ("1e400", "beyond double precision"),
    ("1e-400", "rounds to 0"),
    ("9007199254740993", "not exact in double precision"),
    ("4.2.1", "is not a number"),
])
def test_parameter_values_that_double_precision_would_change_are_refused(call, value, says):
    status, _, err = call("eval", "kickstarting", "limit", "--set", f"r={value}", "--set", "alpha=1")
    assert status == 2
    assert says in err


def test_a_fraction_with_many_nines_is_evaluated(call):
    status, out, _ = call("eval", "kickstarting", "iterations-to", "--set", "r=4.2", "--set", "alpha=1",
                          "--fraction", "0.999999999999999999999999999")
    assert status == 0
    assert 43 < float(out) < 44  # log(1e-27 ...)/log(alpha/r): once a TypeError from numpy's log of a big int


def test_exact_numbers_from_text():
    assert exact_number("1e400") == 10**400
    assert exact_number(" 3/2 ") == exact_number("1.5")
    for bad in ("1e-100000000", "1" * 1001, "2**3", "1/0", "0x10"):
        with pytest.raises(ValueError, match="got"):
            exact_number(bad)


# -- honest output --------------------------------------------------------------------------------
def test_a_full_device_on_stdout_is_an_error(tmp_path):
    import subprocess

    if not os.path.exists("/dev/full"):  # pragma: no cover
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "symrecycle", "eval", "kickstarting", "benefit", "--set",
                            "r=4.2", "--set", "alpha=0.5", "--n", "5"], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=120, check=False)
    assert p.returncode == 2
    assert p.stderr.strip() == "symrecycle: error: No space left on device"


def test_a_failed_write_of_out_leaves_nothing_and_says_so(call, tmp_path, monkeypatch):
    class Full(io.FileIO):  # a disk that is full: every write fails
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "b.csv"
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(fd, "wb"))
    status, _, err = call("eval", "kickstarting", "benefit", "--set", "r=4.2", "--set", "alpha=0.5",
                          "--n", "5", "--out", str(target))
    assert status == 2
    assert err == f"symrecycle: error: --out {target}: cannot write it (No space left on device)\n"
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_regular_files_only(call, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, _, err = call("eval", *KICK[:1], "benefit", *KICK[1:], "--n", "5", "--out", str(fifo), "--force")
    assert status == 2
    assert "not a regular file" in err
    assert fifo.is_fifo()
    status, _, err = call("eval", *KICK[:1], "benefit", *KICK[1:], "--n", "5", "--out", "")
    assert status == 2
    assert "empty name" in err


def test_a_file_that_appears_while_writing_is_kept(call, tmp_path, monkeypatch):
    target = tmp_path / "b.txt"
    real = _common._check_target

    def check_then_someone_writes(option, path, force):
        real(option, path, force)
        target.write_text("theirs")

    monkeypatch.setattr(_common, "_check_target", check_then_someone_writes)
    status, _, err = call("eval", *KICK[:1], "benefit", *KICK[1:], "--n", "5", "--out", str(target))
    assert status == 2
    assert "appeared" in err
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]


# -- output folders: only what symrecycle wrote is replaced -----------------------------------------
def test_an_output_folder_replaces_only_the_files_it_wrote(tmp_path):
    from symrecycle.io import files as _files
    from symrecycle.report.reproduce import prepare_out_dir, write_text

    out = prepare_out_dir(tmp_path / "out")
    write_text(out / "report.md", "generated\n")
    write_text(out / "report.md", "generated again\n")  # its own, unchanged: replaced
    assert (out / "report.md").read_text() == "generated again\n"
    (out / "notes.md").write_text("mine\n")
    with pytest.raises(FileExistsError, match="not written by symrecycle"):
        write_text(out / "notes.md", "generated\n")
    assert (out / "notes.md").read_text() == "mine\n"
    (out / "report.md").write_text("edited by hand\n")
    with pytest.raises(FileExistsError, match="changed since symrecycle wrote it"):
        write_text(out / "report.md", "generated\n")
    assert (out / "report.md").read_text() == "edited by hand\n"
    assert prepare_out_dir(out, force=True) == out  # --force: the user accepts replacing them
    write_text(out / "report.md", "generated\n")
    assert (out / "report.md").read_text() == "generated\n"
    listed = (out / _files.MARKER).read_text().splitlines()
    assert any(line.endswith("  report.md") for line in listed)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary_one(tmp_path):
    from symrecycle.io import files as _files

    def fail(fh):
        fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        _files.write_file(tmp_path / "x.csv", fail)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(IsADirectoryError, match="not a regular file"):
        _files.write_text(tmp_path, "x")


def test_every_output_gets_the_same_mode(tmp_path):
    import shutil

    from symrecycle.io import files as _files

    old = os.umask(0o022)
    try:
        paths = [_files.write_text(tmp_path / "a.txt", "a")]
        if shutil.which("pdflatex"):  # the TeX check of the suite installs it (.ci/run)
            tex = tmp_path / "d.tex"
            tex.write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")
            paths.append(_latex.compile_pdf(tex))
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in paths} == {"0o644"}


# -- iteration of models that leave the reals or any size ----------------------------------------
def _model_file(tmp_path, nxt):
    path = tmp_path / "m.toml"
    path.write_text(f'name = "m"\n[parameters]\nr = "(1, oo)"\nalpha = "[0, 1]"\n[recurrence]\n'
                    f'initial = "1"\nnext = "{nxt}"\n[metric]\nbenefit = "A[n]"\n')
    return str(path)


@pytest.mark.parametrize("nxt", ["r**A[n-1]", "exp(A[n-1])"])
def test_a_tower_is_iterated_to_inf_in_bounded_time(call, tmp_path, nxt):
    status, out, _ = call("iterate", _model_file(tmp_path, nxt), "--set", "r=4.2", "--set", "alpha=0.5",
                          "--n", "40", "--last")
    assert (status, out.strip()) == (0, "inf")  # once an OverflowError, or no end


@pytest.mark.parametrize(("nxt", "says"), [
    ("sqrt(alpha-2)*A[n-1] + 1", "not real"),
    ("1/(log(r*alpha) - log(r) - log(alpha)) + alpha*A[n-1]", "division by zero at n = 2"),
])
def test_an_undefined_step_is_named(call, tmp_path, nxt, says):
    status, _, err = call("iterate", _model_file(tmp_path, nxt), "--set", "r=4.2", "--set", "alpha=1",
                          "--n", "5")
    assert status == 2
    assert says in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("text", "says"), [
    ("claim = [1, 2, 3]\n", "claim 1 is 1, expected a [[claim]] table"),
    ("claim = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
])
def test_a_malformed_claims_file_is_a_user_error(call, tmp_path, text, says):
    path = tmp_path / "claims.toml"
    path.write_text(text)
    status, _, err = call("check", str(path))
    assert status == 2
    assert says in err
    assert len(err.splitlines()) == 1


def test_a_model_file_nested_too_deeply_is_a_user_error(call, tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('name = "m"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n")
    status, _, err = call("derive", str(path), "limit")
    assert status == 2
    assert "nested too deeply" in err


def test_a_value_that_is_not_real_is_nan(call, tmp_path):
    # sqrt(alpha - 2) is imaginary on the whole domain: the benefit at n = 5 is not a real number
    status, out, _ = call("eval", _model_file(tmp_path, "sqrt(alpha-2)*A[n-1] + 1"), "benefit",
                          "--set", "r=4.2", "--set", "alpha=0.5", "--n", "5")
    assert (status, out.strip()) == (0, "nan")  # once a TypeError from float() of an mpmath complex


def test_a_command_stops_at_its_time_limit(call, tmp_path, monkeypatch):
    # a model file: nothing derived before in this process, and the derivation cache off (another test
    # of the run may have derived a model of the same content)
    monkeypatch.setenv("SYMRECYCLE_NO_CACHE", "1")
    # (about 18 s to derive from nothing; the engine once took longer than 0.2 s on three terms)
    path = _model_file(tmp_path, "alpha*A[n-1] + r**n + (alpha/2)**n + (alpha*r)**n + (r/3)**n + (alpha/5)**n"
                                 " + n*(r/2)**n")
    t = time.monotonic()
    status, _, err = call("derive", path, "limit", "--time-limit", "0.2")
    assert time.monotonic() - t < 5
    assert status == 2
    assert err == ("symrecycle: error: derive did not finish within its time limit of 0.2 s (the input asks "
                   "too much of the engine; a larger --time-limit, or symrecycle iterate for numbers)\n")
    monkeypatch.setenv("SYMRECYCLE_TIME_LIMIT", "soon")
    status, _, err = call("derive", path, "limit")
    assert status == 2
    assert "SYMRECYCLE_TIME_LIMIT" in err


def test_a_time_limit_that_is_swallowed_once_fires_again():
    # Python ignores an exception raised in a garbage-collector callback or a __del__: the alarm
    # must come again, or the command runs on past its limit
    swallowed = 0
    t = time.monotonic()
    def swallow_one():
        nonlocal swallowed
        with _main._budget(0.05):
            while True:
                try:  # the loop's test inside the try too: on a busy machine the alarm may come there
                    if time.monotonic() - t >= 5:
                        break
                    time.sleep(0.01)
                except _main._OverBudget:
                    swallowed += 1
                    if swallowed > 1:
                        raise

    with pytest.raises(_main._OverBudget):
        swallow_one()
    assert swallowed == 2
    assert time.monotonic() - t < 0.05 + 4 * _main._AGAIN  # a repeat that meets a collection waits one more


def test_a_time_limit_is_silent_once_its_block_is_left():
    with _main._budget(0.05):
        pass
    time.sleep(0.2 + _main._AGAIN)  # no alarm arrives after the block


@pytest.mark.parametrize(("nxt", "says"), [
    ("alpha*A[n-1] + (r+alpha+1)**100", "alpha appears to the power 100 (the limit is 64)"),
    ("alpha*A[n-1] + ((r+1)**100+1)**100", "r appears to the power 10000"),
    ("alpha*A[n-1] + (r+1)**60*(r+2)**60", "r appears to the power 120"),
    ("alpha*A[n-1] + (r+alpha+1)**40*(r+alpha+2)**20", "expanded, it has up to 1.99e+05 terms"),
    ("n**100*A[n-1] + 1", "n appears to the power 100"),
])
def test_a_model_too_large_for_the_engine_is_refused_at_once(call, tmp_path, nxt, says):
    t = time.monotonic()
    status, out, err = call("derive", _model_file(tmp_path, nxt), "closed-form")
    assert time.monotonic() - t < 2
    assert (status, out) == (2, "")
    assert "too large for the engine" in err
    assert len(err.splitlines()) == 1
    with pytest.raises(NoClosedForm, match=re.escape(says)):  # the reason, in full (the line above is cut)
        load_model(_model_file(tmp_path, nxt)).recurrence("A")
    # its numbers still come from iteration
    status, out, _ = call("iterate", _model_file(tmp_path, nxt), "--set", "r=1.5", "--set", "alpha=0.5",
                          "--n", "3", "--last")
    assert status == 0
    assert float(out) > 0


def test_a_next_term_that_divides_by_zero_everywhere_is_refused(call, tmp_path):
    # log(r*alpha) - log(r) - log(alpha) is 0 for positive r and alpha (once an engine KeyError)
    path = _model_file(tmp_path, "1/(log(r*alpha) - log(r) - log(alpha)) + alpha*A[n-1]")
    for quantity in ("closed-form", "limit"):
        status, _, err = call("derive", path, quantity)
        assert status == 2
        assert "undefined for every value of the parameters" in err
        assert "KeyError" not in err
        assert len(err.splitlines()) == 1


def test_a_long_derivation_shows_its_steps_on_a_terminal(on_terminal, tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRECYCLE_NO_CACHE", "1")  # derived here, not read back
    path = _model_file(tmp_path, "alpha*A[n-1] + (r+1)**n + (r+2)**n + (r+3)**n")
    status, drawn = on_terminal(["derive", path, "closed-form"])
    assert status == 0
    assert "A: forcing terms [" in drawn
    assert "A: certificates [" in drawn
    assert drawn.endswith("\r")  # the line is cleared when the command ends
    assert on_terminal(["derive", path, "limit", "--quiet"]) == (0, "")


def test_a_time_limit_raises_nothing_inside_the_garbage_collector():
    # an exception raised in a collector callback is "ignored" by Python: the alarm must wait for the
    # collection to end. The block's own callbacks (first and last in gc.callbacks) mark a collection.
    marks, ours = [], []

    def a_collection_then_work():
        with _main._budget(0.05):
            ours.extend((gc.callbacks[0], gc.callbacks[-1]))
            ours[0]("start", {})
            time.sleep(0.3)  # alarms arrive meanwhile: none raises
            marks.append(time.monotonic())
            ours[1]("stop", {})
            time.sleep(5)

    with pytest.raises(_main._OverBudget):
        a_collection_then_work()
    assert len(marks) == 1
    assert time.monotonic() - marks[0] < 2 * _main._AGAIN + 0.3  # the next repeat, or the one after
    assert not set(ours) & set(gc.callbacks)  # the block leaves none behind


class _DropsTheSignal:
    """An object whose finalizer meets the signal: Python prints "Exception ignored" and goes on."""

    def __init__(self, exc):
        self.exc = exc

    def __del__(self):
        raise self.exc


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), _main._Terminated()])
def test_a_signal_dropped_inside_a_finalizer_is_raised_again(exc):
    # the handlers of the command line (a suite run in the background may have SIGINT ignored)
    handlers = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: _main._on_sigterm}
    before = {sig: signal.signal(sig, h) for sig, h in handlers.items()}
    t = time.monotonic()

    def a_command_that_runs_on():
        with _main._signals_kept():
            _DropsTheSignal(exc)  # its __del__ runs at once, and its exception is dropped
            while time.monotonic() - t < 10:  # the signal comes again here
                pass

    try:
        with pytest.raises(type(exc)):
            a_command_that_runs_on()
    finally:
        for sig, h in before.items():
            signal.signal(sig, h)
    assert time.monotonic() - t < 5


def test_other_dropped_exceptions_still_reach_the_previous_hook(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))
    with _main._signals_kept():
        _DropsTheSignal(ValueError("a finalizer's own error"))
    assert seen == [ValueError]
