"""The endogenous-progress variant: numeric iteration beside the engine's limit, the fixed point of the
benefit's map of itself (:meth:`~symrecycle.models.model.Model.limit`), its bounds and the gain's growth.

Calls the public API and the engine's map functions only: the map, the fixed point, its bounds and the
growth limits are derived from the model file, every number is the numeric backend's.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from matplotlib.ticker import MaxNLocator

from ..core import sym as _sym
from ..core.params import n as N
from ..models import maps as _maps
from . import figures as plots
from .variants import (
    ALPHA,
    BOUND_RTOL,
    BOUND_TEXT,
    N_NUMERIC,
    NO_CLOSED_FORM,
    THETAS,
    _numeric_flags,
    _rel,
    _result_lines,
    variant,
    with_progress,
)

__all__ = ["endogenous", "derived_parts", "values_at"]


def derived_parts(m) -> dict:
    """What the engine derives for the model's benefit: its limit, the map, bounds, growth limits."""
    met = m.metric()
    limit = m.limit(met.name)
    cases = _sym.pieces(limit.expr)
    low, up, slope, blines, bok = _maps.bounds(m, met)
    growth = {}
    for key, target in (("gain_growth", m.metric("gain").expr if any(x.name == "gain" for x in m.metrics)
                         else None), ("adjusted_growth", sp.IndexedBase(m.adjusted)[N])):
        if target is not None:
            growth[key] = _maps.growth_limit(m, met, target, cases)
    return {"limit": limit, "sensitivity": m.sensitivity("theta", metric=met.name),
            "bounds": (low, up, slope, blines, bok), "growth": growth, "map": limit.meta}


def values_at(m, parts, **values) -> dict:
    """The fixed point, bounds, rate and growth limits at parameter values (floats)."""
    star = float(m.evaluate("limit", **values))
    meta = parts["map"]
    x, F = meta["variable"], meta["map"]
    point = {p.symbol: values[p.name] for p in m.parameters if p.name in values}
    low, up, slope, _, _ = parts["bounds"]
    out = {"fixed_point": star, "lower": float(low.subs(point)),
           "upper": float(up.subs(point)) if bool(slope.subs(point)) else float("nan"),
           "rate": float(sp.diff(F, x).subs(point).subs(x, star))}
    for key, (R, _, _) in parts["growth"].items():
        out[key] = float(R.subs(point).subs(x, star)) if np.isfinite(star) else float("nan")
    return out


