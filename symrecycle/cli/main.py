"""The ``symrecycle`` command: dispatch, time limits, signals, and one-line errors."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import sys

from ..core import progress as _progress
from ..core.runtime import collector_thresholds, sympy_cache_size
from .commands import cmd_cache, cmd_derive, cmd_eval, cmd_models, cmd_summary
from .common import Progress, _is_not_derived, _no_closed_form, _one_line
from .numbers import cmd_check, cmd_cross_check, cmd_iterate, cmd_mc, cmd_reproduce, cmd_sensitivity
from .parser import _PROGRESS_COMMANDS, TIME_LIMIT, UserError, _parser, _seconds

COMMANDS = {
    "models": cmd_models, "derive": cmd_derive, "summary": cmd_summary, "eval": cmd_eval,
    "mc": cmd_mc, "sensitivity": cmd_sensitivity, "iterate": cmd_iterate,
    "check": cmd_check, "reproduce": cmd_reproduce, "cache": cmd_cache, "cross-check": cmd_cross_check,
}


_AGAIN = 0.5  # seconds between repeats of the time limit's alarm


class _OverBudget(BaseException):
    """The command's time limit passed (a BaseException: the engine's handlers let it through)."""


def _time_limit(args):
    if hasattr(args, "time_limit"):
        return args.time_limit
    env = os.environ.get("SYMRECYCLE_TIME_LIMIT")
    if env:
        try:
            return _seconds(env)
        except argparse.ArgumentTypeError as exc:
            raise UserError(f"SYMRECYCLE_TIME_LIMIT: {exc}") from None
    return None if args.command in _PROGRESS_COMMANDS else TIME_LIMIT


@contextlib.contextmanager
def _budget(seconds):
    """Raise :class:`_OverBudget` in the main thread after ``seconds`` (SIGALRM; nothing elsewhere).

    The alarm repeats every half second until the block is left, and it raises nothing while the
    garbage collector runs: Python ignores an exception raised in a collector callback or a
    ``__del__``, so that alarm would be lost and the command would run on.
    """
    import signal
    import threading

    if not seconds or not hasattr(signal, "setitimer") or (
            threading.current_thread() is not threading.main_thread()):
        yield
        return

    active, collecting = [True], [False]

    def over(_signum, _frame):
        if active[0] and not collecting[0]:  # never inside the collector: the alarm comes again
            raise _OverBudget

    def starts(phase, _info):  # the first of the collector's callbacks, and the last
        if phase == "start":
            collecting[0] = True

    def stops(phase, _info):
        if phase == "stop":
            collecting[0] = False

    gc.callbacks.insert(0, starts)
    gc.callbacks.append(stops)
    old = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, seconds, _AGAIN)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        for callback in (starts, stops):
            with contextlib.suppress(ValueError):
                gc.callbacks.remove(callback)
        signal.signal(signal.SIGALRM, old)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(_signum, _frame):
    raise _Terminated


@contextlib.contextmanager
def _signals_kept():
    """A Ctrl-C or SIGTERM whose exception Python drops is raised again in the main thread.

    The handler raises where the main thread is; inside a ``__del__``, a weak reference's callback
    or a collector callback, Python prints "Exception ignored in" and goes on, and the command would
    run to its end. Python hands such an exception to ``sys.unraisablehook``: there, this one has the
    signal sent to the main thread once more, a moment later (sent at once, it would be raised inside
    the hook and dropped again).
    """
    import signal
    import threading

    previous, pending = sys.unraisablehook, []

    def hook(unraisable):
        exc = unraisable.exc_value
        if isinstance(exc, KeyboardInterrupt):
            sig = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
            again = threading.Timer(_AGAIN / 10, signal.pthread_kill, (threading.main_thread().ident, sig))
            again.daemon = True
            pending.append(again)
            again.start()
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
        for again in pending:  # the command has ended: nothing is sent after it
            again.cancel()


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0, 1 or 2; 130 after Ctrl-C, 143 after SIGTERM)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with _signals_kept():
            return _main(argv)
    except KeyboardInterrupt as exc:  # between the command's own handlers
        return _interrupted(exc)
    finally:
        signal.signal(signal.SIGTERM, old)


def run():
    """The program: :func:`main`, then exit with its status.

    The process leaves with its output flushed and the exit handlers run (``atexit``, which also
    removes what ``tempfile`` left), without the interpreter's teardown of every module and object:
    the command has written and closed its files, and after a derivation that teardown took 0.3-0.4 s
    (a third of ``symrecycle eval`` from the cache). After a signal (130, 143) the interpreter's
    own shutdown would also take a KeyboardInterrupt it still sees in flight for an unhandled one, and
    end the process by SIGINT instead of with the status.
    """
    sympy_cache_size()
    collector_thresholds()
    status = main()
    _flush()
    atexit._run_exitfuncs()
    _flush()  # what an exit handler printed
    os._exit(status)


def _flush():
    """Flush stdout and stderr where they are open (either may be closed, or None when started closed)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()


