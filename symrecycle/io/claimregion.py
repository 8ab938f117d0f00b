r"""Claims over regions: the quantifier fields of a claim, read and checked against the model.

A claim with one of the fields ``forall``, ``exists``, ``monotone``, ``region``
or ``measure`` is a statement about every point (or some point, or a share) of
a box of parameter values, not a number at one point::

    [[claim]]
    id = "bound-1.5"
    model = "kickstarting"
    quantity = "benefit"                         # n is quantified: the benefit at n
    params = { r = 5.75 }                        # fixed parameters
    forall = { alpha = "[0, 1]", n = "[1, oo)" } # the box
    relation = "<="
    stated = "1.5"

The kinds (exactly one per claim):

- ``forall = { ... }`` with ``relation`` and ``stated``: the quantity stands in
  that relation to ``stated`` at every point of the box;
- ``exists = { ... }`` with ``relation`` and ``stated``: at some point of the box;
- ``monotone = { n = "increasing" }`` (with an optional ``forall`` box): the
  quantity is ``increasing``, ``decreasing``, ``non-decreasing`` or
  ``non-increasing`` in ``n`` (from one iteration to the next) or in a
  parameter, everywhere on the box;
- ``region = "beta > 1 - 1/(g*r)"`` with ``relation`` and ``stated`` (the
  level) and an optional box ``over = { ... }``: the set of the box where the
  quantity stands in that relation to the level is exactly the stated region
  (relations joined by ``and`` / ``or``, chains such as ``0 < beta < 1``;
  parsed by the model-file parser, never evaluated);
- ``measure = ">= 0.9"`` with ``relation``, ``stated`` and the box
  ``over = { ... }``: the share of the box (uniform on each parameter's interval,
  or ``distribution = { beta = "normal(0.8, 0.1)" }`` restricted to the box, in
  the text of :func:`symrecycle.uncertainty.distributions.parse_spec`; uniform
  on the integers of n's range) where the relation holds, compared with the
  stated share.

An interval is text: ``"[0, 1]"``, ``"(0, 1]"``, ``"[1, oo)"`` (``oo``, ``inf``
for infinity; ``-oo`` below); its ends are decimals or ratios (``3/2``) and it
must lie in the parameter's domain. ``n``'s ends are integers from the model's
first iteration. ``budget`` (optional, default 2000) caps the sub-boxes of the
interval proof.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..core.params import Parameter, exact_number
from ..core.params import n as N
from .parser import parse_expression

__all__ = ["RegionSpec", "REGION_KEYS", "DIRECTIONS", "parse_interval", "parse_region", "parse_condition"]

#: the fields that make a claim a claim over a region
KINDS = ("forall", "exists", "monotone", "region", "measure")
REGION_KEYS = frozenset({*KINDS, "over", "budget", "distribution"})
DIRECTIONS = ("increasing", "decreasing", "non-decreasing", "non-increasing")
INEQUALITIES = ("<", "<=", ">", ">=")
DEFAULT_BUDGET = 2000

_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\[\]()]+?)\s*,\s*([^,\[\]()]+?)\s*([\])])\s*$")
_INF = {"oo", "inf", "+oo", "+inf", "infinity"}
_REL = re.compile(r"(<=|>=|!=|==|<|>|=)")


@dataclass(frozen=True)
class RegionSpec:
    """The quantifier part of a claim: its kind, the box, and what is stated of it.

    ``box`` holds one :class:`~symrecycle.core.params.Parameter` per quantified
    parameter (with the model's symbol, its domain the claim's interval);
    ``n_range`` is ``(low, high)`` with ``high`` None for ``oo``, or None where n
    is not quantified.

    Examples
    --------
    >>> from symrecycle.io.registry import get_model
    >>> def fail(key, msg):
    ...     raise ValueError(msg)
    >>> spec = parse_region({"forall": {"alpha": "[0, 1]", "n": "[1, oo)"}}, get_model("kickstarting"),
    ...                     fail, "claim 'x'")
    >>> spec.kind, [p.domain_text for p in spec.box], spec.n_range
    ('forall', ['[0, 1]'], (1, None))
    """

    kind: str
    box: tuple = ()
    n_range: tuple | None = None
    monotone: tuple = ()
    region_text: str | None = None
    region: object = None
    measure: tuple | None = None
    budget: int = DEFAULT_BUDGET
    distribution: tuple = ()  # (name, distribution text) for a measure claim; others uniform on the box
    texts: tuple = ()  # (name, interval text as written) for each quantified variable

    def to_dict(self) -> dict:
        """The box and what is stated, as JSON-ready text.

        Examples
        --------
        >>> RegionSpec("forall", n_range=(1, None)).to_dict()
        {'kind': 'forall', 'box': {'n': '[1, oo)'}}
        """
        box = {p.name: p.domain_text for p in self.box}
        if self.n_range is not None:
            lo, hi = self.n_range
            box["n"] = f"[{lo}, {'oo)' if hi is None else f'{hi}]'}"
        box.update({k: " ".join(t.split()) for k, t in self.texts})
        out = {"kind": self.kind, "box": box}
        if self.monotone:
            out["monotone"] = dict(self.monotone)
        if self.region_text is not None:
            out["stated_region"] = self.region_text
        if self.measure is not None:
            out["stated_measure"] = self.measure[2]
        return out


def parse_interval(text, what="interval"):
    """``(low, high, low_closed, high_closed)`` of interval text (Fractions; None for infinity).

    Examples
    --------
    >>> parse_interval("(0, 1]")
    (Fraction(0, 1), Fraction(1, 1), False, True)
    >>> parse_interval("[1, oo)")
    (Fraction(1, 1), None, True, False)
    >>> parse_interval("[1, 0]")
    Traceback (most recent call last):
    ...
    ValueError: interval is '[1, 0]': its low end is above its high end
    """
    if not isinstance(text, str):
        raise ValueError(f"{what} is {text!r}, expected interval text such as \"[0, 1]\", \"(0, 1]\" "
                         "or \"[1, oo)\"")
    m = _INTERVAL.match(text)
    if m is None:
        raise ValueError(f"{what} is {text!r}, expected interval text such as \"[0, 1]\", \"(0, 1]\" "
                         "or \"[1, oo)\"")
    lb, lo_t, hi_t, rb = m.groups()

    def end(t, side):
        tl = t.strip().lower()
        if tl in _INF or tl in {"-" + x.lstrip("+") for x in _INF}:
            if (tl.startswith("-")) != (side == "low"):
                raise ValueError(f"{what} is {text!r}: {t!r} cannot be its {side} end")
            return None
        try:
            return exact_number(t)
        except ValueError:
            raise ValueError(f"{what} is {text!r}: its {side} end {t!r} is not a number "
                             "(expected a decimal, a ratio such as 3/2, or oo)") from None

    lo, hi = end(lo_t, "low"), end(hi_t, "high")
    if (lo is None and lb == "[") or (hi is None and rb == "]"):
        raise ValueError(f"{what} is {text!r}: an infinite end is open, e.g. \"[1, oo)\"")
    if lo is not None and hi is not None and (lo > hi or (lo == hi and (lb == "(" or rb == ")"))):
        raise ValueError(f"{what} is {text!r}: " + ("its low end is above its high end" if lo > hi
                                                     else "it holds no number"))
    return lo, hi, lb == "[", rb == "]"


def _within(par, lo, hi, lc, hc):
    """Whether the interval lies in the parameter's domain."""
    if par.lower is not None and (lo is None or lo < par.lower
                                  or (lo == par.lower and lc and par.lower_open)):
        return False
    return not (par.upper is not None and (hi is None or hi > par.upper
                                            or (hi == par.upper and hc and par.upper_open)))


