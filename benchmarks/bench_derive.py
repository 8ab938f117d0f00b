"""Derivation time against the size of the forcing, beside SymPy's ``rsolve`` on the same inputs.

Two families of model files, each derived from nothing (SymPy's cache and the engine's memory emptied
before every measurement, for both tools):

- k exponential forcing terms: ``A_n = a A_{n-1} + sum_{i=1}^{k} (1/(i+1))^n``,
  ``a > 0`` (every base can meet the coefficient): closed form, and its limit;
- polynomial forcing of degree d: ``A_n = 2 A_{n-1} + sum_{j=0}^{d} (j+1) n^j``
  and the same with a free coefficient ``a`` (the case a = 1 is the sum of the polynomial).

Two more against the structure of the model:

- order k: ``A_n = sum_j c_j A_{n-j} + 1`` with characteristic roots
  ``a, 1/2, ..., 1/k`` (``a`` free: every pair can meet) and k initial values;
- a linear system of s sequences, ``X_n = M X_{n-1} + (1/2**n, 0, ...)``, with
  ``M = P diag(1/2, 1/3, ...) P^-1`` dense (every sequence feeds every other).

And roots that are not rational: characteristic factors summed over their
roots (a cubic with a complex pair, SymPy's issue 17990; the order-8
recurrence of SymPy's issue 15751), a 3x3 system whose complex pair is a
quadratic of the parameters, and the radical roots of a model learning from the
two previous ones (closed form and limit).

``rsolve`` gives the generic closed form only (no case a = 1/(i+1), no limit),
so its time is a floor for the closed form, not a like-for-like rival; it has
no solver for systems.

And the report's two models: every result ``symrecycle summary`` prints, derived
from nothing in one process, beside the same results read back from the
derivation cache by a fresh model object (``--report-models``).

Every derivation here runs with the derivation cache off (the cache-hit rows
use a temporary folder of their own).

Run: python benchmarks/bench_derive.py [--max-terms 20] [--max-degree 8] [--max-order 4] [--max-size 3]
     [--no-irrational] [--report-models [--repeat 3]]
(prints a Markdown table)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time

import sympy as sp

from symrecycle.core.results import NotDerived
from symrecycle.core.sym import forget
from symrecycle.io.modelfile import loads_model
from symrecycle.models import catalogue, store

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
    forget()  # SymPy's cache and what the engine remembers: each measurement from nothing
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


def order_model(k):
    """Order k, roots a, 1/2, ..., 1/k: the model file and, for rsolve, the numeric recurrence at a = 1/7."""
    z = sp.Symbol("z")
    roots = [A] + [sp.Rational(1, j) for j in range(2, k + 1)]
    coeffs = sp.Poly(sp.prod([z - r for r in roots]), z).all_coeffs()[1:]  # z**k + b_1 z**(k-1) + ...
    nxt = " + ".join(f"({sp.sstr(-b)})*A[n-{j}]" for j, b in enumerate(coeffs, 1)) + " + 1"
    init = "[" + ", ".join(f'"{j}"' for j in range(1, k + 1)) + "]"
    text = (f'name = "order{k}"\n[parameters]\na = "(0, 1)"\n[recurrence]\ninitial = {init}\n'
            f'next = "{nxt}"\n[metric]\nbenefit = "A[n]"\n')
    y = sp.Function("y")
    eq = y(N) - sum((-b * y(N - j) for j, b in enumerate(coeffs, 1)), sp.Integer(0)) - 1
    return text, eq.subs(A, sp.Rational(1, 7)), {y(j): j for j in range(1, k + 1)}, y


def system_model(size):
    """s sequences X_n = M X_{n-1} + F(n), M = P D P^-1 with P = I + (ones above the diagonal)."""
    P = sp.eye(size) + sp.Matrix(size, size, lambda i, j: 1 if j > i else 0)
    D = sp.diag(*[sp.Rational(1, j + 2) for j in range(size)])
    M = P * D * P.inv()
    names = [f"X{i + 1}" for i in range(size)]
    lines = [f'name = "system{size}"', "[parameters]", 'r = "(0, oo)"']
    for i, nm in enumerate(names):
        terms = " + ".join(f"({sp.sstr(M[i, j])})*{names[j]}[n-1]" for j in range(size) if M[i, j] != 0)
        forcing = " + (1/2)**n" if i == 0 else ""
        lines += [f"[sequences.{nm}]", f'initial = "{i + 1}"', f'next = "{terms}{forcing}"']
    lines += ["[metrics.benefit]", f'expr = "{names[0]}[n]"']
    return "\n".join(lines) + "\n", names


IRRATIONAL = [
    # (label, model file, the same recurrence for rsolve (of the function y) or None)
    ("cubic with a complex pair (SymPy 17990), forced by r**n",
     'name = "cubic"\n[parameters]\nr = "(1, oo)"\n[sequences.C]\ninitial = "1"\nnext = "r*C[n-1]"\n'
     '[sequences.A]\ninitial = ["1", "1", "1"]\nnext = "C[n] - 3*A[n-1]/23 - 2*A[n-2]/23 + 5*A[n-3]/23"\n'
     '[metric]\nbenefit = "A[n]/C[n]"\n',
     lambda y: -10 * y(N) + 4 * y(N + 1) + 6 * y(N + 2) + 46 * y(N + 3)),
    ("order 8, four quadratic factors (SymPy 15751)",
     'name = "eight"\n[parameters]\nr = "(0, oo)"\n[recurrence]\n'
     'initial = ["1", "0", "0", "0", "0", "0", "0", "2"]\n'
     'next = "21*A[n-1] + 273*A[n-2] - 1092*A[n-3] - 1820*A[n-4] + 1092*A[n-5] + 273*A[n-6] '
     '- 21*A[n-7] - A[n-8]"\n[metric]\nbenefit = "A[n]"\n',
     lambda y: sum((c * y(N + i) for i, c in enumerate([1, 21, -273, -1092, 1820, 1092, -273, -21, 1])),
                   sp.Integer(0))),
    ("3x3 system, eigenvalues a +- i b and 1/3",
     'name = "rotating"\n[parameters]\na = "(0, 1/2)"\nb = "(0, 1/2)"\ng = "(1, oo)"\n[sequences.X]\n'
     'initial = "1"\nnext = "a*X[n-1] - b*Y[n-1] + g**n"\n[sequences.Y]\ninitial = "0"\n'
     'next = "b*X[n-1] + a*Y[n-1]"\n[sequences.K]\ninitial = "0"\nnext = "X[n-1] + K[n-1]/3"\n'
     '[metric]\nbenefit = "K[n] / g**n"\n', None),
    ("order 2, radical roots (a +- sqrt(a**2 + 4b))/2, forced by r**n",
     'name = "two-back"\n[parameters]\nr = "(1, oo)"\na = "(0, 1)"\nb = "(0, 1)"\n[sequences.C]\n'
     'initial = "1"\nnext = "r*C[n-1]"\n[sequences.A]\ninitial = ["1", "1 + a"]\n'
     'next = "C[n] + a*A[n-1] + b*A[n-2]"\n[metric]\nbenefit = "A[n]/C[n]"\n', None),
]


def irrational_rows():
    y = sp.Function("y")
    for label, text, sympy_form in IRRATIONAL:
        m = loads_model(text)
        t_cf, cf = timed(lambda m=m: [m.closed_form(s.name) for s in m.sequences][-1])
        try:
            t_lim, lim = timed(m.limit)
            ok, lim_text = cf.verified and lim.verified, f"{t_lim:.2f}"
        except NotDerived:  # roots of modulus above 1: refused by name
            t_lim, ok, lim_text = 0.0, cf.verified, "refused"
        cases = len(cf.expr.args) if isinstance(cf.expr, sp.Piecewise) else 1
        total = t_cf + t_lim
        if sympy_form is None:
            rs, ratio = "-", "-"
        else:
            t_rs, _ = timed(lambda f=sympy_form: sp.rsolve(f(y), y(N)))
            rs, ratio = f"{t_rs:.2f} (generic)", f"{total / t_rs:.1f}"
        print(f"| {label} | {cases} | {ok} | {t_cf:.2f} | {lim_text} | {total:.2f} | {rs} | {ratio} |",
              flush=True)


def every_result(m):
    """What ``symrecycle summary`` derives for ``m`` (a refusal counts as derived: it is an answer)."""
    calls = [m.closed_form, m.benefit, m.limit, lambda: m.iterations_to(0.99)]
    quantities = ("sensitivity", "elasticity", "breakeven")
    for p in m.parameters:
        if p.default is None:
            calls += [lambda p=p, q=q: getattr(m, q)(p.name) for q in quantities]
    for call in calls:
        with contextlib.suppress(NotDerived):
            call()
    return len(calls)


def report_model_rows(repeat):
    """Every result of each report model: cold (from nothing), and read from the disk cache."""
    print("| report model | results | cold, from nothing (s) | from the disk cache (s) | cold / cached |")
    print("|---|---|---|---|---|")
    os.environ["SYMRECYCLE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-derive-")
    for name in ("kickstarting", "augmentation"):
        make = getattr(catalogue, name)
        cold, warm = [], []
        for _ in range(repeat):
            store.set_enabled(False)
            t, count = timed(lambda make=make: every_result(make()))
            cold.append(t)
            store.set_enabled(True)
            every_result(make())  # fills the cache (a hit after the first repeat)
            warm.append(timed(lambda make=make: every_result(make()))[0])
        c, w = statistics.median(cold), statistics.median(warm)
        print(f"| {name} | {count} | {c:.2f} | {w:.3f} | {c / w:.0f} |", flush=True)
    store.set_enabled(False)


#: one fresh interpreter: the kickstarting limit from nothing (the package imported, the model made, the
#: cache off), timed inside, beside the same interpreter's ``import sympy``
_ALONE = """
import time
t = time.perf_counter()
import sympy
t_sympy = time.perf_counter() - t
from symrecycle.models import catalogue, store
store.set_enabled(False)
m = catalogue.kickstarting()
t = time.perf_counter()
m.limit()
print(time.perf_counter() - t, t_sympy)
"""


def limit_alone_row(repeat):
    """The kickstarting limit from nothing in a fresh interpreter each time (median of ``repeat``)."""
    import subprocess
    import sys

    runs = [subprocess.run([sys.executable, "-c", _ALONE], capture_output=True, text=True, check=True)
            for _ in range(repeat)]
    limits, sympys = zip(*[map(float, r.stdout.split()) for r in runs])
    print(f"| kickstarting limit alone, a fresh process each (median of {repeat}; `import sympy` "
          f"{statistics.median(sympys):.2f} s there) | 1 | {statistics.median(limits):.3f} "
          f"(range {min(limits):.3f}-{max(limits):.3f}) | - | - |", flush=True)


def main():
    store.set_enabled(False)  # derivations are timed, not read back
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-terms", type=int, default=20)
    ap.add_argument("--max-degree", type=int, default=8)
    ap.add_argument("--max-order", type=int, default=4)
    ap.add_argument("--max-size", type=int, default=3)
    ap.add_argument("--no-irrational", action="store_true", help="leave out the rows of irrational roots")
    ap.add_argument("--only-irrational", action="store_true", help="only the rows of irrational roots")
    ap.add_argument("--report-models", action="store_true",
                    help="only the report's two models: every result cold, and read from the disk cache")
    ap.add_argument("--repeat", type=int, default=3, help="runs per report model (median; default 3)")
    args = ap.parse_args()
    if args.report_models:
        report_model_rows(max(1, args.repeat))
        limit_alone_row(max(5, 3 * args.repeat))
        return
    print("| input | cases | verified | closed form (s) | limit (s) | total (s) | rsolve (s) "
          "| total / rsolve |")
    print("|---|---|---|---|---|---|---|---|")
    if args.only_irrational:
        irrational_rows()
        return
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
    for k in range(1, args.max_order + 1):
        text, eq, init, y = order_model(k)
        m = loads_model(text)
        t_cf, cf = timed(m.closed_form)
        t_lim, lim = timed(m.limit)
        cases = len(cf.expr.args) if isinstance(cf.expr, sp.Piecewise) else 1
        t_rs, _ = timed(lambda eq=eq, init=init, y=y: sp.rsolve(eq, y(N), init))
        total = t_cf + t_lim
        roots = ", ".join(["a", *[f"1/{j}" for j in range(2, k + 1)]])
        print(f"| order {k}, roots {roots} | {cases} | {cf.verified and lim.verified} | {t_cf:.2f} "
              f"| {t_lim:.2f} | {total:.2f} | {t_rs:.2f} (a = 1/7) | {total / t_rs:.1f} |", flush=True)
    for size in range(1, args.max_size + 1):
        text, names = system_model(size)
        m = loads_model(text)
        t_cf = 0.0
        ok = True
        for nm in names:
            t, cf = timed(lambda m=m, nm=nm: m.closed_form(nm))
            t_cf += t
            ok = ok and cf.verified
        t_lim, lim = timed(m.limit)
        eig = ", ".join(f"1/{j + 2}" for j in range(size))
        print(f"| system of {size}, dense M, eigenvalues {eig} | - | {ok and lim.verified} "
              f"| {t_cf:.2f} | {t_lim:.2f} | {t_cf + t_lim:.2f} | no system solver | - |", flush=True)
    if not args.no_irrational:
        irrational_rows()


if __name__ == "__main__":
    main()
