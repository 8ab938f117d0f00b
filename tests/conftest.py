"""Shared fixtures and Hypothesis settings for the symrecycle tests."""

from __future__ import annotations

import pytest
from hypothesis import settings

import symrecycle as sr

# No example database on disk (keeps the checkout clean); no per-example
# deadline: a SymPy substitution may take a few milliseconds more on CI.
settings.register_profile("symrecycle", database=None, deadline=None)
settings.load_profile("symrecycle")


@pytest.fixture(scope="session")
def kick():
    return sr.get_model("kickstarting")


@pytest.fixture(scope="session")
def aug():
    return sr.get_model("augmentation")
