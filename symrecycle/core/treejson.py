"""Safe JSON for SymPy expression trees and the plain data around them (the derivation cache's format).

:func:`dumps` writes ``{"format": 1, "sha256": ..., "data": ...}``; :func:`loads` reads it back
without evaluating text: each SymPy node is a JSON array ``[tag, field, ...]`` whose tag picks a
constructor from a fixed table (:data:`TAGS`, ``_SPECIAL``), on fields checked first. Names (of
symbols, undefined functions) stay names; numbers are rebuilt from integers (a Float from its mpf
tuple and precision); integers of 2**53 and more are hex strings, read in linear time. In ``data``,
null, booleans, strings, floats and small ints stand for themselves, an object is a dict, and
``["list", ...]``, ``["tuple", ...]``, ``["int", "0x..."]`` are the other plain values.

The checksum (SHA-256 of the canonical JSON of ``data``: compact, ASCII) catches damage, not
forgery: what keeps a forged file harmless is the table and the checks on every field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.functions.elementary.piecewise import ExprCondPair
from sympy.logic.boolalg import Boolean
from sympy.polys.rootoftools import ComplexRootOf, RootSum

from .fixedpoint import FixedPoint

__all__ = ["dumps", "loads", "Corrupt", "Unsupported", "FORMAT", "TAGS", "ASSUMPTIONS"]

#: the version of the layout written (and the only one read)
FORMAT = 1
#: the deepest nesting of JSON arrays and objects written or read
MAX_DEPTH = 100
#: the longest integer (about 10**5 decimal digits), Float mantissa and precision, in bits
MAX_BITS = 332_193
#: the highest power of a generator in a stored polynomial
MAX_DEGREE = 1000
_SMALL = 2**53
_HEX = re.compile(r"-?0x[0-9a-f]+")

#: the assumptions a Symbol, Dummy, IndexedBase or undefined function may carry
ASSUMPTIONS = frozenset("""algebraic antihermitian commutative complex composite even extended_negative
    extended_nonnegative extended_nonpositive extended_nonzero extended_positive extended_real finite
    hermitian imaginary infinite integer irrational negative noninteger nonnegative nonpositive nonzero
    odd polar positive prime rational real transcendental zero""".split())  # noqa: SIM905
_DOMAINS = {"ZZ": sp.ZZ, "QQ": sp.QQ}
_DOMAIN_NAME = {v: k for k, v in _DOMAINS.items()}
_SINGLETONS = {  # fixed objects, by a fixed name
    "Pi": sp.pi, "E": sp.E, "I": sp.I, "oo": sp.oo, "-oo": -sp.oo, "zoo": sp.zoo, "nan": sp.nan,
    "EulerGamma": sp.EulerGamma, "Catalan": sp.Catalan, "GoldenRatio": sp.GoldenRatio, "true": sp.true,
    "TribonacciConstant": sp.TribonacciConstant, "false": sp.false, "Naturals": sp.Naturals,
    "Naturals0": sp.Naturals0, "Integers": sp.Integers, "Rationals": sp.Rationals, "Reals": sp.Reals,
    "Complexes": sp.Complexes, "EmptySet": sp.EmptySet, "UniversalSet": sp.UniversalSet}
_SINGLETON_TAG = {type(v): k for k, v in _SINGLETONS.items()}
#: what an argument must be: Expr, Boolean, Set, any Basic, Tuple, (expr, cond) pair, IndexedBase
_KINDS = {"E": sp.Expr, "B": Boolean, "S": sp.Set, "A": sp.Basic, "T": sp.Tuple, "P": ExprCondPair,
          "I": sp.IndexedBase}
#: tag -> (class, fewest args, most args (None: any), kinds of the args (the last repeats)) of the
#: nodes stored by their args; built with evaluate=False unless in _PLAIN
TAGS = {
    **{c.__name__: (c, 1, 1, "E") for c in (
        sp.exp, sp.log, sp.Abs, sp.sign, sp.sin, sp.cos, sp.tan, sp.cot, sp.asin, sp.acos, sp.atan, sp.sinh,
        sp.cosh, sp.tanh, sp.floor, sp.ceiling, sp.re, sp.im, sp.arg, sp.conjugate, sp.gamma, sp.factorial)},
    **{c.__name__: (c, 2, None, "E") for c in (sp.Add, sp.Mul, sp.Max, sp.Min)},
    **{c.__name__: (c, 2, 2, "E") for c in (sp.Pow, sp.atan2, sp.binomial)},
    **{c.__name__: (c, 1, 2, "E") for c in (sp.Heaviside, sp.LambertW)},
    **{k: (c, 2, 2, "A") for k, c in (
        ("Eq", sp.Eq), ("Ne", sp.Ne), ("Lt", sp.Lt), ("Le", sp.Le), ("Gt", sp.Gt), ("Ge", sp.Ge))},
    **{c.__name__: (c, 2, None, "B") for c in (sp.And, sp.Or)},
    **{c.__name__: (c, 2, None, "S") for c in (sp.Union, sp.Intersection)},
    **{c.__name__: (c, 2, None, "ET") for c in (sp.Sum, sp.Product)},
    "Not": (sp.Not, 1, 1, "B"), "Implies": (sp.Implies, 2, 2, "B"), "Complement": (sp.Complement, 2, 2, "S"),
    "Piecewise": (sp.Piecewise, 1, None, "P"), "ExprCondPair": (ExprCondPair, 2, 2, "AB"),
    "Contains": (sp.Contains, 2, 2, "AS"), "Range": (sp.Range, 1, 3, "E"), "Lambda": (sp.Lambda, 2, 2, "TA"),
    "Interval": (sp.Interval, 4, 4, "EEBB"), "FiniteSet": (sp.FiniteSet, 1, None, "A"),
    "Subs": (sp.Subs, 3, 3, "ETT"), "Tuple": (sp.Tuple, 0, None, "A"), "Indexed": (sp.Indexed, 2, None, "IE"),
    "Idx": (sp.Idx, 1, 2, "ET"), "Derivative": (sp.Derivative, 2, None, "AT"),
    "FixedPoint": (FixedPoint, 2, 2, "AE")}
_PLAIN = {"ExprCondPair", "Range", "Interval", "Lambda", "Tuple", "Indexed", "Idx", "Sum", "Product", "Subs"}
_TAG_OF = {row[0]: tag for tag, row in TAGS.items()}


class Corrupt(ValueError):
    """A document that is not one :func:`dumps` wrote; the message says what is wrong.

    Examples
    --------
    >>> loads('{"format": 1}')
    Traceback (most recent call last):
    symrecycle.core.treejson.Corrupt: expected an object with the keys data, format, sha256
    """


class Unsupported(ValueError):
    """An object :func:`dumps` does not store (a type off the whitelist, named in the message).

    Examples
    --------
    >>> import sympy as sp
    >>> dumps(sp.zeta(sp.Symbol("s")))
    Traceback (most recent call last):
    symrecycle.core.treejson.Unsupported: cannot store SymPy type zeta (not on the whitelist)
    """


def dumps(obj) -> str:
    """Compact JSON of ``obj``: its data, the format and the SHA-256 of the data.

    ``obj`` is any nesting of None, bool, int, finite float, str, tuple, list, dict with str keys
    and SymPy objects of the whitelist; each SymPy object is read back before it is written, and
    must come out as the same tree (what ``srepr`` shows). Anything else raises :class:`Unsupported`.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> text = dumps({"limit": sp.Piecewise((1 / x, x < 1), (sp.oo, True)), "n": (1, 2.5)})
    >>> loads(text)
    {'limit': Piecewise((1/x, x < 1), (oo, True)), 'n': (1, 2.5)}
    """
    body, sha = _seal(_out(obj, 0))
    return f'{{"format":{FORMAT},"sha256":"{sha}","data":{body}}}'


def _seal(data):
    """The canonical JSON of ``data`` and its SHA-256."""
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return body, hashlib.sha256(body.encode("ascii")).hexdigest()


def _out(obj, depth):
    """The JSON of plain data ``obj``."""
    if depth > MAX_DEPTH:
        raise Unsupported(f"nested deeper than {MAX_DEPTH}")
    t = type(obj)
    if obj is None or t in (bool, str):
        return obj
    if t is int:
        return obj if -_SMALL < obj < _SMALL else ["int", _int_out(obj)]
    if t is float and math.isfinite(obj):
        return obj
    if t in (list, tuple):
        return [t.__name__, *(_out(x, depth + 1) for x in obj)]
    if t is dict and all(type(k) is str for k in obj):
        return {k: _out(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, sp.Basic):
        data = _node(obj, depth)
        try:
            back = _basic(data, depth)
        except Corrupt as exc:
            raise Unsupported(f"{t.__name__} does not read back: {exc}") from None
        if not _same(back, obj):
            raise Unsupported(f"{t.__name__} does not read back as the same tree")
        return data
    why = {float: " that is not finite", dict: " with a key that is not a str"}.get(t, "")
    raise Unsupported(f"cannot store a {t.__name__}{why}")


def _int_out(n: int):
    if n.bit_length() > MAX_BITS:
        raise Unsupported(f"an integer of {n.bit_length()} bits is longer than {MAX_BITS}")
    return n if -_SMALL < n < _SMALL else ("-" if n < 0 else "") + hex(abs(n))


def _assumptions_out(d, obj):
    for k, v in d.items():
        if k not in ASSUMPTIONS or type(v) is not bool:
            raise Unsupported(f"cannot store {obj} with {k}={v!r} (not a whitelisted assumption)")
    return dict(d)


def _node(obj, depth):
    """The JSON of SymPy object ``obj``: ``[tag, *fields, *children]``."""
    if depth > MAX_DEPTH:
        raise Unsupported(f"nested deeper than {MAX_DEPTH}")
    tag, fields, children = _fields(obj, type(obj))
    return [tag, *fields, *(_node(c, depth + 1) for c in children)]


def _fields(obj, t):
    """``(tag, fields, SymPy children)`` of ``obj``, of type ``t``."""
    if t in _SINGLETON_TAG:
        return "S", [_SINGLETON_TAG[t]], ()
    if isinstance(obj, sp.Rational):
        pq = [_int_out(int(obj.p)), _int_out(int(obj.q))]
        return ("Integer", pq[:1], ()) if obj.q == 1 else ("Rational", pq, ())
    if t is sp.Float:
        return "Float", [*(_int_out(int(x)) for x in obj._mpf_), obj._prec], ()
    if t in (sp.Symbol, sp.Dummy):
        index = [_int_out(obj.dummy_index)] if t is sp.Dummy else []
        return t.__name__, [obj.name, *index, _assumptions_out(obj._assumptions_orig, obj)], ()
    if isinstance(obj, AppliedUndef) and isinstance(t, UndefinedFunction) and t.__name__.isidentifier():
        return "Function", [t.__name__, _assumptions_out(t._kwargs, obj)], obj.args
    if t in (sp.Poly, sp.PurePoly) and obj.domain in _DOMAIN_NAME:
        return t.__name__, [_DOMAIN_NAME[obj.domain]], (obj.as_expr(), *obj.gens)
    if t is RootSum:
        return "RootSum", [bool(obj.auto)], (obj.poly, obj.fun)
    if t is ComplexRootOf:
        return "CRootOf", [int(obj.index)], (obj.poly,)
    if t is sp.IndexedBase and obj.offset == 0 and obj.strides is None:
        return "IndexedBase", [_assumptions_out(dict(sorted(obj.assumptions0.items())), obj)], obj.args
    if t in _TAG_OF:
        return _TAG_OF[t], [], obj.args
    if t in (sp.Poly, sp.PurePoly, sp.IndexedBase) or isinstance(obj, AppliedUndef):
        raise Unsupported(f"cannot store this {t.__name__} (polynomials over ZZ or QQ, function names "
                          "that are identifiers, IndexedBase without offset or strides only)")
    raise Unsupported(f"cannot store SymPy type {t.__name__} (not on the whitelist)")


def _same(a, b) -> bool:
    """Whether ``a`` and ``b`` are the same tree: what ``srepr`` shows (without printing big integers).

    (``type(a) == type(b)``: two undefined functions ``f`` are equal classes, not always one.)"""
    return (type(a) == type(b) and a == b and len(a.args) == len(b.args)  # noqa: E721
            and (not isinstance(a, sp.Float) or a._prec == b._prec)
            and (not isinstance(a, sp.Symbol) or tuple(a._assumptions_orig) == tuple(b._assumptions_orig))
            and (not isinstance(a, sp.Poly) or a.domain == b.domain)
            and (not isinstance(a, RootSum) or a.auto == b.auto)
            and all(_same(x, y) for x, y in zip(a.args, b.args)))


def loads(text: str):
    """The object :func:`dumps` wrote to ``text``, rebuilt from the fixed table of constructors.

    Raises
    ------
    Corrupt
        For anything :func:`dumps` does not write: not JSON, a wrong checksum, an unknown tag,
        a wrong number or type of fields, nesting deeper than ``MAX_DEPTH``, ...

    Examples
    --------
    >>> import sympy as sp
    >>> n = sp.Symbol("n", integer=True)
    >>> loads(dumps([sp.Contains(n, sp.Range(1, sp.oo), evaluate=False), sp.Float("0.1", 30)]))
    [Contains(n, Range(1, oo, 1)), 0.100000000000000000000000000000]
    >>> loads(dumps(sp.pi).replace("Pi", "Pj"))
    Traceback (most recent call last):
    symrecycle.core.treejson.Corrupt: checksum mismatch: the data was changed after it was written
    """
    if not isinstance(text, str):
        raise Corrupt(f"expected text (str), got {type(text).__name__}")
    try:
        doc = json.loads(text, parse_int=_json_int, parse_constant=_json_int)
    except (ValueError, RecursionError) as exc:
        raise Corrupt(f"not a JSON document ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(doc, dict) or sorted(doc) != ["data", "format", "sha256"]:
        raise Corrupt("expected an object with the keys data, format, sha256")
    if type(doc["format"]) is not int or doc["format"] != FORMAT:
        raise Corrupt(f"format {_show(doc['format'])} is not read here (only {FORMAT})")
    try:
        digest = _seal(doc["data"])[1]
    except (ValueError, RecursionError) as exc:
        raise Corrupt(f"data: not canonical JSON ({type(exc).__name__})") from None
    if doc["sha256"] != digest:
        raise Corrupt("checksum mismatch: the data was changed after it was written")
    return _value(doc["data"], 0)


def _json_int(s: str) -> int:
    """A JSON integer, or a constant (NaN, Infinity: refused); dumps writes long integers in hex."""
    if len(s) > 20 or not s.lstrip("-").isdigit():
        raise ValueError(f"not a finite number or an integer of at most 20 digits: {s[:20]}")
    return int(s)


class _Bad(Exception):
    """A field of the node being read is wrong (:func:`_basic` names the tag)."""


def _show(v) -> str:
    return type(v).__name__ if isinstance(v, (list, dict)) else repr(v)[:40]


def _value(v, depth):
    """Plain data from its JSON."""
    if depth > MAX_DEPTH:
        raise Corrupt(f"nested deeper than {MAX_DEPTH}")
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {k: _value(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list) and v and v[0] in ("list", "tuple"):
        items = [_value(x, depth + 1) for x in v[1:]]
        return items if v[0] == "list" else tuple(items)
    if isinstance(v, list) and v and v[0] == "int":
        return int(_basic(["Integer", *v[1:]], depth))
    return _basic(v, depth)


def _basic(v, depth):
    """A SymPy object from its JSON: the tag's constructor, on fields checked first."""
    if depth > MAX_DEPTH:
        raise Corrupt(f"nested deeper than {MAX_DEPTH}")
    if not (isinstance(v, list) and v and isinstance(v[0], str)):
        raise Corrupt(f"expected a SymPy node [tag, ...], got {_show(v)}")
    tag, f = v[0], v[1:]
    if tag not in _SPECIAL and tag not in TAGS:
        raise Corrupt(f"unknown tag {tag[:40]!r}")
    lo, hi = _SPECIAL.get(tag) or TAGS[tag][1:3]
    if len(f) < lo or (hi is not None and len(f) > hi):
        want = str(lo) if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
        raise Corrupt(f"{tag}: expected {want} field(s), got {len(f)}")
    try:
        return (_special if tag in _SPECIAL else _generic)(tag, f, lambda x: _basic(x, depth + 1))
    except Corrupt:
        raise
    except _Bad as exc:
        raise Corrupt(f"{tag}: {exc}") from None
    except Exception as exc:  # SymPy refuses the arguments: whatever it raises, the file is wrong
        raise Corrupt(f"{tag}: SymPy refused the fields ({type(exc).__name__}: {str(exc)[:80]})") from None


