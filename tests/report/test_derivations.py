"""Every derivation script run into a temporary directory, its outputs checked; reproduce()."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symrecycle as sr
from symrecycle.io.files import MARKER
from symrecycle.models import store as _store
from symrecycle.numeric.pool import TaskFailed
from symrecycle.report import claims as _claims
from symrecycle.report import reproduce

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "derivations"
ARGS = {"equations": ["--model", "kickstarting", "--workers", "1"]}
NAMES = ("table1", "figure1", "figure2", "figure3", "figure4", "claims", "equations")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, forked):
    """Run all scripts, each into its own directory, in processes of their own (``forked``)."""
    base = tmp_path_factory.mktemp("derivations")
    lines = [{"script": SCRIPTS / f"{name}.py", "args": ["--out", str(base / name), *ARGS.get(name, [])]}
             for name in NAMES]
    return {name: (base / name, p.returncode, p.stdout, p.stderr)
            for name, p in zip(NAMES, forked(lines, base), strict=True)}


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text())))


def files(out):
    return sorted(p.name for p in out.iterdir() if p.name != MARKER)


@pytest.mark.parametrize("name", NAMES)
def test_script_runs_cleanly(runs, name):
    out, rc, stdout, stderr = runs[name]
    assert rc == 0, stderr
    assert stderr == ""
    for line in stdout.splitlines():
        if line.startswith(str(out)):
            assert Path(line).exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_every_script_calls_the_public_api_only():
    for name in NAMES:
        text = (SCRIPTS / f"{name}.py").read_text()
        assert "from symrecycle.report import reproduce" in text
        assert not re.search(r"\bsympy\b|\bnumpy\b|\bmpmath\b|\b_[a-z]+\(", text), name


def test_table1(runs):
    out = runs["table1"][0]
    assert files(out) == ["table1.csv", "table1.md", "table1.tex", "table1.txt"]
    rows = read_csv(out / "table1.csv")
    assert [r["scenario"] for r in rows] == ["compute", "hardware", "compute+software", "hardware+software"]
    m = sr.get_model("kickstarting")
    for row, growth in zip(rows, (4.2, 1.3, 4.2 * 2.5, 1.3 * 2.5)):
        assert float(row["growth_per_year"]) == pytest.approx(growth, rel=1e-15)
        assert float(row["recycling_advantage"]) == pytest.approx(growth / (growth - 1), rel=1e-12)
        assert float(row["recycling_advantage"]) == m.evaluate("limit", r=growth, alpha=1.0)
    assert [r["report_prints"] for r in rows] == ["1.3", "4.1", "1.1", "1.4"]
    assert "Epoch 2022" in rows[0]["rates"]
    assert "Erdil & Besiroglu 2023" in rows[2]["rates"]
    md = (out / "table1.md").read_text()
    assert "| Hardware efficiency | 1.3x/yr (Epoch 2022) | 1.3 | 4.333 | 4.1x |" in md
    tex = (out / "table1.tex").read_text()
    assert r"\toprule" in tex
    assert r"\bottomrule" in tex
    assert r"\label{tab:table1}" in tex
    assert "4.333" in (out / "table1.txt").read_text()


@pytest.mark.parametrize("name", ["figure1", "figure2", "figure3", "figure4"])
def test_figure_files(runs, report_figure, name):
    out = runs[name][0]
    assert files(out) == [f"{name}.csv", f"{name}.pdf", f"{name}.png"]
    assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    # the CSV is the plotted data: the same as the library's figure
    assert (out / f"{name}.csv").read_text() == report_figure(name).csv_text()
    assert f"Figure {name[-1]}." in runs[name][2]  # the caption


def test_figure1_csv_against_the_model(runs):
    rows = read_csv(runs["figure1"][0] / "figure1.csv")
    r = np.array([float(x["r"]) for x in rows])
    a = np.array([float(x["alpha"]) for x in rows])
    got = np.array([float(x["limit"]) for x in rows])
    np.testing.assert_allclose(got, r / (r - a), rtol=1e-12)


def test_figure4_csv_breakeven(runs):
    rows = read_csv(runs["figure4"][0] / "figure4.csv")
    d = [x for x in rows if x["panel"] == "d"]
    assert d
    for x in d:
        r, g, v = float(x["r"]), float(x["g"]), float(x["value"])
        if g * r > 1:
            assert v == pytest.approx(1 - 1 / (g * r), rel=1e-12)
        else:
            assert np.isnan(v)


def test_claims_audit(runs):
    out, _rc, stdout, _ = runs["claims"]
    assert files(out) == ["audit.json", "audit.txt", "claims.toml"]
    assert (out / "claims.toml").read_text() == _claims.report_claims_path().read_text()
    audit = {d["id"]: d for d in json.loads((out / "audit.json").read_text())}
    for cid, r, stated in (("table1-compute", 4.2, 1.3), ("table1-hardware", 1.3, 4.1),
                           ("table1-compute+software", 10.5, 1.1), ("table1-hardware+software", 3.3, 1.4)):
        value = r / (r - 1)
        assert audit[cid]["computed"] == pytest.approx(value, rel=1e-12)
        assert audit[cid]["consistent"] is (abs(value - stated) <= 0.05 + 1e-12)
    assert audit["table1-hardware"]["consistent"] is False
    assert "17 claims: 16 proved or consistent, 1 not" in stdout
    assert {d["verdict"] for d in audit.values() if "kind" in d} == {"proved"}  # the report's sentences
    assert "INCONSISTENT" in (out / "audit.txt").read_text()


def test_claims_script_reports_an_unusable_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[claim]]\nid = "x"\nmodel = "kickstarting"\nquantity = "limit"\n'
                   'params = { r = 2, alpha = 1 }\nstated = 1.3\nsource = "s"\n')
    p = subprocess.run([sys.executable, str(SCRIPTS / "claims.py"), "--out", str(tmp_path / "o"),
                        "--claims", str(bad)], capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 2
    assert "bad.toml: line 6: " in p.stderr
    assert "'stated'" in p.stderr


def test_equations(runs):
    out, _, _stdout, _ = runs["equations"]
    names = files(out)
    assert "equations.tex" in names
    tex = (out / "equations.tex").read_text()
    assert r"\begin{equation}" in tex
    assert r"\begin{cases}" in tex
    assert r"\label{eq:kickstarting:benefit:limit}" in tex
    assert "% 17 results: 17 verified" in tex
    if shutil.which("pdflatex"):
        assert "equations.pdf" in names
        assert (out / "equations.pdf").read_bytes().startswith(b"%PDF")
    elif os.environ.get("CI") == "true":
        pytest.fail("pdflatex is missing in CI")


def test_scripts_refuse_a_foreign_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    p = subprocess.run([sys.executable, str(SCRIPTS / "table1.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 2
    assert "not empty" in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["notes.txt"]


# -- reproduce() -------------------------------------------------------------------------------------------
def test_reproduce_refuses_and_forces(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        reproduce.reproduce(user)
    with pytest.raises(NotADirectoryError):
        reproduce.reproduce(user / "keep.txt")
    assert reproduce.prepare_out_dir(user, force=True) == user
    assert (user / "keep.txt").read_text() == "mine"
    assert reproduce.prepare_out_dir(user) == user  # now marked as ours


def test_reproduce_writes_a_report_linking_every_file(tmp_path, monkeypatch, runs):
    # the equations of one model in this process keep the test short; the rest is the real run
    write = functools.partial(reproduce.write_equations, models=["kickstarting"], workers=1, time_limit=None)
    asked = []

    def equations(out, workers, cancel=None):
        asked.append(workers)  # one worker process: the variants' and the figures' take the rest
        res = write(out, cancel=cancel)
        assert res["not_derived"] == []
        res["not_derived"] = [("eq:x:y", "RecursionError: too\ndeep")]  # as the engine may report
        return res

    monkeypatch.setattr(reproduce, "write_equations", equations)
    calls = []
    monkeypatch.chdir(tmp_path)
    out = Path("new") / "dir"  # relative, as a user types it
    summary = []
    path = reproduce.reproduce(out, progress=lambda *a: calls.append(a), summary=summary)
    assert path == out / "report.md"
    assert asked == [1]
    (line,) = summary  # what `symrecycle reproduce` prints last
    assert re.fullmatch(r"claims: \d+ of \d+ proved or consistent \(not: [^)]+\); \d+ results: \d+ verified, "
                        r"\d+ not verified, \d+ not derived \(eq:x:y\)", line), line
    assert "table1-hardware" in line
    assert calls == [(name, i, len(reproduce.STEPS)) for i, name in enumerate(reproduce.STEPS, start=1)]
    report = path.read_text()
    linked = set(re.findall(r"\]\(([^)]+)\)", report))
    written = set(files(out)) - {"report.md"}
    assert written <= linked, written - linked
    assert all((out / x).exists() for x in linked)
    assert "4.333" in report
    assert "inconsistent" in report
    assert "r in [1.31746, 1.32787]" in report
    assert "| text-bound-1.5-forall |" in report
    assert "benefit <= 1.5 | proved |" in report
    assert "- `eq:x:y`: RecursionError: too deep" in report
    assert "380%" in report
    assert "4.8" in report
    # the same bytes as the scripts write, each in a process of its own (nothing of the run, such as a
    # date or the order of the work, is in a file)
    ours = {p.name: p.read_bytes() for p in out.iterdir() if p.name != MARKER}
    theirs = {p.name: p.read_bytes() for name in NAMES for p in runs[name][0].iterdir() if p.name != MARKER}
    common = set(ours) & set(theirs)
    assert {"table1.tex", "figure1.pdf", "figure4.png", "figure3.csv", "audit.json", "equations.tex"} \
        <= common
    assert [name for name in sorted(common) if ours[name] != theirs[name]] == []
    assert reproduce.prepare_out_dir(out) == out  # running again into its own directory is allowed
    # and may replace every file: each one is listed, whichever process wrote it (this one or a worker)
    listed = {line.partition("  ")[2] for line in (out / MARKER).read_text().splitlines()[2:]}
    assert listed == set(files(out))


def test_a_figure_script_draws_one_column_on_request(tmp_path, capsys):
    from PIL import Image

    argv = ["--out", str(tmp_path), "--size", "one-column"]
    assert reproduce.figure_script("figure2", "Figure 2.", argv) == 0
    with Image.open(tmp_path / "figure2.png") as im:
        width_in = im.size[0] / im.info["dpi"][0]
    assert width_in == pytest.approx(3.4, abs=0.05)
    assert str(tmp_path / "figure2.pdf") in capsys.readouterr().out


def test_a_part_written_by_the_worker_is_refused_as_it_was_there(tmp_path, monkeypatch):
    # the audit cannot write audit.txt (a directory of that name): an OSError here too, which the command
    # line says as a user error (status 2), not an internal one
    for setting in ("enabled", "cases"):  # what the worker's part sets for its process ends with the test
        monkeypatch.setitem(_store._state, setting, _store._state[setting])
    out = reproduce.prepare_out_dir(tmp_path / "out")
    (out / "audit.txt").mkdir()
    outcome = reproduce._in_worker("claims", str(out))
    assert outcome[:2] == ("refused", "OSError")
    with pytest.raises(OSError, match=r"the claims: .*audit\.txt"):
        reproduce._worker_result("claims", outcome)
    failed = TaskFailed("ZeroDivisionError: division by zero")
    with pytest.raises(RuntimeError, match="the model variants: ZeroDivisionError"):
        reproduce._worker_result("model variants", failed)
