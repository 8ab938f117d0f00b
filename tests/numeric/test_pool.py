"""Worker processes: results in order, time limits kept by killing the worker, Ctrl-C and cancel stop all."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from symrecycle.io.files import MARKER
from symrecycle.io.outputs import prepare_out_dir
from symrecycle.numeric import pool as _processes


def test_no_tasks_start_no_worker():
    assert _processes.run_tasks(math.factorial, [], workers=2) == []


def test_results_come_back_in_the_order_of_the_tasks():
    assert _processes.run_tasks(math.factorial, [(k,) for k in range(8)], workers=2) == [
        math.factorial(k) for k in range(8)]


def test_a_task_over_its_time_limit_is_stopped_and_the_others_still_run():
    t = time.monotonic()
    out = _processes.run_tasks(time.sleep, [(60,), (0,), (0,)], workers=1, time_limit=1)
    assert time.monotonic() - t < 30
    assert isinstance(out[0], _processes.TimedOut)
    assert out[1:] == [None, None]  # time.sleep's answer, from a fresh worker


def test_a_task_that_raises_or_kills_its_worker_is_reported():
    out = _processes.run_tasks(math.sqrt, [(-1,), (4,)], workers=1)
    assert isinstance(out[0], _processes.TaskFailed)
    assert "ValueError" in out[0].message
    assert out[1] == 2.0
    died = _processes.run_tasks(os._exit, [(3,)], workers=1)
    assert isinstance(died[0], _processes.WorkerDied)
    assert died[0].exitcode == 3


def test_cancel_stops_every_worker_at_once():
    cancel = threading.Event()
    threading.Timer(2, cancel.set).start()
    t = time.monotonic()
    with pytest.raises(_processes.Cancelled):
        _processes.run_tasks(time.sleep, [(60,)] * 4, workers=2, cancel=cancel)
    assert time.monotonic() - t < 15
    import multiprocessing

    assert not multiprocessing.active_children()


def _stat(pid):
    """The fields of ``/proc/<pid>/stat`` after the command's name (state, parent, ...); None once gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid):
    kids = (int(d.name) for d in Path("/proc").glob("[0-9]*"))
    return [k for k in kids if (fields := _stat(k)) is not None and int(fields[1]) == pid]


#: seconds of CPU a worker has spent on its task when it is taken to be at its work
BUSY = 0.3


def _cpu(pid):
    """Seconds of CPU ``pid`` has used (infinite once it is gone: nothing to wait for)."""
    fields = _stat(pid)
    return math.inf if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers(pid):
    """The worker processes of ``pid`` and their parents: its fork server's children, else its own."""
    kids = _children(pid)
    forked = [g for k in kids for g in _children(k)]
    return (forked or kids), kids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the worker processes")
@pytest.mark.parametrize(("sig", "status", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                    (signal.SIGTERM, 143, "terminated")])
def test_a_signal_to_the_process_group_ends_reproduce_in_two_seconds(tmp_path, sig, status, word):
    out = tmp_path / "out"
    # SIGINT at its default, as in a terminal: a suite started in the background of a
    # non-interactive shell has it ignored, and the child would inherit that
    p = subprocess.Popen([sys.executable, "-m", "symrecycle", "reproduce", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while len(_workers(p.pid)[0]) < 2 and time.monotonic() < deadline:  # the two parts' workers
        time.sleep(0.2)
    workers, kids = _workers(p.pid)
    assert len(workers) >= 2, "the worker processes did not start"
    while min(map(_cpu, workers)) < BUSY and time.monotonic() < deadline:  # each one at its work
        time.sleep(0.05)
    t = time.monotonic()
    os.killpg(p.pid, sig)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - the defect this test is for
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        pytest.fail(f"no exit 10 s after the signal; stderr: {err.decode()[-2000:]}")
    assert time.monotonic() - t < 2
    assert p.returncode == status, err.decode()[-2000:]
    assert err.decode().strip() == f"symrecycle: {word}", err.decode()
    time.sleep(0.5)
    assert not [w for w in {*workers, *kids} if (fields := _stat(w)) is not None and "Z" not in fields[0]]
    assert not list(out.glob("*.tmp"))
    assert not list(out.glob(".*.tmp"))
    assert (out / MARKER).exists()
    assert prepare_out_dir(out) == out  # a re-run is accepted without --force


def test_a_worker_keeps_to_its_group_then_takes_one_no_other_began():
    groups = ["kick", "aug", "kick", "aug", "real", "kick"]
    todo, begun, handed = list(range(6)), set(), {}
    for worker in ("w1", "w2", "w1", "w1", "w2", "w2"):  # the order in which workers come back idle
        i = _processes._pick(todo, groups, handed.get(worker, (None, None))[1], begun)
        todo.remove(i)
        begun.add(groups[i])
        handed[worker] = (handed.get(worker, ((), None))[0] + (i,), groups[i])
    assert handed["w1"][0] == (0, 2, 5)  # every task of "kick"
    assert handed["w2"][0] == (1, 3, 4)  # "aug", then "real", which no one had begun
    assert _processes.run_tasks(math.factorial, [(k,) for k in range(6)], workers=2, groups=groups) == [
        math.factorial(k) for k in range(6)]
