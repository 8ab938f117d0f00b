"""Figure 4 a-d: model augmentation under several settings, with the breakeven beta. PDF, PNG and CSV.

Usage: python derivations/figure4.py --out DIR [--force]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle import reproduce


def main(argv=None):
    _args, out = reproduce.script_output(__doc__, "figure4.py", argv)
    if out is None:
        return 2
    data, paths = reproduce.write_figure("figure4", out)
    for path in paths.values():
        print(path)
    print(data.caption)
    return 0


if __name__ == "__main__":
    sys.exit(main())
