"""LaTeX tables for papers: booktabs rules, aligned numbers, wrapping text, the packages stated; they
compile in a plain ``article`` page with no overfull box over 1 pt."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from symrecycle.core.texsafe import PDFLATEX_ENV
from symrecycle.io.outputs import Table, booktabs
from symrecycle.report import reproduce, variants

NEEDS = re.compile(r"% needs \\usepackage\{([a-z,]+)\}")
OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")

#: special characters of TeX, a command, a first cell that a rule would read as its option
HOSTILE = Table(
    "hostile_#1",
    ("Name & role", "Notes_1", "Value"),
    (("[1] first", r"\input{/etc/passwd} 50% of $x^2$ ~ #1 {a}", "-1.5"),
     ("*starred", "a line\n\nand another", "nan"),
     ("plain", "x" * 5 + " words " * 30, "2e-05")),
    "Caption with 100% & $ and\n\na blank line.",
)


@pytest.fixture(scope="module")
def table1():
    return reproduce.table1()


@pytest.fixture(scope="module")
def variants_table():
    return variants.readings()["table"]


def packages(tex: str) -> list:
    """The packages a table's first line says it needs."""
    m = NEEDS.fullmatch(tex.splitlines()[0])
    assert m, tex.splitlines()[0]
    return m.group(1).split(",")


def compile_article(tmp_path, *tables) -> str:
    """The tables in a minimal ``article`` whose preamble loads what their comments name; its log."""
    tex = [t.latex() for t in tables]
    need = sorted({p for x in tex for p in packages(x)})
    doc = ("\\documentclass{article}\n" + f"\\usepackage{{{','.join(need)}}}\n" + "\\begin{document}\n"
           + "\n".join(tex) + "\\end{document}\n")
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    proc = subprocess.run(
        [shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
         "doc.tex"],
        cwd=tmp_path, env={**os.environ, **PDFLATEX_ENV}, stdin=subprocess.DEVNULL, capture_output=True,
        timeout=120, check=False,
    )
    log = (tmp_path / "doc.log").read_text("utf-8", "replace")
    assert proc.returncode == 0, "\n".join(log.splitlines()[-25:])
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")
    return log


def overfull(log: str) -> list:
    return [float(x) for x in OVERFULL.findall(log)]


# -- compiled ------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("pdflatex")
def test_table1_fits_an_article_page(tmp_path, table1):
    log = compile_article(tmp_path, table1)
    assert [x for x in overfull(log) if x > 1] == []  # was 393.21 pt too wide (plain tabular, lrrrl)


@pytest.mark.usefixtures("pdflatex")
def test_variants_table_fits_an_article_page(tmp_path, variants_table):
    log = compile_article(tmp_path, variants_table)
    assert [x for x in overfull(log) if x > 1] == []  # was 277.95 pt too wide


@pytest.mark.usefixtures("pdflatex")
def test_hostile_text_compiles_as_text(tmp_path):
    log = compile_article(tmp_path, HOSTILE)
    assert [x for x in overfull(log) if x > 1] == []
    assert "passwd" not in log  # \input was printed, not run


@pytest.mark.usefixtures("pdflatex")
def test_the_measure_sees_the_old_table_overflow(tmp_path, table1):
    """The check reads real figures: Table 1 set as before (a plain booktabs tabular, lrrrl) overflows."""
    old = Table("old", (), (), "")
    old_tex = booktabs(table1.header, table1.rows, caption=table1.caption, align="lrrrl")
    object.__setattr__(old, "latex", lambda: "% needs \\usepackage{booktabs}\n" + old_tex + "\n")
    assert max(overfull(compile_article(tmp_path, old))) > 390  # 393.21 pt too wide


# -- the LaTeX -----------------------------------------------------------------------------------------
def test_the_packages_are_stated(table1, variants_table):
    small = Table("t", ("model", "r"), (("kickstarting", "4.2"),), "Limits.")
    assert packages(small.latex()) == ["booktabs"]
    for t in (table1, variants_table):
        assert packages(t.latex()) == ["booktabs", "tabularx"]
    assert Table.LATEX_PACKAGES == ("booktabs", "tabularx")
    for t in (small, table1, variants_table, HOSTILE):
        assert set(packages(t.latex())) <= set(Table.LATEX_PACKAGES)


