"""The growth rates and scenarios of the report's data file (``data/growth_rates.toml``), read and
checked: a rate's unit converted to a factor per year."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..core.params import DECIMAL, exact_number
from .toml import read_toml

__all__ = ["GrowthRate", "GrowthScenario", "growth_rates", "growth_scenarios"]


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
    """A combination of growth rates (their factors multiply), e.g. a row of Table 1.

    Examples
    --------
    >>> rates = growth_rates()
    >>> s = GrowthScenario("c+s", "compute and software", (rates["compute"], rates["software"]))
    >>> s.factor  # 4.2x times 150 % a year
    Fraction(21, 2)
    """

    id: str
    name: str
    rates: tuple
    printed_in: str = ""
    table1: bool = True

    @property
    def factor(self):
        """The product of the rates' factors per year.

        Examples
        --------
        >>> rates = growth_rates()
        >>> GrowthScenario("h+s", "hardware and software", (rates["hardware"], rates["software"])).factor
        Fraction(13, 4)
        """
        out = Fraction(1)
        for rate in self.rates:
            out = out * rate.factor
        return out


def _load_toml(path):

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
