"""Figure 2: the kickstarting benefit over iterations for several (r, alpha). PDF, PNG and CSV.

Usage: python derivations/figure2.py --out DIR [--force] [--size one-column|two-column]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def main(argv=None):
    return reproduce.figure_script("figure2", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
