"""The workers: thread pools for the float paths (:func:`thread_pool`), and tasks run in worker
processes (:func:`run_tasks`), each bounded in time by the parent.

The parent hands one task at a time to each worker through a pipe and
watches the clock: a task still running after its time limit has its worker
killed (and a fresh one started), so no signal ever fires inside a worker
while it holds a lock. Workers run in their own session: a Ctrl-C in the
terminal reaches the parent only, which stops every worker and re-raises. A
``cancel`` event set by another thread stops the run the same way.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection, wait

from ..core import sym as _sym
from ..core.runtime import collector_thresholds
from . import forks as _forks

__all__ = ["Cancelled", "TaskFailed", "TimedOut", "WorkerDied", "run_tasks", "thread_pool", "workers"]


#: how often (seconds) the parent looks at the clock and at ``cancel`` while it waits
POLL = 0.1


class Cancelled(Exception):
    """The run was stopped by its ``cancel`` event; every worker is gone.

    Examples
    --------
    >>> import math
    >>> import threading
    >>> stop = threading.Event()
    >>> stop.set()
    >>> run_tasks(math.sqrt, [(4.0,)], workers=1, cancel=stop)
    Traceback (most recent call last):
    ...
    symrecycle.numeric.pool.Cancelled: stopped
    """


class TimedOut:
    """The outcome of a task that ran longer than its time limit (its worker was killed).

    Examples
    --------
    >>> t = TimedOut(2.5)
    >>> t, t.seconds
    (TimedOut(2.5), 2.5)
    """

    def __init__(self, seconds):
        self.seconds = seconds

    def __repr__(self):
        return f"TimedOut({self.seconds:g})"


class WorkerDied:
    """The outcome of a task whose worker process ended without an answer (killed from outside).

    Examples
    --------
    >>> w = WorkerDied(-9)
    >>> w, w.exitcode
    (WorkerDied(-9), -9)
    """

    def __init__(self, exitcode):
        self.exitcode = exitcode

    def __repr__(self):
        return f"WorkerDied({self.exitcode})"


class TaskFailed:
    """The outcome of a task that raised: the exception's type and message.

    Examples
    --------
    >>> f = TaskFailed("ValueError: math domain error")
    >>> f, f.message
    (TaskFailed('ValueError: math domain error'), 'ValueError: math domain error')
    """

    def __init__(self, message):
        self.message = message

    def __repr__(self):
        return f"TaskFailed({self.message!r})"


def _serve(module, inp_fd: int, out_fd: int):
    """A worker's loop on its pipes: import ``module``, say so, then ``(func, args)`` in, result out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    collector_thresholds()  # the program's (forked or not, a worker is one of its processes)
    inp, out = Connection(inp_fd, writable=False), Connection(out_fd, readable=False)
    os.dup2(2, 1)  # what a task prints goes to stderr, not into the answers
    importlib.import_module(module)  # before the clock of the first task starts
    out.send(_READY)
    while True:
        try:
            msg = inp.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if msg is None:
            return
        func, args = msg
        try:
            result = func(*args)
        except Exception as exc:  # the parent reports it; the worker goes on
            result = TaskFailed(f"{type(exc).__name__}: {exc}")
        try:
            out.send(result)
        except (TypeError, AttributeError, ValueError) as exc:  # pragma: no cover - not picklable
            out.send(TaskFailed(f"its result could not be sent back: {exc}"))


_READY = "ready"
_NOTHING = object()


class _Worker:
    def __init__(self, module):
        inp_r, inp_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self.proc = (_forks.start(f"{__name__}:_serve", module, [inp_r, out_w])
                         or self._spawn(module, inp_r, out_w))
        except BaseException:
            os.close(inp_w)
            os.close(out_r)
            raise
        finally:
            os.close(inp_r)
            os.close(out_w)
        self.send_conn = Connection(inp_w, readable=False)
        self.conn = Connection(out_r, writable=False)
        self.ready = False
        self.task = None
        self.group = None
        self.started = 0.0

    @staticmethod
    def _spawn(module, inp: int, out: int) -> subprocess.Popen:
        """A fresh interpreter as the worker, where workers cannot be forked (see :mod:`.forks`)."""
        # a session of its own: the terminal's Ctrl-C goes to the parent, which stops the worker
        code = f"from {__name__} import _serve; _serve({module!r}, {inp}, {out})"
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, pass_fds=(inp, out),
                                start_new_session=True, env=_forks.interpreter_env())

    def give(self, index, func, args):
        self.task, self.started = index, time.monotonic()
        self.send_conn.send((func, args))

    def outcome(self, ready, now, time_limit):
        """What this worker has to say: its answer, a failure, or ``_NOTHING`` yet."""
        if self.conn in ready:
            try:
                return self.conn.recv()
            except (EOFError, OSError):  # its end of the pipe closed: the process ended
                self.proc.wait(2)
                return WorkerDied(self.proc.returncode)
        if self.task is not None and time_limit and now - self.started > time_limit:
            return TimedOut(time_limit)
        return _NOTHING

    def finish(self):
        """Ask an idle worker to end, then stop it."""
        try:
            self.send_conn.send(None)
            self.proc.wait(2)
        except (OSError, subprocess.TimeoutExpired):  # pragma: no cover
            pass
        self.stop()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:  # pragma: no cover - a worker that ignores SIGTERM
                self.proc.kill()
                self.proc.wait()
        self.send_conn.close()
        self.conn.close()


