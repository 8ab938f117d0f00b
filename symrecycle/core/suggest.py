""""Did you mean": the nearest known name to a misspelled one (:mod:`difflib`).

The API's errors for an unknown model, quantity, parameter or metric end with
the suggestion, and so do the command line's (which show the API's message).

Examples
--------
>>> did_you_mean("alpah", ["r", "alpha", "C1"])
"; did you mean 'alpha'?"
>>> did_you_mean("zeta", ["r", "alpha", "C1"])
''
"""

from __future__ import annotations

import difflib

__all__ = ["closest", "did_you_mean"]


def closest(name, choices):
    """The known name nearest to ``name`` (difflib's ratio at least 0.6, case ignored), or None.

    Examples
    --------
    >>> closest("kickstart", ["augmentation", "kickstarting"])
    'kickstarting'
    >>> closest("Alpha", ["r", "alpha"]), closest("x", ["r", "alpha"])
    ('alpha', None)
    """
    if not isinstance(name, str) or not name or len(name) > 200:
        return None
    known = {str(c).lower(): str(c) for c in choices}
    found = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    return known[found[0]] if found else None


def did_you_mean(name, choices) -> str:
    """``"; did you mean 'X'?"`` to end an error message, or ``""`` where no known name is near.

    Examples
    --------
    >>> "unknown quantity 'limt'" + did_you_mean("limt", ["benefit", "limit"])
    "unknown quantity 'limt'; did you mean 'limit'?"
    """
    found = closest(name, choices)
    return "" if found is None or found == name else f"; did you mean {found!r}?"
