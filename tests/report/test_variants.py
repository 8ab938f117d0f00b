"""derivations/variants.py: the report's model variants, run into temporary directories and checked.

The script runs once as a user runs it (a subprocess) and once in this process
(for the figure objects), at the same time; the two must write the same bytes.
Its numbers are checked against the models themselves: table values against
``Model.evaluate``, figure data against ``Model.iterate``.
"""

from __future__ import annotations

import ast
import csv
import functools
import io
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import symrecycle as sr
from symrecycle.io.files import MARKER
from symrecycle.io.growth import growth_scenarios
from symrecycle.io.modelfile import NoClosedForm, load_model, variant_path
from symrecycle.report import reproduce, variants_doc

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "derivations" / "variants.py"
FILES = sorted(
    [f"variants.{x}" for x in ("json", "md", "tex")]
    + [f"variants-limits.{x}" for x in ("csv", "md", "tex", "txt")]
    + [f"variants-{f}.{x}" for f in ("readings", "combined", "reuse-decay", "endogenous")
       for x in ("csv", "pdf", "png")]
)
#: closed form against direct float iteration: a few ulps per step over 30 steps
RTOL = 1e-12


def _load_script():
    from symrecycle.report import variants

    return variants


@pytest.fixture(scope="module")
def script():
    return _load_script()


@pytest.fixture(scope="module")
def run(tmp_path_factory, script):
    """The script as a subprocess and, meanwhile, write_variants in this process."""
    base = tmp_path_factory.mktemp("variants")
    sub, here = base / "sub", base / "here"
    p = subprocess.Popen([sys.executable, str(SCRIPT), "--out", str(sub)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=base)
    try:
        res = variants_doc.write_variants(reproduce.prepare_out_dir(here))
    finally:
        stdout, stderr = p.communicate(timeout=600)
    return {"out": sub, "rc": p.returncode, "stdout": stdout, "stderr": stderr, "here": here, "res": res}


@functools.cache
def model(name):
    return load_model(variant_path(name))


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text())))


def files(out):
    return sorted(p.name for p in out.iterdir() if p.name != MARKER)


def params(row, names):
    return {k: float(row[k]) for k in names if row.get(k, "") != ""}


# -- the run ------------------------------------------------------------------------------------------
def test_script_runs_cleanly(run):
    assert run["rc"] == 0, run["stderr"]
    assert run["stderr"] == ""
    out = run["out"]
    printed = [Path(x) for x in run["stdout"].splitlines() if x.startswith(str(out))]
    assert sorted(p.name for p in printed) == FILES
    assert all(p.exists() for p in printed)
    assert files(out) == FILES
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert "readings coincide: True" in run["stdout"]
    assert "reuse-decay: closed form; bound holds on 180 points" in run["stdout"]
    assert "endogenous-progress: no closed form; bound holds on 180 points" in run["stdout"]


def test_same_bytes_in_another_process(run):
    assert files(run["here"]) == FILES
    for name in FILES:
        assert (run["here"] / name).read_bytes() == (run["out"] / name).read_bytes(), name
    assert (run["out"] / "variants-readings.pdf").read_bytes().startswith(b"%PDF")
    assert (run["out"] / "variants-readings.png").read_bytes().startswith(b"\x89PNG")


def test_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    p = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True,
                       timeout=300, check=False)
    assert p.returncode == 2
    assert "variants.py: error:" in p.stderr
    assert "not empty" in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["notes.txt"]


def test_the_script_holds_no_formula_of_the_models():
    """No arithmetic in the variants module touches a model parameter: they go to the API as keywords only."""
    names = {"r", "g", "alpha", "beta", "rho", "theta", "C1", "ALPHA", "BETAS", "RHOS", "THETAS"}
    from symrecycle.report import variants_doc

    found = []
    trees = [ast.parse(Path(m.__file__).read_text()) for m in (_load_script(), variants_doc)]
    for node in (x for tree in trees for x in ast.walk(tree)):
        if isinstance(node, (ast.BinOp, ast.UnaryOp)) and not any(
            isinstance(x, ast.JoinedStr) or (isinstance(x, ast.Constant) and isinstance(x.value, str))
            for x in ast.walk(node)
        ):  # text is not arithmetic
            used = {x.id for x in ast.walk(node) if isinstance(x, ast.Name)}
            used |= {x.attr for x in ast.walk(node) if isinstance(x, ast.Attribute)}
            if used & names:
                found.append(ast.unparse(node))
    assert found == []
    # and the check sees arithmetic where there is some
    assert ast.parse("x = s.r * s.g").body[0].value.op.__class__ is ast.Mult


