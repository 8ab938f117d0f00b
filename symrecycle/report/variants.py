"""The report's model variants, from the model files shipped with symrecycle.

Usage: python derivations/variants.py --out DIR [--force] (or ``symrecycle reproduce``)

1. Kickstarting with algorithmic progress, the report's two readings side by
   side (``kickstarting-effective``: effective compute grows by r*g;
   ``kickstarting-lower-alpha``: re-use efficiency lowered to alpha/g): their
   limits, a table over Table 1's growth rates, a figure of the benefit over
   iterations, and whether the two coincide (decided here from the engine's
   results, case by case, with SymPy).
2. Kickstarting and augmentation combined (``kickstarting-augmentation``): its
   limit and breakeven beta, a figure for several beta.
3. Beyond exponential closed forms. Re-use efficiency that changes over
   iterations (``reuse-decay``): the engine's closed form is an unrolled sum
   (no finite formula), its limit comes from the benefit's own recurrence; the
   figure evaluates the sum, checked against iteration and plain kickstarting.
   Endogenous algorithmic progress (``endogenous-progress``): the engine
   derives no closed form of B_n (it says so, and why), and the limit as the
   fixed point of the benefit's map of itself (:mod:`.variants_endogenous`:
   drawn dotted, the iteration checked to approach it), with bounds and the
   gain's growth per iteration. The bounds the model files state are checked on the plotted
   points.
4. ``variants.md``, a summary linking every file; ``variants.json``, the
   statements as data; ``variants.tex``, the derived results in LaTeX.

Calls the public API of symrecycle only: every closed form, limit and
breakeven is the engine's, every number its numeric backend's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp
from matplotlib.ticker import MaxNLocator

from ..core import sym as _sym
from ..io import registry
from ..io.growth import GrowthScenario, growth_scenarios
from ..io.modelfile import load_model, variant_path
from ..io.outputs import Table
from . import figures as plots

#: the report's rate of algorithmic progress (Erdil & Besiroglu 2023): g; Table 1's other rates give r
PROGRESS_RATE = "software"
#: re-use efficiencies of the readings' table and (the last two) of their figure's panels
TABLE_ALPHAS = (0.5, 0.9, 1.0)
FIGURE_ALPHAS = (0.9, 1.0)
#: re-use efficiency of the combined and numeric-only figures (Figure 2's middle value)
ALPHA = 0.9
BETAS = (0.5, 0.7, 0.8, 0.9, 0.95, 1.0)
RHOS = (0.95, 0.8, 0.5)
THETAS = (0.25, 0.5, 1.0)
#: iterations drawn: closed forms, numeric iteration
N_CLOSED, N_NUMERIC = 20, 30
#: relative tolerance of the numeric bound checks: float rounding of the iteration and of the
#: closed form it is compared with (a few ulps per step over N_NUMERIC steps)
BOUND_RTOL = 1e-12

READINGS = ("kickstarting-lower-alpha", "kickstarting-effective")
COMBINED = "kickstarting-augmentation"
NUMERIC = ("reuse-decay", "endogenous-progress")
NO_CLOSED_FORM = "The toolkit derives no closed form of the sequences for this model. "
#: what the model files state about the numeric-only models (their header comments), checked below
BOUND_TEXT = {
    "reuse-decay": "for rho <= 1 the benefit of kickstarting (rho = 1) bounds this one from above",
    "endogenous-progress": "for theta in [0, 1] the benefit stays at or below the exogenous one "
                           "(theta = 0, kickstarting-effective)",
}


# -- inputs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """A row of Table 1 split into real-compute growth r and algorithmic progress g.

    Examples
    --------
    >>> s = settings()[-1]
    >>> s.id, s.r, s.g, s.growth
    ('hardware+software', 1.3, 2.5, 3.25)
    """

    id: str
    name: str
    r: float
    g: float
    growth: float  # the scenario's growth factor (Table 1's column)


def settings() -> list:
    """Table 1's growth scenarios, each as (r, g): g from the report's rate of algorithmic progress.

    Examples
    --------
    >>> [s.id for s in settings()]
    ['compute', 'hardware', 'compute+software', 'hardware+software']
    """
    out = []
    for s in growth_scenarios():
        if not s.table1:
            continue
        real = GrowthScenario("r", "real compute", tuple(x for x in s.rates if x.id != PROGRESS_RATE))
        prog = GrowthScenario("g", "algorithmic progress", tuple(x for x in s.rates if x.id == PROGRESS_RATE))
        out.append(Setting(s.id, s.name, float(real.factor), float(prog.factor), float(s.factor)))
    return out


def with_progress() -> list:
    """The :func:`settings` with algorithmic progress (g != 1).

    Examples
    --------
    >>> [(s.r, s.g) for s in with_progress()]
    [(4.2, 2.5), (1.3, 2.5)]
    """
    return [s for s in settings() if s.g != 1]


def without_progress() -> list:
    """The :func:`settings` without algorithmic progress (g = 1).

    Examples
    --------
    >>> [(s.id, s.g) for s in without_progress()]
    [('compute', 1.0), ('hardware', 1.0)]
    """
    return [s for s in settings() if s.g == 1]


def variant(name):
    """The model of a shipped model file, by its stem (:func:`~symrecycle.io.modelfile.variant_path`).

    Examples
    --------
    >>> m = variant("kickstarting-effective")
    >>> m.name, [p.name for p in m.parameters]
    ('kickstarting-effective', ['r', 'g', 'alpha', 'C1'])
    """
    return load_model(variant_path(name))


# -- do two results coincide? ------------------------------------------------------------------------
def _cannot_hold(cond, depth=0) -> bool:
    """Whether SymPy shows ``cond`` false: each term of its DNF, equalities imposed by solving them."""
    cond = sp.to_dnf(cond)
    if cond is sp.false:
        return True
    for term in _sym.disjuncts(cond):
        eqs = [x for x in _sym.conjuncts(term) if isinstance(x, sp.Eq)]
        if not eqs or depth > 4:
            if sp.simplify(term) is not sp.false:
                return False
            continue
        for sym in sorted(eqs[0].free_symbols, key=lambda s: s.name):
            sols = sp.solve(eqs[0], sym, dict=True)
            if sols:
                if not all(_cannot_hold(term.subs(sol), depth + 1) for sol in sols):
                    return False
                break
        else:
            return False
    return True


def coincide(a, b) -> bool:
    """Whether two :class:`~symrecycle.Result` are equal wherever both are defined.

    For every case of ``a`` and every case of ``b`` (each condition excluding
    the earlier ones): the values are equal (their difference is proved 0 by
    :func:`symrecycle.core.sym.is_zero`: expansion, cancellation, exponential
    polynomials decided, ``simplify`` last), or the two conditions cannot hold together.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.results import Result
    >>> r, a = sp.symbols("r alpha", positive=True)
    >>> x = Result("m", "limit", sp.Piecewise((r / (r - a), a < r), (sp.oo, True)), "L")
    >>> y = Result("m", "limit", sp.Piecewise((1 / (1 - a / r), a < r), (sp.oo, True)), "L")
    >>> coincide(x, y), coincide(x, Result("m", "limit", r / (r - a), "L"))
    (True, False)
    """
    for va, ca in a.cases:
        for vb, cb in b.cases:
            if va == vb or _sym.is_zero(va - vb):
                continue
            if not _cannot_hold(sp.And(ca.expr, cb.expr)):
                return False
    return True


def _rel(a, b) -> float:
    """Largest relative difference of two arrays of positive numbers."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def _res(r) -> dict:
    return {"text": r.text(), "latex": r.latex(), "verified": r.verified, "notes": list(r.notes)}


