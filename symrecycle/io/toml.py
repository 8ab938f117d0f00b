"""One TOML reader for every file symrecycle reads (model files, claims files, the growth rates).

Errors are ``TomlError`` (a ``ValueError``) naming the file and, where the
parser says it, the line; a nesting deep enough to exhaust Python's stack is
one of them, not a ``RecursionError``.
"""

from __future__ import annotations

import re
import sys

__all__ = ["TomlError", "read_toml"]


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class TomlError(ValueError):
    """Text that is not valid TOML; ``line`` is its line number where known.

    Examples
    --------
    >>> try:
    ...     read_toml('a = 1\\nb = x', "x.toml")
    ... except TomlError as exc:
    ...     print(exc.line, isinstance(exc, ValueError))
    2 True
    """

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


def read_toml(text: str, where: str = "<string>") -> dict:
    """The table of ``text``; :class:`TomlError` (``"WHERE: not valid TOML: ..."``) if it is not TOML.

    Examples
    --------
    >>> read_toml('a = "1"')
    {'a': '1'}
    >>> read_toml("a = [" * 3, "x.toml")
    Traceback (most recent call last):
    ...
    symrecycle.io.toml.TomlError: x.toml: not valid TOML: Invalid value (at line 1, column 6)
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"at line (\d+)", msg)
        raise TomlError(f"{where}: not valid TOML: {msg}", int(m.group(1)) if m else None) from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise TomlError(f"{where}: not valid here: arrays or tables nested too deeply") from None
