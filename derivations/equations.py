"""Every derived result of both models as a LaTeX document (compiled to PDF where pdflatex exists).

Usage: python derivations/equations.py --out DIR [--force] [--model NAME ...] [--workers N]

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
    parser.add_argument("--model", action="append", help="only this model (repeatable; default: all)")
    parser.add_argument("--workers", type=int, default=reproduce.WORKERS,
                        help=f"processes to derive in (default {reproduce.WORKERS})")
    args = parser.parse_args(argv)
    try:
        out = reproduce.prepare_out_dir(args.out, force=args.force)
    except (FileExistsError, NotADirectoryError) as exc:
        print(f"equations.py: error: {exc}", file=sys.stderr)
        return 2
    res = reproduce.write_equations(out, workers=args.workers, models=args.model)
    print(res["tex"])
    if res["pdf"]:
        print(res["pdf"])
    if res["pdf_error"]:
        print(f"pdflatex failed: {res['pdf_error']}", file=sys.stderr)
        return 1
    print(res["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
