r"""LaTeX exports: every derived result of the models as a document, booktabs tables.

:func:`equations_document` writes each :class:`~symrecycle.core.results.Result`
of each model in an ``align`` environment, one numbered and labelled row per
case of its ``Piecewise`` (``if``, ``else if``, ``otherwise``, in the
Piecewise's order), with the certificate as LaTeX comments. Nothing here
derives anything: the expressions are the engine's, printed by
``sympy.latex``.

:func:`compile_pdf` runs ``pdflatex`` on a file (used by the tests and by
:func:`symrecycle.report.reproduce.reproduce` where ``pdflatex`` is installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from ..core import sym as _sym
from ..core.params import n as N
from ..core.texsafe import PDFLATEX_ENV, escape, tex_comment
from ..core.version import VERSION
from ..io import files as _files
from ..io import registry
from ..models import store as _store
from ..numeric import pool as _processes

__all__ = ["Derivation", "derivations", "derive_all", "render_document", "equations_document", "compile_pdf"]


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
    try:
        model = registry.get_model(model_name)
    except ValueError:
        return None
    if fingerprint is not None and _fingerprint(model) != fingerprint:
        return None
    return _derive(model, key, title, call)


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
        Processes to derive in (a registered model only); 1 derives here.
    time_limit : float, optional
        Seconds after which one result still being derived is given up (its
        worker process is stopped) and reported as not derived in time (only
        with ``workers > 1``).
    """
    return derive_all([model], workers, time_limit)[model.name]


def derive_all(models, workers: int = 1, time_limit: float | None = None, cancel=None) -> dict:
    """:func:`derivations` of several models at once, ``{name: [Derivation, ...]}``.

    With ``workers > 1`` the results the derivation cache holds are read in
    this process, and the others derived in that many processes
    (started with ``spawn``), the quick kinds first (the first metric before
    later ones, limits before breakevens), each bounded by ``time_limit``.
    A model that a fresh process does not know by its name (one registered at
    run time) is derived in this process. ``cancel`` (a ``threading.Event``)
    set from another thread stops the worker processes
    (:class:`symrecycle.numeric.pool.Cancelled`).
    """
    models = [registry.get_model(m) if isinstance(m, str) else m for m in models]
    tasks = [(m.name, *t) for m in models for t in _tasks(m)]
    by_name = {m.name: m for m in models}
    if workers <= 1:
        done = [_derive(by_name[t[0]], *t[1:]) for t in tasks]
    else:
        # what the derivation cache holds is read here; only the rest goes to worker processes
        stored = [_stored(by_name[t[0]], *t[1:]) for t in tasks]
        todo = [i for i, d in enumerate(stored) if d is None]
        rest = _in_workers(models, [tasks[i] for i in todo], workers, time_limit, cancel)
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


#: LaTeX longer than this (characters) leaves the align row for a paragraph below it, where
#: inline math can break between the terms (an align row cannot break, and TeX fails on a
#: row wider than its largest dimension)
LONG_VALUE, LONG_CONDITION = 700, 300


def _rows(d: Derivation):
    """The align rows of a result (one per case) and the long parts set below them."""
    res = d.result
    expr = res.expr
    pieces = list(expr.args) if isinstance(expr, sp.Piecewise) else [(expr, sp.true)]
    rows, below = [], []
    for i, (value, cond) in enumerate(pieces):
        lhs = res.label if i == 0 else ""
        val = _sym.latex(value)
        if len(val) > LONG_VALUE:
            name = f"E_{{{i + 1}}}" if len(pieces) > 1 else "E"
            below.append(f"\\noindent where ${name} = {val}$\\par")
            val = name
        if len(pieces) == 1:
            when = ""
        elif cond == sp.true:
            when = " && \\text{otherwise}"
        else:
            word = "if" if i == 0 else "else if"
            c = _sym.latex(cond)
            if len(c) > LONG_CONDITION:
                below.append(f"\\noindent where condition $K_{{{i + 1}}}$ is ${c}$\\par")
                c = f"K_{{{i + 1}}}"
            when = f" && \\text{{{word} }} {c}"
        label = d.label if len(pieces) == 1 else f"{d.label}:case{i + 1}"
        rows.append(f"{lhs} &= {val}{when} \\label{{{label}}}")
    return rows, below


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
    rows, below = _rows(d)
    lines.append(r"\begin{align}")
    lines.append(" \\\\\n".join(rows))
    lines.append(r"\end{align}")
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
    >>> r"\label{eq:kickstarting:benefit:limit:case1}" in doc
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
        "% Every expression is derived by the engine from the recurrences and printed by sympy.latex.",
        r"\documentclass[10pt]{article}",
        r"\usepackage[a4paper,margin=1.5cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
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
    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError(
            "pdflatex not found on PATH (Debian: texlive-latex-base, texlive-latex-recommended)"
        )
    tex_path = Path(tex_path).resolve()
    env = {**os.environ, "FORCE_SOURCE_DATE": "1", **PDFLATEX_ENV}
    env.setdefault("SOURCE_DATE_EPOCH", "0")
    with tempfile.TemporaryDirectory(prefix="symrecycle-tex-") as tmp:
        src = Path(tmp) / "doc.tex"
        shutil.copyfile(tex_path, src)
        proc = subprocess.run(
            [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
            cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False,
        )
        pdf = Path(tmp) / "doc.pdf"
        if proc.returncode != 0 or not pdf.exists():
            log = Path(tmp) / "doc.log"
            if log.exists():
                text = log.read_text("utf-8", "replace")
            else:
                text = proc.stdout.decode("utf-8", "replace")
            tail = "\n".join(text.splitlines()[-25:])
            raise RuntimeError(f"pdflatex failed on {tex_path} (exit {proc.returncode}):\n{tail}")
        target = _files.write_bytes(tex_path.with_suffix(".pdf"), pdf.read_bytes())
    return target
