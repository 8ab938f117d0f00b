"""Numbers: Results compiled to floats and mpmath (:mod:`.compile`), evaluated at parameter values
(:mod:`.evaluate`), any model iterated directly (:mod:`.iterate`), and the workers (:mod:`.pool`).
Nothing here derives: it takes Results and sequences as they are.
"""
