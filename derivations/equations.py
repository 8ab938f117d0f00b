"""Every derived result of both models as a LaTeX document (compiled to PDF where pdflatex exists).

Usage: python derivations/equations.py --out DIR [--force] [--model NAME ...] [--workers N]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import reproduce


def options(parser):
    parser.add_argument("--model", action="append", help="only this model (repeatable; default: all)")
    parser.add_argument("--workers", type=int, default=reproduce.WORKERS,
                        help=f"processes to derive in (default {reproduce.WORKERS})")


def main(argv=None):
    args, out = reproduce.script_output(__doc__, "equations.py", argv, options)
    if out is None:
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
