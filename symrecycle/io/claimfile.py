r"""Claims: numbers printed in a text, reproduced from the models and audited.

A claims file is TOML with one ``[[claim]]`` table per printed number::

    [[claim]]
    id = "table1-compute"
    model = "kickstarting"
    quantity = "limit"              # any derived quantity; "benefit" takes n too
    params = { r = "4.2", alpha = 1 }
    stated = "1.3"                  # as printed: its digits set the precision
    source = "Table 1, row 1"

Fields of a model claim: ``id``, ``model``, ``quantity`` (``closed-form``,
``benefit``, ``limit``, ``sensitivity``, ``elasticity``, ``breakeven``,
``iterations-to``), ``params``, ``stated``, ``source``; optional ``n`` (an
integer, or ``inf``), ``wrt``, ``metric``, ``fraction``, ``level``,
``relation`` (``"="`` by default; ``"<"``, ``"<="``, ``">"``, ``">="`` for a
bound such as "cannot exceed 1.5") and ``note``.

A parameter value may be a number or a decimal string. A string says the value
is itself printed (rounded) in the text: the audit then says whether the values
that reproduce an inconsistent figure lie within that rounding.

A growth claim (``quantity = "growth"``, no model) checks a printed growth
rate against the product of growth rates of :func:`symrecycle.io.growth.growth_rates`:
``rates = ["compute", "software"]``, ``unit = "x_per_year"`` or
``"percent_per_year"`` (an increase: factor 1 + value/100).

Verdicts. ``stated = "1.3"`` stands for every number that rounds to it: the
claim is consistent when the computed value lies in ``[1.25, 1.35]`` (a tie
counts, whichever way the author rounded). For an inconsistent model claim the
audit searches, one parameter at a time with the others as stated, which values
on the parameter's domain reproduce the figure, and for a quantity with a
finite-horizon form (the benefit at n for a limit) which iterations n do. The
search is numeric: a grid over the domain (4001 points on a bounded domain,
12001 log-spaced points on ``[1e-3, 1e3]`` on an unbounded one, n up to 2000),
each edge refined by bisection to a relative width of 1e-12; a set of values
narrower than the grid spacing can be missed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ..core.params import DECIMAL, exact_number
from ..core.params import n as N
from ..core.request import WITH_RESPECT_TO, Request
from ..core.results import QUANTITIES
from ..io import registry
from .claimregion import REGION_KEYS, parse_region
from .growth import growth_rates
from .toml import TomlError, read_toml

__all__ = ["Claim", "ClaimResult", "ClaimFileError", "load_claims", "parse_claims"]


RELATIONS = ("=", "<", "<=", ">", ">=")
GROWTH_UNITS = ("x_per_year", "percent_per_year")
_MODEL_KEYS = {"id", "model", "quantity", "params", "stated", "source", "relation", "n", "wrt",
               "metric", "fraction", "level", "note"} | REGION_KEYS
_GROWTH_KEYS = {"id", "quantity", "rates", "unit", "stated", "source", "relation", "note"}
_TOP_KEYS = {"claim", "title", "description", "document"}
#: digits of the mpmath evaluation that decides a verdict
DPS = 30
#: grid sizes of the explanation search
GRID_BOUNDED, GRID_UNBOUNDED, N_MAX = 4001, 12001, 2000
UNBOUNDED_RANGE = (1e-3, 1e3)


class ClaimFileError(ValueError):
    """A claims file that cannot be used: the reason and the line (1-based) it concerns.

    Examples
    --------
    >>> e = ClaimFileError("field 'stated' is 1.3, expected a string", 7)
    >>> str(e), e.line
    ("line 7: field 'stated' is 1.3, expected a string", 7)
    """

    def __init__(self, message: str, line: int | None = None):
        self.reason = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class Claim:
    """One printed number and what it claims to be (see the module docstring).

    Examples
    --------
    >>> c = Claim(id="row1", quantity="limit", stated="1.3", source="Table 1", model="kickstarting",
    ...           params={"r": 4.2, "alpha": 1.0}, printed={"r": "4.2"})
    >>> c.relation, c.interval  # "1.3" stands for [1.25, 1.35]
    ('=', (Fraction(5, 4), Fraction(27, 20)))
    """

    id: str
    quantity: str
    stated: str
    source: str
    model: str | None = None
    params: dict = field(default_factory=dict)
    printed: dict = field(default_factory=dict)
    n: object = None
    wrt: str | None = None
    metric: str | None = None
    fraction: float = 0.99
    level: float = 1
    relation: str = "="
    rates: tuple = ()
    unit: str | None = None
    note: str = ""
    line: int | None = None
    region: object = None  # a RegionSpec (symrecycle.io.claimregion) for a claim over a region

    @property
    def interval(self):
        """``(low, high)`` as exact Fractions: the numbers that print as ``stated``.

        Examples
        --------
        >>> Claim(id="x", quantity="limit", stated="475", source="p. 3").interval
        (Fraction(949, 2), Fraction(951, 2))
        """
        return rounding_interval(self.stated)


@dataclass(frozen=True)
class ClaimResult:
    """The audit of one claim.

    ``consistent`` is False for an inconsistent claim and for one the engine
    could not evaluate (then ``error`` says why). ``explanations`` lists, for
    an inconsistent claim, each parameter (or ``n``) with a range of values
    that reproduces the stated figure: dicts with ``parameter``, ``low``,
    ``high`` and, where known, ``within_printed_precision``.

    Examples
    --------
    >>> ok = ClaimResult(id="row1", stated="1.3", computed=1.3125, consistent=True)
    >>> ok.verdict, ok.to_dict()["computed"]
    ('consistent', 1.3125)
    """

    id: str
    stated: str
    computed: object
    consistent: bool
    explanations: tuple = ()
    claim: Claim | None = None
    error: str | None = None
    status: str | None = None  # a claim over a region: "proved", "refuted" or "not proved"
    certificate: tuple = ()
    counterexample: dict | None = None
    details: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """``"consistent"``, ``"inconsistent"``, or ``"error"`` where the claim could not be evaluated;
        for a claim over a region ``"proved"``, ``"refuted"`` or ``"not proved"``.

        Examples
        --------
        >>> ClaimResult("row1", "1.3", 1.5, False).verdict
        'inconsistent'
        >>> ClaimResult("row1", "1.3", None, False, error="model 'x': limit not derived").verdict
        'error'
        """
        if self.error is not None:
            return "error"
        if self.status is not None:
            return self.status
        return "consistent" if self.consistent else "inconsistent"

    def to_dict(self) -> dict:
        """A JSON-ready dict (non-finite numbers as the strings ``"inf"``, ``"-inf"``, ``"nan"``).

        Examples
        --------
        >>> c = Claim(id="row1", quantity="limit", stated="1.3", source="Table 1", model="kickstarting",
        ...           params={"r": 4.2, "alpha": 1.0}, printed={"r": "4.2"})
        >>> d = ClaimResult("row1", "1.3", float("inf"), False, claim=c).to_dict()
        >>> d["computed"], d["verdict"], d["stated_interval"], d["params"]  # params as printed
        ('inf', 'inconsistent', [1.25, 1.35], {'r': '4.2', 'alpha': 1.0})
        """
        c = self.claim
        low, high = rounding_interval(self.stated)
        out = {
            "id": self.id,
            "stated": self.stated,
            "computed": _json_number(self.computed),
            "consistent": self.consistent,
            "verdict": self.verdict,
            "explanations": [{k: _json_number(v) for k, v in e.items()} for e in self.explanations],
        }
        if c is not None:
            out.update({
                "relation": c.relation,
                "stated_interval": [float(low), float(high)] if c.relation == "=" else None,
                "model": c.model,
                "quantity": c.quantity,
                "params": {k: c.printed.get(k, v) for k, v in c.params.items()},
                "source": c.source,
                "note": c.note,
            })
            for key in ("n", "wrt", "metric", "rates", "unit"):
                val = getattr(c, key)
                if val not in (None, ()):
                    out[key] = _json_number(val) if key == "n" else (list(val) if key == "rates" else val)
        if c is not None and c.region is not None:
            out["stated_interval"] = None
            if c.region.kind == "monotone":
                del out["stated"], out["relation"]
            out.update(c.region.to_dict())
            out["certificate"] = list(self.certificate)
            out.update({k: _json_number(v) for k, v in self.details.items()})
            if self.status == "refuted":
                out["counterexample"] = self.counterexample
        if self.error is not None:
            out["error"] = self.error
        return out


def _json_number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def rounding_interval(stated: str):
    """The closed interval of numbers that print as ``stated`` (half a unit of its last digit).

    Examples
    --------
    >>> rounding_interval("1.3")
    (Fraction(5, 4), Fraction(27, 20))
    >>> rounding_interval("475")
    (Fraction(949, 2), Fraction(951, 2))
    """
    d = Decimal(stated)
    half = Fraction(1, 2) * Fraction(10) ** d.as_tuple().exponent
    x = Fraction(stated)
    return x - half, x + half


# -- loading -----------------------------------------------------------------------------------------
class _Lines:
    """Line numbers of ``[[claim]]`` headers and of keys inside them (tomllib keeps none)."""

    header = re.compile(r"^\s*\[\[\s*claim\s*\]\]")
    table = re.compile(r"^\s*\[")

    def __init__(self, text):
        self.lines = text.splitlines()
        self.claims = [i + 1 for i, ln in enumerate(self.lines) if self.header.match(ln)]

    def claim(self, index):
        return self.claims[index] if index < len(self.claims) else None

    def key(self, index, key):
        start = self.claim(index)
        if start is None:
            return None
        pat = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]""")
        for i in range(start, len(self.lines)):
            ln = self.lines[i]
            if self.table.match(ln):
                break
            if pat.match(ln):
                return i + 1
        return start

    def top_key(self, key):
        pat = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}")\s*[=.]""")
        for i, ln in enumerate(self.lines):
            if self.table.match(ln):
                break
            if pat.match(ln):
                return i + 1
        return 1


