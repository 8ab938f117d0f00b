r"""Reproduce the report: Table 1, Figures 1-4, the equations, the audit of its claims.

:func:`reproduce` writes everything into one directory with a Markdown report
(``report.md``) linking every file; the ``write_*`` functions each write one
part (the scripts in ``derivations/`` call them). Every number comes from the
models: Table 1 from the growth rates of :func:`symrecycle.io.growth.growth_rates`
and the kickstarting model's limit, the figures from :mod:`symrecycle.report.figures`,
the equations from :mod:`symrecycle.report.latex`, the audit from
:mod:`symrecycle.io.claimfile`. Where the source checkout is at hand,
:func:`write_variants` adds the report's model variants
(:mod:`symrecycle.report.variants`, from the shipped model files).

Output directories: :func:`prepare_out_dir` creates the directory with a
marker file; a non-empty directory without the marker (one that
``reproduce`` did not create) is refused unless ``force``. Every file is
written to a temporary name in the same directory and renamed.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..core.version import VERSION
from ..io import claimfile as _claimfile
from ..io import files as _files
from ..io import registry
from ..io.growth import growth_rates, growth_scenarios
from ..io.outputs import Table, prepare_out_dir, script_output
from ..models import store as _store
from ..numeric import pool as _processes
from . import claims as _claims
from . import figures as plots
from . import latex as _latex
from . import variants_doc as _variants_doc
from .claims import format_text
from .figures import figure3_rates

__all__ = [
    "table1", "write_text", "write_table1", "write_figure", "write_equations", "write_claims",
    "write_variants", "reproduce", "summary_line", "STEPS", "figure_script"
]


#: the report's models
MODELS = ("kickstarting", "augmentation")
#: processes for the derivations of the equations (``derivations/equations.py``); ``reproduce``
#: derives them in one, beside the process of the variants and the claims and this one's figures: a
#: second shared the two cores with them and derived again what the first held (22 s -> 18 s cold)
WORKERS = 2
#: seconds one derivation may take: a safety net against a derivation that never ends, set far
#: above what any takes (a limit that is reached makes the document depend on the machine's speed)
TIME_LIMIT = 180.0


# -- files -------------------------------------------------------------------------------------------
def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, complete or not at all (see :mod:`symrecycle.io.files`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = write_text(pathlib.Path(tempfile.mkdtemp()) / "note.txt", "hello")
    >>> path.name, path.read_text()
    ('note.txt', 'hello')
    """
    return _files.write_text(path, text)


def figure_script(name: str, doc: str, argv=None) -> int:
    """The whole of ``derivations/<name>.py`` for a figure: write it, print its files and caption.

    ``--size one-column`` (3.4 in) or ``two-column`` (7 in, the default) chooses the figure's width.
    """
    def add(parser):
        parser.add_argument("--size", choices=("one-column", "two-column"), default="two-column",
                            help="the figure's width: one column (3.4 in) or two (7 in, the default)")

    args, out = script_output(doc, f"{name}.py", argv, add)
    if out is None:
        return 2
    data, paths = write_figure(name, out, size=args.size)
    for path in paths.values():
        print(path)
    print(data.caption)
    return 0


