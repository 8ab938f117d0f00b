"""Models: :class:`~.model.Model` (data plus derivations), its certificates (:mod:`.checks`), the
derivations beyond the closed form (:mod:`.derivations`), cross-checks against iteration, and the
report's two models (:mod:`.catalogue`).
"""
