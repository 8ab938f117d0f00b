"""Table 1: the recycling advantage of each growth scenario, as text, CSV, Markdown and LaTeX.

Usage: python derivations/table1.py --out DIR [--force]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def main(argv=None):
    _args, out = reproduce.script_output(__doc__, "table1.py", argv)
    if out is None:
        return 2
    for path in reproduce.write_table1(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
