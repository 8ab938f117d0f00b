"""Parameters: symbols, domains, names, descriptions.

A :class:`Parameter` couples a SymPy symbol with the interval it lives on.
SymPy assumptions can say "positive" or "nonnegative" but not "at most 1", so
the interval is kept here and is what validation and the sign proofs of
:mod:`symrecycle.solve.asymptotics` use.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

__all__ = ["Parameter", "n", "STANDARD", "parameter", "exact_number", "as_array"]


#: The iteration index: a positive integer.
n = sp.Symbol("n", integer=True, positive=True)


def _assumptions(lower, lower_open):
    if lower is None:
        return {"real": True}
    if lower > 0 or (lower == 0 and lower_open):
        return {"positive": True}
    if lower >= 0:
        return {"nonnegative": True}
    return {"real": True}


@dataclass(frozen=True)
class Parameter:
    """A model parameter with an interval domain.

    Parameters
    ----------
    name : str
        The name users type (``"alpha"``).
    lower, upper : int, Fraction or None
        Bounds of the domain; ``None`` is unbounded.
    lower_open, upper_open : bool
        Whether the bound itself is excluded.
    description : str
        One line saying what the parameter means.
    default : int, Fraction or None
        The value taken where none is given (a scale such as ``C1 = 1``);
        ``None``: a value is required.

    Examples
    --------
    >>> p = Parameter("alpha", 0, 1, description="re-use efficiency")
    >>> p.domain_text
    '[0, 1]'
    >>> p.validate(0.5)
    0.5
    """

    name: str
    lower: object = None
    upper: object = None
    lower_open: bool = False
    upper_open: bool = False
    description: str = ""
    default: object = None
    symbol: sp.Symbol = field(default=None, compare=False)

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} is not an identifier")
        for bound in (self.lower, self.upper):
            if bound is not None and not isinstance(bound, (int, Fraction)):
                raise ValueError(
                    f"parameter {self.name!r}: bound {bound!r} must be an int or Fraction"
                )
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(
                f"parameter {self.name!r}: lower bound {self.lower} exceeds upper {self.upper}"
            )
        if self.default is not None:
            if isinstance(self.default, bool) or not isinstance(self.default, (int, Fraction)):
                raise ValueError(
                    f"parameter {self.name!r}: default {self.default!r} must be an int or Fraction")
            if not self.contains(self.default):
                raise ValueError(
                    f"parameter {self.name!r}: default {self.default} outside {self.domain_text}")
        if self.symbol is None:
            sym = sp.Symbol(self.name, **_assumptions(self.lower, self.lower_open))
            object.__setattr__(self, "symbol", sym)

    @property
    def domain_text(self) -> str:
        """The domain as interval text, e.g. ``'(0, oo)'``."""
        lo = "-oo" if self.lower is None else str(self.lower)
        hi = "oo" if self.upper is None else str(self.upper)
        left = "(" if self.lower is None or self.lower_open else "["
        right = ")" if self.upper is None or self.upper_open else "]"
        return f"{left}{lo}, {hi}{right}"

    @property
    def interval(self) -> sp.Interval:
        """The domain as a SymPy ``Interval``."""
        lo = -sp.oo if self.lower is None else sp.Rational(self.lower)
        hi = sp.oo if self.upper is None else sp.Rational(self.upper)
        left_open = self.lower is None or self.lower_open
        return sp.Interval(lo, hi, left_open, self.upper is None or self.upper_open)

    @property
    def condition(self) -> sp.Basic:
        """The domain as an unevaluated ``Contains(symbol, interval)``.

        (A relational such as ``r > 0`` would evaluate to ``True`` from the
        symbol's own assumptions and hide the domain.)
        """
        return sp.Contains(self.symbol, self.interval, evaluate=False)

    def closed_ends(self) -> list:
        """The bounds that belong to the domain: ``[1]`` for ``(0, 1]``, ``[0, 1]`` for ``[0, 1]``."""
        bounds = ((self.lower, self.lower_open), (self.upper, self.upper_open))
        return [b for b, is_open in bounds if b is not None and not is_open]

    def contains(self, value) -> bool:
        """Whether a real number lies in the domain (exactly, for floats)."""
        x = Fraction(value)
        below = self.lower is not None and (x < self.lower or (self.lower_open and x == self.lower))
        above = self.upper is not None and (x > self.upper or (self.upper_open and x == self.upper))
        return not (below or above)

    def validate(self, value):
        """Return ``value`` if it is a real number in the domain, else raise.

        Raises
        ------
        ValueError
            naming the parameter, the value received and the domain.
        """
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, sp.Rational)):
            raise ValueError(
                f"parameter {self.name!r}: got {value!r}, expected a real number in "
                f"{self.domain_text}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(
                f"parameter {self.name!r}: got {value!r}, expected a finite number in "
                f"{self.domain_text}"
            )
        if not self.contains(value):
            raise ValueError(
                f"parameter {self.name!r}: got {value!r}, outside its domain {self.domain_text}"
            )
        return value

    def validate_array(self, value):
        """``value`` (a number or an array) as a float ndarray in the domain; else ValueError."""
        return as_array(self.name, value, self)

    def interior_points(self):
        """A few exact rational points of the domain, used for checks."""
        if self.upper is None:  # unbounded: small and large values, around 1
            lo = Fraction(self.lower) if self.lower is not None else Fraction(-5)
            steps = [Fraction(1, 5), Fraction(1, 2), Fraction(4, 5), Fraction(1), Fraction(6, 5),
                     Fraction(2), Fraction(5), Fraction(21, 2)]
            pts = [lo + s for s in steps]
        else:
            lo = Fraction(self.lower) if self.lower is not None else Fraction(self.upper) - 12
            hi = Fraction(self.upper)
            pts = [lo + (hi - lo) * Fraction(k, 7) for k in range(1, 7)]
        return [p for p in pts if self.contains(p)]


def as_array(name, value, param=None, integer=False, allow_inf=False):
    """One input, scalar or array, validated: a float ndarray, else ValueError naming the parameter.

    With ``param``, every element must lie in its domain; with ``integer``,
    be a positive integer (the iteration n); ``allow_inf`` admits ``inf``.
    The array counterpart of :meth:`Parameter.validate`.

    Examples
    --------
    >>> as_array("alpha", [0.5, 1.0], STANDARD["alpha"]).tolist()
    [0.5, 1.0]
    >>> as_array("alpha", 1.5, STANDARD["alpha"])
    Traceback (most recent call last):
    ...
    ValueError: parameter 'alpha': got 1.5, outside its domain [0, 1]
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"parameter {name!r}: got {value!r}, expected a number or an array of numbers")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and abs(int(value)) > 2**53:
        raise ValueError(f"parameter {name!r}: got {value!r}, too large to represent exactly")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name!r}: got {value!r}, expected numbers") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        if arr.dtype == object:
            try:
                arr = arr.astype(float)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"parameter {name!r}: got {value!r}, expected real numbers") from None
        else:
            raise ValueError(f"parameter {name!r}: got {value!r}, expected real numbers")
    if np.iscomplexobj(arr):
        raise ValueError(f"parameter {name!r}: got {value!r}, expected real numbers")
    if np.issubdtype(arr.dtype, np.integer) and arr.size and np.abs(arr).max() > 2**53:
        raise ValueError(f"parameter {name!r}: got {value!r}, too large to represent exactly")
    arr = arr.astype(float, copy=False)
    if np.isnan(arr).any():
        raise ValueError(f"parameter {name!r}: got nan, expected a number")
    bad_inf = np.isinf(arr) if not allow_inf else np.isneginf(arr)
    if bad_inf.any():
        dom = param.domain_text if param is not None else "a finite number"
        raise ValueError(f"parameter {name!r}: got {arr[bad_inf].flat[0]}, expected a finite value in {dom}")
    if integer:
        finite = arr[np.isfinite(arr)]
        if (finite != np.round(finite)).any() or (finite < 1).any():
            bad = finite[(finite != np.round(finite)) | (finite < 1)].flat[0]
            raise ValueError(f"parameter 'n': got {bad}, expected a positive integer or inf")
    if param is not None:
        lo, hi = param.lower, param.upper
        bad = np.zeros(arr.shape, dtype=bool)
        if lo is not None:
            bad |= (arr <= float(lo)) if param.lower_open else (arr < float(lo))
        if hi is not None:
            bad |= (arr >= float(hi)) if param.upper_open else (arr > float(hi))
        if bad.any():
            raise ValueError(
                f"parameter {name!r}: got {float(arr[bad].flat[0])!r}, "
                f"outside its domain {param.domain_text}"
            )
    return arr