def endogenous() -> dict:
    """Progress per iteration g B_{n-1}^theta: iteration, the derived fixed point B*, exogenous progress.

    The engine has no closed form of B_n; it derives the benefit as a map of itself, its fixed point
    B* = lim B_n and the gain's growth per iteration, drawn and checked here.
    """
    m, eff = variant("endogenous-progress"), variant("kickstarting-effective")
    derived = derived_parts(m)
    ns = np.arange(1, N_NUMERIC + 1)
    rows, excess, at_zero, points, gains, values = [], [], [], 0, {}, []
    sets = with_progress()
    with plots.style():
        fig = plots.new_figure(10.5, 3.7)
        axes = fig.subplots(1, len(sets) + 1)
        for panel, (ax, s) in enumerate(zip(axes, sets)):
            x = np.asarray(eff.evaluate("benefit", n=ns, r=s.r, g=s.g, alpha=ALPHA), dtype=float)
            for i, th in enumerate(THETAS):
                b = np.asarray(m.iterate(N_NUMERIC, metric="benefit", r=s.r, g=s.g, alpha=ALPHA, theta=th),
                               dtype=float)
                excess.append(float(np.max(b / x - 1)))
                points += len(b)
                v = values_at(m, derived, r=s.r, g=s.g, alpha=ALPHA, theta=th)
                values.append(_approach(s, th, v, b))
                ax.plot(ns, b, color=plots.OKABE_ITO[i], marker=plots.MARKERS[i], markevery=3,
                        label=rf"$\theta = {th:g}$ (iterated), $B^* = {v['fixed_point']:.4g}$",
                        gid=f"theta={th:g}")
                ax.plot(ns[[0, -1]], [v["fixed_point"]] * 2, color=plots.OKABE_ITO[i], linestyle=":",
                        label="_nolegend_", gid=f"B* theta={th:g}")
                rows += [(m.name, "benefit", s.r, s.g, ALPHA, th, int(n), float(v)) for n, v in zip(ns, b)]
                rows.append((m.name, "limit", s.r, s.g, ALPHA, th, "inf", v["fixed_point"]))
            # the model file: theta = 0 is exogenous progress (kickstarting-effective)
            zero = m.iterate(N_NUMERIC, metric="benefit", r=s.r, g=s.g, alpha=ALPHA, theta=0.0)
            at_zero.append(_rel(zero, x))
            ax.plot(ns, x, color="black", linestyle="--", label=r"exogenous, $\theta = 0$ (closed form)",
                    gid="exogenous")
            rows += [(eff.name, "benefit", s.r, s.g, ALPHA, "", int(n), float(v)) for n, v in zip(ns, x)]
            ax.set_title(rf"({'abc'[panel]}) $r = {s.r:g}$, $g = {s.g:g}$, $\alpha = {ALPHA:g}$")
            ax.set_xlabel("iteration $n$")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(loc="best")
        axes[0].set_ylabel(r"benefit $B_n = A_n / (P_n C_n)$; dotted: $B^* = \lim\, B_n$")
        ax, s = axes[-1], sets[-1]
        for i, th in enumerate((0.0, *THETAS)):
            gain = np.asarray(m.iterate(N_NUMERIC, metric="gain", r=s.r, g=s.g, alpha=ALPHA, theta=th),
                              dtype=float)
            gains[th] = float(gain[-1])
            ax.plot(ns, gain, color="black" if th == 0 else plots.OKABE_ITO[i - 1],
                    linestyle="--" if th == 0 else "-", marker=None if th == 0 else plots.MARKERS[i - 1],
                    markevery=3, label=rf"$\theta = {th:g}$", gid=f"gain theta={th:g}")
            rows += [(m.name, "gain", s.r, s.g, ALPHA, th, int(n), float(v)) for n, v in zip(ns, gain)]
        ax.set_yscale("log")
        ax.set_title(f"({'abc'[len(sets)]}) gain over no recycling, $r = {s.r:g}$, $g = {s.g:g}$")
        ax.set_xlabel("iteration $n$")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(r"$A_n / (C_1 (r g)^{n-1})$ (log scale)")
        ax.legend(loc="upper left")
        fig.suptitle(r"Endogenous algorithmic progress $g B_{n-1}^{\theta}$: numeric iteration, "
                     r"fixed point $B^*$")
    flags = _numeric_flags(m)
    holds = max(excess) <= BOUND_RTOL
    approach = {"holds": all(x["monotone"] and x["below"] and x["gap_at_n"] <= BOUND_RTOL for x in values),
                "max_gap_at_n": max(x["gap_at_n"] for x in values), "n": N_NUMERIC, "rtol": BOUND_RTOL,
                "points": len(values)}
    caption = (
        "Endogenous algorithmic progress (endogenous-progress.toml): progress per iteration g B_{n-1}^theta, "
        f"by numeric iteration over n = 1..{N_NUMERIC} for theta in "
        f"{{{', '.join(f'{x:g}' for x in THETAS)}}}, "
        f"alpha = {ALPHA:g}, with Table 1's growth rates; dashed: exogenous progress (theta = 0, the "
        "engine's closed form of kickstarting-effective). "
        + ("" if flags["has_closed_form"] else NO_CLOSED_FORM)
        + f"Dotted: the fixed point B* = lim B_n of the derived map B_n = {sp.sstr(derived['map']['map'])} "
        "at B = B_{n-1} (the engine's limit), which the iteration approaches monotonically "
        "from below: "
        + ("holds" if approach["holds"] else "FAILS")
        + f" for all {approach['points']} curves (largest 1 - B_{N_NUMERIC}/B*: "
        f"{approach['max_gap_at_n']:.1e}). "
        + f"Bound stated by the model file ({BOUND_TEXT['endogenous-progress']}): "
        + ("holds" if holds else "FAILS")
        + f" at all {points} plotted points (largest B_n/B_n(exogenous) - 1: {max(excess):.3g}); "
        f"at theta = 0 the iteration equals the closed form to a relative {max(at_zero):.1e}. Last panel: "
        f"adjusted compute over the effective compute of a world without recycling; at n = {N_NUMERIC}: "
        + ", ".join(f"theta = {th:g}: {v:.4g}" for th, v in gains.items())
        + "; it grows by the factor B*^theta per iteration."
    )
    figure = plots.FigureData("variants-endogenous", fig, ("model", "metric", "r", "g", "alpha", "theta", "n",
                                                           "value"), rows, caption, {"n": ns})
    return {"model": m, "flags": flags, "figure": figure, "gains": gains, "derived": derived,
            "fixed_points": values, "approach": approach,
            "bound": {"statement": BOUND_TEXT["endogenous-progress"], "holds": holds,
                      "max_excess": max(excess), "points": points, "rtol": BOUND_RTOL,
                      "theta_0_rel_diff": max(at_zero)}}


