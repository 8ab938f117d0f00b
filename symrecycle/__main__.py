"""``python -m symrecycle``: the command line (see :mod:`symrecycle.cli.parser`)."""

from .cli.main import run

if __name__ == "__main__":
    run()