def parameter(name: str) -> Parameter:
    """The standard parameter of that name (see :data:`STANDARD`).

    Examples
    --------
    >>> parameter("alpha").domain_text, parameter("r").domain_text
    ('[0, 1]', '(0, oo)')
    >>> parameter("rho")
    Traceback (most recent call last):
    ...
    ValueError: unknown parameter 'rho'; known: C1, alpha, beta, g, r
    """
    try:
        return STANDARD[name]
    except KeyError:
        known = ", ".join(sorted(STANDARD))
        raise ValueError(f"unknown parameter {name!r}; known: {known}") from None


#: The report's parameters and their domains.
STANDARD = {
    p.name: p
    for p in (
        Parameter("alpha", 0, 1, description="re-use efficiency of the previous model"),
        Parameter("r", 0, None, lower_open=True, description="growth of real compute per iteration"),
        Parameter("g", 0, None, lower_open=True,
                  description="growth of algorithmic efficiency per iteration"),
        Parameter("beta", 0, 1, description="fraction of new algorithmic progress that augmentation uses"),
        Parameter("C1", 0, None, lower_open=True, description="real compute of the first training run",
                  default=1),
    )
}


# -- exact numbers read from text ------------------------------------------------------------
#: a decimal as printed: ``4.2``, ``-0.5``, ``1e-3``
DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_RATIO = re.compile(r"\s*([+-]?\d+)\s*/\s*(\d+)\s*")
#: the most digits, and the largest decimal exponent, an exact number read from text may have
#: (``1e400`` is read exactly; ``1e-100000000`` would take minutes and a gigabyte)
MAX_DIGITS = 1000
MAX_EXPONENT = 1000