# -- 1. the two readings -----------------------------------------------------------------------------
def test_limits_table_against_evaluate(run):
    rows = read_csv(run["out"] / "variants-limits.csv")
    eff, low = model("kickstarting-effective"), model("kickstarting-lower-alpha")
    kick = sr.get_model("kickstarting")
    scen = {s.id: s for s in growth_scenarios() if s.table1}
    assert [r["scenario"] for r in rows[::3]] == list(scen)
    assert len(rows) == 3 * len(scen)
    for row in rows:
        r, g, a = float(row["r"]), float(row["g"]), float(row["alpha"])
        assert r * g == pytest.approx(float(scen[row["scenario"]].factor), rel=1e-15)
        assert float(row["limit_effective"]) == eff.evaluate("limit", r=r, g=g, alpha=a)
        assert float(row["limit_lower_alpha"]) == low.evaluate("limit", r=r, g=g, alpha=a)
        growth = float(scen[row["scenario"]].factor)
        assert float(row["kickstarting_limit_at_rg"]) == kick.evaluate("limit", r=growth, alpha=a)
        # the answer, typed: both readings give rg / (rg - alpha)
        for key in ("limit_effective", "limit_lower_alpha", "kickstarting_limit_at_rg"):
            assert float(row[key]) == pytest.approx(r * g / (r * g - a), rel=1e-12)
    # at alpha = 1 the effective-compute reading is Table 1's column
    t1 = {d[0]: float(d[3]) for d in reproduce.table1().data}
    for row in rows:
        if row["alpha"] == "1.0":
            assert float(row["limit_effective"]) == t1[row["scenario"]]
    md = (run["out"] / "variants-limits.md").read_text()
    assert "| Hardware efficiency + Software efficiency | 1.3 | 2.5 | 1 | 1.4444 | 1.4444 | 1.4444 |" in md
    assert "The engine's limits of the two readings coincide" in md
    assert r"\label{tab:variants-limits}" in (run["out"] / "variants-limits.tex").read_text()


def test_readings_figure_against_iterate(run):
    rows = read_csv(run["out"] / "variants-readings.csv")
    groups = defaultdict(list)
    for row in rows:
        groups[(row["model"], row["alpha"], row["r"], row["g"])].append(row)
    assert {k[0] for k in groups} == {"kickstarting-effective", "kickstarting-lower-alpha"}
    assert len(groups) == 2 * 2 * 2  # two readings, two alphas, two settings with progress
    for (name, a, r, g), rs in groups.items():
        m = model(name)
        vals = {"r": float(r), "g": float(g), "alpha": float(a)}
        finite = [x for x in rs if x["n"] != "inf"]
        n = len(finite)
        assert [int(x["n"]) for x in finite] == list(range(1, n + 1))
        it = m.iterate(n, metric="benefit", **vals)
        np.testing.assert_allclose([float(x["benefit"]) for x in finite], it, rtol=RTOL)
        (lim,) = [float(x["benefit"]) for x in rs if x["n"] == "inf"]
        assert lim == m.evaluate("limit", **vals)
    # the two readings give the same numbers
    for (name, a, r, g), rs in groups.items():
        if name == "kickstarting-effective":
            other = groups[("kickstarting-lower-alpha", a, r, g)]
            np.testing.assert_allclose([float(x["benefit"]) for x in rs],
                                       [float(x["benefit"]) for x in other], rtol=1e-14)


def test_readings_figure_draws_its_csv(run):
    fig = run["res"]["figures"]["variants-readings"]
    rows = read_csv(run["here"] / "variants-readings.csv")
    ax = fig.figure.axes[0]
    line = next(x for x in ax.lines if x.get_gid() == "lower-alpha r=1.3 g=2.5")
    want = [float(x["benefit"]) for x in rows if x["model"] == "kickstarting-lower-alpha" and x["r"] == "1.3"
            and x["alpha"] == "0.9" and x["n"] != "inf"]
    np.testing.assert_array_equal(line.get_xydata()[:, 1], want)