def parse_claims(text: str) -> list:
    """Claims from the text of a claims file; :class:`ClaimFileError` if it is unusable.

    Examples
    --------
    >>> cs = parse_claims('''
    ... [[claim]]
    ... id = "row1"
    ... model = "kickstarting"
    ... quantity = "limit"
    ... params = { r = "4.2", alpha = 1 }
    ... stated = "1.3"
    ... source = "Table 1"
    ... ''')
    >>> cs[0].params, cs[0].printed, cs[0].line
    ({'r': 4.2, 'alpha': 1.0}, {'r': '4.2'}, 2)
    """
    try:
        data = read_toml(text, "")
    except TomlError as exc:
        raise ClaimFileError(str(exc).removeprefix(": "), exc.line) from None
    lines = _Lines(text)
    extra = sorted(set(data) - _TOP_KEYS)
    if extra:
        raise ClaimFileError(
            f"unknown top-level key {extra[0]!r}; a claims file holds [[claim]] tables "
            f"(and optional {', '.join(sorted(_TOP_KEYS - {'claim'}))})",
            lines.top_key(extra[0]),
        )
    raw = data.get("claim")
    if not isinstance(raw, list) or not raw:
        raise ClaimFileError("no [[claim]] tables: expected at least one", 1)
    claims, seen = [], {}
    for i, d in enumerate(raw):
        if not isinstance(d, dict):
            shown = repr(d) if len(repr(d)) <= 40 else repr(d)[:37] + "..."
            raise ClaimFileError(f"claim {i + 1} is {shown}, expected a [[claim]] table", 1)
        c = _parse_claim(d, i, lines)
        if c.id in seen:
            raise ClaimFileError(f"claim id {c.id!r} already used by the claim at line {seen[c.id]}", c.line)
        seen[c.id] = c.line
        claims.append(c)
    return claims


