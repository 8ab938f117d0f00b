r"""User-defined models from TOML files.

A model file states parameters with their domains, first-order sequences (an
initial value and a next term) and metrics, all as plain mathematical text.
:func:`load_model` reads it into a :class:`symrecycle.models.model.Model`, so a user
model gets everything a built-in model gets (closed form, limit,
sensitivities, breakeven, numbers, iteration) through the same API. Every
expression goes through :func:`symrecycle.io.parser.parse_expression` (a
whitelist over Python's ``ast``); nothing in the file is ever evaluated as
code.

The format
----------
One sequence::

    name = "my-kickstarting"                 # optional; default: the file name
    description = "kickstarting, restated"   # optional
    [parameters]
    r = { domain = "(0, oo)", description = "compute growth per iteration" }
    alpha = { domain = "[0, 1]", description = "re-use efficiency" }
    C1 = "(0, oo)"                           # a domain alone is enough
    [recurrence]
    sequence = "A"                           # optional; default "A"
    start = 1                                # optional; default 1
    initial = "C1"                           # A[1]
    next = "C1*r**(n-1) + alpha*A[n-1]"      # A[n] for n > start
    [metric]
    benefit = "A[n] / (C1*r**(n-1))"

Several sequences, solved in the order written (instead of ``[recurrence]``)::

    [sequences.C]
    initial = "C1"
    next = "r*C[n-1]"
    description = "real compute"             # optional
    [sequences.A]
    initial = "C[1]"
    next = "C[n] + alpha*A[n-1]"
    [metrics.benefit]                        # a metric as a table
    expr = "A[n] / C[n]"
    description = "adjusted over real compute"
    latex = "B_{n}"

Top-level keys: ``name``, ``description``, ``start`` (the first index, an
integer >= 1), ``adjusted`` (the adjusted-compute sequence; default ``A`` if
there is one, else the last sequence), ``parameters``, exactly one of
``recurrence`` / ``sequences``, and exactly one of ``metric`` / ``metrics``
(the two spellings mean the same). Unknown keys are refused, so a typo is
reported rather than ignored.

Domains are intervals ``"(0, oo)"``, ``"[0, 1]"``, ``"[1/2, 3)"``,
``"(-oo, 0.5]"``: round brackets open, square closed, bounds integers,
decimals or fractions ``p/q``, infinite bounds ``oo`` / ``-oo`` (always open).

Expressions use numbers, the parameters, ``n``, sequence references, ``+ - *
/ **``, unary minus and ``exp log sqrt Min Max`` (see :mod:`symrecycle.io.parser`).
Names such as ``beta``, ``gamma``, ``N``, ``E``, ``I``, ``S``, ``Q`` are plain
parameters. References are first order, as the engine and the numeric
iteration read them:

- in ``initial``: earlier sequences at the first index (``C[1]`` or ``C[n]``);
- in ``next`` of X: ``X[n-1]``; an earlier sequence at ``n`` or ``n-1``; a
  later sequence at ``n-1`` only (a coupled system, see below);
- in a metric: any sequence at ``n``.

The first metric is the benefit (name it ``benefit``).

What is solved
--------------
The engine derives closed forms of every first-order linear recurrence
``x_n = a_n x_{n-1} + f_n``: with ``a`` constant and ``f`` exponential, as
a Piecewise over every degenerate case; otherwise (a coefficient that
depends on n, such as a re-use efficiency ``alpha rho^(n-1)``) by unrolling,
``x_n = sum_k f_k prod_{j>k} a_j``, with SymPy evaluating the product and the
sum where it can and an unevaluated ``Sum`` where it cannot. Limits of such
sums come from the metric's own recurrence (see
:func:`symrecycle.solve.asymptotics.limit_of_linear`).

A file may state more than that (a next term not linear in the previous
one, a sequence driven by a later one). Such a model loads and iterates
numerically (:meth:`~symrecycle.models.model.Model.iterate`); its closed forms
raise :class:`NoClosedForm` (a :class:`~symrecycle.core.results.NotDerived`)
saying why, and :meth:`Model.closed_form_problem` tells beforehand. Where the
metric satisfies a first-order map ``M_n = F(M_(n-1))`` (derived from the
sequences: :mod:`symrecycle.models.maps`), its limit is the fixed point the
iteration reaches, by regime, with its sensitivities, elasticities and
breakevens (:mod:`symrecycle.solve.maps`).

Examples
--------
>>> import sympy as sp
>>> m = loads_model('''
... name = "toy"
... [parameters]
... r = "(0, oo)"
... [recurrence]
... initial = "1"
... next = "1 + A[n-1]/r"
... [metric]
... benefit = "A[n]"
... ''')
>>> r = m.symbols["r"]
>>> m.limit().expr.subs(r, 2), m.limit().expr.subs(r, sp.Rational(1, 2))
(2, oo)
>>> m.iterate(4, r=2.0)
array([1.   , 1.5  , 1.75 , 1.875])
>>> "reuse-decay" in variants()
True
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from importlib import resources
from pathlib import Path

import sympy as sp

from ..core.params import STANDARD, Parameter, exact_number
from ..core.params import n as N
from ..core.results import NoClosedForm
from ..core.texsafe import check_math
from ..models.model import Metric, Model, SequenceDef
from .parser import check_name, parse_expression
from .toml import read_toml

__all__ = [
    "NoClosedForm", "load_model", "loads_model", "model_from_dict", "parse_domain",
    "variant_path", "variants"
]


#: Largest model file read, in bytes.
MAX_FILE_BYTES = 1_000_000
#: the most parameters a model file may declare: checks and samples visit every parameter
MAX_PARAMETERS = 100
#: the deepest lag a model file may use (A[n-100]): each lag is a value kept and passed at every step
MAX_LAG = 100
#: the keys a model file accepts, by table; any other key is refused (docs/model-files.md documents each)
TOP_KEYS = ("name", "description", "start", "adjusted", "parameters", "recurrence", "sequences",
            "metric", "metrics")
#: keys of a parameter written as a table, ``r = { domain = "(0, oo)", ... }``
PARAMETER_KEYS = ("domain", "description", "default")
#: keys of ``[recurrence]`` (one sequence)
RECURRENCE_KEYS = ("sequence", "start", "initial", "next", "description")
#: keys of each ``[sequences.X]`` table
SEQUENCE_KEYS = ("initial", "next", "description")
#: keys of a metric written as a table, ``[metrics.benefit]``
METRIC_KEYS = ("expr", "description", "latex")
#: every table of a model file and the keys it accepts (``NAME`` stands for a name of the user's)
ACCEPTED_KEYS = {
    "": TOP_KEYS, "parameters.NAME": PARAMETER_KEYS, "recurrence": RECURRENCE_KEYS,
    "sequences.NAME": SEQUENCE_KEYS, "metrics.NAME": METRIC_KEYS,
}
_METRIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
_RATIO = re.compile(r"[+-]?\d{1,40}/\d{1,40}\Z")
_DECIMAL = re.compile(r"[+-]?(\d{1,40}(\.\d{0,40})?|\.\d{1,40})([eE][+-]?\d{1,2})?\Z")


# -- reading ----------------------------------------------------------------------------------
def load_model(path) -> Model:
    """Read a model file (TOML; the format is in the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    UserModel

    Raises
    ------
    ValueError
        naming the file, the field, the value received and what was expected.

    Examples
    --------
    >>> m = load_model(variant_path("kickstarting"))
    >>> m.name, [p.name for p in m.parameters]
    ('kickstarting-restated', ['r', 'alpha', 'C1'])
    >>> m.limit().expr
    Piecewise((r/(-alpha + r), alpha < r), (oo, True))
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"model file: got {path!r}, expected a path (str or os.PathLike)")
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"model file {str(path)!r}: no such file")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"model file {str(path)!r}: {size} bytes, expected at most {MAX_FILE_BYTES}")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"model file {str(path)!r}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    return loads_model(text, source=str(path), default_name=p.stem)


