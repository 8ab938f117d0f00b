"""Everything specific to the report: its claims, figures, tables, LaTeX documents, variants, the
endogenous-progress family, and :func:`~.reproduce.reproduce`.
"""
