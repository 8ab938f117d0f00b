"""The documentation: the Sphinx site builds with -W, the references are complete, the tutorial runs.

The tutorial notebook (``docs/tutorial.md``, MyST text) is executed once per run, in a
subprocess (nbclient and a Python kernel); the site is then built once, also in a subprocess,
from a copy of ``docs/`` holding the executed notebook, with execution off. Each test reads those
two results; under pytest-xdist the first worker to need them makes them (under a lock) and the
others read what it wrote.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import symrecycle
from symrecycle.io import claimfile, claimregion, modelfile, parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx", reason="the docs extra: pip install -e '.[docs]' (the test extra has it)")
pytest.importorskip("myst_nb")
pytest.importorskip("nbclient")

EXECUTE = r"""
import sys, nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient

src, dst, cwd = sys.argv[1:]
with open(src, encoding="utf-8") as fh:
    nb = read_myst_markdown_notebook(fh.read())
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, dst)
"""


def _env():
    env = dict(os.environ)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures as outputs in the kernel
    env["PYTHONWARNINGS"] = "ignore"  # the tools' own deprecations are not the notebook's output
    return env


def _shared(tmp_path_factory) -> Path:
    """A folder all the run's xdist workers share (this process's own without xdist)."""
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if uid is None:
        return tmp_path_factory.getbasetemp()
    folder = tmp_path_factory.getbasetemp().parent / f"docs-{uid}"
    folder.mkdir(exist_ok=True)
    return folder


@contextlib.contextmanager
def _once(folder: Path, name: str):
    """Held by one worker at a time: the first makes ``name``, the others read what it made."""
    with open(folder / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder / f"{name}.json"
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """The tutorial, executed top to bottom once per run: ``(notebook dict, seconds)``."""
    with _once(_shared(tmp_path_factory), "tutorial") as done:
        if not done.exists():
            work = done.parent / "tutorial"
            work.mkdir()
            dst = work / "tutorial.ipynb"
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", EXECUTE, str(DOCS / "tutorial.md"), str(dst), str(work)],
                capture_output=True, text=True, env=_env(), timeout=900)
            seconds = time.perf_counter() - start
            nb = json.loads(dst.read_text(encoding="utf-8")) if proc.returncode == 0 else None
            done.write_text(json.dumps({"nb": nb, "stderr": proc.stderr[-3000:], "seconds": seconds}))
        got = json.loads(done.read_text())
    assert got["nb"] is not None, got["stderr"]
    return got["nb"], got["seconds"]


@pytest.fixture(scope="session")
def site(executed, tmp_path_factory):
    """The site built with -W once per run, from a copy of docs/ holding the executed notebook.

    ``(html folder, {"returncode", "stderr", "seconds"})``.
    """
    with _once(_shared(tmp_path_factory), "site") as done:
        html = done.parent / "html"
        if not done.exists():
            src = done.parent / "src" / "docs"
            shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "tutorial.md", "__pycache__"))
            shutil.copy(ROOT / "README.md", src.parent / "README.md")  # the pages include parts of it
            (src / "tutorial.ipynb").write_text(json.dumps(executed[0]), encoding="utf-8")
            env = _env()
            env["SYMRECYCLE_DOCS_EXECUTE"] = "off"
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                                   str(src), str(html)], capture_output=True, text=True, env=env, timeout=900)
            done.write_text(json.dumps({"returncode": proc.returncode, "stderr": proc.stderr[-3000:],
                                        "seconds": time.perf_counter() - start}))
        return html, json.loads(done.read_text())


# -- the site ----------------------------------------------------------------------------------------
def test_the_site_builds_without_a_warning(site):
    html, proc = site
    assert proc["returncode"] == 0, proc["stderr"]
    assert "WARNING" not in proc["stderr"], proc["stderr"]
    for page in ("index", "install", "tour", "tutorial", "cli", "model-files", "claims", "api",
                 "architecture", "performance", "cite"):
        assert (html / f"{page}.html").is_file(), page


def test_every_public_name_is_in_the_api_reference(site):
    api = (site[0] / "api.html").read_text(encoding="utf-8")
    documented = set(re.findall(r'id="symrecycle\.([A-Za-z_]+)"', api))
    missing = [name for name in symrecycle.__all__ if name not in documented]
    assert not missing, f"not in docs/api.rst: {missing}"


def test_the_api_reference_is_generated_from_the_docstrings(site):
    api = (site[0] / "api.html").read_text(encoding="utf-8")
    # a docstring's own words and its numpydoc sections, rendered
    assert "Read a model file (TOML" in api  # load_model's docstring
    assert "Parameters" in api
    assert "Returns" in api
    assert "symrecycle.report.endogenous" not in api  # a module on its way out is not documented


def test_pages_carry_what_they_promise(site):
    html = site[0]
    tour = (html / "tour.html").read_text(encoding="utf-8")
    assert "Derive a limit" in tour
    assert "Check a claim" in tour
    perf = (html / "performance.html").read_text(encoding="utf-8")
    assert "bench_cli.py" in perf
    assert "The derivation cache" in perf
    assert "Foundation model recycling" in (html / "cite.html").read_text(encoding="utf-8")
    assert "The layers" in (html / "architecture.html").read_text(encoding="utf-8")
    cli = (html / "cli.html").read_text(encoding="utf-8")
    assert 'href="performance.html#the-derivation-cache"' in cli
    cli = re.sub(r"<[^>]+>", "", cli)  # the text: Sphinx sets each word of a literal in its own span
    assert "--of limit" in cli
    assert "did you mean" in cli


def test_the_tutorial_is_rendered_with_its_outputs(site):
    page = (site[0] / "tutorial.html").read_text(encoding="utf-8")
    assert "table1-hardware: INCONSISTENT" in page
    assert page.count("<img") >= 2  # the contour figure and the fan chart
    assert any(p.suffix == ".png" for p in (site[0] / "_images").iterdir())


# -- the references are complete, read from the code ---------------------------------------------------
def documented_keys(page):
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_-]*)`", (DOCS / page).read_text(encoding="utf-8")))


def test_every_model_file_key_is_in_the_format_reference():
    keys = {k for table in modelfile.ACCEPTED_KEYS.values() for k in table}
    assert {"parameters", "domain", "initial", "next", "expr", "latex", "adjusted"} <= keys
    missing = sorted(keys - documented_keys("model-files.md"))
    assert not missing, f"model-file keys the parser accepts, not in docs/model-files.md: {missing}"
    functions = sorted(set(parser.FUNCTIONS) - documented_keys("model-files.md"))
    assert not functions, f"functions the parser accepts, not in docs/model-files.md: {functions}"


def claim_keys():
    """Every key a claims file accepts: the claim modules' ``*_KEYS`` sets, whatever their names."""
    keys = set()
    for module in (claimfile, claimregion):
        for name, value in vars(module).items():
            if name.lstrip("_").endswith("KEYS") and isinstance(value, (set, frozenset, tuple, list)):
                keys |= {k for k in value if isinstance(k, str)}
    return keys


