"""What the command-line tests share: the command line run with stderr as a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from symrecycle.cli import common as _common
from symrecycle.cli import main as _main


class FakeTTY(io.StringIO):
    """A stream that says it is a terminal, so progress bars draw on it."""

    def isatty(self):
        return True


@pytest.fixture
def on_terminal(monkeypatch):
    """``run(args) -> (status, drawn)``: ``symrecycle ARGS`` in-process, stderr a terminal, bars at once."""
    monkeypatch.setattr(_common, "PROGRESS_DELAY", 0.0)

    def run(args):
        tty = FakeTTY()
        monkeypatch.setattr(sys, "stderr", tty)
        return _main.main(list(args)), tty.getvalue()

    return run


@pytest.fixture
def fake_tty():
    """The class of a stream that says it is a terminal (for a progress bar given its stream)."""
    return FakeTTY