def test_coincidence_is_decided_and_can_fail(run, script):
    st = json.loads((run["out"] / "variants.json").read_text())
    assert st["readings"]["benefit_coincide"] is True
    assert st["readings"]["limit_coincide"] is True
    eff, low = model("kickstarting-effective"), model("kickstarting-lower-alpha")
    assert script.coincide(eff.benefit(), low.benefit())
    assert script.coincide(low.limit(), eff.limit())
    # the decision is not a rubber stamp: different results are found different
    assert not script.coincide(sr.get_model("kickstarting").limit(), eff.limit())
    assert not script.coincide(model("kickstarting-augmentation").limit(), eff.limit())
    md = (run["out"] / "variants.md").read_text()
    assert "**The two readings coincide.**" in md
    assert "The two readings coincide: the engine's benefits and limits are equal case by case" in md
    for m in (eff, low):
        assert f"$$ {m.limit().latex()} $$" in md
        assert st["readings"]["results"][m.name]["limit"]["text"] == m.limit().text()


# -- 2. combined -----------------------------------------------------------------------------------------
def test_combined_results_and_figure(run):
    m = model("kickstarting-augmentation")
    st = json.loads((run["out"] / "variants.json").read_text())["combined"]
    assert st["results"]["limit"]["text"] == m.limit().text()
    assert st["results"]["breakeven_limit"]["text"] == m.breakeven("beta", of="limit").text()
    assert st["breakeven_independent_of_n"] is True
    for sid, bstar in st["breakeven_beta"].items():
        (s,) = [x for x in growth_scenarios() if x.id == sid]
        rg = float(s.factor)
        assert bstar == pytest.approx(1 - st["alpha"] / rg, rel=1e-12)
        # at beta* the limit is 1 (training from scratch)
        vals = {"alpha": st["alpha"], "beta": bstar}
        (r,), (g,) = ([float(x.factor) for x in s.rates if (x.id == "software") is prog]
                      for prog in (False, True))
        assert m.evaluate("limit", r=r, g=g, **vals) == pytest.approx(1, rel=1e-12)
    rows = read_csv(run["out"] / "variants-combined.csv")
    groups = defaultdict(list)
    for row in rows:
        if row["quantity"] == "benefit":
            groups[(row["r"], row["g"], row["alpha"], row["beta"])].append(row)
        else:
            assert row["quantity"] == "breakeven_beta_of_limit"
            r, g, a, v = (float(row[k]) for k in ("r", "g", "alpha", "value"))
            assert v == pytest.approx(1 - a / (r * g), rel=1e-12, abs=1e-15)
    assert len(groups) == 2 * 6
    for key, rs in groups.items():
        vals = dict(zip(("r", "g", "alpha", "beta"), map(float, key)))
        finite = [float(x["value"]) for x in rs if x["n"] != "inf"]
        np.testing.assert_allclose(finite, m.iterate(len(finite), metric="benefit", **vals), rtol=RTOL)
        (lim,) = [float(x["value"]) for x in rs if x["n"] == "inf"]
        assert lim == m.evaluate("limit", **vals)


# -- 3. beyond exponential closed forms ----------------------------------------------------------
def test_numeric_only_is_said(run):
    name = "endogenous-progress"
    m = model(name)
    assert m.has_closed_form() is False
    with pytest.raises(NoClosedForm):
        m.closed_form()
    assert m.limit().verified  # through the benefit's map of itself
    st = json.loads((run["out"] / "variants.json").read_text())
    assert st["closed_forms"][name] == {"has_closed_form": False, "reason": m.closed_form_problem()}
    md = (run["out"] / "variants.md").read_text()
    assert f"> {m.closed_form_problem()}" in md
    part = md.split(f"`{name}.toml`")[1]
    assert "Closed form: **no, numeric iteration and the limit through its map** (`has_closed_form()` is " \
        "False)." in part
    bound = st["bounds"][name]
    assert bound["holds"] is True
    assert bound["points"] == 180
    assert "**holds**" in part