# -- Table 1 -----------------------------------------------------------------------------------------
def table1() -> Table:
    """Table 1: the maximum compute multiplier for each growth scenario of the report.

    The growth factor of each scenario is the product of its rates' factors
    (:func:`symrecycle.io.growth.growth_scenarios`, with their citations); the
    multiplier is the kickstarting model's limit at alpha = 1 (the largest
    alpha gives the largest limit). The printed column is the report's own
    figure, from the shipped claims file.

    Examples
    --------
    >>> t = table1()
    >>> [r[2] for r in t.rows]
    ['4.2', '1.3', '10.5', '3.25']
    >>> [r[3] for r in t.rows]
    ['1.312', '4.333', '1.105', '1.444']
    """


    m = registry.get_model("kickstarting")
    printed = {c.id: c.stated for c in _claimfile.load_claims(_claims.report_claims_path())}
    rows, data = [], []
    for s in growth_scenarios():
        if not s.table1:
            continue
        factor = float(s.factor)
        limit = float(m.evaluate("limit", r=factor, alpha=1.0))
        sources = " x ".join(f"{rate.value}{' %/yr' if rate.unit == 'percent_per_year' else 'x/yr'} "
                             f"({rate.cite})" for rate in s.rates)
        rep = printed.get(f"table1-{s.id}", "")
        rows.append((s.name, sources, f"{factor:g}", f"{limit:.3f}", f"{rep}x" if rep else "-"))
        data.append((s.id, s.name, repr(factor), repr(limit), rep,
                     "; ".join(f"{r.id}={r.value} {r.unit} ({r.cite})" for r in s.rates)))
    caption = (
        "Table 1 (regenerated). Maximum compute multiplier: the limit of the kickstarting benefit A_n/C_n "
        "as n grows, at re-use efficiency alpha = 1, for each growth rate r of the effective compute "
        "budget. Growth rates are products of the report's sourced rates. The last column is the "
        "figure the report prints."
    )
    return Table(
        "table1",
        ("Considered growth rate", "Sources", "Growth (x/yr)", "Recycling advantage", "Report prints"),
        tuple(rows), caption, tuple(data),
        ("scenario", "name", "growth_per_year", "recycling_advantage", "report_prints", "rates"),
    )


def write_table1(out_dir) -> list:
    """Write Table 1 as text, CSV, Markdown and LaTeX (booktabs); the paths.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_table1(tempfile.mkdtemp())]
    ['table1.txt', 'table1.csv', 'table1.md', 'table1.tex']
    """
    out = Path(out_dir)
    t = table1()
    return [write_text(out / "table1.txt", t.text()), write_text(out / "table1.csv", t.csv()),
            write_text(out / "table1.md", t.markdown()), write_text(out / "table1.tex", t.latex())]


# -- figures, equations, claims ------------------------------------------------------------------------
def write_figure(name: str, out_dir, size=None):
    """Draw one figure (``"figure1"`` ... ``"figure4"``) and write PDF, PNG, CSV; (data, paths).

    ``size``: ``"one-column"`` or ``"two-column"`` (the default).
    """

    if name not in plots.FIGURES:
        raise ValueError(f"figure: got {name!r}, expected one of {', '.join(plots.FIGURES)}")
    data = plots.FIGURES[name]() if size is None else plots.FIGURES[name](size=size)
    paths = plots.save_figure(data, out_dir)
    return data, paths


def write_equations(out_dir, workers: int = WORKERS, time_limit: float | None = TIME_LIMIT,
                    compile_pdf: bool | None = None, models=None, cancel=None) -> dict:
    """Write ``equations.tex`` (every derived result) and, where pdflatex exists, ``equations.pdf``.

    ``models``: names (default: the report's, :data:`MODELS`); ``workers`` and
    ``time_limit``, ``cancel``: see :func:`symrecycle.report.latex.derive_all`.
    ``compile_pdf=None`` compiles when ``pdflatex`` is on PATH. ``preamble.tex`` (the
    packages to load, :func:`symrecycle.report.latex.preamble`) is written beside it. Returns
    ``{"tex": path, "pdf": path or None, "pdf_error": message or None, "preamble": path,
    "summary": the count line, "not_derived": [(label, reason), ...]}``.
    """


    out = Path(out_dir)
    models = [registry.get_model(m) for m in (models or MODELS)]
    derived = _latex.derive_all(models, workers, time_limit, cancel)
    doc = _latex.render_document(models, derived)
    tex = write_text(out / "equations.tex", doc)
    res = {"tex": tex, "pdf": None, "pdf_error": None,
           "preamble": write_text(out / "preamble.tex", _latex.preamble()),
           "summary": next(ln for ln in doc.splitlines() if " results: " in ln).lstrip("% "),
           "not_derived": [(d.label, d.error) for ds in derived.values() for d in ds if d.result is None]}
    if compile_pdf or (compile_pdf is None and shutil.which("pdflatex")):
        try:
            res["pdf"] = _latex.compile_pdf(tex)
        except (RuntimeError, FileNotFoundError, OSError) as exc:
            res["pdf_error"] = str(exc).splitlines()[0]
    return res