def loads_model(text: str, source: str = "<string>", default_name: str = "user-model") -> Model:
    """Read a model from TOML text (see :func:`load_model`).

    Examples
    --------
    >>> m = loads_model('''
    ... [parameters]
    ... r = "(0, oo)"
    ... [recurrence]
    ... initial = "1"
    ... next = "r*A[n-1]"
    ... [metric]
    ... benefit = "A[n]"
    ... ''', default_name="growth")
    >>> m.name, m.iterate(3, r=2.0).tolist()
    ('growth', [1.0, 2.0, 4.0])
    """
    if not isinstance(text, str):
        raise ValueError(f"{source}: got {type(text).__name__}, expected TOML text (str)")
    data = read_toml(text, source)
    return model_from_dict(data, source=source, default_name=default_name)


def model_from_dict(data: dict, source: str = "<dict>", default_name: str = "user-model") -> Model:
    """Build the model from the parsed TOML (a dict, as ``tomllib`` returns it).

    Examples
    --------
    >>> m = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                      "recurrence": {"initial": "1", "next": "r*A[n-1]"}})
    >>> m.name, m.benefit().expr
    ('user-model', r**(n - 1))
    >>> model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                  "recurrence": {"initial": "1", "next": "r*A[n-2]"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: <dict>: recurrence.initial: got 1 value(s), expected 2 (A[1], A[2]) for a recurrence ...
    >>> second = model_from_dict({"parameters": {"r": "(0, oo)"}, "metric": {"benefit": "A[n]"},
    ...                           "recurrence": {"initial": ["1", "r"], "next": "A[n-1] + A[n-2]"}})
    >>> second.iterate(5, r=2.0).tolist()
    [1.0, 2.0, 3.0, 5.0, 8.0]
    """
    try:
        return _build(data, source, default_name)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


