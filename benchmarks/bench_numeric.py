"""Numeric backend benchmarks: ratios against baselines measured in the same run.

Run: python benchmarks/bench_numeric.py   (prints a Markdown table)
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import sympy as sp

import symrecycle as sr


def best(f, repeat=15):
    """Best wall time of ``repeat`` calls (seconds)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    m = sr.get_model("kickstarting")
    r = np.linspace(1.05, 11.0, 1000)[:, None]
    alpha = np.linspace(0.0, 1.0, 1000)[None, :]
    rows = []

    # warm the caches (symbolic derivation and compilation are one-off costs)
    m.evaluate("benefit", r=r[:2], alpha=alpha, n=50)
    m.evaluate("limit", r=r[:2], alpha=alpha)

    def floor50():
        return r * (1 - (alpha / r) ** 50) / (r - alpha)

    def floorinf():  # the same Piecewise formula, by hand: r/(r - alpha) if alpha < r else oo
        with np.errstate(divide="ignore"):
            return np.where(alpha < r, r / (r - alpha), np.inf)

    for label, tool, floor in [
        ("benefit, n = 50", lambda: m.evaluate("benefit", r=r, alpha=alpha, n=50), floor50),
        ("benefit, n = inf", lambda: m.evaluate("benefit", r=r, alpha=alpha, n=np.inf), floorinf),
    ]:
        np.testing.assert_allclose(tool(), floor(), rtol=1e-12)
        t_tool, t_floor = best(tool), best(floor)
        rows.append((f"1000 x 1000 grid, {label}: toolkit / hand-written numpy",
                     f"{t_tool * 1e3:.1f} ms / {t_floor * 1e3:.1f} ms", t_tool / t_floor, "<= 1.5"))

    t_tool = best(lambda: m.evaluate("benefit", r=r, alpha=alpha, n=1000))
    t_iter = best(
        lambda: m.iterate(1000, r=r, alpha=alpha, metric="benefit", last=True, naive=True), repeat=1
    )
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
    t_grid = best(lambda: m.evaluate("benefit", r=r, alpha=alpha, n=50)) / 1e6
    t_pts = best(lambda: m.evaluate("benefit", r=rr, alpha=aa, n=50)) / len(pts)
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
    sum_tool = best(lambda: rd.evaluate("benefit", r=r, alpha=alpha, rho=0.95, n=50), repeat=5)
    sum_iter = best(lambda: rd.iterate(50, r=r, alpha=alpha, rho=0.95, metric="benefit", last=True,
                                       naive=True), repeat=5)
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

    print("| measurement | times | ratio | target |")
    print("|---|---|---|---|")
    for what, detail, ratio, target in rows:
        print(f"| {what} | {detail} | {ratio:.2f} | {target} |")
    print(f"\n(numpy {np.__version__}, sympy {sp.__version__}; best of 15 wall times, one run)")


if __name__ == "__main__":
    main()