def write_claims(out_dir, claims_path=None):
    """Audit a claims file (default: the report's) and write the copy, ``audit.txt``, ``audit.json``.

    Returns ``(results, paths)``.

    Examples
    --------
    >>> import tempfile
    >>> results, paths = write_claims(tempfile.mkdtemp())
    >>> [p.name for p in paths], results[0].id, results[0].verdict
    (['claims.toml', 'audit.txt', 'audit.json'], 'table1-compute', 'consistent')
    """

    out = Path(out_dir)
    src = _claims.report_claims_path() if claims_path is None else Path(claims_path)
    results = _claims.check_file(src)
    text = Path(src).read_text("utf-8") if claims_path is not None else src.read_text("utf-8")
    paths = [
        write_text(out / "claims.toml", text),
        write_text(out / "audit.txt", _claims.format_text(results)),
        write_text(out / "audit.json", json.dumps([r.to_dict() for r in results], indent=2) + "\n"),
    ]
    return results, paths


def write_variants(out_dir):
    """The derivation of the model variants (:mod:`symrecycle.report.variants`) into ``out_dir``.

    Returns ``{"paths": [...], "markdown": path, "statements": {...}, ...}``.
    """

    return _variants_doc.write_variants(Path(out_dir))


def _variants_for_report(out_dir) -> dict:
    """:func:`write_variants` in a worker process: what the report links (no figure objects)."""
    res = write_variants(out_dir)
    return {"paths": [str(p) for p in res["paths"]], "markdown": str(res["markdown"]),
            "statements": res["statements"]}


#: what a worker's part may refuse with, passed back to be raised here as it was there
_REFUSALS = {"OSError": OSError, "ValueError": ValueError}


def _in_worker(part: str, out_dir, cache=None):
    """One part of the report that a worker process writes: ``"variants"`` or ``"claims"``.

    ``cache``: the parent's choice (``False`` where it turned the derivation cache off), else the
    environment's. A file that cannot be written or read (``OSError``, ``ValueError``) comes back as
    ``("refused", type name, message)``, to be raised in the parent as it was here.
    """
    _store.set_enabled(cache)
    _store.keep_cases(True)  # what it derives is shown with its cases: decided once, and stored
    try:
        if part == "variants":
            return _variants_for_report(out_dir)
        if part == "claims":
            return write_claims(out_dir)
    except (OSError, ValueError) as exc:
        return ("refused", "OSError" if isinstance(exc, OSError) else "ValueError", str(exc))
    raise ValueError(f"part: got {part!r}, expected 'variants' or 'claims'")


def _worker_result(name, outcome):
    """What the worker wrote for ``name``; else the error that says why it did not (an ``OSError`` or
    ``ValueError`` as the worker met it, a ``RuntimeError`` for anything else)."""
    if isinstance(outcome, tuple) and len(outcome) == 3 and outcome[0] == "refused":
        raise _REFUSALS[outcome[1]](f"the {name}: {outcome[2]}")
    if isinstance(outcome, _processes.TaskFailed):
        raise RuntimeError(f"the {name}: {outcome.message}")
    if isinstance(outcome, (_processes.TimedOut, _processes.WorkerDied)):
        raise RuntimeError(f"the {name}: their worker process ended without a result ({outcome!r})")
    return outcome


# -- the whole report ----------------------------------------------------------------------------------
STEPS = ("table1", "figure1", "figure2", "figure3", "figure4", "claims", "variants", "equations", "report")


