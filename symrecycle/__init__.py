"""symrecycle: derive, check and publish the mathematics of foundation-model recycling.

The report's recurrences are solved in closed form (with every degenerate
case), their limits taken by regime, their sensitivities and breakevens
derived, and each result verified against exact iteration.
"""

from .core.params import STANDARD, Parameter, n
from .core.results import QUANTITIES, NotDerived, Result
from .core.version import VERSION
from .io.modelfile import load_model
from .io.registry import get_model, models, register
from .models.crosscheck import CrossCheck, cross_check
from .models.model import Metric, Model, SequenceDef
from .solve.recurrence import ClosedForm, Recurrence
from .uncertainty.distributions import Distribution, parse_spec
from .uncertainty.montecarlo import MonteCarlo, monte_carlo
from .uncertainty.sensitivity import SensitivityTable, sobol

__version__ = VERSION

__all__ = [
    # models
    "models", "get_model", "register", "Model", "SequenceDef", "Metric", "QUANTITIES",
    # user models
    "load_model",
    # numbers
    "cross_check", "CrossCheck",
    # uncertainty
    "monte_carlo", "sobol", "parse_spec", "Distribution", "MonteCarlo", "SensitivityTable",
    # engine
    "Recurrence", "ClosedForm", "Result", "NotDerived",
    # parameters
    "Parameter", "STANDARD", "n",
]
