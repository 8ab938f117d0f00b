"""Worker processes forked from a server process that has already imported what they run (Linux).

Starting a worker as a fresh interpreter costs the interpreter's start and SymPy's import, 0.4-0.9 s
of CPU each time. Here the first worker a process asks for starts a *server* (``python -c``, in a
session of its own, single-threaded), which imports what it is asked to run and forks one worker
per request; a worker then costs a fork.

A worker is what a fresh interpreter would be, as far as its task can tell:

- its pipes, and the parent's standard error, come with the request (as file descriptors);
- so do the parent's environment, working directory and ``sys.path`` as they are at the request
  (a module the server had imported read the environment when the server imported it, as it would
  have in a worker started at the server's start);
- it starts a session of its own (a terminal's Ctrl-C reaches the parent, which stops it).

The server reaps its workers and writes each one's exit status down a pipe the parent holds. The
parent signals a worker through a pidfd, which cannot reach another process that later took the
same pid. Where the platform has no pidfd, :func:`start` returns ``None`` and the caller starts an
interpreter as before.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback

__all__ = ["Forked", "available", "interpreter_env", "prepare", "start"]

_PID = struct.Struct("q")
#: the largest request (the environment is most of it)
_MAX_REQUEST = 1 << 20


def available() -> bool:
    """Whether workers can be forked here: Linux with pidfds that this process may open (a container's
    filter may refuse them)."""
    global _pidfds
    if _pidfds is None:
        _pidfds = hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal") and hasattr(
            socket, "send_fds")
        try:
            os.close(os.pidfd_open(os.getpid()))
        except (OSError, AttributeError):
            _pidfds = False
    return _pidfds


_pidfds: bool | None = None


def _readable(fd: int, timeout) -> bool:
    """Whether ``fd`` is readable within ``timeout`` seconds (``None``: wait without limit)."""
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(None if timeout is None else max(0, int(timeout * 1000))))


class Forked:
    """A worker the server forked: what the pool needs of a ``subprocess.Popen``.

    ``poll()``, ``wait(timeout)`` (``subprocess.TimeoutExpired`` when it runs on), ``terminate()``,
    ``kill()`` and ``returncode``, read from the server's status pipe. Should the server be gone,
    the exit is seen on the pidfd and its status is unknown: ``returncode`` 255.
    """

    def __init__(self, pid: int, status_fd: int, pidfd: int):
        self.pid, self._status, self._pidfd = pid, status_fd, pidfd
        self.returncode = None

    def _ended(self, timeout) -> bool:
        """Wait up to ``timeout`` seconds (``None``: no limit) for the exit; read its status."""
        if self.returncode is not None:
            return True
        if not _readable(self._status, timeout):
            return False
        data = os.read(self._status, _PID.size)
        if len(data) == _PID.size:
            self.returncode = _PID.unpack(data)[0]
        else:  # the server is gone: the pidfd says when the worker ends
            if not _readable(self._pidfd, timeout):
                return False
            self.returncode = 255
        os.close(self._status)
        os.close(self._pidfd)
        return True

    def poll(self):
        self._ended(0)
        return self.returncode

    def wait(self, timeout=None):
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.returncode

    def _signal(self, sig):
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it has just ended
                signal.pidfd_send_signal(self._pidfd, sig)

    def terminate(self):
        self._signal(signal.SIGTERM)

    def kill(self):
        self._signal(signal.SIGKILL)


# -- the parent's side ---------------------------------------------------------------------------------
def interpreter_env() -> dict:
    """The environment of a fresh interpreter started for this process: this one's, with ``PYTHONPATH``
    set to this process's ``sys.path`` (it imports what this one would)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if isinstance(p, str) and p))


