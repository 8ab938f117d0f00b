r"""Uncertainty: parameter distributions, seeded Monte Carlo in chunks, and sensitivity.

Any parameter of a model may be given as a :class:`Distribution` (or as the
text of one, read by :func:`parse_spec`, never evaluated):

=======================  =========================================================
``0.5``, ``fixed 0.5``   the value itself
``uniform 2 to 6``       uniform on [2, 6] (also ``uniform(2, 6)``)
``loguniform 2 to 6``    log-uniform on [2, 6]: ``log x`` uniform
``normal(0.5, 0.1)``     normal with mean 0.5 and standard deviation 0.1
``lognormal 2 to 6``     lognormal whose 5th and 95th percentiles are 2 and 6
``triangular(2, 3, 6)``  triangular on [2, 6] with mode 3
=======================  =========================================================

**Domains.** A distribution whose support leaves the parameter's domain is
refused when the specs are read (``ValueError`` saying how much probability
lies outside), unless it is marked ``truncated`` (``"normal(0.9, 0.1)
truncated"``, ``truncate=True``): it is then conditioned on the domain, by
sampling the inverse CDF on :math:`[F(a), F(b)]`. A support that only touches
an open bound (``uniform 0 to 2`` for ``r`` in ``(0, oo)``) is accepted: the
bound has probability 0, and a draw that rounds onto it is moved to the next
float inside. No sample outside the domain reaches the model (and
:meth:`~symrecycle.models.Model.evaluate` checks again).

**Random numbers.** Every sample is :math:`x = F^{-1}(u)` of a uniform
:math:`u`. The uniforms of parameter ``p`` come in blocks of :data:`BLOCK`
from their own stream, seeded by ``(seed, crc32(p), block)``, so a result
depends on the seed, the specs and the sample count only: not on the chunk
size, the number of threads, or which other parameters are uncertain; and
the first ``k`` samples of a run are the run with ``samples=k``. Rank
correlations use a Gaussian copula: :math:`z = \Phi^{-1}(u)` of the
correlated parameters is multiplied by a Cholesky factor of
:math:`R_{ij} = 2\sin(\pi\rho_{ij}/6)` (the Pearson correlation of a normal
pair whose Spearman rank correlation is :math:`\rho_{ij}`), and
:math:`u = \Phi(z)` again: the marginals are kept exactly.

**Quantiles** are numpy's default (linear interpolation between order
statistics), made safe for infinite values (a limit is ``oo`` where the
benefit diverges). Undefined values (nan) are counted and left out.

**Sensitivity.** :func:`sobol` computes Sobol' first-order and total indices
with SALib (Saltelli sampling on the unit cube, mapped through the same
inverse CDFs; bootstrap confidence intervals) and puts beside them the local
elasticities :math:`\frac{p}{Q}\frac{\partial Q}{\partial p}` of the symbolic
derivative at the distributions' medians.
"""

from .distributions import (
    PERCENTS,
    SPEC_FORMS,
    Distribution,
    correlation_matrix,
    fixed,
    lognormal,
    loguniform,
    normal,
    parse_correlations,
    parse_spec,
    parse_specs,
    triangular,
    uniform,
)
from .montecarlo import MonteCarlo, draw, monte_carlo, read_csv, save_figure
from .sensitivity import SensitivityRow, SensitivityTable, local_elasticities, sobol

__all__ = [
    "Distribution",
    "fixed",
    "uniform",
    "loguniform",
    "normal",
    "lognormal",
    "triangular",
    "parse_spec",
    "parse_specs",
    "parse_correlations",
    "correlation_matrix",
    "SPEC_FORMS",
    "draw",
    "monte_carlo",
    "MonteCarlo",
    "read_csv",
    "save_figure",
    "PERCENTS",
    "sobol",
    "SensitivityTable",
    "SensitivityRow",
    "local_elasticities",
]