def _need(ok, message):
    if not ok:
        raise _Bad(message)


def _int(v) -> int:
    if type(v) is int:
        return v
    if type(v) is str and len(v) <= MAX_BITS // 4 + 4 and _HEX.fullmatch(v):
        n = int(v, 16)
        if n.bit_length() <= MAX_BITS:
            return n
    raise _Bad(f"expected an integer of at most {MAX_BITS} bits, got {_show(v)}")


def _assumptions(v) -> dict:
    _need(isinstance(v, dict), f"expected an object of assumptions, got {_show(v)}")
    for k, x in v.items():
        _need(k in ASSUMPTIONS and type(x) is bool, f"{k[:40]!r}: {_show(x)} is not a whitelisted assumption")
    return v


def _generic(tag, f, node):
    """A node stored by its args: the class of :data:`TAGS`, on args of the kinds it takes."""
    cls, _, _, kinds = TAGS[tag]
    args = [node(x) for x in f]
    for i, a in enumerate(args):
        want = _KINDS[kinds[min(i, len(kinds) - 1)]]
        _need(isinstance(a, want), f"argument {i + 1} is a {type(a).__name__}, expected {want.__name__}")
    return cls(*args) if tag in _PLAIN else cls(*args, evaluate=False)


#: tag -> (fewest fields, most fields) of the nodes :func:`_special` reads
_SPECIAL = {"Symbol": (2, 2), "Dummy": (3, 3), "Function": (2, None), "S": (1, 1), "Integer": (1, 1),
            "Rational": (2, 2), "Float": (5, 5), "IndexedBase": (2, 3), "Poly": (3, None),
            "PurePoly": (3, None), "RootSum": (3, 3), "CRootOf": (2, 2)}


