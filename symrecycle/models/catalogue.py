"""The report's two models, kickstarting and model augmentation, as :class:`~symrecycle.models.model.Model`
data: sequences and metrics only; every result is derived by the engine."""

from __future__ import annotations

import sympy as sp

from ..core.params import STANDARD
from ..core.params import n as N
from .model import A, C, Metric, Model, P, SequenceDef, _s

__all__ = ["kickstarting", "augmentation"]


def kickstarting() -> Model:
    """Kickstarting: ``C_n = r C_{n-1}``, ``A_n = C_n + alpha A_{n-1}``, benefit ``A_n/C_n``.

    Examples
    --------
    >>> m = kickstarting()
    >>> [p.name for p in m.parameters], [s.name for s in m.sequences]
    (['r', 'alpha', 'C1'], ['C', 'A'])
    >>> m.iterate(3, r=2.0, alpha=0.5, metric="benefit").tolist()
    [1.0, 1.25, 1.3125]
    """
    p = STANDARD
    return Model(
        name="kickstarting",
        description="recycling by kickstarting: each run learns from the previous model",
        parameters=(p["r"], p["alpha"], p["C1"]),
        sequences=(
            SequenceDef("C", _s["C1"], _s["r"] * C[N - 1], "real compute"),
            SequenceDef("A", C[1], C[N] + _s["alpha"] * A[N - 1], "adjusted compute"),
        ),
        metrics=(Metric("benefit", A[N] / C[N], "adjusted over real compute", "B_{n}"),),
    )


def augmentation() -> Model:
    """Model augmentation: ``P_n = g P_{n-1}``, ``A_n = beta P_n C_n + A_{n-1}``.

    Examples
    --------
    >>> m = augmentation()
    >>> [p.name for p in m.parameters], [x.name for x in m.metrics]
    (['r', 'g', 'beta', 'C1'], ['benefit', 'real'])
    >>> m.iterate_exact({"r": 2, "g": 2, "beta": 1}, 3)["A"]
    [C1, 5*C1, 21*C1]
    """
    p = STANDARD
    return Model(
        name="augmentation",
        description="recycling by model augmentation: the old weights are trained on",
        parameters=(p["r"], p["g"], p["beta"], p["C1"]),
        sequences=(
            SequenceDef("C", _s["C1"], _s["r"] * C[N - 1], "real compute"),
            SequenceDef("P", sp.Integer(1), _s["g"] * P[N - 1], "algorithmic efficiency"),
            SequenceDef("A", C[1], _s["beta"] * P[N] * C[N] + A[N - 1], "adjusted compute"),
        ),
        metrics=(
            Metric("benefit", A[N] / (P[N] * C[N]), "adjusted over effective compute", "B_{n}"),
            Metric("real", A[N] / C[N], "adjusted over real compute", r"A_{n}/C_{n}"),
        ),
    )