def reproduce(out_dir, force: bool = False, progress=None, summary: list | None = None) -> Path:
    """Regenerate every table, figure and equation of the report and audit its claims.

    Parameters
    ----------
    out_dir : path
        Created if missing. A non-empty directory that symrecycle did not
        create is refused (``FileExistsError``) unless ``force``.
    force : bool
        Write into a non-empty directory anyway (only symrecycle's own file
        names are written).
    progress : callable, optional
        Called as ``progress(step_name, i, total)`` before each step
        (``i`` from 1; the names are :data:`STEPS`).
    summary : list, optional
        Where given, :func:`summary_line` is appended to it (what ``symrecycle reproduce``
        prints last).

    Returns
    -------
    Path
        The generated Markdown report, ``out_dir/report.md``.
    """
    out = prepare_out_dir(out_dir, force)
    total = len(STEPS)

    def step(i, name):
        if progress is not None:
            progress(name, i, total)

    # the equations' derivations go to a worker process; the variants and the audit of the claims
    # are written by one more, while this process draws the figures
    cancel = threading.Event()  # set on any failure here (Ctrl-C): the workers stop at once
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="symrecycle-reproduce") as ex:
        eq_future = ex.submit(write_equations, out, workers=1, cancel=cancel)
        cache = False if not _store.enabled() else None
        parts = ex.submit(_processes.run_tasks, _in_worker,
                          [("variants", str(out), cache), ("claims", str(out), cache)], 1, None, cancel)
        try:
            step(1, "table1")
            tab_paths = write_table1(out)
            figs = {}
            for i, name in enumerate(("figure1", "figure2", "figure3", "figure4"), start=2):
                step(i, name)
                figs[name] = write_figure(name, out)
            step(6, "claims")
            variants, claims = parts.result()
            variants = _worker_result("model variants", variants)  # the first to fail is said
            audit, claim_paths = _worker_result("claims", claims)
            step(7, "variants")
            step(8, "equations")
            eq = eq_future.result()
        except BaseException:
            cancel.set()
            raise
    step(9, "report")
    text = report_markdown(out, tab_paths, figs, eq, audit, claim_paths, variants)
    path = write_text(out / "report.md", text)
    if summary is not None:
        summary.append(summary_line(audit, eq))
    return path


def summary_line(audit, eq) -> str:
    """One line on what a reproduction found: the claims, the results verified, what was not derived.

    ``audit``: the claims' results (:func:`write_claims`); ``eq``: what :func:`write_equations`
    returned.

    Examples
    --------
    >>> from symrecycle.io.claimfile import ClaimResult
    >>> audit = [ClaimResult("a", "1.3", 1.31, True), ClaimResult("b", "4.1", 4.3, False)]
    >>> eq = {"summary": "3 results: 2 verified, 0 not verified, 1 not derived",
    ...       "not_derived": [("x", "no closed form")]}
    >>> summary_line(audit, eq)
    'claims: 1 of 2 consistent (not: b); 3 results: 2 verified, 0 not verified, 1 not derived (x)'
    """
    bad = [r.id for r in audit if not r.consistent]
    word = ("proved or consistent" if any(r.claim is not None and r.claim.region is not None for r in audit)
            else "consistent")
    claims = (f"claims: all {len(audit)} {word}" if not bad else
              f"claims: {len(audit) - len(bad)} of {len(audit)} {word} (not: {', '.join(bad)})")
    missing = [label for label, _ in eq.get("not_derived") or ()]
    return f"{claims}; {eq['summary']}" + (f" ({', '.join(missing)})" if missing else "")


def _link(out: Path, path) -> str:
    rel = Path(os.path.relpath(Path(path).resolve(), Path(out).resolve())).as_posix()
    return f"[{rel}]({rel})"


