"""``as_sympy``, the package's one ``sympify``: numbers and SymPy objects only, never text."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symrecycle.core.sym import as_sympy


@pytest.mark.parametrize("text", [
    "1 + 1", b"1 + 1", np.str_("__import__('os')"), np.bytes_(b"1"), np.array(["1 + 1"]),
    np.array("x"), bytearray(b"1"), ["1"], ("x",), {"x": 1},
])
def test_text_in_any_wrapper_is_refused(text):
    with pytest.raises(ValueError, match="expected a number or a SymPy expression"):
        as_sympy(text)


@pytest.mark.parametrize(("value", "want"), [
    (3, sp.Integer(3)), (0.5, sp.Float(0.5)), (np.float64(0.25), sp.Float(0.25)),
    (np.int64(7), sp.Integer(7)), (sp.Rational(1, 3), sp.Rational(1, 3)),
])
def test_numbers_and_sympy_objects_pass(value, want):
    assert as_sympy(value) == want