def test_every_claims_file_key_is_in_the_claims_reference():
    keys = claim_keys()
    assert {"id", "model", "quantity", "params", "stated", "n", "rates", "claim", "forall"} <= keys
    missing = sorted(keys - documented_keys("claims.md"))
    assert not missing, f"claims-file keys, not in docs/claims.md: {missing}"
    directions = sorted(set(getattr(claimregion, "DIRECTIONS", ())) - documented_keys("claims.md"))
    assert not directions, directions


def test_the_reference_tests_can_fail(tmp_path, monkeypatch):
    """A key the parser would accept and the page does not name is reported."""
    monkeypatch.setattr(modelfile, "ACCEPTED_KEYS", {**modelfile.ACCEPTED_KEYS, "x": ("undocumented_key",)})
    with pytest.raises(AssertionError, match="undocumented_key"):
        test_every_model_file_key_is_in_the_format_reference()
    monkeypatch.setattr(claimfile, "_EXTRA_KEYS", {"another_key"}, raising=False)
    with pytest.raises(AssertionError, match="another_key"):
        test_every_claims_file_key_is_in_the_claims_reference()


def test_the_readme_says_how_to_build_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m sphinx -b html docs docs/_build/html" in readme
    for marker in ("tour", "cli", "performance", "cache", "cite"):
        assert f"<!-- docs:{marker} -->" in readme, marker


