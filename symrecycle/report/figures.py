r"""Figures of the report, drawn from the models' derived results.

Each ``figureN()`` returns a :class:`FigureData`: the matplotlib figure, the
plotted numbers as CSV rows, the caption (with the values chosen) and those
values. :func:`save_figure` writes PDF, PNG and CSV, each to a temporary name
and then renamed, with the same bytes for the same inputs (no dates in the
PDF unless ``SOURCE_DATE_EPOCH`` sets one; a fixed style, whatever the
user's matplotlibrc says).

Every figure is drawn at one of two print sizes, ``size="two-column"`` (7 in
wide, the default) or ``size="one-column"`` (3.4 in, no text under 7 pt), in
the style of :mod:`symrecycle.io.figstyle`: labels in mathtext with the
models' own symbols (:math:`\alpha`, :math:`A_n/C_n`, :math:`\beta^*`),
whole-number ticks on iteration axes, and legends and labels where they
cover no data and no other text.

Figures are built on ``matplotlib.figure.Figure`` with the Agg canvas and
never through ``pyplot``: no global backend is switched, nothing opens a
window, and a notebook user's pyplot state is left alone.

Every number plotted comes from :meth:`Model.evaluate` (the engine's closed
forms, limits and breakevens) or, for Figure 3, from :func:`contributions`,
which unrolls the model's own recurrence in exact arithmetic.

Colours: the Okabe-Ito palette for lines, viridis for maps and ordered stacks
(both readable with the common colour-vision deficiencies); lines also differ
by marker.
"""

from __future__ import annotations

from fractions import Fraction

import matplotlib as mpl
import numpy as np
import sympy as sp
from matplotlib.colors import BoundaryNorm, LogNorm
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from ..core.params import n as N
from ..io import registry
from ..io.figstyle import (
    DEFAULT_SIZE,
    MARKERS,
    OKABE_ITO,
    figure_size,
    integer_ticks,
    place_legends,
    rc,
    style,
    tex,
)
from ..io.growth import growth_rates, growth_scenarios
from .figbase import (
    FigureData,
    labels_above,
    metric_tex,
    new_figure,
    panels,
    redrawable,
    save_figure,
    titled,
)

__all__ = [
    "FigureData", "OKABE_ITO", "MARKERS", "contributions", "figure3_rates", "figure1", "figure2", "figure3",
    "figure4", "FIGURES", "save_figure", "style", "new_figure", "metric_tex"
]

_GFORMAT = FuncFormatter(lambda v, _pos: f"{v:g}")

#: the fixed style of the default size (:func:`symrecycle.io.figstyle.rc`); ``style(size)`` sets it
STYLE = rc(DEFAULT_SIZE)


def _num(x) -> str:
    """A number for a caption: up to 4 significant digits."""
    return f"{float(x):.4g}"


def _model(name):

    return registry.get_model(name)


def _scenario_rates():

    return [(s.name, float(s.factor)) for s in growth_scenarios() if s.table1]


def _sym(model, name):
    """The parameter ``name`` of ``model`` as mathtext (no dollars)."""
    return tex(model.parameter(name))


def _seq(name):
    """A sequence's term at n as mathtext (no dollars): ``A_{n}``."""
    return f"{tex(sp.Symbol(name))}_{{n}}"


def _edges(v):
    """Edges of cells centred on the increasing values ``v`` (what ``shading="nearest"`` draws)."""
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])


def _middles(cs, ax):
    """A point in the middle of each contour line of ``cs`` (data coordinates), its labels' places: away
    from the frame, where a label could be cut."""
    out = []
    for path in cs.get_paths():
        pieces = [p for p in path.to_polygons(closed_only=False) if len(p) > 1]
        if pieces:
            steps = [np.hypot(*np.diff(ax.transData.transform(p), axis=0).T) for p in pieces]
            i = int(np.argmax([x.sum() for x in steps]))
            ends = np.cumsum(steps[i])
            j = int(np.searchsorted(ends, ends[-1] / 2))
            t = (ends[-1] / 2 - (ends[j] - steps[i][j])) / steps[i][j] if steps[i][j] else 0.0
            out.append(tuple(pieces[i][j] + t * (pieces[i][j + 1] - pieces[i][j])))
    return out


