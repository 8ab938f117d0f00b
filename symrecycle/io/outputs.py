"""Output folders and tables: what the report's scripts and the model variants write through.

Kept below :mod:`symrecycle.report.reproduce` and :mod:`symrecycle.report.variants`, which
both use it (neither imports the other's module for these).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

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

    def latex(self) -> str:
        r"""The table as a LaTeX float (:func:`booktabs`), labelled ``tab:NAME``.

        Examples
        --------
        >>> t = Table("t", ("model", "r", "limit"), (("kickstarting", "4.2", "1.3125"),), "Limits.",
        ...           ((4.2, 1.3125),), ("r", "limit"))
        >>> print(t.latex(), end="")
        \begin{table}[ht]
        \centering
        \begin{tabular}{lrl}
        \toprule
        model & r & limit \\
        \midrule
        kickstarting & 4.2 & 1.3125 \\
        \bottomrule
        \end{tabular}
        \caption{Limits.}
        \label{tab:t}
        \end{table}
        """

        return booktabs(self.header, self.rows, caption=self.caption, label=f"tab:{self.name}",
                        align="l" + "r" * (len(self.header) - 2) + "l") + "\n"


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
