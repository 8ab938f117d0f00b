"""Figure 3: each earlier year's compute in adjusted compute (kickstarting): PDF, PNG, CSV.

Usage: python derivations/figure3.py --out DIR [--force]

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
        print(f"figure3.py: error: {exc}", file=sys.stderr)
        return 2
    data, paths = reproduce.write_figure("figure3", out)
    for path in paths.values():
        print(path)
    print(data.caption)
    return 0


if __name__ == "__main__":
    sys.exit(main())