def _pick(todo, groups, group, begun):
    """The task (of ``todo``, indices in order) a worker last on ``group`` takes next.

    The next of its own group, else the first of a group no worker has begun, else the first.

    Examples
    --------
    >>> groups = ["a", "a", "b", "b", "c"]
    >>> _pick([1, 2, 3, 4], groups, "a", {"a"}), _pick([2, 3, 4], groups, "a", {"a", "b"})
    (1, 4)
    >>> _pick([3], groups, "a", {"a", "b", "c"}), _pick([0, 1], [None, None], None, {None})
    (3, 0)
    """
    own = next((i for i in todo if groups[i] is not None and groups[i] == group), None)
    if own is not None:
        return own
    return next((i for i in todo if groups[i] not in begun), todo[0])


def run_tasks(func, tasks, workers: int, time_limit: float | None = None,
              cancel: threading.Event | None = None, groups=None) -> list:
    """``[func(*task) for task in tasks]``, computed in ``workers`` worker processes (see :mod:`.forks`).

    ``func`` must be importable by name (it is pickled); a task that raises
    gives :class:`TaskFailed`, one that takes longer than ``time_limit``
    seconds (from when a started worker takes it) :class:`TimedOut`, and one
    whose worker dies :class:`WorkerDied`. Tasks are handed out in the order given,
    except that with ``groups`` (a key per task) a worker takes the next task of
    the group it last worked on, else of a group no other worker has begun
    (tasks of a group share what a worker computed for the first of them).
    ``KeyboardInterrupt`` (or ``cancel`` set, which raises :class:`Cancelled`)
    stops every worker before it propagates.

    Examples
    --------
    >>> run_tasks(pow, [(2, 3), (3, 2), (2, 4)], workers=2, groups=["a", "b", "a"])
    [8, 9, 16]
    """
    if not tasks:
        return []
    results: list = [None] * len(tasks)
    todo = list(range(len(tasks)))
    groups = list(groups) if groups is not None else [None] * len(tasks)
    begun: set = set()

    def take(w):
        """The index of the next task for worker ``w`` (removed from ``todo``)."""
        pick = _pick(todo, groups, w.group, begun)
        todo.remove(pick)
        w.group = groups[pick]
        begun.add(w.group)
        return pick
    pool: list[_Worker] = []
    try:
        pool = [_Worker(func.__module__) for _ in range(max(1, min(workers, len(tasks))))]
        while pool:
            if cancel is not None and cancel.is_set():
                raise Cancelled("stopped")
            ready = wait([w.conn for w in pool], timeout=POLL)
            now = time.monotonic()
            for k, w in enumerate(list(pool)):
                outcome = w.outcome(ready, now, time_limit)
                if outcome is _NOTHING:
                    continue
                failed = isinstance(outcome, (TimedOut, WorkerDied))
                if not w.ready and not failed:
                    w.ready = True
                elif not w.ready:  # it never started: starting more would fail the same way
                    raise RuntimeError(f"a worker process failed to start (exit code {outcome.exitcode})")
                else:
                    results[w.task] = outcome
                    w.task = None
                if failed:  # this process is no longer usable
                    w.stop()
                    pool[k] = w = _Worker(func.__module__) if todo else None
                if w is not None and w.ready and todo:
                    i = take(w)
                    w.give(i, func, tasks[i])
                elif w is not None and w.ready:  # nothing left for it
                    w.finish()
                    pool[k] = None
            pool = [w for w in pool if w is not None]
        return results
    finally:
        for w in pool:
            w.stop()

#: elements per block of the float path
BLOCK = 1 << 16
#: one thread at a time in mpmath (its precision is a process-wide setting)
_MP_LOCK = _sym.MP_LOCK

_POOLS: dict = {}
_POOLS_LOCK = threading.Lock()


def workers() -> int:
    """Threads for the float paths: the usable cores (``SYMRECYCLE_THREADS`` overrides).

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"SYMRECYCLE_THREADS": "3"}):
    ...     workers()
    3
    """
    env = os.environ.get("SYMRECYCLE_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def thread_pool(purpose: str = "numeric") -> ThreadPoolExecutor:
    """The process's thread pool for ``purpose``, started on first use with :func:`workers` threads.

    Each purpose has its own threads, so work of one kind (drawing samples)
    never waits behind a task of another (evaluating) that waits for it.

    Examples
    --------
    >>> pool = thread_pool()
    >>> pool is thread_pool(), pool.submit(pow, 2, 10).result()
    (True, 1024)
    """
    with _POOLS_LOCK:
        if purpose not in _POOLS:
            _POOLS[purpose] = ThreadPoolExecutor(
                max_workers=workers(), thread_name_prefix=f"symrecycle-{purpose}")
        return _POOLS[purpose]
