"""Numeric backend benchmarks: ratios against baselines measured in the same run.

Run: python benchmarks/bench_numeric.py [--repeat PAIRS] [--floor-only]   (prints a Markdown table)

Every ratio is the ratio of medians of paired runs in one process: tool,
baseline, tool, baseline, ... (``--repeat`` pairs, default 21), so that a
slow spell of the machine falls on both. The thread counts are printed with
the table: numpy's elementwise loops run on one thread (BLAS thread settings do
not apply to them); the toolkit's float path runs its blocks on
``symrecycle.numeric.pool.workers()`` threads (``SYMRECYCLE_THREADS`` overrides).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
import sympy as sp

import symrecycle as sr
from symrecycle.numeric.pool import BLOCK, workers

#: threadpool settings read by BLAS / OpenMP libraries (none affects numpy's elementwise ufuncs)
THREAD_VARS = ("SYMRECYCLE_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def paired(tool, floor, repeat=21):
    """Medians of ``repeat`` interleaved wall times (tool, floor, tool, floor, ...), in seconds."""
    t_tool, t_floor = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        tool()
        t_tool.append(time.perf_counter() - t)
        t = time.perf_counter()
        floor()
        t_floor.append(time.perf_counter() - t)
    return float(np.median(t_tool)), float(np.median(t_floor))


def threads_line():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    env = ", ".join(f"{k}={os.environ[k]}" for k in THREAD_VARS if k in os.environ) or "none set"
    return (f"threads: os.cpu_count() = {os.cpu_count()}, usable cores = {usable}; thread variables: {env}; "
            f"numpy elementwise (the floor): 1 thread; toolkit float path: {workers()} thread(s) "
            f"over blocks of {BLOCK} elements")


def floor_rows(repeat):
    """Toolkit / hand-written numpy (the floor) on 1000 x 1000 grids, at n = 50 and at n = inf."""
    rows = []
    m = sr.get_model("kickstarting")
    r = np.linspace(1.05, 12.0, 1000)[:, None]
    alpha = np.linspace(0.0, 1.0, 1000)[None, :]
    # warm the caches (symbolic derivation and compilation are one-off costs)
    m.evaluate("benefit", r=r[:2], alpha=alpha, n=50)
    m.evaluate("limit", r=r[:2], alpha=alpha)

    def kick50():
        return r * (1 - (alpha / r) ** 50) / (r - alpha)

    def kickinf():  # the same Piecewise formula, by hand: r/(r - alpha) if alpha < r else oo
        with np.errstate(divide="ignore"):
            return np.where(alpha < r, r / (r - alpha), np.inf)

    a = sr.get_model("augmentation")
    ra = np.linspace(1.05, 1.8, 1000)[:, None]  # g*r in [1.05, 3.6]: no point near g*r = 1, none grown
    g = np.linspace(1.0, 2.0, 1000)[None, :]
    beta = 0.5
    a.evaluate("benefit", r=ra[:2], g=g, beta=beta, n=50)
    a.evaluate("limit", r=ra[:2], g=g, beta=beta)

    def aug50():
        x = g * ra
        p = x**49
        return (beta * x * (p - 1) + x - 1) / (p * (x - 1))

    def auginf():  # beta g r/(g r - 1) if g r > 1 else oo
        x = g * ra
        with np.errstate(divide="ignore"):
            return np.where(x > 1, beta * x / (x - 1), np.inf)

    cases = [
        ("kickstarting benefit, n = 50", lambda: m.evaluate("benefit", r=r, alpha=alpha, n=50), kick50),
        ("kickstarting limit (n = inf)", lambda: m.evaluate("limit", r=r, alpha=alpha), kickinf),
        ("augmentation benefit, n = 50", lambda: a.evaluate("benefit", r=ra, g=g, beta=beta, n=50), aug50),
        ("augmentation limit (n = inf)", lambda: a.evaluate("limit", r=ra, g=g, beta=beta), auginf),
    ]
    for label, tool, floor in cases:
        np.testing.assert_allclose(tool(), floor(), rtol=1e-12)
        t_tool, t_floor = paired(tool, floor, repeat)
        rows.append((f"1000 x 1000 grid, {label}: toolkit / hand-written numpy",
                     f"{t_tool * 1e3:.1f} ms / {t_floor * 1e3:.1f} ms", t_tool / t_floor, "<= 1.3"))
    return rows, m, r, alpha


def other_rows(m, r, alpha, repeat):
    rows = []
    t_iter, t_tool = paired(
        lambda: m.iterate(1000, r=r, alpha=alpha, metric="benefit", last=True, naive=True),
        lambda: m.evaluate("benefit", r=r, alpha=alpha, n=1000), repeat=min(repeat, 3))
    rows.append(("same grid at n = 1000: direct iteration / toolkit",
                 f"{t_iter:.2f} s / {t_tool * 1e3:.1f} ms", t_iter / t_tool, ">= 100"))

    rng = np.random.default_rng(0)
    pts = [(float(a), float(b)) for a, b in zip(rng.uniform(1.05, 11, 1000), rng.uniform(0, 1, 1000))]
    expr = m.benefit().expr
    rs, al = m.symbols["r"], m.symbols["alpha"]
    t0 = time.perf_counter()
    for a, b in pts:
        expr.subs({rs: a, al: b, sr.n: 50}).evalf()
    t_sympy = (time.perf_counter() - t0) / len(pts)
    rr, aa = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    t_grid, t_pts = paired(lambda: m.evaluate("benefit", r=r, alpha=alpha, n=50),
                           lambda: m.evaluate("benefit", r=rr, alpha=aa, n=50), repeat)
    t_grid, t_pts = t_grid / 1e6, t_pts / len(pts)
    rows.append(("per point: SymPy subs().evalf() / toolkit on the 10^6 grid",
                 f"{t_sympy * 1e6:.0f} us / {t_grid * 1e9:.0f} ns", t_sympy / t_grid, "(speed-up)"))
    rows.append(("per point: SymPy subs().evalf() / toolkit on the same 1000 points",
                 f"{t_sympy * 1e6:.0f} us / {t_pts * 1e6:.2f} us", t_sympy / t_pts, "(speed-up)"))

    tracemalloc.start()
    out = m.evaluate("benefit", r=r, alpha=alpha, n=50)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append(("peak memory of the 10^6-point evaluation / output size",
                 f"{peak / 2**20:.1f} MiB / {out.nbytes / 2**20:.1f} MiB", peak / out.nbytes, "<= 4"))

    # a closed form without a finite formula: reuse-decay's benefit is a sum of n terms
    rd = sr.get_model("reuse-decay")
    rd.evaluate("benefit", r=r[:2], alpha=alpha, rho=0.95, n=50)
    sum_tool, sum_iter = paired(
        lambda: rd.evaluate("benefit", r=r, alpha=alpha, rho=0.95, n=50),
        lambda: rd.iterate(50, r=r, alpha=alpha, rho=0.95, metric="benefit", last=True, naive=True),
        repeat=min(repeat, 5))
    np.testing.assert_allclose(rd.evaluate("benefit", r=r, alpha=alpha, rho=0.95, n=50),
                               rd.iterate(50, r=r, alpha=alpha, rho=0.95, metric="benefit", last=True),
                               rtol=1e-13)
    rows.append(("reuse-decay (a sum), same grid, n = 50: toolkit / direct float iteration",
                 f"{sum_tool * 1e3:.0f} ms / {sum_iter * 1e3:.0f} ms", sum_tool / sum_iter, "(informative)"))
    tracemalloc.start()
    out = rd.evaluate("benefit", r=r, alpha=alpha, rho=0.95, n=50)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append(("peak memory of that evaluation / output size",
                 f"{peak / 2**20:.1f} MiB / {out.nbytes / 2**20:.1f} MiB", peak / out.nbytes, "<= 4"))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=21, help="pairs of runs per ratio (default 21)")
    ap.add_argument("--floor-only", action="store_true", help="only the rows against hand-written numpy")
    args = ap.parse_args(argv)
    rows, m, r, alpha = floor_rows(args.repeat)
    if not args.floor_only:
        rows += other_rows(m, r, alpha, args.repeat)

    print("| measurement | times (medians) | ratio | target |")
    print("|---|---|---|---|")
    for what, detail, ratio, target in rows:
        print(f"| {what} | {detail} | {ratio:.2f} | {target} |")
    print(f"\n(numpy {np.__version__}, sympy {sp.__version__}; medians of {args.repeat} interleaved pairs "
          "(3 for direct iteration at n = 1000, 5 for reuse-decay), one process)")
    print(threads_line())


if __name__ == "__main__":
    main()
