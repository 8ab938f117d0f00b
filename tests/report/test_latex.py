"""LaTeX exports: the equations document (it compiles), booktabs tables, escaping."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import sympy as sp

import symrecycle as sr
from symrecycle.core import sym as _sym
from symrecycle.core import texsafe as _texsafe
from symrecycle.core.results import Result
from symrecycle.io import outputs as _outputs
from symrecycle.models import catalogue
from symrecycle.report import latex as _latex


@pytest.fixture(scope="module")
def kick_derived():
    m = sr.get_model("kickstarting")
    return m, _latex.derivations(m)


@pytest.fixture(scope="module")
def aug_derived(aug):
    return aug, _latex.derivations(aug)


def test_escape():
    assert _texsafe.escape("a_b & 50% {x} #1 $ ~ ^ \\") == (
        r"a\_b \& 50\% \{x\} \#1 \$ \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )


def test_booktabs():
    tex = _outputs.booktabs(["x", "y_1"], [["1", "2%"]], caption="c & d", label="tab:t", align="lr")
    lines = tex.splitlines()
    assert lines[2] == r"\begin{tabular}{lr}"
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"x & y\_1 \\" in lines
    assert r"1 & 2\% \\" in lines
    assert r"\caption{c \& d}" in lines


def test_every_result_of_the_model_is_in_the_document(kick_derived):
    m, derived = kick_derived
    doc = _latex.render_document([m], {m.name: derived})
    # closed forms of C and A; per parameter (r, alpha): 2 sensitivities, 2 elasticities, 2 breakevens;
    # benefit, limit, iterations-to
    assert len(derived) == 2 + 3 + 2 * 6
    for d in derived:
        assert f"({d.label})" in doc, d.key
        assert d.result is not None, d.error
    labels = re.findall(r"\\label\{([^}]*)\}", doc)
    assert len(labels) == len(set(labels))
    # one equation per result with a value; its label names the model and the result
    with_value = [d for d in derived if any(v is not sp.nan for v, _c in d.result.cases)]
    assert labels == [d.label for d in with_value]
    assert "eq:kickstarting:benefit:limit" in labels
    assert doc.count(r"\begin{equation}") == len(with_value)
    # the engine's expressions, printed as a person writes them
    assert r"\frac{r}{r - \alpha} & \text{if } \alpha < r" in doc
    assert "NaN" not in doc
    assert r"\text{NaN}" not in doc
    assert "No solution for any value of the parameters." in doc  # the breakeven in r
    # certificate status as comments
    assert doc.count("% certificate: verified") == sum(d.result.verified for d in derived)
    assert f"% {len(derived)} results: {len(derived)} verified, 0 not verified, 0 not derived" in doc


def test_cases_with_if_and_undefined_cases_in_words(kick_derived):
    _m, derived = kick_derived
    d = next(x for x in derived if x.key == "benefit:limit")
    eq, below = _latex._equation(d)
    assert below == []
    assert eq[1] == (r"\lim_{n \to \infty} B_{n} = \begin{cases} \frac{r}{r - \alpha} "
                     r"& \text{if } \alpha < r \\ \infty & \text{if } \alpha \geq r \end{cases} "
                     r"\label{eq:kickstarting:benefit:limit}")
    d = next(x for x in derived if x.key == "benefit:sensitivity:alpha:limit")
    eq, below = _latex._equation(d)
    assert eq[1].endswith(r"\quad \text{if } \alpha < r "
                          r"\label{eq:kickstarting:benefit:sensitivity:alpha:limit}")
    assert below == [r"\noindent Undefined (no finite value) where $\alpha \geq r$.\par"]


def test_the_augmentation_equations_as_typed(aug_derived):
    _aug, derived = aug_derived
    by_key = {d.key: d for d in derived}
    eq, below = _latex._equation(by_key["benefit:breakeven:r:limit"])
    assert eq[1] == (r"r^{*} = \frac{1}{g \left(1 - \beta\right)} \quad \text{if } 0 < \beta < 1 "
                     r"\label{eq:augmentation:benefit:breakeven:r:limit}")
    assert below == [r"\noindent No solution where $\beta = 0 \text{ or } \beta = 1$.\par"]
    eq, below = _latex._equation(by_key["benefit:limit"])
    assert eq[1] == (r"\lim_{n \to \infty} B_{n} = \begin{cases} 1 & \text{if } \beta = 0 \text{ and } "
                     r"g r = 1 \\ \frac{\beta g r}{g r - 1} & \text{if } g r > 1 \\ \infty & "
                     r"\text{otherwise} \end{cases} \label{eq:augmentation:benefit:limit}")
    eq, below = _latex._equation(by_key["benefit:sensitivity:beta:limit"])
    assert eq[1].startswith(r"\frac{\partial}{\partial \beta} \lim_{n \to \infty} B_{n} = "
                            r"\frac{g r}{g r - 1} \quad \text{if } g r > 1")
    assert below == [r"\noindent Undefined (no finite value) where $\beta = 0 \text{ and } g r = 1$.\par",
                     r"\noindent Undefined (no finite value) where $g r < 1 \text{ or } "
                     r"(\beta > 0 \text{ and } g r \leq 1)$.\par"]


def test_long_parts_are_named_and_set_below():
    r, a = sp.symbols("r alpha", positive=True)
    cond = sp.And(*[sp.Or(sp.Eq(r, k), r > k + sp.Rational(1, 2), a < k) for k in range(60)])
    long_value = sum(a**k / (r + k) for k in range(80))
    res = Result("kickstarting", "test", sp.Piecewise((long_value, cond), (1, True)), "X_{n}", verified=True)
    d = _latex.Derivation("kickstarting", "test:long", "A long one", res)
    eq, below = _latex._equation(d)
    assert eq[1].startswith(r"X_{n} = \begin{cases} E_{1} & \text{if } K_{1} \\ 1 & \text{if } K_{2}")
    assert len(below) == 3
    assert not any(r"\neg" in line for line in below)
    assert all(len(line) < 300 for line in eq)


def test_engine_exceptions_become_stable_reasons(monkeypatch):
    m = sr.get_model("kickstarting")

    def deep(*a, **k):
        return deep(*a, **k)

    monkeypatch.setattr(type(m), "limit", lambda self, *a, **k: deep())
    d = _latex._derive(m, "benefit:limit", "Its limit", ("limit", ("benefit",), {}))
    assert d.result is None
    assert d.error == "RecursionError: maximum recursion depth exceeded"


def test_failures_are_shown_not_hidden():
    d = _latex.Derivation("kickstarting", "x", "Something hard", None, "NotImplementedError: a_b & c")
    block = "\n".join(_latex._block(d))
    assert "% not derived: NotImplementedError: a_b & c" in block
    assert r"\textbf{Not derived.}" in block
    assert r"\texttt{NotImplementedError: a\_b \& c}" in block


@pytest.mark.usefixtures("pdflatex")
def test_the_document_compiles(tmp_path, kick_derived):
    m, derived = kick_derived
    r, a = sp.symbols("r alpha", positive=True)
    cond = sp.And(*[sp.Or(sp.Eq(r, k), r > k + sp.Rational(1, 2), a < k) for k in range(80)])
    long_res = Result("kickstarting", "test", sp.Piecewise((sum(a**k / (r + k) for k in range(60)), cond),
                                                           (1, True)), "X_{n}", verified=False)
    extra = [_latex.Derivation("kickstarting", "test:long", "A long one", long_res),
             _latex.Derivation("kickstarting", "test:fail", "A failed one", None, "RecursionError: deep_1 %")]
    doc = _latex.render_document([m], {m.name: derived + extra})
    tex = tmp_path / "eq.tex"
    tex.write_text(doc, encoding="utf-8")
    pdf = _latex.compile_pdf(tex)
    assert pdf == tmp_path / "eq.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eq.pdf", "eq.tex"]  # no aux or temp files
    assert _latex.compile_pdf(tex).read_bytes() == data  # same input, same bytes


@pytest.mark.usefixtures("pdflatex")
def test_the_report_models_equations_fit_the_page(tmp_path, kick_derived, aug_derived):
    """Both report models' documents, as reproduce writes them: no line sticks out over 1 pt."""
    (kick, k_derived), (aug, a_derived) = kick_derived, aug_derived
    tex = tmp_path / "equations.tex"
    doc = _latex.render_document([kick, aug], {kick.name: k_derived, aug.name: a_derived})
    tex.write_text(doc, encoding="utf-8")
    assert [x for x in _latex.overfull_boxes(tex) if x > 1] == []
    wide = tmp_path / "wide.tex"  # the measure sees a line that does not fit
    wide.write_text(r"\documentclass{article}\begin{document}\noindent\hbox to 600pt{x}\end{document}")
    assert _latex.overfull_boxes(wide) == [pytest.approx(255.0, abs=1)]


