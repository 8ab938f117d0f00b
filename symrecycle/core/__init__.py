"""The core layer: parameters and their domains, results, the quantity request, and the SymPy
helpers that decide (components, exponential-polynomial zero tests, conditions).

It imports nothing else of the package. See ``docs/architecture.md``.
"""