# -- building -----------------------------------------------------------------------------------
def _table(value, field, allowed, required=()):
    if not isinstance(value, dict):
        raise ValueError(f"{field}: got {value!r}, expected a table")
    for key in value:
        if key not in allowed:
            raise ValueError(f"{field}: unknown key {key!r}; expected one of {', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise ValueError(f"{field}: missing key {key!r}")
    return value


def _text(value, field, default=None, limit=2000):
    if value is None:
        if default is None:
            raise ValueError(f"{field}: missing")
        return default
    if not isinstance(value, str):
        raise ValueError(f"{field}: got {value!r}, expected a string")
    if len(value) > limit:
        raise ValueError(f"{field}: got {len(value)} characters, expected at most {limit}")
    return value


def _expr_text(value, field):
    """Expressions are strings; a bare TOML number is accepted as its text."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{field}: got {value!r}, expected an expression as a string")
    return value if isinstance(value, str) else repr(value)


def _int(value, field, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{field}: got {value!r}, expected an integer from {lo} to {hi}")
    return value


def _bound(text, field):
    t = text.strip()
    if t in ("oo", "+oo"):
        return sp.oo
    if t == "-oo":
        return -sp.oo
    if _RATIO.match(t):
        num, den = t.split("/")
        if int(den) == 0:
            raise ValueError(f"{field}: bound {t!r} divides by zero")
        q = Fraction(int(num), int(den))
    elif _DECIMAL.match(t):
        q = Fraction(t)
    else:
        raise ValueError(f"{field}: bound {t!r}, expected a number (2, 0.5, 1/2, 1e3), oo or -oo")
    return int(q) if q.denominator == 1 else q


def parse_domain(text, field: str = "domain"):
    """Read an interval ``"(0, oo)"`` into ``(lower, upper, lower_open, upper_open)``.

    Bounds are ``int`` or ``Fraction`` (``None`` for an infinite bound), as
    :class:`~symrecycle.core.params.Parameter` takes them.

    Examples
    --------
    >>> parse_domain("(0, oo)")
    (0, None, True, True)
    >>> parse_domain("[1/2, 0.75]")
    (Fraction(1, 2), Fraction(3, 4), False, False)
    >>> parse_domain("[0, oo]")
    Traceback (most recent call last):
    ...
    ValueError: domain: got '[0, oo]', expected an infinite bound to be open: write ')'
    """
    if not isinstance(text, str):
        raise ValueError(f"{field}: got {text!r}, expected an interval such as '(0, oo)' or '[0, 1]'")
    t = text.strip()
    if len(t) > 200 or len(t) < 5 or t[0] not in "([" or t[-1] not in ")]" or t.count(",") != 1:
        raise ValueError(f"{field}: got {text!r}, expected an interval such as '(0, oo)' or '[0, 1]'")
    lo_text, hi_text = t[1:-1].split(",")
    lo, hi = _bound(lo_text, field), _bound(hi_text, field)
    lo_open, hi_open = t[0] == "(", t[-1] == ")"
    if lo is sp.oo or hi is -sp.oo:
        raise ValueError(f"{field}: got {text!r}, expected the lower bound first and below the upper")
    if (lo is -sp.oo and not lo_open) or (hi is sp.oo and not hi_open):
        side = "'('" if lo is -sp.oo and not lo_open else "')'"
        raise ValueError(f"{field}: got {text!r}, expected an infinite bound to be open: write {side}")
    lo = None if lo is -sp.oo else lo
    hi = None if hi is sp.oo else hi
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError(
            f"{field}: got {text!r}, expected the lower bound below the upper (a fixed value belongs "
            "in the expressions, not in a parameter)"
        )
    return lo, hi, lo_open, hi_open


def _parameters(table):
    table = _table(table, "parameters", table.keys() if isinstance(table, dict) else ())
    if not table:
        raise ValueError("parameters: expected at least one parameter")
    if len(table) > MAX_PARAMETERS:
        raise ValueError(f"parameters: got {len(table)} parameters, expected at most {MAX_PARAMETERS}")
    params = []
    for name, spec in table.items():
        field = f"parameters.{name}"
        check_name(name, "parameter")
        if isinstance(spec, str):
            spec = {"domain": spec}
        spec = _table(spec, field, PARAMETER_KEYS, ("domain",))
        lo, hi, lo_open, hi_open = parse_domain(spec["domain"], f"{field}.domain")
        desc = _text(spec.get("description"), f"{field}.description", "", 500)
        # an infinite bound is open already; Parameter writes it with open=False (as STANDARD does)
        domain = (lo, hi, lo_open and lo is not None, hi_open and hi is not None)
        default = _default(spec, field, name, domain)
        try:
            params.append(Parameter(name, *domain, desc, default=default))
        except ValueError as exc:
            raise ValueError(f"{field}.default: {exc}") from None
    return tuple(params)


def _default(spec, field, name, domain):
    """A parameter's default: as written (``default = "1"``), else a standard parameter's (same domain)."""
    if "default" in spec:
        text = spec["default"]
        if not isinstance(text, str):
            raise ValueError(f"{field}.default: got {text!r}, expected a number as text (\"1\", \"3/2\")")
        return exact_number(text)
    std = STANDARD.get(name)
    if std is not None and (std.lower, std.upper, std.lower_open, std.upper_open) == domain:
        return std.default  # C1, the first run's compute: a scale, 1 unless given
    return None


def _sequence_specs(data):
    """``[(name, spec, field_prefix)]`` in order, from ``recurrence`` or ``sequences``."""
    if ("recurrence" in data) == ("sequences" in data):
        raise ValueError("expected exactly one of [recurrence] (one sequence) or [sequences.X] tables")
    if "recurrence" in data:
        spec = _table(data["recurrence"], "recurrence", RECURRENCE_KEYS, ("initial", "next"))
        name = _text(spec.get("sequence"), "recurrence.sequence", "A", 64)
        return [(name, spec, "recurrence")]
    seqs = _table(data["sequences"], "sequences", data["sequences"].keys()
                  if isinstance(data["sequences"], dict) else ())
    if not seqs:
        raise ValueError("sequences: expected at least one [sequences.X] table")
    out = []
    for name, spec in seqs.items():
        field = f"sequences.{name}"
        spec = _table(spec, field, SEQUENCE_KEYS, ("initial", "next"))
        out.append((name, spec, field))
    return out


def _start(data, specs):
    top = data.get("start")
    inner = specs[0][1].get("start") if specs[0][2] == "recurrence" else None
    if top is not None and inner is not None and top != inner:
        raise ValueError(f"start: got {top!r} at the top and {inner!r} in [recurrence], expected one value")
    value = top if top is not None else inner
    field = "start" if top is not None else "recurrence.start"
    return 1 if value is None else _int(value, field, 1, 1000)


def _check_references(expr, field, allowed):
    for ref in sorted(expr.atoms(sp.Indexed), key=str):
        name, idx = ref.base.label.name, ref.indices[0]
        offset = None if idx.is_Integer else int(idx - N)
        problem = allowed(name, int(idx) if idx.is_Integer else None, offset)
        if problem:
            raise ValueError(f"{field}: {ref}: {problem}")


def _build(data, source, default_name):
    _table(data, "model file", TOP_KEYS, ("parameters",))
    name = _text(data.get("name"), "name", default_name, 100).strip()
    if not name or not name.isprintable():
        raise ValueError(f"name: got {data.get('name')!r}, expected a non-empty printable name")
    description = _text(data.get("description"), "description", "", 2000)
    params = _parameters(data["parameters"])
    symbols = {p.name: p.symbol for p in params}

    specs = _sequence_specs(data)
    start = _start(data, specs)
    order = [s[0] for s in specs]
    for seq_name, _, field in specs:
        check_name(seq_name, "sequence")
        if seq_name in symbols:
            raise ValueError(f"{field}: the sequence {seq_name!r} has the name of a parameter")

    sequences = []
    for seq_name, spec, field in specs:
        nxt = parse_expression(_expr_text(spec["next"], f"{field}.next"), symbols, order, f"{field}.next")

        def in_next(ref, at, offset, seq_name=seq_name):
            if offset is not None and offset < -MAX_LAG:
                return f"expected a lag of at most {MAX_LAG} (n-{MAX_LAG})"
            if at is not None:
                return f"expected {ref}[n], {ref}[n-1], ...: a fixed index is only for initial values"
            if ref == seq_name:
                return None if offset <= -1 else f"expected {ref}[n-1], {ref}[n-2], ... (not itself at n)"
            return None if offset <= 0 else f"expected {ref}[n], {ref}[n-1], ...: a later index is not known"

        _check_references(nxt, f"{field}.next", in_next)
        # the next term holds from the first index where every value it uses exists
        deepest = max(((-int(r.indices[0] - N), str(r)) for r in nxt.atoms(sp.Indexed)), default=(1, ""))
        k = max(deepest[0], 1)
        texts = spec["initial"] if isinstance(spec["initial"], list) else [spec["initial"]]
        if len(texts) != k:
            want = ", ".join(f"{seq_name}[{start + i}]" for i in range(k))
            uses = deepest[1].replace(" ", "") if deepest[0] > 1 else f"{seq_name}[n-1]"
            raise ValueError(f"{field}.initial: got {len(texts)} value(s), expected {k} ({want}) "
                             f"for a recurrence that uses {uses}"
                             + ("; give them as a list: initial = [\"...\", ...]" if k > 1 else ""))
        inits = []
        for i, text in enumerate(texts):
            where = f"{field}.initial" + (f"[{i}]" if k > 1 else "")
            init = parse_expression(_expr_text(text, where), symbols, order, where)

            def in_initial(ref, at, offset, seq_name=seq_name, here=start + i):
                at = here + offset if at is None else at
                if ref == seq_name and at >= here:
                    return f"expected an earlier value of {seq_name}: this is {seq_name}[{here}] itself"
                if not start <= at <= here:
                    span = f"{ref}[{start}]" if here == start else f"{ref}[{start}], ..., {ref}[{here}]"
                    return f"expected {span} (or {ref}[n]): this is the value at n = {here}"
                return None

            _check_references(init, where, in_initial)
            inits.append(init)
        desc = _text(spec.get("description"), f"{field}.description", "", 500)
        sequences.append(SequenceDef(seq_name, inits[0], nxt, desc, tuple(inits[1:])))

    metrics = _metrics(data, symbols, order)
    adjusted = data.get("adjusted", "A" if "A" in order else order[-1])
    if adjusted not in order:
        raise ValueError(f"adjusted: got {adjusted!r}, expected one of the sequences {', '.join(order)}")
    return Model(
        name=name, description=description, parameters=params, sequences=tuple(sequences),
        metrics=metrics, adjusted=adjusted, start=start, source=source,
    )


def _metrics(data, symbols, order):
    if ("metric" in data) == ("metrics" in data):
        raise ValueError("expected exactly one of [metric] or [metrics] (the first metric is the benefit)")
    key = "metric" if "metric" in data else "metrics"
    table = data[key]
    table = _table(table, key, table.keys() if isinstance(table, dict) else ())
    if not table:
        raise ValueError(f"{key}: expected at least one metric (the first is the benefit)")
    out = []
    for mname, spec in table.items():
        field = f"{key}.{mname}"
        if not _METRIC_NAME.match(mname):
            raise ValueError(f"{field}: got the name {mname!r}, expected letters, digits, '_' or '-'")
        if not isinstance(spec, dict):
            spec = {"expr": spec}
        spec = _table(spec, field, METRIC_KEYS, ("expr",))
        expr = parse_expression(_expr_text(spec["expr"], f"{field}.expr"), symbols, order, field)

        def at_n(ref, at, offset):
            return None if offset == 0 else f"expected {ref}[n]: a metric is read at iteration n"

        _check_references(expr, field, at_n)
        out.append(Metric(
            mname, expr,
            _text(spec.get("description"), f"{field}.description", "", 500),
            check_math(_text(spec.get("latex"), f"{field}.latex", "", 200), f"{field}.latex"),
        ))
    return tuple(out)


# -- the shipped variants ------------------------------------------------------------------------
def _files():
    return resources.files("symrecycle") / "model_files"


def variants() -> dict:
    """The model files shipped with symrecycle: ``{stem: path}``.

    Examples
    --------
    >>> "kickstarting-effective" in variants()
    True
    """
    return {Path(str(f)).stem: Path(str(f)) for f in _files().iterdir() if f.name.endswith(".toml")}


def variant_path(name: str) -> Path:
    """The path of a shipped model file, by its stem (``"reuse-decay"``).

    Examples
    --------
    >>> variant_path("reuse-decay").name
    'reuse-decay.toml'
    >>> variant_path("no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown model file 'no-such-model'; shipped: augmentation, endogenous-progress, ...
    """
    found = variants()
    if name not in found:
        raise ValueError(f"unknown model file {name!r}; shipped: {', '.join(sorted(found))}")
    return found[name]