# -- 1. the two readings --------------------------------------------------------------------------------
def readings() -> dict:
    """Both readings: results, whether they coincide, the table and the figure."""
    low, eff = (variant(x) for x in READINGS)
    results = {m.name: {"benefit": m.benefit(), "limit": m.limit()} for m in (low, eff)}
    same = {q: coincide(results[low.name][q], results[eff.name][q]) for q in ("benefit", "limit")}
    kick = registry.get_model("kickstarting")

    rows, data = [], []
    for s in settings():
        for a in TABLE_ALPHAS:
            vals = [float(m.evaluate("limit", r=s.r, g=s.g, alpha=a)) for m in (eff, low)]
            k = float(kick.evaluate("limit", r=s.growth, alpha=a))
            rows.append((s.name, f"{s.r:g}", f"{s.g:g}", f"{a:g}", *(f"{v:.4f}" for v in vals), f"{k:.4f}"))
            data.append((s.id, repr(s.r), repr(s.g), repr(a), *map(repr, vals), repr(k)))
    word = "coincide" if same["limit"] else "differ"
    table = Table(
        "variants-limits",
        ("Scenario (Table 1)", "r", "g", "alpha", "Effective compute (r g)", "Lower alpha (alpha/g)",
         "Kickstarting at r g"),
        tuple(rows),
        "Kickstarting with algorithmic progress: the limit of the benefit as n grows under the report's "
        "two readings, for Table 1's growth scenarios (r: real compute growth, g: the report's algorithmic "
        "progress, 1 where a scenario has none) and alpha in "
        f"{{{', '.join(f'{a:g}' for a in TABLE_ALPHAS)}}}. "
        f"The engine's limits of the two readings {word} (decided case by case with SymPy). The last "
        "column is plain kickstarting at the scenario's growth r g (Table 1's column at alpha = 1).",
        tuple(data),
        ("scenario", "r", "g", "alpha", "limit_effective", "limit_lower_alpha", "kickstarting_limit_at_rg"),
    )

    ns = np.arange(1, N_CLOSED + 1)
    fig_rows, diffs = [], []
    with plots.style():
        fig = plots.new_figure(9.0, 3.6)
        axes = np.atleast_1d(fig.subplots(1, len(FIGURE_ALPHAS), sharey=True))
        for ax, a in zip(axes, FIGURE_ALPHAS):
            for i, s in enumerate(with_progress()):
                c, mk = plots.OKABE_ITO[i % len(plots.OKABE_ITO)], plots.MARKERS[i % len(plots.MARKERS)]
                b = {m.name: np.asarray(m.evaluate("benefit", n=ns, r=s.r, g=s.g, alpha=a), dtype=float)
                     for m in (eff, low)}
                lim = {m.name: float(m.evaluate("limit", r=s.r, g=s.g, alpha=a)) for m in (eff, low)}
                diffs.append(_rel(b[low.name], b[eff.name]))
                ax.plot(ns, b[eff.name], color=c, gid=f"effective r={s.r:g} g={s.g:g}",
                        label=f"$r = {s.r:g}$, $g = {s.g:g}$ (limit {lim[eff.name]:.3g})")
                ax.plot(ns, b[low.name], color=c, linestyle="none", marker=mk, markerfacecolor="none",
                        markevery=1, gid=f"lower-alpha r={s.r:g} g={s.g:g}")
                ax.axhline(lim[eff.name], color=c, linestyle=":", linewidth=1,
                           gid=f"limit r={s.r:g} g={s.g:g}")
                for m in (low, eff):
                    fig_rows += [(m.name, a, s.r, s.g, int(k), float(v)) for k, v in zip(ns, b[m.name])]
                    fig_rows.append((m.name, a, s.r, s.g, "inf", lim[m.name]))
            ax.set_title(rf"$\alpha = {a:g}$")
            ax.set_xlabel("iteration $n$")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(loc="center right")
        axes[0].set_ylabel("benefit $B_n$")
        fig.suptitle("Kickstarting with algorithmic progress, the report's two readings\n"
                     r"lines: effective compute grows by $r g$; open markers: $\alpha$ lowered to "
                     r"$\alpha/g$; dotted: limits")
    both = same["benefit"] and same["limit"]
    caption = (
        f"The benefit of kickstarting with algorithmic progress over iterations n = 1..{N_CLOSED}, "
        f"alpha in {{{', '.join(f'{a:g}' for a in FIGURE_ALPHAS)}}} (panels), for Table 1's scenarios "
        "with algorithmic progress, split into real compute growth r and progress g. Lines: the "
        "effective-compute reading (B_n = A_n/E_n, E_n growing by r g); open markers: the lower-alpha "
        "reading (B_n = A_n/C_n with re-use efficiency alpha/g). "
        + ("The two readings coincide: the engine's benefits and limits are equal case by case "
           "(SymPy simplifies the difference of each pair of branches to 0, and the pairs it does not "
           "cannot hold together)" if both else
           "The engine's results of the two readings differ "
           f"(benefit: {'equal' if same['benefit'] else 'different'}, "
           f"limit: {'equal' if same['limit'] else 'different'})")
        + f"; numerically, the largest relative difference over the plotted points is {max(diffs):.1e}."
    )
    figure = plots.FigureData("variants-readings", fig, ("model", "alpha", "r", "g", "n", "benefit"),
                              fig_rows, caption, {"alpha": FIGURE_ALPHAS, "n": ns})
    return {"models": (low, eff), "results": results, "coincide": same, "table": table, "figure": figure,
            "max_rel_diff": max(diffs)}