# -- Figure 1 ----------------------------------------------------------------------------------
def figure1(r=None, alpha=None, size=None) -> FigureData:
    """The kickstarting benefit after infinitely many iterations over the (r, alpha) plane.

    A heat map (viridis, log colour scale) of :meth:`Model.limit` with
    contour lines, and Table 1's growth scenarios marked at alpha = 1, with
    their limits written above the frame (where no contour crosses them).
    ``ax.collections[0]`` is the mesh; ``ax.lines[0]`` the scenarios.
    ``size``: ``"two-column"`` (default) or ``"one-column"``.
    """
    S = figure_size(size)
    m = _model("kickstarting")
    r_in, alpha_in = r, alpha
    r = np.arange(110, 1201, 5) / 100 if r is None else np.asarray(r, dtype=float)
    alpha = np.arange(0, 51) / 50 if alpha is None else np.asarray(alpha, dtype=float)
    lim = np.asarray(m.evaluate("limit", r=r[None, :], alpha=alpha[:, None]), dtype=float)
    scen = _scenario_rates()
    s_r = np.array([x for _, x in scen])
    s_lim = np.asarray(m.evaluate("limit", r=s_r, alpha=1.0), dtype=float)
    a_, r_ = _sym(m, "alpha"), _sym(m, "r")
    one = S.name == "one-column"
    with style(S):
        fig = new_figure(S.width, S.height(0.85 if one else 0.62))
        ax = fig.add_subplot()
        vmax = 10.0
        msize = S.marker + 2.5
        # cells centred on the values; the top row reaches a marker's radius above alpha's largest value
        # (the axes take at least 45 % of the height), so the markers there lie whole inside the frame
        a_edges = _edges(alpha)
        room = (msize / 2 + 3) / (0.45 * fig.get_size_inches()[1] * 72)
        a_edges[-1] = max(a_edges[-1], alpha.max() + (alpha.max() - a_edges[0]) * room / (1 - room))
        mesh = ax.pcolormesh(_edges(r), a_edges, np.minimum(lim, vmax), shading="flat", cmap="viridis",
                             norm=LogNorm(1.0, vmax), rasterized=True)
        levels = [1.1, 1.25, 1.5, 2, 3, 5]
        cs = ax.contour(r, alpha, lim, levels=levels, colors="white", linewidths=0.8)
        ax.clabel(cs, fmt=lambda v: f"{v:g}", fontsize=S.small, manual=_middles(cs, ax))
        ax.plot(s_r, np.ones_like(s_r), linestyle="none", marker="o", markersize=msize, color="#D55E00",
                markeredgecolor="black", zorder=5, label=f"Table 1's growth rates at ${a_} = 1$")
        ax.set_xscale("log")
        ticks = [1.1, 1.5, 2, 3, 5, 7, 12] if one else [1.1, 1.5, 2, 3, 4, 5, 7, 10, 12]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(_GFORMAT)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"compute growth per iteration ${r_}$ (log scale)")
        ax.set_ylabel(f"re-use efficiency ${a_}$")
        ax.grid(False)
        cb = fig.colorbar(mesh, ax=ax, extend="max", ticks=[1, 1.25, 1.5, 2, 3, 5, 10] if one
                          else [1, 1.1, 1.25, 1.5, 2, 3, 5, 10])
        cb.ax.yaxis.set_major_formatter(_GFORMAT)
        cb.ax.yaxis.set_minor_formatter(NullFormatter())
        cb.set_label(rf"$\lim_{{n\to\infty}}\ {metric_tex(m)}$ (colour clipped at {vmax:g})")
        fig.legend(loc="outside lower center", frameon=False, handletextpad=0.3)
        _, pad = labels_above(ax, s_r, [f"{v:.2f}" for v in s_lim], S.small)
        titled(ax, "Kickstarting: the benefit after infinitely many iterations", S, pad=pad + 3)
    rows = [(float(a), float(x), float(v)) for i, a in enumerate(alpha) for x, v in zip(r, lim[i])]
    caption = (
        "Figure 1. The benefit of kickstarting after infinitely many iterations, lim A_n/C_n, "
        f"for compute growth r from {_num(r.min())} to {_num(r.max())} per iteration (year) and re-use "
        f"efficiency alpha from {_num(alpha.min())} to {_num(alpha.max())}: the engine's limit, "
        "finite where alpha < r. Colour on a log scale, clipped at 10; white lines are contours. "
        "Circles: Table 1's growth scenarios at alpha = 1, their limits written above the frame ("
        + "; ".join(f"{n} {x:g}x/yr: {v:.3f}" for (n, x), v in zip(scen, s_lim)) + ")."
    )
    return redrawable("figure1", fig, ("alpha", "r", "limit"), rows, caption,
                      {"r": r, "alpha": alpha, "scenarios": dict(zip([n for n, _ in scen], s_r))},
                      S, figure1, r=r_in, alpha=alpha_in)