def exact_number(text: str) -> Fraction:
    """The exact value of a decimal (``0.99``, ``1e-3``) or a ratio of integers (``3/2``).

    ``ValueError`` names what is wrong: not such a number, more than
    :data:`MAX_DIGITS` digits, an exponent beyond :data:`MAX_EXPONENT`, a zero denominator.

    Examples
    --------
    >>> exact_number("0.99"), exact_number("3/2"), exact_number("1e400") == 10**400
    (Fraction(99, 100), Fraction(3, 2), True)
    """
    if not isinstance(text, str):
        raise ValueError(f"got {text!r}, expected a number written as text")
    t = text.strip()
    ratio = _RATIO.fullmatch(t)
    if ratio is None and not DECIMAL.fullmatch(t):
        raise ValueError(f"got {text!r}, expected a number such as 1, 0.99, 1e-3 or 3/2")
    mantissa, _, exponent = t.lower().partition("e")
    if sum(c.isdigit() for c in (mantissa if ratio is None else t)) > MAX_DIGITS:
        raise ValueError(f"got a number of {len(t)} characters, expected at most {MAX_DIGITS} digits")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        raise ValueError(f"got {_short_text(t)}, expected a decimal exponent within +-{MAX_EXPONENT}")
    if ratio is not None:
        if int(ratio.group(2)) == 0:
            raise ValueError(f"got {text!r}: the denominator is 0")
        return Fraction(int(ratio.group(1)), int(ratio.group(2)))
    return Fraction(t)


def _short_text(t, size=40):
    return repr(t) if len(t) <= size else repr(t[:size] + "...")