def test_reuse_decay_closed_form_as_a_sum_is_stated(run):
    m = model("reuse-decay")
    st = json.loads((run["out"] / "variants.json").read_text())
    assert st["closed_forms"]["reuse-decay"] == {"has_closed_form": True, "reason": None}
    res = st["reuse_decay"]["results"]
    assert res["closed_form"]["text"] == m.closed_form().text()
    assert res["limit"]["text"] == m.limit().text()
    assert all(r["verified"] for r in res.values())
    assert st["reuse_decay"]["closed_vs_iterated"] <= 1e-14
    md = (run["out"] / "variants.md").read_text()
    part = md.split("`reuse-decay.toml`")[1].split("### Endogenous")[0]
    assert "Closed form: **yes** (`has_closed_form()` is True)." in part
    assert "Closed form of adjusted compute (an unrolled sum)" in part
    assert "**holds**" in part
    tex = (run["out"] / "variants.tex").read_text()
    assert m.closed_form().latex() in tex
    assert m.limit().latex() in tex


def test_reuse_decay_figure_against_iterate(run):
    m, kick = model("reuse-decay"), sr.get_model("kickstarting")
    rows = read_csv(run["out"] / "variants-reuse-decay.csv")
    groups = defaultdict(list)
    for row in rows:
        groups[(row["model"], row["r"], row["alpha"], row["rho"])].append(float(row["benefit"]))
    kicks = {(r, a): v for (name, r, a, _), v in groups.items() if name == "kickstarting"}
    assert len(kicks) == 2
    decays = {k: v for k, v in groups.items() if k[0] == "reuse-decay"}
    assert len(decays) == 6
    for (_, r, a, rho), got in decays.items():
        it = m.iterate(len(got), metric="benefit", r=float(r), alpha=float(a), rho=float(rho))
        np.testing.assert_allclose(got, it, rtol=1e-14)  # the engine's sum against iteration
        # the model file's bound: kickstarting's benefit is at least this one
        assert np.all(np.array(got) <= np.array(kicks[(r, a)]) * (1 + RTOL))
        assert got[-1] < kicks[(r, a)][-1] - 0.01  # and not trivially: the decay is visible
    for (r, a), got in kicks.items():
        np.testing.assert_allclose(got, kick.iterate(len(got), metric="benefit", r=float(r), alpha=float(a)),
                                   rtol=RTOL)
        at_one = m.iterate(len(got), metric="benefit", r=float(r), alpha=float(a), rho=1.0)
        np.testing.assert_allclose(got, at_one, rtol=RTOL)


def test_endogenous_figure_against_iterate_and_bound(run):
    m, eff = model("endogenous-progress"), model("kickstarting-effective")
    rows = read_csv(run["out"] / "variants-endogenous.csv")
    groups = defaultdict(list)
    for row in rows:
        groups[(row["model"], row["metric"], row["r"], row["g"], row["alpha"], row["theta"])].append(
            float(row["value"]))
    exo = {k[2:5]: v for k, v in groups.items() if k[0] == "kickstarting-effective"}
    assert len(exo) == 2
    benefit = {k: v for k, v in groups.items() if k[0] == m.name and k[1] == "benefit"}
    gain = {k: v for k, v in groups.items() if k[0] == m.name and k[1] == "gain"}
    assert len(benefit) == 6
    assert len(gain) == 4
    for (_, metric, r, g, a, th), got in [*benefit.items(), *gain.items()]:
        vals = {"r": float(r), "g": float(g), "alpha": float(a), "theta": float(th)}
        np.testing.assert_array_equal(got, m.iterate(len(got), metric=metric, **vals))
    for (_, _, r, g, a, _th), got in benefit.items():
        assert np.all(np.array(got) <= np.array(exo[(r, g, a)]) * (1 + RTOL))
        assert got[-1] < exo[(r, g, a)][-1] * (1 - 1e-4)  # strictly below for theta > 0
    for (r, g, a), got in exo.items():
        vals = {"r": float(r), "g": float(g), "alpha": float(a)}
        np.testing.assert_allclose(got, eff.iterate(len(got), metric="benefit", **vals), rtol=RTOL)
        np.testing.assert_allclose(got, m.iterate(len(got), metric="benefit", theta=0.0, **vals), rtol=RTOL)
    # the gain over no recycling grows with theta (progress compounds the benefit)
    last = {float(k[-1]): v[-1] for k, v in gain.items()}
    assert sorted(last, key=last.get) == sorted(last)