def _box(d, key, model, fixed, fail, label):
    table = d[key]
    if not isinstance(table, dict) or not table:
        fail(key, f"{label}: field {key!r} is {table!r}, expected a table of intervals, "
                  "e.g. { alpha = \"[0, 1]\", n = \"[1, oo)\" }")
    box, n_range = [], None
    for name, text in table.items():
        where = f"{key}.{name}"
        try:
            lo, hi, lc, hc = parse_interval(text, where)
        except ValueError as exc:
            fail(key, f"{label}: {exc}")
        if name == "n":
            if (lo is not None and lo.denominator != 1) or (hi is not None and hi.denominator != 1):
                fail(key, f"{label}: {where} is {text!r}, expected integer ends (n counts iterations)")
            low = None if lo is None else int(lo) + (0 if lc else 1)
            high = None if hi is None else int(hi) - (0 if hc else 1)
            if low is None or low < model.start or (high is not None and high < low):
                fail(key, f"{label}: {where} is {text!r}, expected integers n >= {model.start}, "
                          f"e.g. \"[{model.start}, oo)\"")
            n_range = (low, high)
            continue
        try:
            par = model.parameter(name)
        except ValueError as exc:
            fail(key, f"{label}: {where}: {exc}")
        if name in fixed:
            fail(key, f"{label}: parameter {name!r} is both fixed in 'params' and quantified in {key!r}")
        if not _within(par, lo, hi, lc, hc):
            fail(key, f"{label}: {where} is {text!r}, outside the domain {par.domain_text} of {name}")
        box.append(Parameter(name, lo, hi, lower_open=not lc and lo is not None,
                             upper_open=not hc and hi is not None, symbol=par.symbol))
    return tuple(box), n_range