def _approach(s, th, v, b) -> dict:
    """The derived values at a plotted setting, and how the iterated benefit ``b`` approaches B*."""
    star = v["fixed_point"]
    return {"setting": s.id, "r": s.r, "g": s.g, "alpha": ALPHA, "theta": th, "fixed_point": star,
            "lower": v["lower"], "upper": v["upper"], "rate": v["rate"], "gain_growth": v["gain_growth"],
            "adjusted_growth": v["adjusted_growth"], "benefit_at_n": float(b[-1]),
            "gap_at_n": float(1 - b[-1] / star), "below": bool(np.all(b <= star * (1 + BOUND_RTOL))),
            "monotone": bool(np.all(np.diff(b) >= -BOUND_RTOL * b[1:]))}


def endogenous_lines(endo) -> list:
    """Markdown: what the engine derives for the model, and its values at the plotted settings."""
    d = endo["derived"]
    x, F = d["map"]["variable"], d["map"]["map"]
    low, up, _, blines, bok = d["bounds"]
    out = ["The engine derives no closed form of B_n; it reduces the benefit to a map of itself, "
           f"B_n = F(B_(n-1)) with F({x}) = {sp.sstr(F)} (certified by exact iteration), and takes the limit "
           "as the fixed point the iteration reaches, by regime:", ""]
    out += _result_lines("The limit of the benefit: the fixed point B*", d["limit"])
    out += _result_lines("Its sensitivity to theta (implicit differentiation)", d["sensitivity"])
    out += [f"Bounds on B* ({'proved' if bok else 'NOT proved'}): L = {sp.sstr(low)} <= B* <= U = "
            f"{sp.sstr(up)}.", "", *[f"- {line}" for line in blines], ""]
    for key, (R, _, _) in d["growth"].items():
        out += [f"{key.replace('_', ' ').capitalize()} per iteration: R(B_(n-1)) = {sp.sstr(R)}, whose limit "
                "is R(B*) (R is continuous).", ""]
    out += ["| setting | r | g | alpha | theta | L | B* | U | B_n at n = " + str(endo["approach"]["n"])
            + " | gain growth |", "|---|---|---|---|---|---|---|---|---|---|"]
    out += [f"| {v['setting']} | {v['r']:g} | {v['g']:g} | {v['alpha']:g} | {v['theta']:g} | "
            f"{v['lower']:.6g} | {v['fixed_point']:.6g} | {v['upper']:.6g} | {v['benefit_at_n']:.6g} | "
            f"{v['gain_growth']:.6g} |" for v in endo["fixed_points"]]
    a = endo["approach"]
    out += ["", f"The iterated benefit approaches B* monotonically from below: "
            f"**{'holds' if a['holds'] else 'FAILS'}** on the {a['points']} plotted curves (largest "
            f"1 - B_{a['n']}/B*: {a['max_gap_at_n']:.1e}; relative tolerance {a['rtol']:g}).", ""]
    return out
