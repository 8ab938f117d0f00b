"""symrecycle: derive, check and publish the mathematics of foundation-model recycling.

The report's recurrences are solved in closed form (with every degenerate
case), their limits taken by regime, their sensitivities and breakevens
derived, and each result verified against exact iteration.
"""

from .models import QUANTITIES, Metric, Model, SequenceDef
from .numeric import CrossCheck, cross_check
from .params import STANDARD, Parameter, n
from .recurrence import ClosedForm, Recurrence
from .registry import get_model, models, register
from .results import NotDerived, Result
from .uncertainty import Distribution, MonteCarlo, SensitivityTable, monte_carlo, parse_spec, sobol
from .usermodels import load_model

__version__ = "0.1.0"

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