def parse_region(d, model, fail, label, fixed=(), quantity="benefit"):
    """The :class:`RegionSpec` of a claim's table ``d``, or None for a claim at one point.

    ``fail(key, message)`` raises the caller's error (with the key's line).

    Examples
    --------
    >>> from symrecycle.io.registry import get_model
    >>> def fail(key, msg):
    ...     raise ValueError(msg)
    >>> parse_region({"forall": {"alpha": "[0, 1]"}, "exists": {"alpha": "[0, 1]"}},
    ...              get_model("kickstarting"), fail, "claim 'x'")
    Traceback (most recent call last):
    ...
    ValueError: claim 'x': fields 'forall' and 'exists' are both given, expected one quantifier
    >>> parse_region({"monotone": {"n": "upwards"}}, get_model("kickstarting"), fail, "claim 'x'")
    Traceback (most recent call last):
    ...
    ValueError: claim 'x': monotone.n is 'upwards', expected one of increasing, decreasing, \
non-decreasing, non-increasing
    """
    kinds = [k for k in KINDS if k in d]
    if not kinds:
        for k in ("over", "budget"):
            if k in d:
                fail(k, f"{label}: field {k!r} is given without a quantifier (one of {', '.join(KINDS)})")
        return None
    if "forall" in kinds and "exists" in kinds:
        fail("exists", f"{label}: fields 'forall' and 'exists' are both given, expected one quantifier")
    main = [k for k in kinds if k != "forall"] if len(kinds) > 1 else kinds
    if len(main) > 1 or (len(kinds) > 1 and main[0] != "monotone"):
        fail(main[-1], f"{label}: fields {' and '.join(repr(k) for k in kinds)} are both given, "
                       "expected one kind of claim (only 'monotone' takes a 'forall' box)")
    kind = main[0]
    box_key = {"forall": "forall", "exists": "exists", "monotone": "forall", "region": "over",
               "measure": "over"}[kind]
    if "over" in d and box_key != "over":
        fail("over", f"{label}: field 'over' is for region and measure claims; a {kind} claim takes "
                     f"its box in {box_key!r}")
    box, n_range = _box(d, box_key, model, fixed, fail, label) if box_key in d else ((), None)
    if kind == "measure" and box_key not in d:
        fail(None, f"{label}: field 'over' is missing: a measure claim needs the box it measures")
    if kind == "measure":
        for p in box:
            if p.lower is None or p.upper is None:
                fail("over", f"{label}: over.{p.name} is {p.domain_text}, expected a bounded interval "
                             "(a share is of a bounded box)")
        if n_range is not None and n_range[1] is None:
            fail("over", f"{label}: over.n is unbounded, expected a finite range such as \"[1, 20]\"")
    budget = d.get("budget", DEFAULT_BUDGET)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= 10**6:
        fail("budget", f"{label}: field 'budget' is {budget!r}, expected an integer from 1 to 1000000")
    spec = {"kind": kind, "box": box, "n_range": n_range, "budget": budget,
            "texts": tuple(d[box_key].items()) if box_key in d else ()}
    if kind == "monotone":
        spec["monotone"] = _monotone(d["monotone"], model, box, fail, label, quantity)
    elif kind == "region":
        text = d["region"]
        try:
            spec["region"] = parse_condition(text, model, "region")
        except ValueError as exc:
            fail("region", f"{label}: {exc}")
        spec["region_text"] = text.strip()
    elif kind == "measure":
        spec["measure"] = _measure(d["measure"], fail, label)
        dist = d.get("distribution", {})
        if not isinstance(dist, dict) or not all(isinstance(v, str) for v in dist.values()):
            fail("distribution", f"{label}: field 'distribution' is {dist!r}, expected a table of "
                                 "distributions as text, e.g. { beta = \"normal(0.8, 0.1)\" }")
        names = {p.name for p in box}
        for name in dist:
            if name not in names:
                fail("distribution", f"{label}: distribution.{name}: {name!r} is not in the box 'over' "
                                     f"({', '.join(sorted(names)) or 'empty'})")
        spec["distribution"] = tuple(dist.items())
    if "distribution" in d and kind != "measure":
        fail("distribution", f"{label}: field 'distribution' is for measure claims")
    for k in ("over",) if kind in ("forall", "exists", "monotone") else ():
        if k in d:
            fail(k, f"{label}: field {k!r} is not used by a {kind} claim")
    return RegionSpec(**spec)