# -- 2. kickstarting + augmentation ---------------------------------------------------------------------
def combined() -> dict:
    """The combined model: limit, breakeven beta (of the limit and of the benefit), figure."""
    m = variant(COMBINED)
    res = {"benefit": m.benefit(), "limit": m.limit(), "breakeven_limit": m.breakeven("beta", of="limit"),
           "breakeven_benefit": m.breakeven("beta")}
    eff, aug = variant("kickstarting-effective"), registry.get_model("augmentation")
    ns = np.arange(1, N_CLOSED + 1)
    rows, bstars, special = [], {}, []
    sets = with_progress()
    with plots.style():
        fig = plots.new_figure(10.5, 3.7)
        axes = fig.subplots(1, len(sets) + 1)
        for panel, (ax, s) in enumerate(zip(axes, sets)):
            bstar = float(m.evaluate("breakeven", wrt="beta", r=s.r, g=s.g, alpha=ALPHA))
            bstars[s.id] = bstar
            for i, beta in enumerate(BETAS):
                c = plots.OKABE_ITO[i % len(plots.OKABE_ITO)]
                b = np.asarray(m.evaluate("benefit", n=ns, r=s.r, g=s.g, alpha=ALPHA, beta=beta), dtype=float)
                lim = float(m.evaluate("limit", r=s.r, g=s.g, alpha=ALPHA, beta=beta))
                ax.plot(ns, b, color=c, marker=plots.MARKERS[i % len(plots.MARKERS)], markevery=3,
                        label=rf"$\beta = {beta:g}$", gid=f"beta={beta:g}")
                ax.axhline(lim, color=c, linestyle=":", linewidth=1, gid=f"limit beta={beta:g}")
                rows += [("abc"[panel], "benefit", s.r, s.g, ALPHA, beta, int(k), float(v))
                         for k, v in zip(ns, b)]
                rows.append(("abc"[panel], "benefit", s.r, s.g, ALPHA, beta, "inf", lim))
                if beta == 1:  # the model file: beta = 1 is kickstarting with effective compute
                    special.append(_rel(b, eff.evaluate("benefit", n=ns, r=s.r, g=s.g, alpha=ALPHA)))
            # the model file: alpha = 1 is the report's augmentation
            for beta in BETAS:
                special.append(_rel(m.evaluate("benefit", n=ns, r=s.r, g=s.g, alpha=1.0, beta=beta),
                                    aug.evaluate("benefit", n=ns, r=s.r, g=s.g, beta=beta)))
            ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", gid="scratch")
            ax.set_title(rf"({'abc'[panel]}) $r = {s.r:g}$, $g = {s.g:g}$, $\alpha = {ALPHA:g}$; "
                         rf"$\beta^* = {bstar:.4g}$")
            ax.set_xlabel("iteration $n$")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].set_ylabel("benefit $B_n = A_n / (P_n C_n)$")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(BETAS))
        ax = axes[-1]
        agrid = np.arange(0, 101) / 100
        for i, s in enumerate(sets):
            bs = np.asarray(m.evaluate("breakeven", wrt="beta", r=s.r, g=s.g, alpha=agrid), dtype=float)
            ax.plot(agrid, bs, color=plots.OKABE_ITO[i], marker=plots.MARKERS[i], markevery=10,
                    label=f"$r = {s.r:g}$, $g = {s.g:g}$", gid=f"breakeven r={s.r:g}")
            rows += [("c", "breakeven_beta_of_limit", s.r, s.g, float(a), "", "inf", float(v))
                     for a, v in zip(agrid, bs)]
        ax.plot([ALPHA for _ in sets], [bstars[s.id] for s in sets], linestyle="none", marker="*",
                markersize=9, color="black", label=rf"$\alpha = {ALPHA:g}$ (panels a, b)", gid="panels")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(rf"({'abc'[len(sets)]}) breakeven $\beta^*$ against $\alpha$")
        ax.set_xlabel(r"$\alpha$ (carry-over of the previous model)")
        ax.set_ylabel(r"breakeven $\beta^*$ (limit $= 1$)")
        ax.legend(loc="lower left")
        fig.suptitle(r"Kickstarting and augmentation combined: $A_n = \alpha A_{n-1} + \beta P_n C_n$ "
                     "(dashed: training from scratch; dotted: limits)")
    indep = any("does not depend on n" in x for x in res["breakeven_benefit"].notes)
    caption = (
        "Kickstarting and augmentation combined (kickstarting-augmentation.toml), benefit "
        f"B_n = A_n/(P_n C_n) over n = 1..{N_CLOSED} at alpha = {ALPHA:g} for beta in "
        f"{{{', '.join(f'{b:g}' for b in BETAS)}}}, with Table 1's growth rates: "
        + "; ".join(f"r = {s.r:g}, g = {s.g:g}: breakeven beta* = {bstars[s.id]:.4f}" for s in sets)
        + ". Below beta* the combination loses to training from scratch with current algorithms"
        + (" (the engine finds that the breakeven does not depend on n)" if indep else "")
        + f". Last panel: the breakeven beta* of the limit against alpha. As the model file states, "
        f"beta = 1 is kickstarting with effective compute and alpha = 1 the report's augmentation: "
        f"the engine's benefits agree there to a relative {max(special):.1e} on the plotted n."
    )
    figure = plots.FigureData("variants-combined", fig, ("panel", "quantity", "r", "g", "alpha", "beta", "n",
                                                         "value"), rows, caption, {"n": ns})
    return {"model": m, "results": res, "breakevens": bstars, "figure": figure, "independent_of_n": indep,
            "special_cases_rel_diff": max(special)}


