"""Derivation time against the size of the forcing, beside SymPy's ``rsolve`` on the same inputs.

Two families of model files, each derived from nothing (SymPy's cache cleared
before every measurement, for both tools):

- k exponential forcing terms: ``A_n = a A_{n-1} + sum_{i=1}^{k} (1/(i+1))^n``,
  ``a > 0`` (every base can meet the coefficient): closed form, and its limit;
- polynomial forcing of degree d: ``A_n = 2 A_{n-1} + sum_{j=0}^{d} (j+1) n^j``
  and the same with a free coefficient ``a`` (the case a = 1 is the sum of the polynomial).

``rsolve`` gives the generic closed form only (no case a = 1/(i+1), no limit),
so its time is a floor for the closed form, not a like-for-like rival.

Run: python benchmarks/bench_derive.py [--max-terms 20] [--max-degree 8]   (prints a Markdown table)
"""

from __future__ import annotations

import argparse
import time

import sympy as sp
from sympy.core.cache import clear_cache

from symrecycle.io.modelfile import loads_model

MODEL = """
name = "{name}"
[parameters]
a = "(0, oo)"
[recurrence]
initial = "1"
next = "{coef}*A[n-1] + {forcing}"
[metric]
benefit = "A[n]"
"""


def timed(f):
    clear_cache()
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


N, A = sp.Symbol("n", integer=True), sp.Symbol("a", positive=True)


def rsolve_time(coef, forcing):
    y = sp.Function("y")
    t, sol = timed(lambda: sp.rsolve(y(N) - coef * y(N - 1) - forcing, y(N), {y(1): 1}))
    return t, sol is not None


def derive(name, coef, forcing, limit=True):
    text = MODEL.format(name=name, coef=sp.sstr(coef), forcing=sp.sstr(forcing))
    m = loads_model(text)
    t_cf, cf = timed(m.closed_form)
    t_lim, lim = timed(m.limit) if limit else (0.0, None)
    cases = len(cf.expr.args) if isinstance(cf.expr, sp.Piecewise) else 1
    ok = cf.verified and (lim is None or lim.verified)
    return t_cf, t_lim, cases, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-terms", type=int, default=20)
    ap.add_argument("--max-degree", type=int, default=8)
    args = ap.parse_args()
    print("| input | cases | verified | closed form (s) | limit (s) | total (s) | rsolve (s) "
          "| total / rsolve |")
    print("|---|---|---|---|---|---|---|---|")
    for k in [1, 2, 3, 4, 5, 6, 8, 10, 15, 20]:
        if k > args.max_terms:
            break
        forcing = sum(sp.Rational(1, i + 1) ** N for i in range(1, k + 1))
        t_cf, t_lim, cases, ok = derive(f"terms{k}", A, forcing)
        t_rs, _ = rsolve_time(A, forcing)
        total = t_cf + t_lim
        print(f"| {k} exponential terms, coefficient a | {cases} | {ok} | {t_cf:.2f} | {t_lim:.2f} "
              f"| {total:.2f} "
              f"| {t_rs:.2f} | {total / t_rs:.1f} |", flush=True)
    for d in range(1, args.max_degree + 1):
        poly = sum((j + 1) * N**j for j in range(d + 1))
        for coef in (sp.Integer(2), A):
            t_cf, t_lim, cases, ok = derive(f"poly{d}", coef, poly, limit=coef == A)
            t_rs, _ = rsolve_time(coef, poly)
            total = t_cf + t_lim
            lim = f"{t_lim:.2f}" if coef == A else "-"
            print(f"| degree {d}, coefficient {coef} | {cases} | {ok} | {t_cf:.2f} | {lim} | {total:.2f} "
                  f"| {t_rs:.2f} | {total / t_rs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