# -- Figure 2 ----------------------------------------------------------------------------------
def figure2(alphas=(0.5, 0.9, 1.0), rs=None, n_max=30, size=None) -> FigureData:
    """The kickstarting benefit over iterations n for several (r, alpha), with the limits.

    One panel per alpha (side by side at two columns, stacked at one); in
    each, ``ax.lines[2*i]`` is B_n for the i-th r and ``ax.lines[2*i + 1]``
    its limit (a horizontal dotted line).
    """
    S = figure_size(size)
    one = S.name == "one-column"
    m = _model("kickstarting")
    rs_in = rs
    rs = sorted({x for _, x in _scenario_rates()}) if rs is None else list(rs)
    ns = np.arange(1, n_max + 1)
    a_, r_ = _sym(m, "alpha"), _sym(m, "r")
    rows = []
    with style(S):
        fig = new_figure(S.width, S.height(0.62 * len(alphas)) if one else S.height(0.4))
        axes = panels(fig, one, len(alphas), sharey=True, sharex=one)
        for ax, a in zip(axes, alphas):
            for i, r in enumerate(rs):
                b = np.asarray(m.evaluate("benefit", r=r, alpha=a, n=ns), dtype=float)
                lim = float(m.evaluate("limit", r=r, alpha=a))
                c = OKABE_ITO[i % len(OKABE_ITO)]
                ax.plot(ns, b, color=c, marker=MARKERS[i % len(MARKERS)], markevery=3,
                        label=f"${r_} = {r:g}$ (limit {lim:.3g})", gid=f"benefit r={r:g}")
                ax.axhline(lim, color=c, linestyle=":", linewidth=1, gid=f"limit r={r:g}")
                rows += [(a, r, int(k), float(v)) for k, v in zip(ns, b)]
                rows.append((a, r, "inf", lim))
            titled(ax, f"${a_} = {a:g}$", S, 1 if one else len(alphas))
            integer_ticks(ax.xaxis)
            if one:
                ax.set_ylabel(f"benefit ${metric_tex(m).split(' = ')[0]}$")
        axes[-1 if one else 0].set_xlabel("iteration $n$ (years)")
        if not one:
            for ax in axes:
                ax.set_xlabel("iteration $n$ (years)")
            axes[0].set_ylabel(f"benefit ${metric_tex(m)}$")
        titled(fig, "Kickstarting: the benefit over iterations (dotted: its limit)", S)
        place_legends(axes)  # last: titles and labels change the layout
    caption = (
        f"Figure 2. The benefit of kickstarting B_n = A_n/C_n over iterations n = 1..{n_max} for alpha in "
        f"{{{', '.join(f'{a:g}' for a in alphas)}}} (panels) and the growth rates of Table 1, "
        f"r in {{{', '.join(f'{r:g}' for r in rs)}}} (lines); dotted lines are the limits as n grows. "
        "Iterations to reach 99% of the limit (the engine's iterations-to, at alpha = "
        f"{alphas[-1]:g}): "
        + ", ".join(
            f"r = {r:g}: {float(m.evaluate('iterations-to', r=r, alpha=alphas[-1], fraction=0.99)):.3g}"
            for r in rs
        )
        + "."
    )
    return redrawable("figure2", fig, ("alpha", "r", "n", "benefit"), rows, caption,
                      {"alpha": tuple(alphas), "r": tuple(rs), "n": ns}, S, figure2,
                      alphas=alphas, rs=rs_in, n_max=n_max)


