"""Output folders and tables: what the report's scripts and the model variants write through.

Kept below :mod:`symrecycle.report.reproduce` and :mod:`symrecycle.report.variants`, which
both use it (neither imports the other's module for these).
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..core.texsafe import escape
from . import files as _files
from .files import MARKER

__all__ = ["booktabs", "Table", "prepare_out_dir", "script_output"]


def booktabs(header, rows, caption="", label="", align=None) -> str:
    r"""A ``table`` float with a booktabs ``tabular``; cells are escaped text.

    Examples
    --------
    >>> print(booktabs(["a", "b"], [["1", "x_1"]], caption="T", label="tab:t"))
    \begin{table}[ht]
    \centering
    \begin{tabular}{ll}
    \toprule
    a & b \\
    \midrule
    1 & x\_1 \\
    \bottomrule
    \end{tabular}
    \caption{T}
    \label{tab:t}
    \end{table}
    """
    align = align or "l" * len(header)
    lines = [r"\begin{table}[ht]", r"\centering", rf"\begin{{tabular}}{{{align}}}", r"\toprule",
             " & ".join(escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(escape(c) for c in row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)


def prepare_out_dir(out_dir, force: bool = False) -> Path:
    """Create ``out_dir`` (or accept it) for symrecycle's outputs; returns it as a Path.

    Accepted: a missing or empty directory, or one that symrecycle wrote
    before (it holds :data:`MARKER`, which lists the files written there). A
    non-empty directory without the marker is refused with
    ``FileExistsError`` unless ``force``; a path that is a file, with
    ``NotADirectoryError``. Only files symrecycle wrote there, unchanged
    since, are replaced; writing over any other file raises
    ``FileExistsError`` unless ``force``.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> out = prepare_out_dir(d / "results")
    >>> out == d / "results", [f.name for f in out.iterdir()]
    (True, ['.symrecycle-output'])
    >>> prepare_out_dir(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileExistsError: output directory '...' is not empty and was not created by symrecycle; ...
    >>> shutil.rmtree(d)
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output directory {str(out)!r} is a file, expected a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise FileExistsError(
            f"output directory {str(out)!r} is not empty and was not created by symrecycle; "
            "choose a new or empty directory, or force writing into it (--force)"
        )
    out.mkdir(parents=True, exist_ok=True)
    _files.mark_folder(out)
    if force:
        _files.force_folder(out)
    return out


# -- LaTeX tables ---------------------------------------------------------------------------------------
#: A number as a table's text prints it: sign, digits, decimals, exponent, then ``x`` or ``%``.
_NUMBER = re.compile(r"(?P<sign>[-+]?)(?P<int>\d+)(?:\.(?P<frac>\d+))?"
                     r"(?:[eE](?P<exp>[-+]?\d+))?(?P<unit>x|%)?")
#: What a numeric column may hold besides numbers, and how each is set.
_NOT_A_NUMBER = {"": "", "-": "--", "--": "--", "n/a": "n/a", "nan": "NaN", "NaN": "NaN",
                 "inf": r"$\infty$", "+inf": r"$\infty$", "-inf": r"$-\infty$"}
#: The widest (in characters) a table may be and still be set at its natural width; a wider one is
#: set across ``\linewidth`` with wrapping text columns. 48 characters of ``\small`` text stay well
#: inside the column of a two-column page (about 240 pt).
_NARROW = 48
#: The shortest line a text column's header is broken into (characters).
_HEADER_TEXT = 12


def _is_numeric(cells) -> bool:
    """Whether a column's cells are all numbers or placeholders, with one number at least."""
    cells = [str(c).strip() for c in cells]
    return (any(_NUMBER.fullmatch(c) for c in cells)
            and all(_NUMBER.fullmatch(c) or c in _NOT_A_NUMBER for c in cells))


def _decimals(cells) -> int:
    """The largest count of decimals among a numeric column's numbers."""
    return max(len(m["frac"] or "") for c in cells if (m := _NUMBER.fullmatch(str(c).strip())))


def _number(cell, decimals: int) -> str:
    r"""A numeric column's cell as LaTeX, padded with zeros to ``decimals`` decimals.

    Examples
    --------
    >>> [_number(c, 2) for c in ("4.2", "-1", "1.5e-05", "1.3x", "50%", "-", "inf")]
    ['4.20', '$-$1.00', '1.50$\\times 10^{-5}$', '1.30x', '50.00\\%', '--', '$\\infty$']
    """
    cell = str(cell).strip()
    m = _NUMBER.fullmatch(cell)
    if m is None:
        return _NOT_A_NUMBER[cell]
    frac = (m["frac"] or "").ljust(decimals, "0")
    out = {"-": "$-$", "+": "+", "": ""}[m["sign"]] + m["int"] + ("." + frac if frac else "")
    if m["exp"] is not None:
        out += rf"$\times 10^{{{int(m['exp'])}}}$"
    return out + escape(m["unit"] or "")


def _wrap(text, width: int) -> list:
    """``text`` in lines of at most ``width`` characters; a word is never split."""
    return textwrap.wrap(str(text), max(width, 1), break_long_words=False, break_on_hyphens=False) or [""]


def _header(lines, align: str) -> str:
    r"""A header cell of one or more lines; several are stacked, bottom-aligned, in ``align``.

    Examples
    --------
    >>> _header(["Growth", "(x/yr)"], "r")
    '\\begin{tabular}[b]{@{}r@{}}Growth\\\\(x/yr)\\end{tabular}'
    >>> _header(["a_1"], "l")
    'a\\_1'
    """
    if len(lines) == 1:
        return escape(lines[0])
    stack = r"\\".join(escape(x) for x in lines)
    return rf"\begin{{tabular}}[b]{{@{{}}{align}@{{}}}}{stack}\end{{tabular}}"


def _one_line(text) -> str:
    """``text`` with its runs of white space (line breaks too) as single spaces."""
    return " ".join(str(text).split())


def _row(cells) -> str:
    r"""One row of a table; a first cell opening with ``[`` or ``*`` is kept from the rule or ``\\``
    before it (which would read it as their option or star).

    Examples
    --------
    >>> _row(["[1] Epoch", "4.2"])
    '{}[1] Epoch & 4.2 \\\\'
    """
    cells = list(cells)
    if cells and cells[0].startswith(("[", "*")):
        cells[0] = "{}" + cells[0]
    return " & ".join(cells) + r" \\"


def _columns(header, columns, numeric) -> tuple:
    """The column specification, the environment and the packages of a table."""
    # widths in characters of the text as it prints: a table this narrow is set as it is
    natural = sum(max([len(h)] + [len(c) for c in col]) + 2 for h, col in zip(header, columns))
    text = [i for i, num in enumerate(numeric) if not num]
    if natural <= _NARROW or not text:
        return "@{}" + "".join("r" if num else "l" for num in numeric) + "@{}", "tabular", "booktabs"
    # else across the line, the text columns wrapping, each as wide as its longest cell asks (80
    # characters at most), and twice its longest word or header line (not to be narrower than them)
    share = [max(min(max([len(c) for c in columns[i]] + [8]), 80),
                 2 * max([len(w) for c in columns[i] for w in c.split()] + [len(header[i])]))
             for i in text]
    hsize = [round(len(share) * x / sum(share), 2) for x in share]
    hsize[-1] = round(len(share) - sum(hsize[:-1]), 2)
    weight = dict(zip(text, hsize))
    wrap = r"\raggedright\arraybackslash\hspace{0pt}}X"
    cols = [(rf">{{\hsize={weight[i]:.2f}\hsize" if len(text) > 1 else ">{") + wrap if i in weight else "r"
            for i in range(len(header))]
    # the fill takes up the few sp by which the weighted widths may fall short of the line
    return "@{\\extracolsep{\\fill}}%\n  " + "%\n  ".join(cols) + "@{}", "tabularx", "booktabs,tabularx"


def _latex_table(t) -> str:
    """The LaTeX of :meth:`Table.latex` (without the final newline)."""
    header = [_one_line(h) for h in t.header]
    columns = [[_one_line(r[i]) for r in t.rows] for i in range(len(header))]
    numeric = [bool(col) and _is_numeric(col) for col in columns]
    cells = [[_number(c, _decimals(col)) for c in col] if num else [escape(c) for c in col]
             for col, num in zip(columns, numeric)]
    # a numeric column's header is broken to the width of its numbers (6 characters at least), a
    # text column's to 12 characters at least
    heads = [_wrap(h, max([len(w) for w in h.split()] + [6, max(map(len, col)) if num else _HEADER_TEXT]))
             for h, col, num in zip(header, columns, numeric)]
    spec, env, packages = _columns([max(x, key=len) for x in heads], columns, numeric)
    width = r"{\linewidth}" if env == "tabularx" else ""
    lines = [rf"% needs \usepackage{{{packages}}}", r"\begin{table}[ht]", r"\centering", r"\small",
             rf"\begin{{{env}}}{width}{{{spec}}}", r"\toprule",
             _row(_header(x, "r" if num else "l") for x, num in zip(heads, numeric)), r"\midrule"]
    for k, row in enumerate(zip(*cells)):
        if k and env == "tabularx":  # where text wraps, a little space tells the rows apart
            lines.append(r"\addlinespace[0.3em]")
        lines.append(_row(row))
    lines += [r"\bottomrule", rf"\end{{{env}}}"]
    if t.caption:
        lines.append(rf"\caption{{{escape(_one_line(t.caption))}}}")
    lines += [rf"\label{{tab:{re.sub(r'[^A-Za-z0-9:._-]', '-', str(t.name))}}}", r"\end{table}"]
    return "\n".join(lines)


@dataclass(frozen=True)
class Table:
    """A table with its caption: rows of text cells plus the exact numbers behind them.

    Examples
    --------
    >>> t = Table("t", ("model", "r", "limit"), (("kickstarting", "4.2", "1.3125"),), "Limits.",
    ...           ((4.2, 1.3125),), ("r", "limit"))
    >>> t.header, t.data_header, t.data
    (('model', 'r', 'limit'), ('r', 'limit'), ((4.2, 1.3125),))
    """

    name: str
    header: tuple
    rows: tuple
    caption: str
    data: tuple = ()
    data_header: tuple = ()

    def text(self) -> str:
        """The table as aligned plain text, then its caption.

        Examples
        --------
        >>> t = Table("t", ("model", "r", "limit"), (("kickstarting", "4.2", "1.3125"),), "Limits.",
        ...           ((4.2, 1.3125),), ("r", "limit"))
        >>> print(t.text(), end="")
        model         r    limit
        ------------  ---  ------
        kickstarting  4.2  1.3125
        <BLANKLINE>
        Limits.
        """
        widths = [max(len(str(c)) for c in col) for col in zip(self.header, *self.rows)]
        line = "  ".join("-" * w for w in widths)
        out = ["  ".join(str(c).ljust(w) for c, w in zip(self.header, widths)).rstrip(), line]
        out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in self.rows]
        return "\n".join(out) + "\n\n" + self.caption + "\n"

    def csv(self) -> str:
        r"""The exact numbers (``data`` under ``data_header``) as CSV.

        Examples
        --------
        >>> t = Table("t", ("model", "r", "limit"), (("kickstarting", "4.2", "1.3125"),), "Limits.",
        ...           ((4.2, 1.3125),), ("r", "limit"))
        >>> t.csv()
        'r,limit\n4.2,1.3125\n'
        """
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.data_header)
        w.writerows(self.data)
        return buf.getvalue()

    def markdown(self) -> str:
        """The table in Markdown, then its caption.

        Examples
        --------
        >>> t = Table("t", ("model", "r", "limit"), (("kickstarting", "4.2", "1.3125"),), "Limits.",
        ...           ((4.2, 1.3125),), ("r", "limit"))
        >>> print(t.markdown(), end="")
        | model | r | limit |
        |---|---|---|
        | kickstarting | 4.2 | 1.3125 |
        <BLANKLINE>
        Limits.
        """
        out = ["| " + " | ".join(self.header) + " |", "|" + "|".join("---" for _ in self.header) + "|"]
        out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in self.rows]
        return "\n".join(out) + "\n\n" + self.caption + "\n"

    #: The LaTeX packages :meth:`latex` may need, for a document's preamble (each table's own are in
    #: the comment at its top): ``booktabs`` for the rules, ``tabularx`` (which loads ``array``)
    #: for the wrapping text columns of a wide table.
    LATEX_PACKAGES: ClassVar[tuple] = ("booktabs", "tabularx")

    def latex(self) -> str:
        r"""The table as a LaTeX float labelled ``tab:NAME``, in ``\small``, fitting the line width.

        Numbers stay in the text of :attr:`rows`; what changes is their setting. A column whose
        cells are all numbers (placeholders such as ``-``, ``nan`` or ``inf`` aside) is set
        right-aligned (``r``), every number padded with zeros to the column's largest count of
        decimals, so that the decimal points line up; its header is broken over lines no wider
        than the column. Other columns are text: ``l`` where the whole table is narrow, else
        ``tabularx`` ``X`` columns across ``\linewidth`` in which the text wraps (ragged right),
        the width shared by the length of their longest cell. Rules are booktabs'. The first
        line is a comment naming the packages the table needs (a subset of
        :attr:`LATEX_PACKAGES`); all text is escaped
        (:func:`symrecycle.core.texsafe.escape`).

        Examples
        --------
        >>> t = Table("t", ("model", "r", "limit"), (("kickstarting", "4.2", "1.3125"),
        ...           ("augmentation", "10", "-")), "Limits.")
        >>> print(t.latex(), end="")
        % needs \usepackage{booktabs}
        \begin{table}[ht]
        \centering
        \small
        \begin{tabular}{@{}lrr@{}}
        \toprule
        model & r & limit \\
        \midrule
        kickstarting & 4.2 & 1.3125 \\
        augmentation & 10.0 & -- \\
        \bottomrule
        \end{tabular}
        \caption{Limits.}
        \label{tab:t}
        \end{table}
        >>> wide = Table("w", ("Scenario", "Sources", "Growth (x/yr)"),
        ...              (("Hardware efficiency", "1.3x/yr (Epoch 2022) x 150 %/yr (Erdil & Besiroglu 2023)",
        ...                "3.25"),), "Wide.")
        >>> print("\n".join(wide.latex().splitlines()[:10]))
        % needs \usepackage{booktabs,tabularx}
        \begin{table}[ht]
        \centering
        \small
        \begin{tabularx}{\linewidth}{@{\extracolsep{\fill}}%
          >{\hsize=0.53\hsize\raggedright\arraybackslash\hspace{0pt}}X%
          >{\hsize=1.47\hsize\raggedright\arraybackslash\hspace{0pt}}X%
          r@{}}
        \toprule
        Scenario & Sources & \begin{tabular}[b]{@{}r@{}}Growth\\(x/yr)\end{tabular} \\
        >>> Table.LATEX_PACKAGES
        ('booktabs', 'tabularx')
        """
        return _latex_table(self) + "\n"


def script_output(doc: str, script: str, argv=None, add_arguments=None):
    """A derivation script's command line: ``--out DIR [--force]`` plus its own options.

    Returns ``(args, out_dir)``; ``out_dir`` is None (after one line on
    stderr) where the directory cannot be used, and the script exits 2.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> args, out = script_output("Write the tables.", "tables.py", ["--out", str(d / "tables")])
    >>> args.force, out == d / "tables", out.is_dir()
    (False, True, True)
    >>> shutil.rmtree(d)
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty directory that symrecycle did not create")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return args, prepare_out_dir(args.out, force=args.force)
    except (FileExistsError, NotADirectoryError) as exc:
        print(f"{script}: error: {exc}", file=sys.stderr)
        return args, None