# -- the tutorial ----------------------------------------------------------------------------------------
def outputs(nb, tag):
    """``(text, mime types)`` of the outputs of the cell tagged ``tag``."""
    cells = [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}, found {len(cells)}"
    text, kinds = [], set()
    last_stream = None
    for out in cells[0].get("outputs", []):
        assert out["output_type"] != "error", out
        if out["output_type"] == "stream":
            # one stream may come in several chunks (the kernel flushes on a timer, more often on a busy
            # machine): the chunks of a stream are one text, split anywhere, even inside a line
            if last_stream == out.get("name"):
                text[-1] += "".join(out["text"])
            else:
                text.append("".join(out["text"]))
            last_stream = out.get("name")
            continue
        last_stream = None
        for mime, data in out.get("data", {}).items():
            kinds.add(mime)
            if mime.startswith("text/"):
                text.append("".join(data))
    return "\n".join(text), kinds


def test_the_tutorial_runs_top_to_bottom(executed):
    nb, _ = executed
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 12
    assert all(c.get("execution_count") for c in code)


def test_the_tutorial_derives_the_limit_and_its_latex(executed):
    nb, _ = executed
    text, kinds = outputs(nb, "limit")
    assert "text/latex" in kinds
    assert r"\frac{r}{r - \alpha}" in text
    text, _ = outputs(nb, "limit-latex")
    assert text.startswith(r"\lim_{n \to \infty} B_{n} = \begin{cases} \frac{r}{r - \alpha} & \text{if } "
                           r"\alpha < r")
    assert "verified: True" in text


def test_the_tutorial_shows_the_degenerate_case(executed):
    nb, _ = executed
    text, _ = outputs(nb, "degenerate")
    assert "C1*n*r**(n - 1)    if alpha = r" in text, text
    text, _ = outputs(nb, "degenerate-numbers")
    assert "r = alpha = 0.9, n = 50: nan" in text, text
    assert "symrecycle's benefit there: 50.0" in text, text


def test_the_tutorial_grid_and_figures(executed):
    nb, _ = executed
    text, _ = outputs(nb, "grid")
    assert text.startswith("(100, 51) 1.0")
    assert "image/png" in outputs(nb, "figure")[1]
    text, kinds = outputs(nb, "monte-carlo")
    assert "4000 samples, seed 0" in text
    assert "image/png" in kinds


def test_the_tutorial_breakeven_user_model_and_claims(executed):
    nb, _ = executed
    text, _ = outputs(nb, "breakeven")
    assert "1 - 1/(g*r) if g*r > 1" in text
    assert "0.904762" in outputs(nb, "breakeven-numbers")[0]
    text, _ = outputs(nb, "user-model")
    assert r"\frac{g r}{g r - \alpha} & \text{if } \alpha < g r" in text
    text, _ = outputs(nb, "claims")
    assert "table1-compute: CONSISTENT" in text
    assert "table1-hardware: INCONSISTENT" in text
    assert "1 consistent, 1 not" in text



def test_the_docs_take_seconds_not_minutes(executed, site):
    """The notebook and the build stay small in the suite's time (about 4 s and 4 s on 2 cores)."""
    seconds = {"tutorial": round(executed[1], 1), "site": round(site[1]["seconds"], 1)}
    assert max(seconds.values()) < 120, seconds
