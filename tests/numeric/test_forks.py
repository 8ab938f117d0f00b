"""Forked workers: a worker sees the parent's state as it is at the request, in a session of its own,
and a server that is gone, or a fork of the parent, gets a server of its own."""

from __future__ import annotations

import errno
import gc
import json
import os
import signal
import socket
import sys
import time

import pytest

from symrecycle.core.runtime import COLLECTOR_THRESHOLDS
from symrecycle.numeric import forks as _forks
from symrecycle.numeric import pool as _processes

pytestmark = pytest.mark.skipif(not _forks.available(), reason="workers are forked only with pidfds (Linux)")


def _state(name):
    """What a task sees of its process: a variable, its directory, its path, its session, its parent."""
    return os.environ.get(name), os.getcwd(), list(sys.path), os.getsid(0) == os.getpid(), os.getppid()


def test_a_worker_sees_the_environment_directory_and_path_of_the_request(tmp_path, monkeypatch):
    _processes.run_tasks(os.getpid, [()], workers=1)  # the server starts with the state of now
    monkeypatch.setenv("SYMRECYCLE_FORK_TEST", "set after the server started")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path / "extra"))
    value, cwd, path, own_session, parent = _processes.run_tasks(_state, [("SYMRECYCLE_FORK_TEST",)],
                                                                 workers=1)[0]
    assert value == "set after the server started"
    assert _processes.run_tasks(_state, [("HOME",)], workers=1)[0][0] is None  # unset here, set there
    assert cwd == str(tmp_path)
    assert path[0] == str(tmp_path / "extra")
    assert own_session
    assert parent == _forks._server_now.proc.pid  # forked by the server, not started by this process


def test_what_a_task_prints_goes_to_the_parents_stderr_now(capfd):
    _forks._shut()
    with capfd.disabled():  # a server started while stderr was another file
        _processes.run_tasks(os.getpid, [()], workers=1)
    assert _processes.run_tasks(print, [("printed by a task",)], workers=1) == [None]
    out, err = capfd.readouterr()
    assert "printed by a task" in err
    assert "printed by a task" not in out


def test_a_server_killed_from_outside_is_replaced():
    _processes.run_tasks(os.getpid, [()], workers=1)
    old = _forks._server_now.proc
    old.kill()
    old.wait()
    pids = _processes.run_tasks(os.getppid, [()] * 2, workers=2)
    assert pids[0] == pids[1] == _forks._server_now.proc.pid != old.pid


def test_a_worker_killed_from_outside_is_reported_with_its_signal():
    out = _processes.run_tasks(os.kill, [(0, signal.SIGKILL)], workers=1)  # 0: the worker's own group
    assert isinstance(out[0], _processes.WorkerDied)
    assert out[0].exitcode == -signal.SIGKILL


def test_a_fork_of_the_parent_starts_a_server_of_its_own():
    _processes.run_tasks(os.getpid, [()], workers=1)
    parent_server = _forks._server_now.proc.pid
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(r)
            got = _processes.run_tasks(os.getppid, [()], workers=1)[0]
            mine = _forks._server_now.proc.pid
            os.write(w, f"{got} {mine}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as fh:
        got, mine = map(int, fh.read().split())
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == mine != parent_server
    assert _processes.run_tasks(os.getppid, [()], workers=1) == [parent_server]  # the parent's, untouched


def test_without_forks_the_worker_is_a_fresh_interpreter(monkeypatch):
    monkeypatch.setattr(_forks, "available", lambda: False)
    t = time.monotonic()
    assert _processes.run_tasks(os.getppid, [()], workers=1) == [os.getpid()]
    assert time.monotonic() - t < 60


@pytest.mark.parametrize("forked", [True, False])
def test_a_worker_has_the_programs_collector_thresholds(monkeypatch, forked):
    # forked from the server, or a fresh interpreter: neither inherits this process's (set by conftest)
    if not forked:
        monkeypatch.setattr(_forks, "available", lambda: False)
    assert _processes.run_tasks(gc.get_threshold, [()], workers=1) == [COLLECTOR_THRESHOLDS]


def _imported(name):
    return name in sys.modules


def test_what_prepare_imports_is_in_every_worker_before_it_starts():
    _forks._shut()
    name = "xml.dom.minidom"  # imported by nothing here
    assert _processes.run_tasks(_imported, [(name,)], workers=1) == [False]
    _forks.prepare([name])
    assert _processes.run_tasks(_imported, [(name,)] * 2, workers=2) == [True, True]


def test_prepare_does_nothing_where_workers_are_not_forked(monkeypatch):
    _forks._shut()
    monkeypatch.setattr(_forks, "available", lambda: False)
    _forks.prepare(["xml.dom.minidom"])
    assert _forks._server_now is None



def test_a_server_whose_fork_fails_says_so_and_goes_on():
    # the server in a child of this test, with os.fork refused there (as where a process limit is met)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            ours.close()

            def refuse():
                raise OSError(errno.EAGAIN, "fork refused")

            os.fork = refuse
            _forks._server(theirs.fileno())
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    server = object.__new__(_forks._Server)
    server.sock = ours
    request = json.dumps(["math:factorial", "math", {}, os.getcwd(), sys.path]).encode()
    for _ in range(2):  # told, and still serving
        r, w = os.pipe()
        with pytest.raises(ConnectionError):
            server.fork(request, [r, w, 2])
        os.close(r)
        os.close(w)
    ours.close()  # the server reads the end of its socket and returns
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_no_forks_where_pidfds_are_refused(monkeypatch):
    def refused(pid, flags=0):
        raise PermissionError(errno.EPERM, "refused by the container's filter")

    monkeypatch.setattr(_forks, "_pidfds", None)
    monkeypatch.setattr(os, "pidfd_open", refused)
    assert _forks.available() is False
    monkeypatch.setattr(_forks, "_pidfds", None)
    monkeypatch.undo()
    assert _forks.available() is True