def _variants_markdown(out: Path, variants) -> list:
    """The report's section on the model variants, from what ``write_variants`` returned."""
    lines = ["## Model variants (beyond the report)", ""]
    st = variants["statements"]
    rd, comb = st["readings"], st["combined"]
    same = rd["benefit_coincide"] and rd["limit_coincide"]
    lines += [
        "The report's variants, from the model files shipped with symrecycle (`symrecycle/model_files/`); "
        f"the summary with every result: {_link(out, variants['markdown'])}.",
        "",
        f"- Kickstarting with algorithmic progress, the two readings ({' and '.join(rd['models'])}): "
        + ("the engine's benefits and limits coincide." if same else "the engine's results differ.")
        + f" Limit: `{rd['results'][rd['models'][-1]]['limit']['text']}`.",
        f"- Kickstarting and augmentation combined ({comb['model']}): limit "
        f"`{comb['results']['limit']['text']}`; breakeven beta of the limit "
        f"`{comb['results']['breakeven_limit']['text']}`.",
    ]
    for name, flags in st["closed_forms"].items():
        bound = st["bounds"][name]
        lines.append(
            f"- {name}: "
            + ("closed form derived" if flags["has_closed_form"] else
               "no closed form of the sequences (numeric iteration; derived results beside it)")
            + f"; the model file's bound ({bound['statement']}) "
            + ("holds" if bound["holds"] else "FAILS") + f" on the {bound['points']} plotted points."
        )
    lines += ["", "Files: " + ", ".join(_link(out, p) for p in variants["paths"]), ""]
    return lines


