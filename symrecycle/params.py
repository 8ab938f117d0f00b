"""Parameters: symbols, domains, names, descriptions.

A :class:`Parameter` couples a SymPy symbol with the interval it lives on.
SymPy assumptions can say "positive" or "nonnegative" but not "at most 1", so
the interval is kept here and is what validation and the sign proofs of
:mod:`symrecycle.asymptotics` use.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

__all__ = ["Parameter", "n", "STANDARD", "parameter", "exact_number"]

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


def parameter(name: str) -> Parameter:
    """The standard parameter of that name (see :data:`STANDARD`)."""
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
        Parameter("C1", 0, None, lower_open=True, description="real compute of the first training run"),
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


# -- the report's growth rates, with their sources ------------------------------------------
_UNITS = ("x_per_year", "percent_per_year", "doubling_time_months")


@dataclass(frozen=True)
class GrowthRate:
    """A growth rate as printed in the report, with its citation.

    ``factor`` is the multiple per year: an exact ``Fraction`` for
    ``x_per_year`` and ``percent_per_year``, a float for a doubling time.

    Examples
    --------
    >>> rates = growth_rates()
    >>> rates["software"].value, rates["software"].unit, rates["software"].factor
    ('150', 'percent_per_year', Fraction(5, 2))
    """

    id: str
    name: str
    value: str
    unit: str
    factor: object
    citation: str
    cite: str = ""
    printed_in: str = ""
    note: str = ""


@dataclass(frozen=True)
class GrowthScenario:
    """A combination of growth rates (their factors multiply), e.g. a row of Table 1."""

    id: str
    name: str
    rates: tuple
    printed_in: str = ""
    table1: bool = True

    @property
    def factor(self):
        """The product of the rates' factors per year."""
        out = Fraction(1)
        for rate in self.rates:
            out = out * rate.factor
        return out


def _load_toml(path):
    from ._toml import read_toml

    if path is None:
        from importlib import resources

        text = resources.files("symrecycle").joinpath("data", "growth_rates.toml").read_text("utf-8")
        where = "symrecycle/data/growth_rates.toml"
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        where = str(path)
    return read_toml(text, where), where


def _rate_factor(where, rid, value, unit):
    if not isinstance(value, str) or not DECIMAL.fullmatch(value.strip()):
        raise ValueError(
            f"{where}: rate {rid!r}: field 'value' is {value!r}, expected the number as printed, "
            "in quotes (e.g. \"4.2\")"
        )
    try:
        x = exact_number(value)
    except ValueError as exc:
        raise ValueError(f"{where}: rate {rid!r}: field 'value': {exc}") from None
    if unit == "x_per_year":
        factor = x
    elif unit == "percent_per_year":
        factor = 1 + x / 100
    elif unit == "doubling_time_months":
        if x <= 0:
            raise ValueError(f"{where}: rate {rid!r}: doubling time {value!r} must be positive")
        factor = 2.0 ** (12 / float(x))
    else:
        raise ValueError(
            f"{where}: rate {rid!r}: field 'unit' is {unit!r}, expected one of {', '.join(_UNITS)}"
        )
    if factor <= 0:
        raise ValueError(f"{where}: rate {rid!r}: value {value!r} {unit} gives a factor {factor} <= 0")
    return factor


def _text(where, what, d, key, required=True):
    v = d.get(key, "" if not required else None)
    if not isinstance(v, str) or (required and not v.strip()):
        raise ValueError(f"{where}: {what}: field {key!r} is {v!r}, expected a non-empty string")
    return v


def growth_rates(path=None) -> dict:
    """The growth rates of the report (or of a TOML file in the same format), by id.

    Parameters
    ----------
    path : str or path-like, optional
        A file with ``[[rate]]`` tables (``id``, ``name``, ``value`` as printed,
        ``unit``, ``citation``, optional ``cite`` (short), ``printed_in`` and
        ``note``); default:
        the package's ``data/growth_rates.toml``.

    Examples
    --------
    >>> growth_rates()["compute"].factor
    Fraction(21, 5)
    """
    data, where = _load_toml(path)
    out = {}
    for i, d in enumerate(data.get("rate", [])):
        if not isinstance(d, dict):
            raise ValueError(f"{where}: rate #{i + 1} is not a table")
        rid = _text(where, f"rate #{i + 1}", d, "id")
        if rid in out:
            raise ValueError(f"{where}: rate id {rid!r} appears twice")
        unit = _text(where, f"rate {rid!r}", d, "unit")
        out[rid] = GrowthRate(
            id=rid,
            name=_text(where, f"rate {rid!r}", d, "name"),
            value=d.get("value"),
            unit=unit,
            factor=_rate_factor(where, rid, d.get("value"), unit),
            citation=_text(where, f"rate {rid!r}", d, "citation"),
            cite=_text(where, f"rate {rid!r}", d, "cite", required=False) or rid,
            printed_in=_text(where, f"rate {rid!r}", d, "printed_in", required=False),
            note=_text(where, f"rate {rid!r}", d, "note", required=False),
        )
    if not out:
        raise ValueError(f"{where}: no [[rate]] tables")
    return out


def growth_scenarios(path=None) -> list:
    """The report's growth scenarios (Table 1's rows and the text's combined rate), in order.

    Examples
    --------
    >>> [s.id for s in growth_scenarios() if s.table1]
    ['compute', 'hardware', 'compute+software', 'hardware+software']
    >>> growth_scenarios()[2].factor
    Fraction(21, 2)
    """
    rates = growth_rates(path)
    data, where = _load_toml(path)
    out = []
    for i, d in enumerate(data.get("scenario", [])):
        if not isinstance(d, dict):
            raise ValueError(f"{where}: scenario #{i + 1} is not a table")
        sid = _text(where, f"scenario #{i + 1}", d, "id")
        ids = d.get("rates")
        if not isinstance(ids, list) or not ids or not all(isinstance(x, str) for x in ids):
            raise ValueError(
                f"{where}: scenario {sid!r}: field 'rates' is {ids!r}, expected a list of rate ids"
            )
        missing = [x for x in ids if x not in rates]
        if missing:
            raise ValueError(
                f"{where}: scenario {sid!r}: unknown rate {missing[0]!r}; known: {', '.join(rates)}"
            )
        table1 = d.get("table1", True)
        if not isinstance(table1, bool):
            raise ValueError(
                f"{where}: scenario {sid!r}: field 'table1' is {table1!r}, expected true or false"
            )
        out.append(GrowthScenario(
            id=sid,
            name=_text(where, f"scenario {sid!r}", d, "name"),
            rates=tuple(rates[x] for x in ids),
            printed_in=_text(where, f"scenario {sid!r}", d, "printed_in", required=False),
            table1=table1,
        ))
    return out


__all__ += ["GrowthRate", "GrowthScenario", "growth_rates", "growth_scenarios"]
