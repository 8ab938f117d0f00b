"""Table 1: the recycling advantage of each growth scenario, as text, CSV, Markdown and LaTeX.

Usage: python derivations/table1.py --out DIR [--force]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import argparse
import sys

from symrecycle import reproduce


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty directory that symrecycle did not create")
    args = parser.parse_args(argv)
    try:
        out = reproduce.prepare_out_dir(args.out, force=args.force)
    except (FileExistsError, NotADirectoryError) as exc:
        print(f"table1.py: error: {exc}", file=sys.stderr)
        return 2
    for path in reproduce.write_table1(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