def report_markdown(out: Path, tab_paths, figs, eq, audit, claim_paths, variants=None) -> str:
    """The generated report (Markdown) linking every file written.

    ``variants``: what :func:`write_variants` returned (``None``: not derived).
    """


    out = Path(out)
    t1 = table1()
    rates = growth_rates()
    lines = [
        "# Recycling foundation models: the report, reproduced",
        "",
        f"Generated by symrecycle {VERSION} (`symrecycle reproduce`). Every number below is "
        "derived by the toolkit from the report's two recurrences (kickstarting and model augmentation): "
        "closed forms, limits and breakevens by the symbolic engine, numbers by its numeric backend. "
        "Nothing is typed in.",
        "",
        "## How the report's growth rates are read",
        "",
        "| Rate | As printed | Factor per year | Source | Printed in |",
        "|---|---|---|---|---|",
    ]
    for r in rates.values():
        unit = {"x_per_year": "x/year", "percent_per_year": "% per year",
                "doubling_time_months": "months doubling time"}[r.unit]
        lines.append(f"| {r.name} | {r.value} {unit} | {float(r.factor):g} | {r.citation} | {r.printed_in} |")
    lines += ["", "Percentages are read as increases (p% per year is a factor 1 + p/100), "
              "as the text's own arithmetic requires. Scenarios multiply their rates:", ""]
    for sc in growth_scenarios():
        if len(sc.rates) < 2:
            continue
        prod = " x ".join(f"{float(r.factor):g}" for r in sc.rates)
        pct = float((sc.factor - 1) * 100)
        checked = [v for v in audit if v.claim is not None and v.claim.quantity == "growth"
                   and tuple(v.claim.rates) == tuple(r.id for r in sc.rates)]
        check = "; ".join(
            f"the report prints {v.stated}{'%' if v.claim.unit == 'percent_per_year' else 'x'}: {v.verdict}"
            for v in checked
        )
        lines.append(f"- {sc.name} ({sc.printed_in}): {prod} = {float(sc.factor):g} per year "
                     f"(an increase of {pct:g}%)" + (f"; {check}" if check else "") + ".")
    fig3 = rates.get("figure3")
    if fig3 is not None:
        from fractions import Fraction


        r_inc, r_mult = figure3_rates()
        prods = {}
        ids = [k for k in rates if k != "figure3"]
        for mask in range(1, 1 << len(ids)):
            chosen = [ids[i] for i in range(len(ids)) if mask >> i & 1]
            f = Fraction(1)
            for k in chosen:
                f *= Fraction(rates[k].factor)
            prods[" x ".join(chosen)] = float(f)
        near = [k for k, v in prods.items() if round(v, 1) in (round(r_inc, 1), round(r_mult, 1))]
        lines += [
            "",
            f"Figure 3's '{fig3.value}%' is read the same way, as a factor {r_inc:g} per year; the figure "
            f"also shows the other reading, a factor {r_mult:g}. The report gives no source for it: "
            + (f"no product of its other rates ({len(prods)} combinations) rounds to either reading."
               if not near else f"products of its other rates that round to a reading: {', '.join(near)}."),
        ]
    lines += [
        "",
        "## Table 1",
        "",
        t1.markdown().rstrip(),
        "",
        "Files: " + ", ".join(_link(out, p) for p in tab_paths),
        "",
    ]
    for name, (data, paths) in figs.items():
        lines += [
            f"## Figure {name.removeprefix('figure')}",
            "",
            f"![{name}]({paths['png'].name})",
            "",
            data.caption,
            "",
            "Files: " + ", ".join(_link(out, paths[k]) for k in ("pdf", "png", "csv")),
            "",
        ]
    lines += _variants_markdown(out, variants)
    lines += [
        "## Equations",
        "",
        f"Every derived result of both models in LaTeX (one labelled equation each, cases in amsmath "
        f"`cases`, certificate status as comments): "
        f"{_link(out, eq['tex'])}" + (f", compiled: {_link(out, eq['pdf'])}" if eq["pdf"] else "") + ". "
        + (f"The packages to load in a paper that takes these equations and the tables: "
           f"{_link(out, eq['preamble'])}." if eq.get("preamble") else ""),
        f"Summary: {eq['summary']}.",
    ]
    if eq.get("not_derived"):
        lines += ["", "Not derived (the engine's own report, kept in the document):", ""]
        lines += [f"- `{label}`: {' '.join(str(err).split())[:300]}" for label, err in eq["not_derived"]]
        lines.append("")
    if eq["pdf_error"]:
        lines.append(f"pdflatex failed: {eq['pdf_error']}")
    elif not eq["pdf"]:
        lines.append("pdflatex is not installed here, so no PDF was made.")
    lines += ["", "## Audit of the report's numeric claims", ""]
    regions = [r for r in audit if r.claim is not None and r.claim.region is not None]
    audit_all, audit = audit, [r for r in audit if r not in regions]
    bad = [r for r in audit if not r.consistent]
    lines.append(
        f"{len(audit)} claims checked at their printed precision: {len(audit) - len(bad)} consistent, "
        f"{len(bad)} not. Files: " + ", ".join(_link(out, p) for p in claim_paths) + "."
    )
    lines += ["", "| Claim | Where | Stated | Computed | Verdict |", "|---|---|---|---|---|"]
    for r in audit:
        c = r.claim
        comp = "-" if r.computed is None else f"{r.computed:.6g}"
        lines.append(f"| {r.id} | {c.source.replace('|', '/')} | {c.relation} {r.stated} | {comp} | "
                     f"{r.verdict} |")
    lines.append("")
    for r in bad:
        lines.append(f"**{r.id}** ({r.claim.source}): stated {r.stated}, computed {r.computed:.6g}.")
        for e in r.explanations:
            extra = ""
            if e.get("within_printed_precision"):
                extra = " This lies within the rounding of the printed parameter value."
            elif e.get("within_printed_precision") is False:
                extra = " This lies outside the rounding of the printed parameter value."
            lines.append(f"- the figure is reproduced with {e['parameter']} in "
                         f"[{e['low']:.6g}, {e['high']:.6g}] (other parameters as stated).{extra}")
        lines.append("")
    lines += _region_lines(regions)
    lines += ["The full audit:", "", "```", format_text(audit_all).rstrip(), "```", ""]
    return "\n".join(lines)


def _region_lines(regions):
    """The report's sentences over regions: each claim, its verdict, and a refutation's counterexample."""
    if not regions:
        return []
    proved = sum(r.verdict == "proved" for r in regions)
    lines = ["### The report's sentences over regions", "",
             f"{len(regions)} claims over whole regions of parameters: {proved} proved, "
             f"{len(regions) - proved} not (certificates in the full audit below).", "",
             "| Claim | Where | Claimed | Verdict |", "|---|---|---|---|"]
    for r in regions:
        lines.append(f"| {r.id} | {r.claim.source.replace('|', '/')} | "
                     f"{_claims.region_summary(r.claim).replace('|', '/')} | {r.verdict} |")
    lines.append("")
    for r in regions:
        if r.verdict == "refuted" and r.counterexample:
            cex = ", ".join(f"{k} = {v}" for k, v in r.counterexample.items())
            lines.append(f"**{r.id}** is refuted: {cex}")
            lines.append("")
    return lines