# -- 3. beyond exponential closed forms ----------------------------------------------------------
def _numeric_flags(m) -> dict:
    return {"has_closed_form": m.has_closed_form(), "reason": m.closed_form_problem()}


def reuse_decay() -> dict:
    """Re-use efficiency alpha rho^(n-1): the engine's sum and limit, iteration, kickstarting."""
    m, kick = variant("reuse-decay"), registry.get_model("kickstarting")
    res = {"closed_form": m.closed_form(), "benefit": m.benefit(), "limit": m.limit()}
    ns = np.arange(1, N_NUMERIC + 1)
    rows, excess, at_one, points, agree = [], [], [], 0, []
    sets = without_progress()
    with plots.style():
        fig = plots.new_figure(9.0, 3.6)
        axes = np.atleast_1d(fig.subplots(1, len(sets)))
        for panel, (ax, s) in enumerate(zip(axes, sets)):
            k = np.asarray(kick.evaluate("benefit", n=ns, r=s.r, alpha=ALPHA), dtype=float)
            klim = float(kick.evaluate("limit", r=s.r, alpha=ALPHA))
            for i, rho in enumerate(RHOS):
                b = np.asarray(m.evaluate("benefit", n=ns, r=s.r, alpha=ALPHA, rho=rho), dtype=float)
                it = np.asarray(m.iterate(N_NUMERIC, metric="benefit", r=s.r, alpha=ALPHA, rho=rho),
                                dtype=float)
                agree.append(_rel(b, it))
                excess.append(float(np.max(b / k - 1)))
                points += len(b)
                ax.plot(ns, b, color=plots.OKABE_ITO[i], marker=plots.MARKERS[i], markevery=3,
                        label=rf"$\rho = {rho:g}$", gid=f"rho={rho:g}")
                rows += [(m.name, s.r, ALPHA, rho, int(n), float(v)) for n, v in zip(ns, b)]
            # the model file: rho = 1 is kickstarting
            at_one.append(_rel(m.evaluate("benefit", n=ns, r=s.r, alpha=ALPHA, rho=1.0), k))
            ax.plot(ns, k, color="black", linestyle="--", gid="kickstarting",
                    label=rf"kickstarting ($\rho = 1$), limit {klim:.4g}")
            rows += [("kickstarting", s.r, ALPHA, "", int(n), float(v)) for n, v in zip(ns, k)]
            ax.set_title(rf"({'ab'[panel]}) $r = {s.r:g}$, $\alpha = {ALPHA:g}$")
            ax.set_xlabel("iteration $n$")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(loc="best")
        axes[0].set_ylabel("benefit $B_n = A_n / C_n$")
        fig.suptitle(r"Re-use efficiency $\alpha_n = \alpha \rho^{n-1}$: the engine's sum, "
                     r"limit 1 for $\rho < 1$")
    flags = _numeric_flags(m)
    holds = max(excess) <= BOUND_RTOL
    limit_text = sp.sstr(res["limit"].expr)
    caption = (
        "Kickstarting with a re-use efficiency that changes over iterations, alpha_n = alpha rho^(n-1) "
        f"(reuse-decay.toml), benefit B_n = A_n/C_n over n = 1..{N_NUMERIC} for rho in "
        f"{{{', '.join(f'{x:g}' for x in RHOS)}}}, alpha = {ALPHA:g}, r from Table 1's rows without "
        "algorithmic progress, evaluated from the engine's closed form, a sum without a finite closed form "
        f"(equal to direct iteration to a relative {max(agree):.1e}); dashed: plain kickstarting. "
        f"The engine's limit: {limit_text}. "
        + ("" if flags["has_closed_form"] else NO_CLOSED_FORM)
        + f"Bound stated by the model file ({BOUND_TEXT['reuse-decay']}): "
        + ("holds" if holds else "FAILS")
        + f" at all {points} plotted points (largest B_n/B_n(kickstarting) - 1: "
        f"{max(excess):.3g}); at rho = 1 the sum equals kickstarting's closed form to a relative "
        f"{max(at_one):.1e}."
    )
    figure = plots.FigureData("variants-reuse-decay", fig, ("model", "r", "alpha", "rho", "n", "benefit"),
                              rows, caption, {"n": ns})
    return {"model": m, "flags": flags, "figure": figure, "results": res, "closed_vs_iterated": max(agree),
            "bound": {"statement": BOUND_TEXT["reuse-decay"], "holds": holds, "max_excess": max(excess),
                      "points": points, "rtol": BOUND_RTOL,
                      "rho_1_rel_diff": max(at_one)}}


# -- outputs --------------------------------------------------------------------------------------------
def _link(path) -> str:
    return f"[{Path(path).name}]({Path(path).name})"


def _model_lines(m) -> list:
    out = [f"`{Path(m.source).name}` ({m.name}): {m.description}.", ""]
    for s in m.sequences:
        out.append(f"    {s.name}[{m.start}] = {sp.sstr(s.initial)};  {s.name}[n] = {sp.sstr(s.next)}")
    out += [f"    {x.name} = {sp.sstr(x.expr)}" for x in m.metrics]
    return [*out, ""]


def _result_lines(title, r) -> list:
    flag = "verified" if r.verified else "NOT verified"
    out = [f"{title} ({flag}):", "", f"$$ {r.latex()} $$", "", f"    {r.text()}", ""]
    out += [f"- {x}" for x in r.notes]
    return [*out, ""] if r.notes else out


def _figure_lines(fig, paths) -> list:
    return [f"![{fig.name}]({paths['png'].name})", "", fig.caption, "",
            "Files: " + ", ".join(_link(paths[k]) for k in ("pdf", "png", "csv")), ""]