def load_claims(path) -> list:
    """Claims from a TOML file; :class:`ClaimFileError` (with the line) if it is unusable.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "claims.toml"
    >>> _ = path.write_text('''
    ... [[claim]]
    ... id = "combined"
    ... quantity = "growth"
    ... rates = ["compute", "software"]
    ... unit = "x_per_year"
    ... stated = "10.5"
    ... source = "Section 2"
    ... ''', encoding="utf-8")
    >>> [(c.id, c.rates, c.line) for c in load_claims(path)]
    [('combined', ('compute', 'software'), 2)]
    >>> shutil.rmtree(path.parent)
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ClaimFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClaimFileError(
            f"not UTF-8 text: byte {raw[exc.start]:#04x} at offset {exc.start}",
            raw[: exc.start].count(b"\n") + 1,
        ) from None
    return parse_claims(text)


def _parse_claim(d, i, lines):
    where = lines.claim(i)

    def fail(key, msg):
        raise ClaimFileError(msg, lines.key(i, key) if key else where)

    label = f"claim #{i + 1}"

    def text(key, required=True):
        v = d.get(key)
        if v is None and not required:
            return None
        if not isinstance(v, str) or not v.strip():
            what = "missing" if v is None else f"{v!r}"
            fail(key, f"{label}: field {key!r} is {what}, expected a non-empty string")
        return v

    cid = text("id")
    label = f"claim {cid!r}"
    quantity = text("quantity")
    over_region = bool(REGION_KEYS & set(d))
    stated = d.get("stated")
    if over_region and stated is None and "monotone" in d:
        stated = "0"  # a monotonicity claim states no number
    if not isinstance(stated, str) or not DECIMAL.fullmatch(stated.strip()):
        got = "missing" if stated is None else repr(stated)
        fail("stated", f"{label}: field 'stated' is {got}, expected "
                       "the number as printed, in quotes (e.g. \"1.3\"): its digits set the precision")
    stated = stated.strip()
    try:
        exact_number(stated)
    except ValueError as exc:
        fail("stated", f"{label}: field 'stated': {exc}")
    source = text("source", required=not over_region) or ""
    note = text("note", required=False) or ""
    relation = d.get("relation", "=")
    if relation not in RELATIONS:
        fail("relation", f"{label}: field 'relation' is {relation!r}, expected one of {', '.join(RELATIONS)}")

    if quantity == "growth":
        extra = sorted(set(d) - _GROWTH_KEYS)
        if extra:
            fail(extra[0], f"{label}: unknown field {extra[0]!r} for a growth claim; "
                           f"expected {', '.join(sorted(_GROWTH_KEYS))}")

        known = growth_rates()
        rates = d.get("rates")
        if not isinstance(rates, list) or not rates or not all(isinstance(x, str) for x in rates):
            fail("rates", f"{label}: field 'rates' is {rates!r}, expected a list of growth-rate ids "
                          f"({', '.join(known)})")
        for x in rates:
            if x not in known:
                fail("rates", f"{label}: unknown growth rate {x!r}; known: {', '.join(known)}")
        unit = d.get("unit")
        if unit not in GROWTH_UNITS:
            fail("unit", f"{label}: field 'unit' is {unit!r}, expected one of {', '.join(GROWTH_UNITS)}")
        return Claim(id=cid, quantity=quantity, stated=stated, source=source, relation=relation,
                     rates=tuple(rates), unit=unit, note=note, line=where)

    extra = sorted(set(d) - _MODEL_KEYS)
    if extra:
        fail(extra[0], f"{label}: unknown field {extra[0]!r}; expected {', '.join(sorted(_MODEL_KEYS))}")

    model_name = text("model")
    try:
        model = registry.get_model(model_name)
    except ValueError as exc:
        fail("model", f"{label}: {exc}")
    q = quantity.replace("_", "-")
    if q not in QUANTITIES:
        fail("quantity", f"{label}: field 'quantity' is {quantity!r}, expected one of "
                         f"{', '.join(QUANTITIES)} or growth")
    metric = d.get("metric")
    if metric is not None:
        if not isinstance(metric, str):
            fail("metric", f"{label}: field 'metric' is {metric!r}, expected a metric name")
        try:
            model.metric(metric)
        except ValueError as exc:
            fail("metric", f"{label}: {exc}")
    wrt = d.get("wrt")
    if q in WITH_RESPECT_TO:
        if not isinstance(wrt, str):
            fail("wrt", f"{label}: field 'wrt' is {'missing' if wrt is None else repr(wrt)}, expected the "
                        f"parameter of the {q} ({', '.join(p.name for p in model.parameters)})")
        try:
            model.parameter(wrt)
        except ValueError as exc:
            fail("wrt", f"{label}: {exc}")
    elif wrt is not None:
        fail("wrt", f"{label}: field 'wrt' is given, but a {q} takes none")
    params = d.get("params", {} if over_region else None)
    if not isinstance(params, dict):
        fail("params", f"{label}: field 'params' is {'missing' if params is None else repr(params)}, "
                       "expected a table of parameter values, e.g. { r = 4.2, alpha = 1 }")
    if "n" in params and "n" not in {p.name for p in model.parameters}:  # the iteration, as a value
        if "n" in d:
            fail("n", f"{label}: n is given twice, in field 'n' and in 'params'")
        params = dict(params)
        d = {**d, "n": params.pop("n")}
    values, printed = {}, {}
    for name, v in params.items():
        try:
            par = model.parameter(name)
        except ValueError as exc:
            fail("params", f"{label}: {exc}")
        if isinstance(v, str):
            if not DECIMAL.fullmatch(v.strip()):
                fail("params", f"{label}: parameter {name!r} is {v!r}, expected a number or a decimal "
                               "number in quotes")
            try:
                exact = exact_number(v)
            except ValueError as exc:
                fail("params", f"{label}: parameter {name!r}: {exc}")
            printed[name] = v.strip()
            try:
                x = float(exact)
            except OverflowError:
                fail("params", f"{label}: parameter {name!r} is {v.strip()!r}, beyond double precision "
                               "(about 1.8e308)")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            x = float(v)
        else:
            fail("params", f"{label}: parameter {name!r} is {v!r}, expected a number")
        try:
            par.validate(x)
        except ValueError as exc:
            fail("params", f"{label}: {exc}")
        values[name] = x
    spec = parse_region(d, model, fail, label, fixed=values, quantity=q)
    if spec is not None:
        if spec.kind != "monotone" and relation == "=":
            fail("relation", f"{label}: field 'relation' is {relation!r}, expected one of <, <=, >, >= "
                             f"for a {spec.kind} claim")
        if spec.n_range is not None and ("n" in d or q in ("limit", "iterations-to")):
            fail("forall" if "forall" in d else spec.kind, f"{label}: n is quantified, but "
                 + ("field 'n' fixes it too" if "n" in d else f"the {q} does not depend on n"))
    nval = d.get("n")
    if nval is not None:
        if isinstance(nval, bool) or not (
            (isinstance(nval, int) and nval >= model.start) or (isinstance(nval, float) and nval == math.inf)
        ):
            fail("n", f"{label}: field 'n' is {nval!r}, expected an integer >= {model.start} or inf")
        if q in ("limit", "iterations-to"):
            fail("n", f"{label}: field 'n' is given, but the {q} does not depend on n")
    elif q in ("benefit", "closed-form") and not (spec is not None and (
            spec.n_range is not None or any(v == "n" for v, _ in spec.monotone))):
        fail(None, f"{label}: field 'n' is missing: a {q} claim needs the iteration n (or inf)")
    fraction = d.get("fraction", 0.99)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        fail("fraction", f"{label}: field 'fraction' is {fraction!r}, expected a number in (0, 1)")
    level = d.get("level", 1)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not math.isfinite(level):
        fail("level", f"{label}: field 'level' is {level!r}, expected a finite number")
    claim = Claim(id=cid, quantity=q, stated=stated, source=source, model=model_name, params=values,
                  printed=printed, n=nval, wrt=wrt, metric=metric, fraction=float(fraction),
                  level=level, relation=relation, note=note, line=where, region=spec)
    missing = missing_params(model, claim)
    if missing:
        fail("params", f"{label}: parameter {missing[0]!r} is missing: the {q} depends on "
                       f"{', '.join(needed_params(model, claim))}")
    return claim


def _result(model, claim, at_n):

    q = "benefit" if claim.quantity == "limit" and at_n else claim.quantity  # the limit's metric at n
    req = Request.make(q, claim.wrt, claim.metric, None, claim.fraction, claim.level)
    return req.at(N if at_n else None).derive(model)


def _at_n(claim):
    return claim.n is not None and claim.n != math.inf


def needed_params(model, claim):
    try:
        expr = _result(model, claim, _at_n(claim) or claim.quantity in ("benefit", "closed-form")).expr
    except NotImplementedError:
        return []
    names = {s.name for s in expr.free_symbols}
    return [p.name for p in model.parameters if p.name in names]


def missing_params(model, claim):
    if claim.region is not None and claim.region.kind == "region":
        return []  # a region claim: a parameter not given ranges over its domain
    boxed = {p.name for p in claim.region.box} if claim.region is not None else set()
    return [p for p in needed_params(model, claim) if p not in claim.params and p not in boxed]
