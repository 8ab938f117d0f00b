"""Where a long derivation is: the engine names its steps, whoever listens draws them.

The engine calls :func:`steps` around its loops (the forcing terms of a
recurrence, the cases of a closed form, their certificates); by default
nothing listens and this costs one lookup. The command line listens with
:func:`reporting` and draws a progress line on a terminal, so that a
derivation of a large model file shows that it moves (and where) long
before its time limit.

Examples
--------
>>> seen = []
>>> with reporting(lambda label, i, total: seen.append((label, i, total))):
...     done = [x * x for x in steps("squares", [1, 2, 3])]
>>> done, seen
([1, 4, 9], [('squares', 1, 3), ('squares', 2, 3), ('squares', 3, 3)])
>>> list(steps("squares", [1, 2]))  # nobody listening
[1, 2]
"""

from __future__ import annotations

import contextlib
import contextvars

__all__ = ["reporting", "step", "steps"]

_LISTENER = contextvars.ContextVar("symrecycle_progress", default=None)


@contextlib.contextmanager
def reporting(listener):
    """Call ``listener(label, i, total)`` as each step starts, within this block (this thread)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def steps(label, items):
    """The items of ``items``, each announced to the listener as step ``i`` of ``len(items)``."""
    listener = _LISTENER.get()
    items = list(items)
    for i, item in enumerate(items, 1):
        if listener is not None:
            listener(label, i, len(items))
        yield item


def step(label, i=None, total=None):
    """Announce step ``i`` of ``total`` (or, without them, that the work is at ``label``)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(label, i, total)