def _drop_stdout():
    """What is still buffered for stdout is dropped (its write failed; Python would try again at exit)."""
    with contextlib.suppress(OSError, ValueError):  # no stdout at all
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _interrupted(exc):
    """One line and the shell's status for a signal: 130 for SIGINT (Ctrl-C), 143 for SIGTERM."""
    term = isinstance(exc, _Terminated)
    print(f"symrecycle: {'terminated' if term else 'interrupted'}", file=sys.stderr)
    return 143 if term else 130


def _main(argv):
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return 0 if not exc.code else 2
    if args.command is None:
        parser.print_help()
        return 0
    args.quiet = getattr(args, "quiet", False)
    debug = getattr(args, "debug", False)
    try:
        limit = _time_limit(args)
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    # the engine names its steps (forcing terms, cases, certificates): a long derivation shows them
    bar = Progress(quiet=args.quiet or args.command in _PROGRESS_COMMANDS)
    try:
        with _budget(limit), _progress.reporting(bar), _cache_off(getattr(args, "no_cache", False)):
            try:
                status = COMMANDS[args.command](args, sys.stdout)
            finally:
                bar.close()  # the line is cleared before any message
            sys.stdout.flush()
    except _OverBudget:
        _drop_stdout()
        print(f"symrecycle: error: {args.command} did not finish within its time limit of {limit:g} s "
              "(the input asks too much of the engine; a larger --time-limit, or symrecycle iterate for "
              "numbers)", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        _drop_stdout()
        return 0
    except OSError as exc:  # the system refused a read or a write: a full disk, /dev/full, a closed stdout
        _drop_stdout()
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"symrecycle: error: {exc.strerror or _one_line(exc)}{where}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:
        model = args.model if isinstance(getattr(args, "model", None), str) else "MODEL"
        if not _is_not_derived(exc):
            return _internal_error(exc, debug)
        print(f"symrecycle: error: {_no_closed_form(exc, model)}", file=sys.stderr)
        return 2
    except Exception as exc:
        return _internal_error(exc, debug)
    return status or 0


@contextlib.contextmanager
def _cache_off(off):
    """``--no-cache``: SYMRECYCLE_NO_CACHE=1 for the command (its worker processes too), as it was after."""
    if not off:
        yield
        return
    before = os.environ.get("SYMRECYCLE_NO_CACHE")
    os.environ["SYMRECYCLE_NO_CACHE"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["SYMRECYCLE_NO_CACHE"]
        else:
            os.environ["SYMRECYCLE_NO_CACHE"] = before


def _internal_error(exc, debug):
    """Exit status 1 with a short message (and the traceback with --debug)."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    print(f"symrecycle: internal error: {type(exc).__name__}: {_one_line(exc)}"
          + ("" if debug else " (run with --debug for the traceback)"), file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
