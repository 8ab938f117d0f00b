"""Inputs that ask too much are refused before work starts; exact inputs read exactly; honest writes.

Each case is a probe that once ran without bound, misread its input, or
reported success on a failed write.
"""

from __future__ import annotations

import errno
import os
import time

import pytest

from symrecycle import cli
from symrecycle.params import exact_number

KICK = ("kickstarting", "--set", "r=4.2", "--set", "alpha=1")


@pytest.fixture
def call(capsys):
    """``cli.main`` in-process: ``(status, stdout, stderr)``, and its time is bounded."""
    def go(*args):
        t = time.monotonic()
        status = cli.main(list(args))
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
    import sys

    if not os.path.exists("/dev/full"):  # pragma: no cover
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "symrecycle", "eval", "kickstarting", "benefit", "--set",
                            "r=4.2", "--set", "alpha=0.5", "--n", "5"], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=120, check=False)
    assert p.returncode == 2
    assert p.stderr.strip() == "symrecycle: error: No space left on device"


def test_a_failed_write_of_out_leaves_nothing_and_says_so(call, tmp_path, monkeypatch):
    target = tmp_path / "b.csv"
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.fh.close()

    monkeypatch.setattr(cli.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    status, _, err = call("eval", "kickstarting", "benefit", "--set", "r=4.2", "--set", "alpha=0.5",
                          "--n", "5", "--out", str(target))
    assert status == 2
    assert "No space left on device" in err
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
    real = cli._check_target

    def check_then_someone_writes(option, path, force):
        real(option, path, force)
        target.write_text("theirs")

    monkeypatch.setattr(cli, "_check_target", check_then_someone_writes)
    status, _, err = call("eval", *KICK[:1], "benefit", *KICK[1:], "--n", "5", "--out", str(target))
    assert status == 2
    assert "appeared" in err
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]
