r"""LaTeX text from users, checked before it reaches a document (not public API).

A metric's ``latex`` label is the one piece of LaTeX a user writes: it goes
into documents that are compiled. It is accepted only as math built from
plain characters and a whitelist of math commands, so that it can typeset
``\frac{A_{n}}{C_{n}}`` but never run ``\input``, ``\write``, ``\catcode`` or
TeX's ``^^`` character codes.

Examples
--------
>>> check_math(r"\frac{A_{n}}{\alpha C_{n}}", "metrics.benefit.latex")
'\\frac{A_{n}}{\\alpha C_{n}}'
>>> check_math(r"B_{n}\input{/etc/passwd}", "metrics.benefit.latex")
Traceback (most recent call last):
...
ValueError: metrics.benefit.latex: got the command \input, expected math commands only (\frac, ...)
"""

from __future__ import annotations

import re

__all__ = ["escape"]


_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
)
_MATH = (
    "frac dfrac tfrac sqrt left right bigl bigr Bigl Bigr cdot cdots ldots dots times div pm mp "
    "mathrm mathbf mathit mathsf mathcal mathbb operatorname text hat bar tilde overline underline "
    "widehat widetilde vec dot ddot prime infty lim log ln exp sin cos tan min max sup inf sum prod "
    "to mapsto leq geq le ge neq approx sim simeq propto langle rangle lvert rvert vert mid star ast "
    "partial nabla ell quad qquad"
)
#: The commands a math label may use.
MATH_COMMANDS = frozenset((_GREEK + " " + _MATH).split())

#: Characters a math label may hold besides letters and digits (no ``% # & ~ $ @``).
_PLAIN = set(" _^{}()[]+-*/=<>,.;:|'!")
_COMMAND = re.compile(r"\\([A-Za-z]+|[,;! {}|])")


def check_math(text: str, field: str) -> str:
    """``text`` if it is math made of plain characters and :data:`MATH_COMMANDS`, else ``ValueError``."""
    if "^^" in text:
        raise ValueError(f"{field}: got '^^' (a TeX character code), expected math without it")
    depth, i = 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = _COMMAND.match(text, i)
            if m is None:
                raise ValueError(f"{field}: got a lone backslash at position {i}, expected a math command")
            name = m.group(1)
            if name[0].isalpha() and name not in MATH_COMMANDS:
                raise ValueError(
                    f"{field}: got the command \\{name[:40]}, expected math commands only "
                    r"(\frac, ...)"
                )
            i = m.end()
            continue
        if not (ch.isascii() and ch.isalnum()) and ch not in _PLAIN:
            raise ValueError(f"{field}: got the character {ch!r}, expected letters, digits, math "
                             "commands and _ ^ { } ( ) [ ] + - * / = < > , . ; : | ' !")
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            raise ValueError(f"{field}: got an unmatched '}}' at position {i}")
        i += 1
    if depth:
        raise ValueError(f"{field}: got {depth} unclosed '{{'")
    return text


#: The environment additions under which pdflatex runs: no shell escape, and files read or
#: written only below the working directory (kpathsea's "paranoid" setting).
PDFLATEX_ENV = {"shell_escape": "f", "openin_any": "p", "openout_any": "p"}

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def escape(text: str) -> str:
    r"""Text with LaTeX's special characters escaped.

    Examples
    --------
    >>> escape("50% of A_n & more")
    '50\\% of A\\_n \\& more'
    """
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def tex_comment(text: str) -> str:
    return " ".join(str(text).split())