def test_booktabs_rules_and_label(table1):
    lines = table1.latex().splitlines()
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"\hline" not in table1.latex()
    assert lines[-2:] == [r"\label{tab:table1}", r"\end{table}"]
    assert r"\small" in lines
    assert r"\begin{tabularx}{\linewidth}{@{\extracolsep{\fill}}%" in lines


def body(t: Table) -> list:
    """The cells of a table's body rows, as LaTeX."""
    lines = t.latex().splitlines()
    rows = lines[lines.index(r"\midrule") + 1: lines.index(r"\bottomrule")]
    return [r[: -len(r" \\")].split(" & ") for r in rows if r != r"\addlinespace[0.3em]"]


def test_table1_columns(table1):
    lines = table1.latex().splitlines()
    begin = lines.index(r"\begin{tabularx}{\linewidth}{@{\extracolsep{\fill}}%")
    spec = lines[begin + 1: lines.index(r"\toprule")]
    cols = [x.strip().removesuffix("%").removesuffix("@{}}")[-1] for x in spec]
    # the names and the long Sources column wrap; the three numeric columns are right-aligned
    assert cols == ["X", "X", "r", "r", "r"]
    rows = body(table1)
    assert [r[2] for r in rows] == ["4.20", "1.30", "10.50", "3.25"]  # fixed digits: 4.2, 10.5 padded
    assert [r[3] for r in rows] == [r[3] for r in table1.rows]  # already three decimals each
    assert [r[4] for r in rows] == ["1.3x", "4.1x", "1.1x", "1.4x"]
    assert rows[2][1] == r"4.2x/yr (Epoch 2022) x 150 \%/yr (Erdil \& Besiroglu 2023)"


def test_variants_numbers_have_fixed_digits(variants_table):
    rows = body(variants_table)
    assert len(rows) == len(variants_table.rows)
    for j in range(1, 7):
        decimals = {len(r[j].partition(".")[2]) for r in rows}
        assert len(decimals) == 1, (j, decimals)
    assert {r[2] for r in rows} == {"1.0", "2.5"}  # g: 1 printed as 1.0 beside 2.5


def test_numbers_are_only_padded():
    """The digits printed are the row's own; only zeros are added, and placeholders are set as such."""
    t = Table("t", ("x", "y", "z"), (("a", "0.5", "-"), ("b", "12", "3.25"), ("c", "-0.125", "inf")), "")
    assert body(t) == [["a", "0.500", "--"], ["b", "12.000", "3.25"], ["c", "$-$0.125", r"$\infty$"]]
    mixed = Table("t", ("x", "y"), (("a", "1.5"), ("b", "n.a.")), "")
    assert body(mixed) == [["a", "1.5"], ["b", "n.a."]]  # a text cell: the column is text


def test_text_is_escaped():
    tex = HOSTILE.latex()
    assert (r"\textbackslash{}input\{/etc/passwd\} 50\% of \$x\textasciicircum{}2\$ \textasciitilde{} \#1"
            in tex)
    assert r"\input" not in tex.replace(r"\textbackslash{}input", "")
    assert r"{}[1] first" in tex  # no rule or \\ reads it as its option
    assert r"{}*starred" in tex
    assert "a line and another" in tex  # no blank line (a paragraph break) inside a cell or the caption
    assert r"\caption{Caption with 100\% \& \$ and a blank line.}" in tex
    assert r"\label{tab:hostile_-1}" in tex
    assert "\n\n" not in tex


def test_headers_wrap_to_their_column():
    t = Table("t", ("Scenario (Table 1)", "Recycling advantage"), (("Hardware", "1.312"),), "")
    head = t.latex().splitlines()[t.latex().splitlines().index(r"\toprule") + 1]
    assert head == (r"\begin{tabular}[b]{@{}l@{}}Scenario\\(Table 1)\end{tabular} & "
                    r"\begin{tabular}[b]{@{}r@{}}Recycling\\advantage\end{tabular} \\")


def test_other_formats_unchanged(table1):
    assert table1.markdown().splitlines()[2] == (
        "| Current compute increase | 4.2x/yr (Epoch 2022) | 4.2 | 1.312 | 1.3x |")
    assert table1.text().splitlines()[2].split()[-3:] == ["4.2", "1.312", "1.3x"]
    assert table1.csv().splitlines()[0] == (
        "scenario,name,growth_per_year,recycling_advantage,report_prints,rates")
