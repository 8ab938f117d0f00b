r"""LaTeX exports: every derived result of the models as a document, booktabs tables.

:func:`equations_document` writes each :class:`~symrecycle.core.results.Result`
of each model as one numbered equation labelled ``eq:<model>:<result>``, its
cases in amsmath ``cases`` with their canonical conditions
(:mod:`symrecycle.core.canonical`); a case without a value (nan) is said in
words ("no solution where ..."), and a long value or condition is named in the
equation and written out below it. The certificate goes in LaTeX comments.
Nothing here derives anything: the expressions are the engine's, printed by
:mod:`symrecycle.core.texprint`.

:func:`compile_pdf` runs ``pdflatex`` on a file (used by the tests and by
:func:`symrecycle.report.reproduce.reproduce` where ``pdflatex`` is installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import sympy as sp

from ..core import sym as _sym
from ..core import treejson
from ..core.params import n as N
from ..core.texsafe import PDFLATEX_ENV, escape, tex_comment
from ..core.version import VERSION
from ..io import files as _files
from ..io import outputs as _outputs
from ..io import registry
from ..models import store as _store
from ..numeric import pool as _processes

__all__ = ["Derivation", "derivations", "derive_all", "render_document", "equations_document", "compile_pdf",
           "overfull_boxes", "preamble"]


@dataclass(frozen=True)
class Derivation:
    """One entry of the equations document: a result, or why it could not be derived.

    Examples
    --------
    >>> d = Derivation("kickstarting", "benefit:limit", "Its limit as n grows without bound")
    >>> d.label, d.result is None
    ('eq:kickstarting:benefit:limit', True)
    """

    model: str
    key: str
    title: str
    result: object = None
    error: str | None = None

    @property
    def label(self) -> str:
        return "eq:" + self.model + ":" + self.key


def _tasks(model) -> list:
    """``(key, title, call)`` for every derived result; ``call`` is picklable: (method, args, kwargs)."""
    out = []
    for s in model.sequences:
        out.append((f"closed-form:{s.name}", f"Closed form of {s.name}_n ({s.description})",
                    ("closed_form", (s.name,), {})))
    for met in model.metrics:
        m = met.name
        out += [
            (f"{m}:benefit", f"The metric {m} ({met.description}) at iteration n", ("benefit", (m,), {})),
            (f"{m}:limit", "Its limit as n grows without bound", ("limit", (m,), {})),
            (f"{m}:iterations-to", "Iterations to 99% of the limit",
             ("iterations_to", (0.99,), {"metric": m})),
        ]
        names = {x.name for x in model.benefit(m).expr.free_symbols}
        for p in model.parameters:
            if p.name not in names:
                continue
            w = p.name
            out += [
                (f"{m}:sensitivity:{w}:limit", f"Sensitivity of the limit to {w}",
                 ("sensitivity", (w,), {"metric": m})),
                (f"{m}:sensitivity:{w}:n", f"Sensitivity of the metric at n to {w}",
                 ("sensitivity", (w,), {"metric": m, "n": "n"})),
                (f"{m}:elasticity:{w}:limit", f"Elasticity of the limit with respect to {w}",
                 ("elasticity", (w,), {"metric": m})),
                (f"{m}:elasticity:{w}:n", f"Elasticity of the metric at n with respect to {w}",
                 ("elasticity", (w,), {"metric": m, "n": "n"})),
                (f"{m}:breakeven:{w}:n", f"Breakeven {w}: the metric at n equals 1",
                 ("breakeven", (w,), {"level": 1, "of": "benefit", "metric": m})),
                (f"{m}:breakeven:{w}:limit", f"Breakeven {w}: the limit equals 1",
                 ("breakeven", (w,), {"level": 1, "of": "limit", "metric": m})),
            ]
    return out


def _derive(model, key, title, call) -> Derivation:

    method, args, kwargs = call
    if kwargs.get("n") == "n":
        kwargs = {**kwargs, "n": N}
    try:
        return Derivation(model.name, key, title, getattr(model, method)(*args, **kwargs))
    except Exception as exc:  # the engine's failure is reported in the document, not hidden
        # Python words a RecursionError by where the stack ran out: keep the document stable
        msg = "maximum recursion depth exceeded" if isinstance(exc, RecursionError) else str(exc)
        return Derivation(model.name, key, title, None, f"{type(exc).__name__}: {msg}")


def _fingerprint(model) -> str:
    """What a model is made of, to tell whether a worker process has the same model under its name."""
    return repr((model.parameters, model.sequences, model.metrics, model.adjusted, model.start))


def _derive_by_name(model_name, key, title, call, fingerprint=None, cache=None):
    """In a worker process: derive one result of the model registered under ``model_name``.

    Returns None where this process has no model of that name, or a different
    one (a model registered at run time in the parent): the parent derives it.
    """

    _store.set_enabled(cache)  # the parent's choice (set_enabled(False) there), else the environment's
    _store.keep_cases(True)  # the document shows every case: decided here, in parallel, and stored
    try:
        model = registry.get_model(model_name)
    except ValueError:
        return None
    if fingerprint is not None and _fingerprint(model) != fingerprint:
        return None
    d = _derive(model, key, title, call)
    try:  # sent as the derivation cache writes it: a pickled SymPy object is evaluated again
        return d if d.result is None else replace(d, result=_store.encode(d.result))
    except treejson.Unsupported:
        return d


def derivations(model, workers: int = 1, time_limit: float | None = None) -> list:
    """Every derived result of ``model``, as :class:`Derivation` entries, in document order.

    Closed forms of every sequence; then for each metric the metric at n, its
    limit, the iterations to 99 % of the limit and, for every parameter the
    metric depends on, the sensitivity and elasticity (of the limit and at n)
    and the breakeven (of the metric at n and of its limit). A quantity the
    engine cannot derive (it raises) is kept with the reason (``error``) and
    shown as such in the document.

    Parameters
    ----------
    workers : int
        Processes to derive in (a registered model only); 1 derives here,
        unless a ``time_limit`` is set.
    time_limit : float, optional
        Seconds after which one result still being derived is given up (its
        worker process is stopped) and reported as not derived in time: the
        results are derived in worker processes (at least one) to keep it
        (a model registered at run time is derived here, without the limit).
    """
    return derive_all([model], workers, time_limit)[model.name]


def derive_all(models, workers: int = 1, time_limit: float | None = None, cancel=None) -> dict:
    """:func:`derivations` of several models at once, ``{name: [Derivation, ...]}``.

    With ``workers > 1``, or a ``time_limit``, the results the derivation
    cache holds are read in this process, and the others derived in that
    many worker processes (at least one; see :mod:`symrecycle.numeric.forks`), the quick kinds
    first (the first metric before later ones, limits before breakevens),
    each bounded by ``time_limit``.
    A model that a fresh process does not know by its name (one registered at
    run time) is derived in this process, without the time limit. ``cancel``
    (a ``threading.Event``) set from another thread stops the worker processes
    (:class:`symrecycle.numeric.pool.Cancelled`).
    """
    models = [registry.get_model(m) if isinstance(m, str) else m for m in models]
    tasks = [(m.name, *t) for m in models for t in _tasks(m)]
    by_name = {m.name: m for m in models}
    if workers <= 1 and time_limit is None:
        done = [_derive(by_name[t[0]], *t[1:]) for t in tasks]
    else:
        # what the derivation cache holds is read here; only the rest goes to worker processes
        stored = [_stored(by_name[t[0]], *t[1:]) for t in tasks]
        todo = [i for i, d in enumerate(stored) if d is None]
        rest = _in_workers(models, [tasks[i] for i in todo], max(workers, 1), time_limit, cancel)
        for i, d in zip(todo, rest):
            stored[i] = d
        done = stored
    out = {m.name: [] for m in models}
    for d in done:
        out[d.model].append(d)
    return out


def _stored(model, key, title, call):
    """The Derivation of a result read from the derivation cache, or None where it is not stored."""
    try:
        with _store.stored_only():
            return _derive(model, key, title, call)
    except _store.NotStored:
        return None


def _in_workers(models, tasks, workers, time_limit, cancel) -> list:
    """The Derivations of ``tasks`` (one per task, in order), derived in ``workers`` processes."""
    if not tasks:
        return []
    by_name = {m.name: m for m in models}
    cache = False if not _store.enabled() else None
    pos = {(m.name, met.name): i for m in models for i, met in enumerate(m.metrics)}
    # the later metrics (the costlier ones) first, so that no worker is left with one at the end;
    # within a metric the quick kinds first. A worker keeps to one metric (see run_tasks'
    # groups): the metric's closed forms and limit, derived for its first task, serve the rest
    order = sorted(range(len(tasks)), key=lambda i: (-_metric_at(tasks[i], pos)[1], _weight(tasks[i], pos)))
    prints = {m.name: _fingerprint(m) for m in models}
    jobs = [(*tasks[i], prints[tasks[i][0]], cache) for i in order]
    groups = [_metric_at(tasks[i], pos) for i in order]
    outcomes = _processes.run_tasks(_derive_by_name, jobs, workers, time_limit, cancel, groups)
    done = [None] * len(tasks)
    for i, outcome in zip(order, outcomes):
        name, key, title, _call = tasks[i]
        if isinstance(outcome, _processes.TimedOut):
            outcome = Derivation(name, key, title, None,
                                 f"not derived within the time limit of {outcome.seconds:g} s")
        elif isinstance(outcome, _processes.WorkerDied):
            outcome = Derivation(name, key, title, None, "its worker process ended without a result "
                                 f"(exit code {outcome.exitcode})")
        elif isinstance(outcome, _processes.TaskFailed):
            outcome = Derivation(name, key, title, None, outcome.message)
        elif isinstance(outcome, Derivation) and isinstance(outcome.result, str):
            outcome = replace(outcome, result=_store.decode(by_name[name], outcome.result))
        done[i] = outcome
    # models the worker processes do not have (registered here at run time): derived here
    return [d if d is not None else _derive(by_name[t[0]], *t[1:]) for d, t in zip(done, tasks)]


def _metric_at(task, pos):
    """``(model name, position of the task's metric)``: a closed form counts with the first metric."""
    name, _key, _title, (method, args, kwargs) = task
    metric = kwargs.get("metric", args[0] if method in ("benefit", "limit") else None)
    return name, pos.get((name, metric), 0)


def _weight(task, pos):
    """A rough cost order: later metrics (the first is the plain benefit), then the harder quantities."""
    _name, _key, _title, (method, _args, kwargs) = task
    w = 10 * _metric_at(task, pos)[1]
    w += {"breakeven": 4, "iterations_to": 3, "elasticity": 2, "sensitivity": 2, "limit": 3}.get(method, 0)
    w += 1 if kwargs.get("n") == "n" or kwargs.get("of") == "benefit" else 0
    return w


#: a value whose LaTeX is longer than this (characters) is named in its equation and written out
#: below it, in a paragraph where TeX can break it between terms
LONG_VALUE = 160
#: a condition longer than this is written below its equation, named likewise
LONG_CONDITION = 110


def _equation(d: Derivation):
    """The displayed equation of a result (its defined cases), and the text set below it.

    Cases without a value (nan) are said in words ("no solution where ...",
    "undefined where ..."), not written as equations.
    """
    res = d.result
    cases = res.cases
    shown = [(v, c) for v, c in cases if v is not sp.nan]
    missing = [c for v, c in cases if v is sp.nan]
    below, values, conditions = [], 0, 0
    rows = []
    for v, c in shown:
        val = _sym.latex(v)
        if len(val) > LONG_VALUE:
            values += 1
            name = f"E_{{{values}}}"
            below.append(rf"\noindent where ${name} = {val}$\par")
            val = name
        if len(cases) == 1:
            cond = ""
        else:
            c_tex = c.latex() if not c.otherwise or len(missing) == 0 else c.explicit().latex()
            if len(c_tex) > LONG_CONDITION:
                conditions += 1
                name = f"K_{{{conditions}}}"
                below.append(rf"\noindent where condition ${name}$ is ${c_tex}$\par")
                c_tex = name
            cond = c_tex if c.otherwise and len(missing) == 0 else rf"\text{{if }} {c_tex}"
        rows.append((val, cond))
    word = "No solution" if res.quantity == "breakeven" else "Undefined (no finite value)"
    for c in missing:
        tex = c.explicit().latex()
        if c.expr is sp.true:
            where = " for any value of the parameters"
        elif c.otherwise and len(tex) > LONG_CONDITION:
            where = " in every other case"
        else:
            where = f" where ${tex}$"
        below.append(rf"\noindent {word}{where}.\par")
    if not rows:
        return None, below
    if len(rows) == 1:
        val, cond = rows[0]
        body = val + (rf" \quad {cond}" if cond else "")
    else:
        body = r"\begin{cases} " + r" \\ ".join(f"{v} & {c}" for v, c in rows) + r" \end{cases}"
    eq = [r"\begin{equation}", f"{res.label} = {body} \\label{{{d.label}}}", r"\end{equation}"]
    return eq, below


def _block(d: Derivation) -> list:
    lines = [f"% --- {d.model}: {tex_comment(d.title)} ({d.label})"]
    if d.result is None:
        lines += [f"% not derived: {tex_comment(d.error)}",
                  rf"\noindent\textbf{{Not derived.}} {escape(d.title)}: the engine reports "
                  rf"\texttt{{{escape(d.error)}}}.", ""]
        return lines
    res = d.result
    lines.append(f"% certificate: {'verified' if res.verified else 'NOT verified'}")
    lines += [f"%   {tex_comment(c)}" for c in res.certificate]
    lines += [f"% note: {tex_comment(x)}" for x in res.notes]
    flag = "" if res.verified else r" \textbf{(not verified)}"
    lines.append(rf"\noindent {escape(d.title)}{flag}:")
    eq, below = _equation(d)
    lines += eq or []
    lines += below
    lines.append("")
    return lines


def equations_document(models=None, title="Derived results of the recycling models", workers: int = 1,
                       time_limit: float | None = None) -> str:
    r"""A complete LaTeX document with every derived result of the models.

    Parameters
    ----------
    models : list of Model or names, optional
        Default: every registered model.
    workers, time_limit
        See :func:`derive_all`.

    Examples
    --------
    >>> import symrecycle as sr
    >>> doc = equations_document([sr.get_model("kickstarting")])
    >>> doc.startswith("% Generated by symrecycle")
    True
    >>> r"\label{eq:kickstarting:benefit:limit}" in doc
    True
    """

    models = [registry.get_model(m) if isinstance(m, str) else m for m in (models or registry.models())]
    return render_document(models, derive_all(models, workers, time_limit), title)


def render_document(models, derived: dict, title="Derived results of the recycling models") -> str:
    """The LaTeX document of :func:`equations_document` from derivations already made.

    ``derived`` maps each model's name to its :class:`Derivation` list.

    Examples
    --------
    >>> import symrecycle as sr
    >>> m = sr.get_model("kickstarting")
    >>> d = Derivation(m.name, "benefit:limit", "Its limit", error="not asked")
    >>> doc = render_document([m], {m.name: [d]})
    >>> doc.splitlines()[2], "Not derived." in doc
    ('% 1 results: 0 verified, 0 not verified, 1 not derived', True)
    """

    out = [
        f"% Generated by symrecycle {VERSION} (symrecycle.report.latex.equations_document); do not edit.",
        "% Every expression is derived by the engine from the recurrences (printed by core.texprint).",
        r"\documentclass[10pt]{article}",
        r"\usepackage[a4paper,margin=1.5cm]{geometry}",
        *[rf"\usepackage{{{name}}}" for name in EQUATION_PACKAGES],
        r"\allowdisplaybreaks",
        r"\sloppy\emergencystretch=3em",
        r"\begin{document}",
        rf"\section*{{{escape(title)}}}",
        "",
    ]
    total = ok = failed = 0
    for m in models:
        out.append(rf"\subsection*{{{escape(m.name.capitalize())}: {escape(m.description)}}}")
        params = ", ".join(rf"${sp.latex(p.symbol)} \in {_interval(p)}$" for p in m.parameters)
        out.append(rf"\noindent Parameters: {params}; $n \ge {m.start}$. The recurrences and metrics:")
        out.append(r"\[" + m._repr_latex_().strip("$") + r"\]")
        out.append("")
        for d in derived[m.name]:
            total += 1
            ok += d.result is not None and d.result.verified
            failed += d.result is None
            out += _block(d)
    summary = f"{total} results: {ok} verified, {total - ok - failed} not verified, {failed} not derived"
    out.insert(2, f"% {summary}")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


#: what the equations need: ``cases``, ``equation`` and ``\\text`` (amsmath), ``\\geq``-style symbols
EQUATION_PACKAGES = ("amsmath", "amssymb")


def preamble() -> str:
    r"""The LaTeX packages symrecycle's output needs, as lines to paste into a document's preamble.

    Covers ``equations.tex`` and ``derive --format latex`` (amsmath), and the tables
    (:attr:`symrecycle.io.outputs.Table.LATEX_PACKAGES`: booktabs, tabularx).

    Examples
    --------
    >>> print(preamble())  # doctest: +NORMALIZE_WHITESPACE
    % The packages symrecycle's LaTeX output needs (equations, derive --format latex, tables).
    \usepackage{amsmath}   % equation, cases, \text
    \usepackage{amssymb}   % symbols of relations
    \usepackage{booktabs}   % the tables' rules
    \usepackage{tabularx}   % tables that fit the text width
    """
    why = {"amsmath": r"equation, cases, \text", "amssymb": "symbols of relations",
           "booktabs": "the tables' rules", "tabularx": "tables that fit the text width"}
    names = list(dict.fromkeys(EQUATION_PACKAGES + _outputs.Table.LATEX_PACKAGES))
    lines = ["% The packages symrecycle's LaTeX output needs (equations, derive --format latex, tables)."]
    lines += [rf"\usepackage{{{name}}}   % {why.get(name, '')}".rstrip(" %") for name in names]
    return "\n".join(lines) + "\n"


def _interval(p) -> str:
    lo = r"-\infty" if p.lower is None else str(p.lower)
    hi = r"\infty" if p.upper is None else str(p.upper)
    left = "(" if p.lower is None or p.lower_open else "["
    right = ")" if p.upper is None or p.upper_open else "]"
    return f"{left}{lo}, {hi}{right}"


def compile_pdf(tex_path, timeout: float = 180) -> Path:
    """Compile a LaTeX file with pdflatex; the PDF is written beside it, atomically.

    Runs with shell escape off and kpathsea's ``openin_any=p``/``openout_any=p``
    (no file read or written outside the working directory), in a temporary
    directory (no aux or log files left behind), with
    ``SOURCE_DATE_EPOCH`` (0 unless set) and ``FORCE_SOURCE_DATE=1`` so that
    the same input gives the same bytes.

    Raises
    ------
    FileNotFoundError
        if ``pdflatex`` is not installed.
    RuntimeError
        if it fails, with the end of its log.
    """
    tex_path = Path(tex_path).resolve()
    pdf, _log = _pdflatex(tex_path, timeout)
    return _files.write_bytes(tex_path.with_suffix(".pdf"), pdf)


def overfull_boxes(tex_path, timeout: float = 180) -> list:
    """How far (points) each overfull line of a LaTeX file sticks out, from pdflatex's log.

    ``[]`` where every line fits. Compiled as :func:`compile_pdf` does; nothing is written.
    """
    _pdf, log = _pdflatex(Path(tex_path).resolve(), timeout)
    return [float(x) for x in re.findall(r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too ", log)]


def _pdflatex(tex_path: Path, timeout: float):
    """(the PDF's bytes, the log) of pdflatex run on ``tex_path`` in a temporary directory."""
    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError(
            "pdflatex not found on PATH (Debian: texlive-latex-base, texlive-latex-recommended)"
        )
    env = {**os.environ, "FORCE_SOURCE_DATE": "1", **PDFLATEX_ENV}
    env.setdefault("SOURCE_DATE_EPOCH", "0")
    with tempfile.TemporaryDirectory(prefix="symrecycle-tex-") as tmp:
        src = Path(tmp) / "doc.tex"
        shutil.copyfile(tex_path, src)
        proc = subprocess.run(
            [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
            cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False,
        )
        pdf, log = Path(tmp) / "doc.pdf", Path(tmp) / "doc.log"
        text = log.read_text("utf-8", "replace") if log.exists() else proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 0 or not pdf.exists():
            tail = "\n".join(text.splitlines()[-25:])
            raise RuntimeError(f"pdflatex failed on {tex_path} (exit {proc.returncode}):\n{tail}")
        return pdf.read_bytes(), text
