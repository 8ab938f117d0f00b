"""Everything specific to the report: its claims, figures, tables, LaTeX documents, variants and
:func:`~.reproduce.reproduce`.
"""
