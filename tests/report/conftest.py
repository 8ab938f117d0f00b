"""Fixtures of the report's tests."""

from __future__ import annotations

import pytest

from symrecycle.io.figstyle import figure_size
from symrecycle.report import figures as plots


@pytest.fixture(scope="session")
def report_figure():
    """``report_figure(name, size=None)``: the report's figure ``name`` (its FigureData) at ``size``
    (``None``: the default), drawn once per process for the tests that read it and leave it as they
    found it (a test that changes a figure draws its own)."""
    drawn = {}

    def get(name, size=None):
        key = (name, figure_size(size).name)
        if key not in drawn:
            drawn[key] = plots.FIGURES[name](size=key[1])
        return drawn[key]

    return get
