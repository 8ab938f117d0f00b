r"""Endogenous algorithmic progress: the benefit as a one-dimensional map, its fixed point and bounds.

The model file ``endogenous-progress.toml`` couples algorithmic progress to
the benefit of recycling,

.. math::

    C_n = r C_{n-1}, \quad P_n = g P_{n-1} \left(\frac{A_{n-1}}{P_{n-1} C_{n-1}}\right)^{\theta},
    \quad A_n = P_n C_n + \alpha A_{n-1}, \quad B_n = \frac{A_n}{P_n C_n},

a coupled, non-linear system for which the engine derives no closed form of
:math:`B_n`. This module derives, from the model object (its sequences and
metrics; nothing about the model is typed here):

1. the benefit as a map of itself, :math:`B_n = F(B_{n-1}) = 1 + c B_{n-1}^{1-\theta}`
   with :math:`c = \alpha/(g r)` (:func:`benefit_map`), and the gain over a
   world without recycling per iteration,
   :math:`G_n/G_{n-1} = (B_n/B_{n-1}) B_{n-1}^{\theta}` (:func:`gain_ratio`);
2. the fixed point :math:`B^* = F(B^*)`: closed forms where SymPy finds them
   (:math:`\theta = 0, 1/2, 1` and other rationals), uniqueness and monotone
   convergence of :math:`B_n` from :math:`B_1 = 1`, proved with SymPy
   (:func:`fixed_point`), lower and upper bounds for every :math:`\theta`
   (:func:`bounds`), and numeric solvers (:func:`fixed_point_value` in
   float64, vectorized; :func:`fixed_point_mp` at any precision);
3. the limits: :math:`\lim B_n = B^*` (:func:`benefit_limit`), the gain's
   growth factor per iteration :math:`B^{*\theta}` (:func:`gain_growth`) and
   that of adjusted compute, :math:`r g B^{*\theta}` (:func:`adjusted_growth`);
   all at parameter values: :func:`evaluate`.

Each derivation returns a :class:`~symrecycle.core.results.Result` whose
certificate says what was checked (exact iteration of the model, SymPy sign
proofs on the parameter domain, high-precision numbers).

Examples
--------
>>> m = benefit_map()
>>> m.expr
B**(1 - theta)*alpha/(g*r) + 1
>>> m.meta["coefficient"], m.meta["theta"]
(alpha/(g*r), theta)
>>> fixed_point(1).expr
c + 1
>>> round(evaluate(r=1.3, g=2.5, alpha=0.9, theta=0.5)["fixed_point"], 6)
1.317908
"""

from .base import C_PARAMETER, MODEL_NAME, THETA_PARAMETER, B, B_n, B_prev, c, default_model, theta
from .fixed import bounds, fixed_point
from .growth import adjusted_growth, benefit_limit, evaluate, gain_growth
from .maps import benefit_map, gain_ratio
from .numbers import Bstar, bracket, fixed_point_mp, fixed_point_value, iterate_map

__all__ = [
    "B",
    "c",
    "theta",
    "B_n",
    "B_prev",
    "Bstar",
    "C_PARAMETER",
    "THETA_PARAMETER",
    "benefit_map",
    "gain_ratio",
    "fixed_point",
    "bounds",
    "benefit_limit",
    "gain_growth",
    "adjusted_growth",
    "fixed_point_value",
    "fixed_point_mp",
    "bracket",
    "iterate_map",
    "evaluate",
    "MODEL_NAME",
    "default_model",
]
