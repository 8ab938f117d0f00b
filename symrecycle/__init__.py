"""symrecycle: derive, check and publish the mathematics of foundation-model recycling.

The report's recurrences are solved in closed form (with every degenerate
case), their limits taken by regime, their sensitivities and breakevens
derived, and each result verified against exact iteration.

The public names are imported on first use (PEP 562): ``import symrecycle``
itself imports neither SymPy nor numpy, so that the command line starts with
what its command needs.
"""

import importlib as _importlib
import sys as _sys
import types as _types

from .core.version import VERSION

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
    # maps and fixed points
    "FixedPoint", "fixed_points", "limit_of_map",
    # parameters
    "Parameter", "STANDARD", "n",
]

#: where each public name lives (the module is imported when the name is first used)
_WHERE = {
    ".core.fixedpoint": ("FixedPoint",),
    ".core.params": ("STANDARD", "Parameter", "n"),
    ".core.results": ("QUANTITIES", "NotDerived", "Result"),
    ".io.modelfile": ("load_model",),
    ".io.registry": ("get_model", "models", "register"),
    ".models.crosscheck": ("CrossCheck", "cross_check"),
    ".models.model": ("Metric", "Model", "SequenceDef"),
    ".solve.maps": ("fixed_points", "limit_of_map"),
    ".solve.recurrence": ("ClosedForm", "Recurrence"),
    ".uncertainty.distributions": ("Distribution", "parse_spec"),
    ".uncertainty.montecarlo": ("MonteCarlo", "monte_carlo"),
    ".uncertainty.sensitivity": ("SensitivityTable", "sobol"),
}
_LAZY = {name: module for module, names in _WHERE.items() for name in names}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next look-up finds it at once
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Face(_types.ModuleType):
    """The package's module: the name ``models`` stays the function of :mod:`.io.registry`.

    Importing the subpackage ``symrecycle.models`` binds it as the attribute ``models`` of the
    package, where the public function of that name belongs; that binding is left out (the
    subpackage is in ``sys.modules`` and its own modules import it from there).
    """

    def __setattr__(self, name, value):
        if name == "models" and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Face
