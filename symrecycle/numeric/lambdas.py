"""SymPy expressions as numpy functions, without ``lambdify``'s ``from numpy import *``.

``lambdify(..., modules="numpy")`` fills its namespace with every name of numpy,
which loads ``numpy.testing``, ``numpy.ma``, ``numpy.random`` and more: a tenth
of a second of a command's start-up. Printed with numpy's names in full
(``numpy.log``), the function needs only ``numpy`` itself in its namespace.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

__all__ = ["numpy_function"]


def numpy_function(args, expr, functions=None, cse=False):
    """``lambdify(args, expr, modules=[functions, "numpy"])``, with numpy's names written in full.

    ``functions``: ``{name: callable}`` for the undefined functions of ``expr``.

    Examples
    --------
    >>> import sys
    >>> x, y = sp.symbols("x y", positive=True)
    >>> f = numpy_function([x, y], sp.Piecewise((sp.log(x) / (y - x), x < y), (sp.oo, True)))
    >>> f(np.array([1.0, 3.0]), np.array([2.0, 2.0])).tolist()
    [0.0, inf]
    >>> numpy_function([x], sp.Function("twice")(x), {"twice": lambda v: 2 * v})(np.array([1.5])).tolist()
    [3.0]
    >>> numpy_function([x, y], sp.Max(x, y, 1))(np.array([0.5, 3.0]), np.array([2.0, 0.5])).tolist()
    [2.0, 3.0]
    """
    printer = NumPyPrinter({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": True})
    # Max and Min print as functools.reduce(numpy.maximum, ...)
    namespace = {"numpy": np, "functools": functools, **(functions or {})}
    return sp.lambdify(args, expr, modules=[namespace], printer=printer, cse=cse)
