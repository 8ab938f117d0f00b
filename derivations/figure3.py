"""Figure 3: each earlier year's compute in adjusted compute (kickstarting): PDF, PNG, CSV.

Usage: python derivations/figure3.py --out DIR [--force] [--size one-column|two-column]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def main(argv=None):
    return reproduce.figure_script("figure3", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
