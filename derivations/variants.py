"""The report's model variants: readings, combined model, time-varying and endogenous models.

Usage: python derivations/variants.py --out DIR [--force]

Calls the public API of symrecycle only; all mathematics is the toolkit's.
"""

import sys

from symrecycle.report import variants_doc

if __name__ == "__main__":
    sys.exit(variants_doc.main())
