"""The solvers: linear recurrences with every degenerate case (:mod:`.recurrence` over
:mod:`.cases` and :mod:`.certify`), limits by regime (:mod:`.asymptotics`) and calculus on
piecewise results (:mod:`.calculus`). They import only :mod:`symrecycle.core`.
"""