def _special(tag, f, node):
    """A node not stored by its args, from its fields ``f`` (``node`` reads a child node)."""
    if tag in ("Symbol", "Dummy", "Function"):  # a name is only ever a name
        name, asm = f[0], _assumptions(f[1] if tag == "Function" else f[-1])
        _need(type(name) is str and (tag != "Function" or name.isidentifier()), f"bad name {_show(name)}")
        if tag == "Function":
            return sp.Function(name, **asm)(*map(node, f[2:]))
        return sp.Symbol(name, **asm) if tag == "Symbol" else sp.Dummy(name, dummy_index=_int(f[1]), **asm)
    if tag == "S":
        _need(isinstance(f[0], str) and f[0] in _SINGLETONS, f"unknown singleton {_show(f[0])}")
        return _SINGLETONS[f[0]]
    if tag in ("Integer", "Rational"):
        p, q = _int(f[0]), (_int(f[1]) if tag == "Rational" else 1)
        _need(tag == "Integer" or (q > 1 and math.gcd(p, q) == 1), "not in lowest terms, or denominator 1")
        return sp.Rational(p, q)
    if tag == "Float":
        sign, man, exp, bc, prec = map(_int, f)
        normal = sign in (0, 1) and man > 0 and man % 2 == 1 and bc == man.bit_length() and bc <= prec
        _need(((sign, man, exp, bc) == (0, 0, 0, 0) or normal) and 1 <= prec <= MAX_BITS,
              "not a normalized mpf tuple (sign, man, exp, bc) and a precision")
        return sp.Float._new((sign, man, exp, bc), prec, zero=False)
    if tag == "IndexedBase":
        label, *shape = map(node, f[1:])
        _need(isinstance(label, sp.Symbol) and all(isinstance(s, sp.Tuple) for s in shape),
              "expected a Symbol label and a Tuple shape")
        return sp.IndexedBase(label, *shape, **_assumptions(f[0]))
    if tag in ("Poly", "PurePoly"):
        _need(isinstance(f[0], str) and f[0] in _DOMAINS, f"domain {_show(f[0])} is not ZZ or QQ")
        expr, *gens = map(node, f[1:])
        _need(all(isinstance(g, sp.Symbol) for g in gens) and len(set(gens)) == len(gens),
              "the generators are not distinct symbols")
        for term in sp.Add.make_args(expr):  # expanded, of bounded degree: nothing to multiply out
            for x in sp.Mul.make_args(term):
                base, e = x.as_base_exp() if isinstance(x, sp.Pow) else (x, sp.S.One)
                _need(isinstance(x, sp.Rational) or (base in gens and e.is_Integer and 1 <= e <= MAX_DEGREE),
                      f"the expression is not an expanded polynomial of degree <= {MAX_DEGREE}")
        return (sp.Poly if tag == "Poly" else sp.PurePoly)(expr, *gens, domain=_DOMAINS[f[0]])
    poly = node(f[1])  # RootSum, CRootOf: the raw constructors, on a univariate PurePoly
    _need(type(poly) is sp.PurePoly and len(poly.gens) == 1 and poly.degree() >= 1,
          "expected a univariate PurePoly of degree >= 1")
    if tag == "CRootOf":
        index = _int(f[0])
        _need(0 <= index < poly.degree(), f"index {index} is not below the degree {poly.degree()}")
        return ComplexRootOf._new(poly, index)
    fun = node(f[2])
    _need(type(f[0]) is bool and isinstance(fun, sp.Lambda) and len(fun.variables) == 1,
          "expected auto (true or false), a PurePoly and a Lambda of one variable")
    return RootSum._new(poly, fun, f[0])