def test_endogenous_fixed_point_drawn_and_approached(run):
    """The engine's limit (the fixed point of the benefit's map): B* = lim B_n at the plotted settings, in the
    CSV, figure and JSON."""

    m = model("endogenous-progress")
    rows = read_csv(run["out"] / "variants-endogenous.csv")
    limits = {(r["r"], r["g"], r["alpha"], r["theta"]): float(r["value"])
              for r in rows if r["metric"] == "limit"}
    assert len(limits) == 6
    assert all(r["n"] == "inf" for r in rows if r["metric"] == "limit")
    fig = run["res"]["figures"]["variants-endogenous"].figure
    for (r, g, a, th), star in limits.items():
        vals = {"r": float(r), "g": float(g), "alpha": float(a), "theta": float(th)}
        assert star == m.evaluate("limit", **vals)
        b = [float(x["value"]) for x in rows if x["metric"] == "benefit" and x["model"] == m.name
             and (x["r"], x["g"], x["alpha"], x["theta"]) == (r, g, a, th)]
        assert np.all(np.diff(b) >= -RTOL * np.array(b[1:]))  # increasing, up to float rounding
        assert np.all(np.array(b) <= star * (1 + RTOL))
        assert b[-1] == pytest.approx(star, rel=RTOL)
        # and B* is the limit: the model iterated much longer
        assert m.iterate(400, metric="benefit", last=True, **vals) == pytest.approx(star, rel=RTOL)
        if th == "1.0":  # the closed form 1 + alpha/(g r), typed
            assert star == pytest.approx(1 + vals["alpha"] / (vals["g"] * vals["r"]), rel=1e-15)
        (ax,) = [x for x in fig.axes[:2] if f"$r = {float(r):g}$, $g = {float(g):g}$," in x.get_title()]
        (line,) = [x for x in ax.lines if x.get_gid() == f"B* theta={float(th):g}"]
        np.testing.assert_array_equal(line.get_ydata(), [star, star])
        assert line.get_linestyle() == ":"
    st = json.loads((run["out"] / "variants.json").read_text())["endogenous_fixed_point"]
    assert st["approach"]["holds"] is True
    assert st["approach"]["points"] == 6
    assert len(st["values"]) == 6
    for q in ("limit", "sensitivity"):
        assert st["results"][q]["verified"] is True
    assert "B**(1 - theta)*alpha/(g*r) + 1" in st["results"]["limit"]["text"]
    md = (run["out"] / "variants.md").read_text()
    part = md.split("`endogenous-progress.toml`")[1]
    assert "The limit of the benefit: the fixed point B* (verified)" in part
    assert "The iterated benefit approaches B* monotonically from below: **holds**" in part
    caption = run["res"]["figures"]["variants-endogenous"].caption
    assert "Dotted: the fixed point B* = lim B_n" in caption


# -- 4. the summary -------------------------------------------------------------------------------------
def test_summary_links_every_file(run):
    out = run["out"]
    md = (out / "variants.md").read_text()
    linked = set(re.findall(r"\]\(([^)]+)\)", md))
    assert set(FILES) - {"variants.md"} <= linked
    assert all((out / x).exists() for x in linked)
    for name in ("readings", "combined", "reuse-decay", "endogenous"):
        assert f"![variants-{name}](variants-{name}.png)" in md


def test_latex_document(run, tmp_path):
    tex = (run["out"] / "variants.tex").read_text()
    m = model("kickstarting-augmentation")
    assert m.breakeven("beta", of="limit").latex() in tex
    assert tex.count(r"\begin{equation*}") == 9
    assert "% certificate: NOT verified" not in tex
    endo = model("endogenous-progress")
    assert endo.limit().latex() in tex  # the limit through the benefit's map, \operatorname{fix}(...)
    assert r"\operatorname{fix}\left(B \mapsto" in tex
    if shutil.which("pdflatex"):
        from symrecycle.report.latex import compile_pdf

        copy = tmp_path / "variants.tex"
        copy.write_text(tex)
        assert compile_pdf(copy).read_bytes().startswith(b"%PDF")


# -- reproduce ------------------------------------------------------------------------------------------
def test_the_script_is_a_thin_wrapper():
    """derivations/variants.py only calls the package (which reproduce uses too)."""
    tree = ast.parse(SCRIPT.read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert [ast.unparse(c.func) for c in calls] == ["sys.exit", "variants_doc.main"]