class _Server:
    def __init__(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = f"from {__name__} import _server; _server({theirs.fileno()})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                                     start_new_session=True, env=interpreter_env())
        theirs.close()
        self.sock = ours

    def fork(self, request: bytes, fds) -> Forked:
        """The worker forked for ``request`` with ``fds``; ``OSError`` if the server is gone."""
        socket.send_fds(self.sock, [request], fds)
        data, got, _, _ = socket.recv_fds(self.sock, _PID.size, 2)
        if len(data) != _PID.size or len(got) != 2:
            for fd in got:
                os.close(fd)
            raise ConnectionError("the fork server ended")
        return Forked(_PID.unpack(data)[0], *got)

    def close(self):
        self.sock.close()  # the server ends when it reads the end of its socket
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that does not end
            self.proc.kill()
            self.proc.wait()


_server_now: _Server | None = None
_failed = False
_LOCK = threading.Lock()


def start(entry: str, module: str, fds) -> Forked | None:
    """A worker running ``entry`` (``"package.module:function"``), called as ``function(module, *fds)``.

    ``fds``: file descriptors the worker receives as its own (the caller closes its copies); its
    standard output and error are the parent's standard error. ``None`` where forking is not
    available (see :func:`available`) or failed twice: the caller starts a process its own way.
    """
    global _server_now, _failed
    if _failed or not available():
        return None
    fds = [*fds, 2]
    # JSON, not pickle: the server reads data, never code (the environment's values are text)
    request = json.dumps([entry, module, dict(os.environ), os.getcwd(),
                          [p for p in sys.path if isinstance(p, str)]]).encode()
    with _LOCK:
        for _ in range(2):  # a server that ended (killed from outside) is started again, once
            try:
                if _server_now is None:
                    _server_now = _Server()
                return _server_now.fork(request, fds)
            except OSError:
                if _server_now is not None:
                    _server_now.close()
                    _server_now = None
        _failed = True  # forking does not work here: this process starts interpreters from now on
    return None


def prepare(modules) -> None:
    """Start the server now and have it import ``modules`` (names), while this process goes on.

    A command that will ask for workers calls this first: the server's start and imports then take
    the time this process spends on its own imports, not the time after it asks. Nothing happens
    where forking is not available.
    """
    global _server_now
    if _failed or not available():
        return
    request = json.dumps([None, list(modules), {}, "", []]).encode()
    with _LOCK:
        try:
            if _server_now is None:
                _server_now = _Server()
            socket.send_fds(_server_now.sock, [request], [])
        except OSError:  # the first worker asked for starts another server, or a process
            pass


def _shut():
    global _server_now
    with _LOCK:
        if _server_now is not None:
            _server_now.close()
            _server_now = None


def _forget_in_child():
    """After a fork of the parent: the server belongs to the parent; this process starts its own."""
    global _server_now, _LOCK
    if _server_now is not None:
        _server_now.sock.close()
        _server_now.proc.returncode = 0  # not this process's child: nothing to wait for
    _server_now, _LOCK = None, threading.Lock()


atexit.register(_shut)
os.register_at_fork(after_in_child=_forget_in_child)


# -- the server ---------------------------------------------------------------------------------------
def _server(fd: int):
    """The server's loop: a request in, a worker forked, its pid, status pipe and pidfd out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # its wakeup fd ends the select
    signal.set_wakeup_fd(wake_w)
    status: dict[int, int] = {}  # worker pid -> the write end of its status pipe
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ)
        sel.register(wake_r, selectors.EVENT_READ)
        while True:
            ready = {key.fileobj for key, _ in sel.select()}
            if wake_r in ready:
                try:
                    while os.read(wake_r, 4096):
                        pass
                except BlockingIOError:  # drained
                    pass
                _reap(status)
            if sock not in ready:
                continue
            data, fds, _, _ = socket.recv_fds(sock, _MAX_REQUEST, 8)
            if not data:  # the parent is gone
                return
            entry, module, env, cwd, path = json.loads(data)
            names = module if entry is None else (entry.partition(":")[0], module)
            for name in names:  # imported once here, for every worker
                with contextlib.suppress(Exception):  # the worker meets the same error, and says it
                    importlib.import_module(name)
            if entry is None:  # only imports were asked for (see prepare)
                continue
            status_r, status_w = os.pipe()
            pid = None
            try:
                pid = os.fork()
                if pid == 0:
                    _worker(entry, module, env, cwd, path, fds,
                            [fd, sel.fileno(), wake_r, wake_w, status_r, status_w, *status.values()])
                status[pid] = status_w  # closed when it is reaped
                pidfd = os.pidfd_open(pid)
            except OSError:  # no worker, or one the parent could not signal (stopped): the parent is told
                if pid is None:
                    os.close(status_w)
                else:
                    os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still this worker's
                sock.send(b"-")
                for f in (status_r, *fds):
                    os.close(f)
                continue
            socket.send_fds(sock, [_PID.pack(pid)], [status_r, pidfd])
            for f in (status_r, pidfd, *fds):
                os.close(f)


def _reap(status):
    while True:
        try:
            pid, sts = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        w = status.pop(pid, None)
        if w is not None:
            with contextlib.suppress(BrokenPipeError):  # the parent no longer listens
                os.write(w, _PID.pack(os.waitstatus_to_exitcode(sts)))
            os.close(w)


def _worker(entry, module, env, cwd, path, fds, unused):
    """A forked worker: the parent's state as asked, a session of its own, then ``entry``; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for f in unused:
            os.close(f)
        os.setsid()
        *own, err = fds
        os.dup2(err, 1)
        os.dup2(err, 2)
        os.close(err)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.path[:] = path
        mod, _, func = entry.partition(":")
        getattr(importlib.import_module(mod), func)(module, *own)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