@pytest.mark.usefixtures("pdflatex")
def test_the_preamble_names_every_package_the_output_uses(tmp_path, kick_derived):
    m, derived = kick_derived
    doc = _latex.render_document([m], {m.name: derived})
    body = doc.split(r"\begin{document}", 1)[1]
    table = _outputs.Table("t", ("a", "b"), (("x", "1.5"),), "A table.").latex()
    paper = tmp_path / "paper.tex"
    paper.write_text("\n".join([r"\documentclass{article}", _latex.preamble(), r"\begin{document}",
                                m.limit().latex(lhs=True).join([r"\begin{equation}", r"\end{equation}"]),
                                table, body]), encoding="utf-8")
    assert _latex.compile_pdf(paper).read_bytes().startswith(b"%PDF")


@pytest.mark.usefixtures("pdflatex")
def test_compile_errors_carry_the_log(tmp_path):
    tex = tmp_path / "bad.tex"
    tex.write_text("\\documentclass{article}\\begin{document}$\\frac{1}$\\end{document}\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="pdflatex failed") as info:
        _latex.compile_pdf(tex)
    assert "!" in str(info.value)
    assert not (tmp_path / "bad.pdf").exists()


def test_worker_processes_give_the_same_document(kick_derived):
    m, derived = kick_derived
    serial = _latex.render_document([m], {m.name: derived})
    # a model made at run time is unknown to a fresh worker process: it is derived here instead
    copy = dataclasses.replace(m, name="kick-copy")
    both = _latex.derive_all([m, copy], workers=2, time_limit=120)
    assert _latex.render_document([m], {m.name: both[m.name]}) == serial
    assert [d.key for d in both["kick-copy"]] == [d.key for d in derived]
    assert all(d.result is not None and d.result.verified for d in both["kick-copy"])
    assert [d.result.expr for d in both["kick-copy"]] == [d.result.expr for d in derived]


def test_a_result_from_a_worker_process_is_the_one_derived_here(monkeypatch):
    # a worker's result came back pickled, and SymPy evaluated Contains(r, (0, oo)) of the positive r to
    # True on the way: the domains were lost, and the cases decided from them read differently
    monkeypatch.setenv("SYMRECYCLE_NO_CACHE", "1")  # derived in the worker process, not read
    model = catalogue.kickstarting()
    tasks = [("kickstarting", *t) for t in _latex._tasks(model)
             if t[0] in ("closed-form:A", "benefit:limit", "benefit:sensitivity:alpha:limit")]
    there = _latex._in_workers([model], tasks, 1, 600, None)
    here = [_latex._derive(catalogue.kickstarting(), *t[1:]) for t in tasks]
    assert [d.key for d in there] == [d.key for d in here] == [t[1] for t in tasks]
    assert all(d.result is not None for d in there)
    for a, b in zip(there, here, strict=True):
        assert (a.error, a.result is None) == (b.error, b.result is None), a.key
        if a.result is not None:
            assert a.result.conditions == b.result.conditions, a.key
            assert sp.true not in a.result.conditions, a.key
            assert a.result.expr == b.result.expr, a.key
            assert [c.text() for _v, c in a.result.cases] == [c.text() for _v, c in b.result.cases], a.key


def test_a_time_limit_reports_instead_of_waiting(tmp_path, monkeypatch):
    # 1 ms per result: a derivation that takes longer than the parent's look at the clock (0.1 s) is
    # stopped, and its worker started anew. A cache of its own holds every result but the four slowest
    # (derived here, the others take 0.1 s or less), so that only those go to a worker. One worker: a
    # time limit is kept in a worker process even where one process is asked for (reproduce's way)
    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(tmp_path))
    tasks = _latex._tasks(catalogue.kickstarting())
    slow = {f"benefit:{q}:{p}:n" for q in ("sensitivity", "elasticity") for p in ("r", "alpha")}
    filler = catalogue.kickstarting()
    for key, title, call in tasks:
        if key not in slow:
            assert _latex._derive(filler, key, title, call).result is not None
    fresh = catalogue.kickstarting()  # nothing derived in this process's memory
    out = _latex.derive_all([fresh], workers=1, time_limit=0.001)["kickstarting"]
    timed_out = {d.key for d in out if d.error and "time limit of 0.001 s" in d.error}
    assert timed_out
    assert timed_out <= slow
    assert all(d.result is not None or d.key in timed_out for d in out)
    assert [d.key for d in out] == [t[0] for t in tasks]


