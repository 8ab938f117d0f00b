"""Audit of the report's numeric claims (or of another claims file).

Usage: python derivations/claims.py --out DIR [--force] [--claims FILE]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def options(parser):
    parser.add_argument("--claims", help="a claims file (TOML); default: the report's own claims")


def main(argv=None):
    args, out = reproduce.script_output(__doc__, "claims.py", argv, options)
    if out is None:
        return 2
    from symrecycle.io.claimfile import ClaimFileError

    try:
        results, paths = reproduce.write_claims(out, args.claims)
    except ClaimFileError as exc:
        print(f"claims.py: error: {args.claims}: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    bad = sum(not r.consistent for r in results)
    regions = any(r.claim is not None and r.claim.region is not None for r in results)
    word = "proved or consistent" if regions else "consistent"
    print(f"{len(results)} claims: {len(results) - bad} {word}, {bad} not")
    return 0


if __name__ == "__main__":
    sys.exit(main())
