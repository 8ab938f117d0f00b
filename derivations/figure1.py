"""Figure 1: the kickstarting benefit after infinitely many iterations over (r, alpha): PDF, PNG, CSV.

Usage: python derivations/figure1.py --out DIR [--force] [--size one-column|two-column]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def main(argv=None):
    return reproduce.figure_script("figure1", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
