"""Run many ``symrecycle`` command lines, each in a process of its own, paying the imports once.

``python tests/forkrun.py JOBS`` (the fixture ``forked`` of ``tests/conftest.py``) reads a JSON
list of ``[args, cwd, script]`` from stdin and writes a JSON list of ``[status, stdout, stderr]``,
in order. This process imports the command line and the libraries its commands use, then forks one
child per command line (at most ``JOBS`` at once): the child runs the console entry point
(``symrecycle.cli.main.run``), or the script ``script`` where it is not null (as ``python script``
runs it), with ``sys.argv`` set, its stdout and stderr files of its own, and ends with the status
the interpreter would end it with.
A child starts from the parent's state, so nothing one command does reaches another.

What forking leaves out, the start-up of a fresh interpreter (``python -m symrecycle``, imports
only what a command needs), is tested by real subprocesses: ``tests/cli/test_startup.py`` and the
runs of ``tests/cli/test_cli.py`` that need one (a closed pipe, no matplotlib).
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import shutil
import sys
import tempfile
import traceback


def _child(args, cwd, script, out_path, err_path):
    status = 1
    try:
        os.chdir(cwd)
        for fd, path in ((1, out_path), (2, err_path)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        sys.argv = [script or "symrecycle", *args]
        try:
            if script:
                sys.path[0] = os.path.dirname(os.path.abspath(script))
                runpy.run_path(script, run_name="__main__")
            else:
                from symrecycle.cli.main import run

                run()
            status = 0
        except SystemExit as exc:  # as the interpreter ends on it
            if exc.code is None or isinstance(exc.code, int):
                status = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:  # an uncaught exception: its traceback, status 1
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)


def main():
    jobs = max(1, int(sys.argv[1]))
    lines = json.load(sys.stdin)
    # what the commands import, imported once here (a child inherits it)
    import matplotlib.figure  # noqa: F401
    import scipy.stats  # noqa: F401
    import sympy  # noqa: F401
    from SALib.analyze import sobol  # noqa: F401
    from SALib.sample import sobol as _sample  # noqa: F401

    import symrecycle.cli.commands
    import symrecycle.cli.main
    import symrecycle.models.catalogue
    import symrecycle.report.reproduce
    import symrecycle.uncertainty.montecarlo  # noqa: F401

    sys.stdout.flush()
    sys.stderr.flush()
    results = [None] * len(lines)
    running = {}
    # a folder without a finalizer: a child runs the exit handlers it inherits (as the command line
    # does on leaving), and a TemporaryDirectory's would remove the folder under the others
    tmp = tempfile.mkdtemp(prefix="forkrun-")
    try:
        todo = list(enumerate(lines))
        while todo or running:
            while todo and len(running) < jobs:
                i, (args, cwd, script) = todo.pop(0)
                paths = (os.path.join(tmp, f"{i}.out"), os.path.join(tmp, f"{i}.err"))
                pid = os.fork()
                if pid == 0:
                    _child(args, cwd, script, *paths)
                running[pid] = (i, paths)
            pid, wait_status = os.wait()
            i, (out_path, err_path) = running.pop(pid)
            with open(out_path, encoding="utf-8", errors="replace") as f, \
                    open(err_path, encoding="utf-8", errors="replace") as g:
                results[i] = [os.waitstatus_to_exitcode(wait_status), f.read(), g.read()]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