def test_results_in_the_cache_are_read_here_and_only_the_rest_goes_to_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRECYCLE_CACHE_DIR", str(tmp_path))
    # what the model object holds already (listing the tasks derives the benefit) is read in this process
    tasks = _latex._tasks(catalogue.kickstarting())
    held = {t[0] for t in tasks if _latex._stored(catalogue.kickstarting(), *t) is not None}
    assert len(held) < len(tasks)
    calls = []
    real = _latex._in_workers

    def spy(models, todo, *args):
        calls.append([t[1] for t in todo])
        return real(models, todo, *args)

    monkeypatch.setattr(_latex, "_in_workers", spy)
    # fresh model objects: what they hold comes from the workers, then from the disk
    first = _latex.derive_all([catalogue.kickstarting()], workers=2)["kickstarting"]
    second = _latex.derive_all([catalogue.kickstarting()], workers=2)["kickstarting"]
    assert sorted(calls[0]) == sorted(t[0] for t in tasks if t[0] not in held)
    assert calls[1] == []  # all read in this process
    assert [(d.key, d.error, d.result and d.result.expr) for d in second] == [
        (d.key, d.error, d.result and d.result.expr) for d in first]


def test_every_result_of_the_report_models_and_variants_as_typed(kick_derived, aug_derived):
    """The LaTeX of each case's value and canonical condition, for every result of both report models and
    the limits and breakevens of the shipped variants, as typed in ``typed_latex.json`` (read as data).

    Left out: augmentation's real-compute results in g, whose Piecewise the engine orders differently
    from one process to another (which case holds the point g = 1 changes; each form is verified).
    """
    typed = json.loads((Path(__file__).parent / "typed_latex.json").read_text("utf-8"))
    got = {}
    for m, derived in (kick_derived, aug_derived):
        for d in derived:
            if d.result is not None and not (d.key.startswith("real:") and ":g:" in d.key):
                got[f"{m.name}:{d.key}"] = [[_sym.latex(v), c.latex()] for v, c in d.result.cases]
    for name in ("kickstarting-augmentation", "kickstarting-effective", "kickstarting-lower-alpha"):
        m = sr.get_model(name)
        res = {"limit": m.limit()}
        if any(p.name == "beta" for p in m.parameters):
            res["breakeven:beta:limit"] = m.breakeven("beta", of="limit")
        for key, r in res.items():
            got[f"{name}:{key}"] = [[_sym.latex(v), c.latex()] for v, c in r.cases]
    assert sorted(got) == sorted(typed)
    for key in typed:
        assert got[key] == typed[key], key
