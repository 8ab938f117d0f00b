"""How the program's own processes run: SymPy's cache and the garbage collector.

The command line (:func:`symrecycle.cli.main.run`) takes these settings, and so do the worker
processes the package starts (:mod:`symrecycle.numeric.pool`, the collector's only: SymPy's cache
size comes with the environment); ``import symrecycle`` does not, since a library does not change
the interpreter of the notebook that imports it. Nothing here imports SymPy (its cache size must be
set before it is imported).
"""

from __future__ import annotations

import gc
import os

#: entries of SymPy's cache in the program (SymPy's own default: 1000). A derivation asks SymPy the
#: same questions again across its steps: with 10000, the tests of systems and sums over roots took 6 %
#: less time (35.8 s against 38.2 s, medians of four pairs) for 42 MB more memory (172 MB against
#: 129 MB). ``SYMPY_CACHE_SIZE`` in the environment wins.
SYMPY_CACHE_SIZE = "10000"

#: the garbage collector's thresholds in the program's processes (Python's own: 700, 10, 10). A
#: derivation makes objects that mostly live on (SymPy's caches, the results), and at Python's
#: thresholds the collector walks them again and again: a cold ``reproduce`` took 1.5 s less CPU
#: (24.5-24.8 s against 26.1-26.6 s, every process of it) and 0.7 s less time, at the same peak memory
#: (176 MB). 2000 gained half of that; 50000 and 100000 no more, for 5-10 MB more memory.
COLLECTOR_THRESHOLDS = (10000, 20, 20)


def sympy_cache_size() -> None:
    """Give SymPy's cache :data:`SYMPY_CACHE_SIZE` entries in this process (and the processes it starts),
    unless ``SYMPY_CACHE_SIZE`` is set; SymPy reads it once, when it is imported, so call this before.

    The program (:func:`symrecycle.cli.main.run`) does; in Python, set ``SYMPY_CACHE_SIZE`` before
    importing SymPy.
    """
    os.environ.setdefault("SYMPY_CACHE_SIZE", SYMPY_CACHE_SIZE)


def collector_thresholds() -> None:
    """Set the garbage collector's thresholds of this process to :data:`COLLECTOR_THRESHOLDS` (a process
    forked from it keeps them)."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
