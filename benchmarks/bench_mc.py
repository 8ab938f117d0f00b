"""Monte Carlo at scale: 10^7 samples of the kickstarting limit, time and peak memory.

Run: python benchmarks/bench_mc.py [--samples N] [--cores K]   (prints a Markdown table)

The target: 10^7 samples in under 5 s and under 500 MB peak on 2
cores. The run is pinned to ``--cores`` CPUs (default 2) before any thread
pool starts. Three figures are reported:

* wall time of ``monte_carlo`` (compilation warmed on a small run first:
  it is a one-off cost, reported separately);
* peak resident set size of the process (``ru_maxrss``: interpreter, SymPy,
  numpy and the run together), and the baseline before the run;
* peak of the memory numpy and Python allocate during the run
  (``tracemalloc``, in a second run: tracing slows allocation).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc


def rss_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10**7)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args(argv)
    cores = sorted(os.sched_getaffinity(0))[: args.cores]
    os.sched_setaffinity(0, cores)  # before the thread pools are made: they size themselves from it

    import numpy as np

    import symrecycle as sr
    from symrecycle.uncertainty.montecarlo import monte_carlo

    m = sr.get_model("kickstarting")
    specs = {"r": "lognormal 2 to 10", "alpha": "uniform 0.2 to 0.9"}
    t0 = time.perf_counter()
    monte_carlo(m, "limit", specs, 1000, seed=0)  # derivation, compilation, scipy import
    t_warm = time.perf_counter() - t0
    base = rss_mb()

    t0 = time.perf_counter()
    mc = monte_carlo(m, "limit", specs, args.samples, seed=0)
    t_run = time.perf_counter() - t0
    peak = rss_mb()

    # the run computed the right thing: the same samples through the limit written by hand
    # (r/(r - alpha) where alpha < r, else oo), compared with the toolkit's values
    r, alpha = mc.inputs["r"], mc.inputs["alpha"]
    with np.errstate(divide="ignore"):
        direct = np.where(alpha < r, r / (r - alpha), np.inf)
    assert np.allclose(direct, mc.samples, rtol=1e-12, atol=0)
    del direct, mc

    tracemalloc.start()
    monte_carlo(m, "limit", specs, args.samples, seed=0)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rows = [
        ("samples", f"{args.samples:.3g}", ""),
        ("cores", f"{len(cores)}", ""),
        ("first call (derive + compile + imports)", f"{t_warm:.2f} s", "one-off"),
        ("monte_carlo wall time", f"{t_run:.2f} s", "< 5 s"),
        ("peak RSS of the process", f"{peak:.0f} MB (baseline {base:.0f} MB)", "< 500 MB"),
        ("peak traced allocation during a run", f"{traced / 2**20:.0f} MB", ""),
    ]
    print("| measure | value | target |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    ok = t_run < 5 and peak < 500
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
