"""Audit of the report's numeric claims (or of another claims file).

Usage: python derivations/claims.py --out DIR [--force] [--claims FILE]

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
    parser.add_argument("--claims", help="a claims file (TOML); default: the report's own claims")
    args = parser.parse_args(argv)
    try:
        out = reproduce.prepare_out_dir(args.out, force=args.force)
    except (FileExistsError, NotADirectoryError) as exc:
        print(f"claims.py: error: {exc}", file=sys.stderr)
        return 2
    from symrecycle.claims import ClaimFileError

    try:
        results, paths = reproduce.write_claims(out, args.claims)
    except ClaimFileError as exc:
        print(f"claims.py: error: {args.claims}: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    bad = sum(not r.consistent for r in results)
    print(f"{len(results)} claims: {len(results) - bad} consistent, {bad} not")
    return 0


if __name__ == "__main__":
    sys.exit(main())
