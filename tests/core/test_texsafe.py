"""Text from model files never reaches TeX as code; pdflatex reads no file outside its directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import pytest

import symrecycle as sr
from symrecycle.core.texsafe import check_math
from symrecycle.io.modelfile import loads_model
from symrecycle.models.model import Metric
from symrecycle.report import latex as _latex

MARKER = "SECRET-MARKER-7f3a9"

EVIL = textwrap.dedent("""\
    name = "evil"
    [parameters]
    r = "(0, oo)"
    [recurrence]
    initial = "1"
    next = "r*A[n-1] + 1"
    [metric.benefit]
    expr = "A[n]"
    latex = '''{label}'''
    """)


@pytest.mark.parametrize("label", [
    "B_{n}\\input{/etc/passwd}",
    "\\openout1=x \\write1{y}",
    "\\catcode`\\@=11",
    "^^5cinput{/etc/passwd}",
    "B_{n}\\include{x}",
    "B_{n} % comment",
    "B_{n} # 1",
    "a & b",
    "\\def\\x{1}",
    "B_{n",
    "B_{n}}",
    "\\",
    "\\csname input\\endcsname",
])
def test_a_label_with_tex_code_is_refused(label):
    with pytest.raises(ValueError, match=r"metric\.benefit\.latex: got"):
        loads_model(EVIL.format(label=label))
    with pytest.raises(ValueError, match="metric benefit: latex: got"):
        Metric("benefit", sr.n, "", label)


@pytest.mark.parametrize("label", [
    "B_{n}", "A_{n}/C_{n}", r"\frac{A_{n}}{C_{1}(rg)^{n-1}}", r"\alpha_{n}", r"\mathrm{gain}_{n}",
    r"\left(\frac{A_n}{C_n}\right)^{2}", r"\operatorname{B}'_{n} \cdot \beta", r"B_{n}\,[x]",
])
def test_math_labels_are_kept(label):
    assert check_math(label, "x") == label
    m = loads_model(EVIL.format(label=label))
    assert m.metric().latex == label


def needs_pdflatex():
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is missing in CI")
        pytest.skip("pdflatex is not installed on this machine")


def test_pdflatex_reads_no_file_outside_its_directory(tmp_path):
    """Even a document that asks for it (written by hand, not by symrecycle) cannot pull a file in."""
    needs_pdflatex()
    secret = tmp_path / "secret" / "data.tex"
    secret.parent.mkdir()
    secret.write_text(MARKER + "\n")
    doc = tmp_path / "out" / "doc.tex"
    doc.parent.mkdir()
    doc.write_text("\\documentclass{article}\\begin{document}\n"
                   f"\\IfFileExists{{{secret}}}{{\\input{{{secret}}}}}{{NOFILE}}\n"
                   "\\end{document}\n")
    pdf = _latex.compile_pdf(doc)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert MARKER not in text
        assert "NOFILE" in text
    else:  # pragma: no cover - the PDF's text streams are compressed; the marker would not be plain
        assert MARKER.encode() not in pdf.read_bytes()


def test_pdflatex_writes_no_file_outside_its_directory(tmp_path):
    needs_pdflatex()
    probe = tmp_path / "probe.txt"
    doc = tmp_path / "out" / "doc.tex"
    doc.parent.mkdir()
    doc.write_text("\\documentclass{article}\\begin{document}\n"
                   f"\\immediate\\openout5={probe}\n"
                   "\\immediate\\write5{written}\\immediate\\closeout5 x\n"
                   "\\end{document}\n")
    with pytest.raises(RuntimeError, match="I can't write on file"):
        _latex.compile_pdf(doc)
    assert not probe.exists()