def _monotone(value, model, box, fail, label, quantity):
    if not isinstance(value, dict) or not value:
        fail("monotone", f"{label}: field 'monotone' is {value!r}, expected a table such as "
                         "{ n = \"increasing\" }")
    out = []
    for var, direction in value.items():
        if var != "n":
            try:
                model.parameter(var)
            except ValueError as exc:
                fail("monotone", f"{label}: monotone.{var}: {exc}")
        d = None
        if isinstance(direction, str):
            d = direction.strip().lower().replace("_", "-").replace(" ", "-")
        d = {"nondecreasing": "non-decreasing", "nonincreasing": "non-increasing"}.get(d, d)
        if d not in DIRECTIONS:
            fail("monotone", f"{label}: monotone.{var} is {direction!r}, expected one of "
                             f"{', '.join(DIRECTIONS)}")
        if var == "n" and quantity != "benefit":
            fail("monotone", f"{label}: monotone.n: monotonicity in n is claimed of the benefit at n; "
                             f"the {quantity} is not taken at an iteration")
        if var != "n" and box and var not in {p.name for p in box}:
            fail("monotone", f"{label}: monotone.{var}: {var!r} is not in the 'forall' box "
                             f"({', '.join(p.name for p in box)}); give its interval there")
        out.append((var, d))
    return tuple(out)


def _measure(value, fail, label):
    m = re.fullmatch(r"\s*(<=|>=|<|>)\s*(\S+)\s*", value) if isinstance(value, str) else None
    share = None
    if m is not None:
        try:
            share = exact_number(m.group(2))
        except ValueError:
            share = None
    if share is None or not 0 <= share <= 1:
        fail("measure", f"{label}: field 'measure' is {value!r}, expected a relation and a share of the box "
                        "in [0, 1], e.g. \">= 0.9\"")
    return m.group(1), share, value.strip()


def parse_condition(text, model, field="region"):
    """A SymPy boolean from region text: relations joined by ``and`` / ``or``, chains allowed.

    Each side is read by :func:`symrecycle.io.parser.parse_expression` (no ``eval``).

    Examples
    --------
    >>> from symrecycle.io.registry import get_model
    >>> parse_condition("beta > 1 - 1/(g*r) and g*r > 1", get_model("augmentation"))
    (g*r > 1) & (beta > 1 - 1/(g*r))
    >>> parse_condition("0 < beta < 1", get_model("augmentation"))
    (0 < beta) & (beta < 1)
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{field} is {text!r}, expected relations such as "
                         "\"beta > 1 - 1/(g*r) and g*r > 1\"")
    symbols = {p.name: p.symbol for p in model.parameters}
    ops = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "=": sp.Eq, "==": sp.Eq, "!=": sp.Ne}
    alts = []
    for alt in re.split(r"\s+or\s+", text.strip()):
        conj = []
        for part in re.split(r"\s+and\s+", alt):
            pieces = _REL.split(part)
            if len(pieces) < 3:
                raise ValueError(f"{field}: {part.strip()!r} is not a relation "
                                 "(expected <, <=, >, >=, = or !=)")
            sides = [parse_expression(s.strip(), symbols, field=field) for s in pieces[::2]]
            for k, op in enumerate(pieces[1::2]):
                conj.append(ops[op](sides[k], sides[k + 1]))
        alts.append(sp.And(*conj))
    out = sp.Or(*alts)
    if out.has(N):
        raise ValueError(f"{field} is {text!r}: a region is a set of parameter values; n is not one")
    return out
