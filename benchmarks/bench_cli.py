"""Start-up of the command line: wall time of each command beside ``python -c "import sympy"``.

Each command runs as a fresh subprocess, paired with the baseline and interleaved with it (baseline,
command, baseline, command, ...), so that drifts of the machine's load fall on both alike; the table
gives the median wall time of each and the ratio of the medians. The target of the start-up issue:
``eval kickstarting limit`` with a warm derivation cache <= 0.6 s and <= 1.8x the baseline.

Run: python benchmarks/bench_cli.py [--repeat 7] [--commands help,eval,derive,summary,reproduce]
     [--env KEY=VALUE ...] [--arg=ARG ...]
(prints a Markdown table; ``--env`` sets a variable for every subprocess, the baseline too, e.g. a
cache directory; ``--arg`` adds an argument to every command, e.g. ``--arg=--no-cache`` for the
cold times; without it the warm-up run fills the derivation cache and the times are warm ones)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = ("import sympy", [sys.executable, "-c", "import sympy"])

#: name: the arguments of ``symrecycle``
COMMANDS = {
    "help": ["--help"],
    "eval": ["eval", "kickstarting", "limit", "--set", "r=4.2", "--set", "alpha=1"],
    "derive": ["derive", "kickstarting", "limit"],
    "summary": ["summary"],
    # not among the defaults (tens of seconds a run); into a folder of its own, rewritten each time
    "reproduce": ["reproduce", "--out", str(Path(tempfile.mkdtemp(prefix="bench-reproduce-")) / "out"),
                  "--force"],
}
DEFAULT = ("help", "eval", "derive", "summary")


def program():
    """The console script beside this interpreter, else ``python -m symrecycle``."""
    script = Path(sys.executable).with_name("symrecycle")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("symrecycle")
    return [found] if found else [sys.executable, "-m", "symrecycle"]


def wall(argv, env):
    """Wall seconds of one subprocess run (its output discarded; a failure stops the benchmark)."""
    t = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"bench_cli: {' '.join(argv)} exited with {done.returncode}: {done.stderr.strip()}")
    return elapsed


def measure(argv, env, repeat):
    """``(baseline times, command times)``: ``repeat`` interleaved pairs, after one warm-up pair."""
    base, tool = [], []
    wall(BASELINE[1], env)  # warm-up: file-system caches, .pyc files
    wall(argv, env)
    for _ in range(repeat):
        base.append(wall(BASELINE[1], env))
        tool.append(wall(argv, env))
    return base, tool


def parse_env(items):
    env = dict(os.environ)
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"bench_cli: --env {item}: expected KEY=VALUE")
        env[key] = value
    return env


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7, help="interleaved pairs per command (default 7)")
    ap.add_argument("--commands", default=",".join(DEFAULT),
                    help=f"comma-separated subset of: {', '.join(COMMANDS)} (default: {','.join(DEFAULT)})")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="an environment variable for the subprocesses (repeatable)")
    ap.add_argument("--arg", action="append", default=[], metavar="ARG", dest="extra",
                    help="an argument added after each command's own (repeatable; e.g. --arg=--no-cache)")
    args = ap.parse_args(argv)
    names = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = [c for c in names if c not in COMMANDS]
    if unknown or not names or args.repeat < 1:
        ap.error(f"expected --commands from {', '.join(COMMANDS)} and --repeat >= 1")
    env = parse_env(args.env)
    prog = program()

    rows = []
    for name in names:
        base, tool = measure([*prog, *COMMANDS[name], *args.extra], env, args.repeat)
        b, t = statistics.median(base), statistics.median(tool)
        rows.append((" ".join(["symrecycle", *COMMANDS[name], *args.extra]), b, t, t / b))

    extra = ", ".join(args.env)
    print(f"| command ({os.cpu_count()} cores; median of {args.repeat} interleaved pairs"
          f"{'; ' + extra if extra else ''}) | `{BASELINE[0]}` s | command s | ratio |")
    print("|---|---|---|---|")
    for what, b, t, ratio in rows:
        print(f"| `{what}` | {b:.3f} | {t:.3f} | {ratio:.2f} |")
    print(f"\n(Python {sys.version.split()[0]}; {' '.join(prog)})")


if __name__ == "__main__":
    main()
