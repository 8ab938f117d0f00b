"""Figure 4 a-d: model augmentation under several settings, with the breakeven beta. PDF, PNG and CSV.

Usage: python derivations/figure4.py --out DIR [--force] [--size one-column|two-column]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def main(argv=None):
    return reproduce.figure_script("figure4", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