# -- Figure 3 ----------------------------------------------------------------------------------
def contributions(model, n: int, source: str | None = None, **values):
    r"""How much of adjusted compute A_m comes from each iteration's ``source`` term, m = 1..n.

    The model's recurrence for adjusted compute is unrolled in exact
    arithmetic with each iteration's term of the ``source`` sequence (default:
    the first sequence, real compute C) kept as a separate symbol c_k; since
    the recurrence is linear in them, A_m = sum_k a_{m,k} c_k and the
    contribution of iteration k to A_m is a_{m,k} C_k.

    .. math:: A_m = \sum_{k \le m} \frac{\partial A_m}{\partial c_k} C_k

    Returns an ``n`` x ``n`` float array ``M`` with ``M[m-1, k-1]`` the
    contribution of iteration k to A_m (0 for k > m). Raises ``ValueError``
    if A is not linear in the source terms or if the contributions do not
    add up to A exactly.

    Examples
    --------
    >>> import symrecycle as sr
    >>> M = contributions(sr.get_model("kickstarting"), 3, r=2, alpha=0.5)
    >>> M.tolist()
    [[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [0.25, 1.0, 4.0]]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < model.start:
        raise ValueError(f"n: got {n!r}, expected an integer >= {model.start}")
    names = [s.name for s in model.sequences]
    source = source or names[0]
    if source not in names or source == model.adjusted:
        raise ValueError(f"source: got {source!r}, expected one of the sequences "
                         f"{', '.join(x for x in names if x != model.adjusted)}")
    n = int(n)
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, Fraction, np.integer, np.floating)):
            raise ValueError(f"parameter {k!r}: got {v!r}, expected a real number")
    values = {**{p.name: p.default for p in model.parameters if p.default is not None}, **values}
    exact = model.iterate_exact(values, n - model.start + 1)
    vals = {model.parameter(k).symbol: sp.Rational(Fraction(float(v) if isinstance(v, np.floating) else v))
            for k, v in values.items()}
    adj = next(s for s in model.sequences if s.name == model.adjusted)
    cs = sp.symbols(f"c1:{n + 1}")

    terms = []
    for k in range(model.start, model.start + n):
        expr = adj.initial if k == model.start else adj.next

        def ref(e, k=k):
            nm = e.base.label.name
            j = int(e.indices[0].subs(N, k)) - model.start
            if nm == model.adjusted:
                return terms[j]
            if nm == source:
                return cs[j]
            return exact[nm][j]

        e = expr.replace(lambda x: isinstance(x, sp.Indexed), ref).subs(vals).subs(N, k)
        terms.append(sp.expand(e))
    out = np.zeros((n, n))
    for m_i, a_m in enumerate(terms):
        poly = sp.Poly(a_m, *cs)
        if poly.total_degree() > 1:
            raise ValueError(f"adjusted compute is not linear in the {source} terms")
        total = sp.Integer(0)
        for k in range(m_i + 1):
            coef = poly.coeff_monomial(cs[k])
            contrib = coef * exact[source][k]
            total += contrib
            out[m_i, k] = float(contrib)
        rest = poly.coeff_monomial(1)
        if sp.simplify(total + rest - exact[model.adjusted][m_i]) != 0:
            raise ValueError("the contributions do not add up to the adjusted compute")
    return out


def figure3_rates():
    """The two readings of Figure 3's "380%": an increase (factor 4.8) and a multiple (3.8).

    Examples
    --------
    >>> figure3_rates()
    (4.8, 3.8)
    """

    rate = growth_rates()["figure3"]
    return float(rate.factor), float(Fraction(rate.value) / 100)


def figure3(alpha=0.9, rates=None, n_max=10, size=None) -> FigureData:
    """The contribution of each earlier iteration's compute to adjusted compute (kickstarting).

    One panel per growth rate (default: :func:`figure3_rates`): stacked bars,
    for each year n, of the share of each year k's compute in A_n, in units of
    C_n (so the stack's height is B_n); dashed: the limit; markers: B_n from
    the closed form.
    """
    S = figure_size(size)
    one = S.name == "one-column"
    m = _model("kickstarting")
    default = rates is None
    rates_in = rates
    rates = figure3_rates() if default else tuple(rates)
    rows = []
    cmap = mpl.colormaps["viridis"]
    norm = BoundaryNorm(np.arange(0.5, n_max + 1.5), cmap.N)
    ns = np.arange(1, n_max + 1)
    a_, r_, A, C = _sym(m, "alpha"), _sym(m, "r"), _seq(m.adjusted), _seq(m.sequences[0].name)
    B = metric_tex(m).split(" = ")[0]
    with style(S):
        fig = new_figure(S.width, S.height(0.75 * len(rates)) if one else S.height(0.44))
        axes = panels(fig, one, len(rates), sharey=True, sharex=one)
        for panel, (ax, r) in enumerate(zip(axes, rates)):
            M = contributions(m, n_max, r=r, alpha=alpha)
            C_ = np.asarray(m.iterate(n_max, sequence="C", r=r, alpha=alpha), dtype=float)
            share = M / C_[:, None]
            bottom = np.zeros(n_max)
            for k in range(n_max):
                h = share[:, k]
                ax.bar(ns, h, bottom=bottom, width=0.8, color=cmap(norm(k + 1)), edgecolor="white",
                       linewidth=0.3, gid=f"year {k + 1}")
                bottom = bottom + h
            b = np.asarray(m.evaluate("benefit", r=r, alpha=alpha, n=ns), dtype=float)
            lim = float(m.evaluate("limit", r=r, alpha=alpha))
            ax.plot(ns, b, linestyle="none", marker="o", color="black", markersize=S.marker,
                    label=f"${B}$ (closed form)")
            ax.axhline(lim, color="#D55E00", linestyle="--", linewidth=1.2, label=f"limit {lim:.4g}")
            pct = (r - 1) * 100
            titled(ax, f"({'ab'[panel] if panel < 2 else panel + 1}) ${r_} = {r:g}$ per year "
                   f"(+{pct:.0f}%), ${a_} = {alpha:g}$", S, 1 if one else len(rates))
            ax.set_xticks(ns)
            ax.set_ylim(0, lim * 1.3)
            for i, nn in enumerate(ns):
                for k in range(i + 1):
                    rows.append((r, alpha, int(nn), k + 1, float(M[i, k]), float(share[i, k]), float(b[i])))
        for ax in axes:
            if ax is axes[-1] or not one:
                ax.set_xlabel("year $n$ (one iteration per year)")
            if one or ax is axes[0]:
                ax.set_ylabel(f"${A}$ in units of ${C}$")
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        cb = fig.colorbar(sm, ax=list(axes), ticks=ns, aspect=40 if one else 20)
        cb.set_label("year $k$ whose compute is recycled")
        titled(fig, "Kickstarting: where adjusted compute comes from", S)
        place_legends(axes, ncols=2)
    caption = (
        f"Figure 3. The contribution of each year's compute to adjusted compute under kickstarting, "
        f"alpha = {alpha:g}, years n = 1..{n_max}: each bar is A_n in units of that year's compute C_n, "
        "split by the year k whose compute it recycles (colour); its height is the benefit B_n. "
        + (f"The report's 'rate of increase in effective compute of 380%' is read as an increase of 380% "
           f"per year, r = {rates[0]:g} (panel a), as for its 130%, 150% and 475%; panel b shows the "
           f"other reading, a factor {rates[1]:g} per year. " if default and len(rates) == 2 else "")
        + "The current year's compute dominates: its share of A_n tends to "
        + " and ".join(f"{_num(1 / float(m.evaluate('limit', r=r, alpha=alpha)))} (r = {r:g})" for r in rates)
        + "."
    )
    return redrawable("figure3", fig, ("r", "alpha", "n", "k", "contribution", "share_of_C_n", "benefit"),
                      rows, caption, {"alpha": alpha, "r": tuple(rates), "n": ns}, S, figure3,
                      alpha=alpha, rates=rates_in, n_max=n_max)


# -- Figure 4 ----------------------------------------------------------------------------------
def figure4(settings=((4.2, 2.5), (1.3, 2.5)), betas=(0.5, 0.8, 0.9, 0.95, 1.0), n_max=20,
            n_values=(2, 3, 5, 10, float("inf")), gs=(1.0, 1.5, 2.5), size=None) -> FigureData:
    """Model augmentation in four panels (two by two at two columns, stacked at one).

    (a), (b): the benefit B_n = A_n/(P_n C_n) over n for several beta at the
    two (r, g) ``settings``; (c): B_n against beta at several n for the first
    setting, with the breakeven beta; (d): the breakeven beta of the limit
    against r for several g. Breakevens come from :meth:`Model.evaluate`
    (``"breakeven"``, ``wrt="beta"``).
    """
    S = figure_size(size)
    one = S.name == "one-column"
    m = _model("augmentation")
    ns = np.arange(1, n_max + 1)
    rows = []
    breakevens = {}
    b_, r_, g_ = _sym(m, "beta"), _sym(m, "r"), _sym(m, "g")
    B = metric_tex(m)
    Bn = B.split(" = ")[0]
    with style(S):
        fig = new_figure(S.width, S.height(2.55) if one else S.height(0.8))
        axes = fig.subplots(4, 1) if one else fig.subplots(2, 2)
        axes = axes.ravel()
        for panel, (ax, (r, g)) in enumerate(zip(axes[:2], settings)):
            bstar = float(m.evaluate("breakeven", wrt="beta", r=r, g=g))
            breakevens[(r, g)] = bstar
            for i, beta in enumerate(betas):
                b = np.asarray(m.evaluate("benefit", r=r, g=g, beta=beta, n=ns), dtype=float)
                ax.plot(ns, b, color=OKABE_ITO[i % len(OKABE_ITO)], marker=MARKERS[i % len(MARKERS)],
                        markevery=2, label=f"${b_} = {beta:g}$", gid=f"beta={beta:g}")
                rows += [("abcd"[panel], "benefit", r, g, beta, int(k), float(v)) for k, v in zip(ns, b)]
            ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", gid="scratch")
            titled(ax, f"({'ab'[panel]}) ${r_} = {r:g}$, ${g_} = {g:g}$ (${g_} {r_} = {r * g:g}$): "
                   f"breakeven ${b_}^* = {bstar:.4g}$", S, 1 if one else 2)
            ax.set_xlabel("iteration $n$")
            integer_ticks(ax.xaxis)
            ax.set_ylabel(f"benefit ${B}$" if one or panel == 0 else f"benefit ${Bn}$")
        # (c) benefit against beta at several n
        r, g = settings[0]
        bstar = breakevens[(r, g)]
        bgrid = np.arange(0, 101) / 100
        ax = axes[2]
        for i, nv in enumerate(n_values):
            b = np.asarray(m.evaluate("benefit", r=r, g=g, beta=bgrid, n=nv), dtype=float)
            lab = r"$n \to \infty$" if nv == float("inf") else f"$n = {int(nv)}$"
            ax.plot(bgrid, b, color=OKABE_ITO[i % len(OKABE_ITO)], marker=MARKERS[i % len(MARKERS)],
                    markevery=10, label=lab, gid=lab)
            rows += [("c", "benefit", r, g, float(x), "inf" if nv == float("inf") else int(nv), float(v))
                     for x, v in zip(bgrid, b)]
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", gid="scratch")
        ax.axvline(bstar, color="#D55E00", linewidth=1.0, linestyle=":", gid="breakeven")
        titled(ax, f"(c) ${r_} = {r:g}$, ${g_} = {g:g}$: ${Bn}$ against ${b_}$; "
               f"${b_}^* = {bstar:.4g}$ for every $n$", S, 1 if one else 2)
        ax.set_xlabel(f"share of new algorithmic progress used, ${b_}$")
        ax.set_ylabel(f"benefit ${Bn}$")
        # (d) breakeven beta against r for several g
        rgrid = np.geomspace(0.5, 12, 121)
        ax = axes[3]
        for i, gv in enumerate(gs):
            bs = np.asarray(m.evaluate("breakeven", wrt="beta", r=rgrid, g=gv), dtype=float)
            ax.plot(rgrid, bs, color=OKABE_ITO[i % len(OKABE_ITO)], marker=MARKERS[i % len(MARKERS)],
                    markevery=12, label=f"${g_} = {gv:g}$", gid=f"g={gv:g}")
            rows += [("d", "breakeven_beta", float(x), gv, "", "inf", float(v)) for x, v in zip(rgrid, bs)]
        pts = [(rr, gg, breakevens[(rr, gg)]) for rr, gg in settings]
        ax.plot([p[0] for p in pts], [p[2] for p in pts], linestyle="none", marker="*",
                markersize=S.marker + 5, color="black", label="settings of (a), (b)", gid="settings")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator([0.5, 1, 2, 4, 8, 12]))
        ax.xaxis.set_major_formatter(_GFORMAT)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.04, 1.04)
        titled(ax, f"(d) breakeven ${b_}^*$ (limit $= 1$) against ${r_}$", S, 1 if one else 2)
        ax.set_xlabel(f"growth of real compute ${r_}$ (log scale)")
        ax.set_ylabel(f"breakeven ${b_}^*$")
        titled(fig, "Model augmentation: benefit over training from scratch with current algorithms", S)
        place_legends(axes, ncols=[2, 2, 1, 1])
    note = m.breakeven("beta").notes
    indep = any("does not depend on n" in x for x in note)
    caption = (
        "Figure 4. Model augmentation, benefit B_n = A_n/(P_n C_n) (adjusted compute over what "
        "training from scratch with the current algorithms gets; 1 = no benefit, dashed). "
        + " ".join(
            f"({'ab'[i]}) r = {r:g}, g = {g:g}, beta in {{{', '.join(f'{b:g}' for b in betas)}}}, "
            f"n = 1..{n_max}; breakeven "
            f"beta* = {breakevens[(r, g)]:.4f}."
            for i, (r, g) in enumerate(settings)
        )
        + f" (c) B_n against beta at r = {settings[0][0]:g}, g = {settings[0][1]:g} for n in "
        f"{{{', '.join('inf' if x == float('inf') else str(int(x)) for x in n_values)}}}: all cross 1 at "
        f"beta* = {breakevens[settings[0]]:.4f}"
        + (" (the engine finds that the breakeven does not depend on n; at n = 1 every beta gives 1)"
           if indep else "")
        + f". (d) The breakeven beta* of the limit against r for g in {{{', '.join(f'{x:g}' for x in gs)}}}; "
        "below it augmentation loses to training from scratch; no breakeven (no curve) where g r <= 1."
    )
    if tuple(settings) == ((4.2, 2.5), (1.3, 2.5)):
        caption += (" The settings take Table 1's growth rates: real compute r = 4.2 (current compute "
                    "increase) or 1.3 (hardware efficiency) per year, algorithmic progress g = 2.5 per year "
                    "(the 150%/yr of Erdil & Besiroglu 2023).")
    return redrawable("figure4", fig, ("panel", "quantity", "r", "g", "beta", "n", "value"), rows, caption,
                      {"settings": tuple(settings), "betas": tuple(betas), "n_values": tuple(n_values),
                       "g": tuple(gs), "breakeven": breakevens}, S, figure4,
                      settings=settings, betas=betas, n_max=n_max, n_values=n_values, gs=gs)


FIGURES = {"figure1": figure1, "figure2": figure2, "figure3": figure3, "figure4": figure4}


