"""``python -m symrecycle``: the command line (see :mod:`symrecycle.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
