"""The derivation cache's JSON: exact round trips, and no trust in what is read back."""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import pickle
import subprocess

import pytest
import sympy as sp
import sympy.parsing.sympy_parser as sympy_parser
from hypothesis import given
from hypothesis import strategies as st

from symrecycle.core import treejson as tj
from symrecycle.core.results import NotDerived

x, y = sp.symbols("x y")
a = sp.Symbol("alpha", positive=True)
n = sp.Symbol("n", integer=True, positive=True)
k = sp.Symbol("k", integer=True)
z = sp.Dummy("z")
t = sp.Symbol("t")
f = sp.Function("f")
i = sp.Idx("i", (0, n))
A = sp.IndexedBase("A")
r = a / (a - 1)


def same(back, obj):
    """``back`` is ``obj``: equal, and the same tree (``srepr``)."""
    return type(back) is type(obj) and back == obj and sp.srepr(back) == sp.srepr(obj)


def roundtrip(obj):
    return tj.loads(tj.dumps(obj))


def sealed(data) -> str:
    """A document around ``data`` with a valid checksum, as a forger would write it."""
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return json.dumps({"format": 1, "sha256": hashlib.sha256(body.encode()).hexdigest(), "data": data})


# -- every node kind -------------------------------------------------------------------------------
EXAMPLES = {
    "symbol": x,
    "symbol with assumptions": sp.Symbol("x", integer=True, positive=True),
    "the same, given in another order": sp.Symbol("x", positive=True, integer=True),
    "symbol, commutative given": sp.Symbol("c", commutative=True),
    "noncommutative symbol": sp.Symbol("q", commutative=False),
    "dummy": z,
    "dummy with assumptions": sp.Dummy("w", real=True),
    "integers": sp.Tuple(0, 1, -1, 7, 2**53, -(2**53) + 1, 10**30, -(10**40), 10**4000),
    "rationals": sp.Tuple(sp.S.Half, sp.Rational(-3, 7), sp.Rational(-(10**30), 7), sp.Rational(1, 2**60)),
    "floats": sp.Tuple(sp.Float(1.5), sp.Float(-0.1), sp.Float("1e-300"), sp.Float(0.0), sp.Float(2.0**80)),
    "floats of odd precision": sp.Tuple(
        sp.Float("0.1", 7), sp.Float("0.1", 31), sp.Float("-2.5e-300", 3), sp.Float("1e100000", 20),
        sp.pi.evalf(53), sp.Float._new((0, 5, -1, 3), 3)),
    "constants": sp.Tuple(sp.pi, sp.E, sp.I, sp.oo, -sp.oo, sp.zoo, sp.nan, sp.EulerGamma, sp.Catalan,
                          sp.GoldenRatio, sp.TribonacciConstant),
    "booleans": sp.Tuple(sp.true, sp.false),
    "arithmetic": (x + 2 * y) ** 3 / (x - y) + sp.sqrt(x) - sp.exp(-x) * sp.log(y) + x ** sp.Rational(-2, 3),
    "unevaluated arithmetic":
        sp.Add(x, x, evaluate=False) * sp.Mul(2, 3, evaluate=False) + sp.Pow(4, 2, evaluate=False),
    "functions": sp.Tuple(
        sp.Abs(x), sp.sign(x), sp.sin(x), sp.cos(x), sp.tan(x), sp.atan(x), sp.atan2(y, x), sp.floor(x),
        sp.ceiling(x), sp.Max(x, y, 1), sp.Min(x, 2), sp.Heaviside(x), sp.Heaviside(x, 1), sp.re(x), sp.im(x),
        sp.arg(x), sp.LambertW(x), sp.LambertW(x, -1), sp.gamma(x), sp.factorial(n), sp.binomial(n, 3),
        sp.exp(x), sp.log(x), sp.sqrt(a), sp.conjugate(x), sp.cot(x), sp.asin(x), sp.acos(x), sp.sinh(x),
        sp.cosh(x), sp.tanh(x)),
    "unevaluated functions": sp.Tuple(sp.sin(0, evaluate=False), sp.log(1, evaluate=False),
                                      sp.factorial(5, evaluate=False), sp.Abs(-2, evaluate=False)),
    "piecewise": sp.Piecewise((x, x < 1), (y, sp.Eq(x, 2) & (y > 0)), (r, a > 1), (sp.oo, True)),
    "piecewise without a default": sp.Piecewise((1 / r, sp.Ne(a, 1)), (0, (a > 2) | sp.Eq(x, y))),
    "relationals": sp.Tuple(sp.Eq(x, 1), sp.Eq(sp.S(1), 1, evaluate=False), sp.Ne(x, 1), sp.Lt(x, 1),
                            sp.Le(x, 1), sp.Gt(x, 1), sp.Ge(x, 1), sp.Lt(2, 1, evaluate=False)),
    "logic": sp.Tuple(sp.And(x > 1, y < 2), sp.Or(x > 1, y < 2, sp.Eq(k, 0)), sp.Implies(x > 1, y > 1),
                      sp.Not(sp.Eq(x, 1), evaluate=False), sp.Not(x > 1, evaluate=False)),
    "contains a range": sp.Contains(n, sp.Range(1, sp.oo), evaluate=False),
    "sets": sp.Tuple(
        sp.Range(10, 0, -3), sp.Range(k, k + 10), sp.Interval(0, 1), sp.Interval.open(a, sp.oo),
        sp.Interval.Lopen(x, y), sp.Union(sp.Interval(0, 1), sp.Interval(2, 3)), sp.FiniteSet(1, x, 3),
        sp.Intersection(sp.Interval(0, x), sp.Interval(y, 3)),
        sp.Complement(sp.Reals, sp.FiniteSet(0), evaluate=False), sp.Naturals, sp.Naturals0, sp.Integers,
        sp.Rationals, sp.Reals, sp.Complexes, sp.EmptySet, sp.UniversalSet),
    "lambda": sp.Lambda((x, y), x + y),
    "rootsum over a dummy": sp.RootSum(z**3 - z - 1, sp.Lambda(z, z**n / (3 * z**2 - 1))),
    "rootsum over a symbol": sp.RootSum(t**3 - t - 1, sp.Lambda(t, t**n / (3 * t**2 - 1))),
    "rootsum of an exponential": sp.RootSum(t**5 + 11 * t - 3, sp.Lambda(t, sp.exp(t * y))),
    "rootsum, auto off": sp.RootSum(t**3 - t - 1, sp.Lambda(t, 1 / (t + 2)), auto=False),
    "crootof": sp.Tuple(sp.CRootOf(x**5 - x - 1, 0), sp.CRootOf(x**5 - x - 1, 3)),
    "poly over QQ, two generators": sp.Poly(x**2 * y + 3 * x - sp.Rational(1, 2), x, y),
    "purepoly over ZZ": sp.PurePoly(x**3 - 2, x),
    "indexed": A[n - 1] + sp.IndexedBase("B", positive=True)[n] + A[i]
               + sp.IndexedBase("M", shape=(2, 2))[0, 1],
    "idx": sp.Tuple(i, sp.Idx("j")),
    "sum and product": sp.Sum(x**n / sp.factorial(n), (n, 0, sp.oo)) + sp.Product(k, (k, 1, y)),
    "nested sum": sp.Sum(sp.Sum(x**k * y**n, (k, 0, n)), (n, 0, 5)),
    "derivative": sp.Derivative(f(x), x, 2) + sp.Derivative(f(x, y), x, y),
    "subs": sp.Subs(f(x, y), (y,), (1,)),
    "undefined functions": sp.Function("g", real=True)(x) + f(x, y) + sp.Function("h", positive=True)(n),
    "tuple": sp.Tuple(x, sp.Tuple(1, 2), sp.Tuple()),
}


@pytest.mark.parametrize("obj", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_every_node_kind_reads_back_as_the_same_tree(obj):
    assert same(roundtrip(obj), obj)


def test_a_big_integer_reads_back_and_a_longer_one_is_refused():
    big = 10**99_999  # 100000 digits: too long for srepr's str(), compared by value
    back = roundtrip([big, sp.Integer(-big), sp.Rational(1, big)])
    assert back == [big, -big, sp.Rational(1, big)]
    assert [type(v) for v in back] == [int, sp.Integer, sp.Rational]
    with pytest.raises(tj.Unsupported, match="bits is longer than"):
        tj.dumps(2**400_000)
    with pytest.raises(tj.Corrupt, match="at most 332193 bits"):
        tj.loads(sealed(["int", "0x" + "f" * 90_000]))
    with pytest.raises(tj.Corrupt, match="at most 20 digits: 10000"):
        tj.loads('{"format":1,"sha256":"0","data":1' + "0" * 5000 + "}")


def test_dummies_of_one_name_stay_distinct_and_equal_to_themselves():
    d1, d2 = sp.Dummy("d"), sp.Dummy("d")
    text = tj.dumps((d1, d2, d1 + d2))
    b1, b2, total = tj.loads(text)
    assert (b1, b2, total) == (d1, d2, d1 + d2)
    assert b1 != b2
    assert tj.loads(text) == (b1, b2, total)  # read twice: the same dummies


def test_plain_data_keeps_its_types():
    data = {"expr": x, "conditions": (sp.Contains(n, sp.Range(1, sp.oo), evaluate=False),), "verified": True,
            "notes": [], "nested": [(1, [2.5, "s"]), ()], "unicode": "α ≤ β \ud800",
            "meta": {"fraction": 0.99, "level": 1, "wrt": "alpha", "none": None, "big": -(2**70)}}
    back = roundtrip(data)
    assert back == data
    assert shapes(back) == shapes(data)


def shapes(v):
    """The types of ``v`` and all it holds (a tuple is not a list)."""
    if isinstance(v, (list, tuple)):
        return type(v), [shapes(x) for x in v]
    if isinstance(v, dict):
        return dict, {key: shapes(x) for key, x in v.items()}
    return type(v)


def test_the_document_is_compact_json_with_format_and_checksum():
    text = tj.dumps([x, 1])
    doc = json.loads(text)
    assert list(doc) == ["format", "sha256", "data"]
    assert doc["format"] == tj.FORMAT
    body = json.dumps(doc["data"], separators=(",", ":"))
    assert doc["sha256"] == hashlib.sha256(body.encode()).hexdigest()
    assert text == sealed(doc["data"]).replace(" ", "")  # no whitespace


@pytest.mark.parametrize(("obj", "match"), [
    (sp.zeta(x), "SymPy type zeta"),
    (sp.Wild("w"), "SymPy type Wild"),
    (sp.Poly(x**2 + a, x), r"this Poly \(polynomials over ZZ or QQ"),
    (sp.IndexedBase("A", offset=1), "this IndexedBase"),
    (sp.Matrix([[x]]), "MutableDenseMatrix"),
    (float("nan"), "float that is not finite"),
    ({1: x}, "dict with a key that is not a str"),
    ({x}, "cannot store a set"),
    (sp.Symbol("x", polar=True) + sp.zeta(y), "zeta"),
])
def test_what_is_not_on_the_whitelist_is_unsupported(obj, match):
    with pytest.raises(tj.Unsupported, match=match):
        tj.dumps(obj)
    with pytest.raises(ValueError, match=match):  # a ValueError, as Corrupt is
        tj.dumps(obj)


# -- the package's own results ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus(kick, aug):
    """Every result ``symrecycle summary`` derives for the two report models."""
    out = []
    for m in (kick, aug):
        derive = [m.closed_form, m.benefit, m.limit, lambda m=m: m.iterations_to(0.99)]
        for p in m.parameters:
            if p.default is None:
                derive += [lambda m=m, p=p, q=q: getattr(m, q)(p.name)
                           for q in ("sensitivity", "elasticity", "breakeven")]
        for d in derive:
            with contextlib.suppress(NotDerived):
                out.append(d())
    return out


def test_every_result_of_the_report_models_reads_back(corpus):
    assert len(corpus) >= 20
    for res in corpus:
        fields = {"model": res.model, "quantity": res.quantity, "expr": res.expr, "label": res.label,
                  "conditions": res.conditions, "verified": res.verified, "certificate": res.certificate,
                  "notes": res.notes, "meta": res.meta}
        back = roundtrip(fields)
        assert back == fields, res
        assert same(back["expr"], res.expr)
        assert all(same(b, c) for b, c in zip(back["conditions"], res.conditions, strict=True))
        assert type(back["conditions"]) is tuple


# -- what is read is not trusted -------------------------------------------------------------------
def test_any_changed_character_is_caught():
    text = tj.dumps({"limit": sp.Piecewise((a / (a - 1), a > 1), (sp.oo, True)), "n": 3})
    for pos in range(len(text)):
        changed = text[:pos] + chr(ord(text[pos]) ^ 1) + text[pos + 1:]
        with pytest.raises(tj.Corrupt):
            tj.loads(changed)
    data_at = text.index('"data":') + 10
    with pytest.raises(tj.Corrupt, match="checksum mismatch"):
        tj.loads(text[:data_at] + ("y" if text[data_at] != "y" else "z") + text[data_at + 1:])


def test_truncated_text_is_corrupt():
    text = tj.dumps([sp.Contains(n, sp.Range(1, sp.oo), evaluate=False), x**2])
    for end in range(len(text)):
        with pytest.raises(tj.Corrupt):
            tj.loads(text[:end])


class Spy:
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        raise AssertionError(f"called with {args}")


@pytest.fixture
def no_evaluation(monkeypatch):
    """Spies on everything that would run text: none may be called."""
    spy = Spy()
    for owner, name in [(builtins, "eval"), (builtins, "exec"), (os, "system"), (subprocess, "Popen"),
                        (pickle, "loads"), (sympy_parser, "parse_expr"), (sp, "sympify"), (sp, "parse_expr")]:
        monkeypatch.setattr(owner, name, spy)
    yield spy
    monkeypatch.undo()
    assert spy.calls == []


HOSTILE = [
    ["__import__", "os"],
    ["os.system", "echo pwned"],
    ["eval", "1+1"],
    ["getattr", ["Symbol", "x", {}], "__class__"],
    ["sympify", "x"],
    ["Symbol.__class__", "x"],
    ["Add", ["__import__", "os"], ["Integer", 1]],
    ["S", "__class__"],
    ["S", "exec"],
    ["Function", "os.system", {}, ["Integer", 1]],
    ["Function", "f", {"__init__": True}, ["Integer", 1]],
    ["Symbol", "x", {"evil": True}],
    ["PurePoly", "EX", ["Symbol", "x", {}], ["Symbol", "x", {}]],
    ["PurePoly", "os", ["Symbol", "x", {}], ["Symbol", "x", {}]],
]


@pytest.mark.parametrize("data", HOSTILE, ids=[json.dumps(d)[:40] for d in HOSTILE])
def test_a_forged_tag_or_name_is_corrupt_and_nothing_is_called(data, no_evaluation):
    with pytest.raises(tj.Corrupt, match=r"unknown|bad name|whitelisted|domain|field"):
        tj.loads(sealed(data))


def test_reading_results_evaluates_nothing(no_evaluation):
    expr = EXAMPLES["piecewise"] + sp.Function("g")(x) + sp.Float("0.1", 30)
    text = tj.dumps([expr, EXAMPLES["rootsum over a dummy"], EXAMPLES["sets"]])
    assert tj.loads(text)[0] == expr


X = ["Symbol", "x", {}]


@pytest.mark.parametrize(("data", "match"), [
    (["Symbol", 5, {}], "Symbol: bad name 5"),
    (["Symbol", "x", {"positive": "yes"}], "not a whitelisted assumption"),
    (["Symbol", "x", []], "expected an object of assumptions"),
    (["Symbol", "x"], r"Symbol: expected 2 field\(s\), got 1"),
    (["Dummy", "z", "abc", {}], "Dummy: expected an integer"),
    (["Integer", "12"], "expected an integer"),
    (["Integer", 1.5], "expected an integer"),
    (["Integer", True], "expected an integer"),
    (["Integer", None], "expected an integer"),
    (["Rational", 2, 4], "lowest terms"),
    (["Rational", 1, 0], "lowest terms"),
    (["Float", 0, 4, 0, 3, 53], "normalized mpf"),
    (["Float", 0, 3, 0, 2, 0], "normalized mpf"),
    (["Float", 2, 3, 0, 2, 53], "normalized mpf"),
    (["Float", 0, 3, 0, 2], r"expected 5 field\(s\)"),
    (["Add", "x", ["Integer", 1]], "expected a SymPy node"),
    (["Add", X], r"Add: expected at least 2 field\(s\), got 1"),
    (["Pow", X, X, X], r"Pow: expected 2 field\(s\), got 3"),
    (["sin", ["S", "true"]], "argument 1 is a BooleanTrue, expected Expr"),
    (["And", ["Integer", 1], X], "argument 1 is a One, expected Boolean"),
    (["Piecewise", ["Integer", 1]], "expected ExprCondPair"),
    (["Contains", X, X], "expected Set"),
    (["list", ["Symbol", "x"]], r"Symbol: expected 2 field\(s\)"),
    (["Tuple", ["list"]], "unknown tag 'list'"),
    (["Tuple", 7], "expected a SymPy node"),
    (["Tuple", []], "expected a SymPy node"),
    (["Tuple", [1, 2]], "expected a SymPy node"),
    ([], "expected a SymPy node"),
    (["Interval", ["Integer", 1], ["Integer", 0], ["Integer", 1], ["Integer", 1]], "expected Boolean"),
    (["Range", ["Integer", 0], ["Integer", 10], ["Integer", 0]], "SymPy refused the fields"),
    (["Function", "f", {}, "x"], "expected a SymPy node"),
    (["PurePoly", "ZZ", ["Pow", X, ["Integer", 10**6]], X], "expanded polynomial of degree <= 1000"),
    (["PurePoly", "ZZ", ["Pow", ["Add", X, ["Integer", 1]], ["Integer", 2]], X], "expanded polynomial"),
    (["PurePoly", "ZZ", X, ["Integer", 1]], "distinct symbols"),
    (["PurePoly", "ZZ", ["Mul", ["Rational", 1, 2], X], X], "SymPy refused"),
    (["CRootOf", 5, ["PurePoly", "ZZ", ["Add", ["Pow", X, ["Integer", 3]], ["Integer", -2]], X]], "index 5"),
    (["CRootOf", 0, X], "univariate PurePoly"),
    (["RootSum", "yes", ["PurePoly", "ZZ", ["Add", X, ["Integer", 1]], X], ["Lambda", ["Tuple", X], X]],
     "auto"),
    (["IndexedBase", {}, ["Integer", 1]], "Symbol label"),
    (["int", 5, 6], r"expected 1 field\(s\)"),
])
def test_wrong_fields_are_corrupt_and_say_what_is_wrong(data, match):
    with pytest.raises(tj.Corrupt, match=match):
        tj.loads(sealed(data))


@pytest.mark.parametrize(("text", "match"), [
    ("", "not a JSON document"),
    (b'{"format":1}', "expected text"),
    ("[1]", "keys data, format, sha256"),
    ('{"format":1,"sha256":"00","data":1,"more":2}', "keys data, format, sha256"),
    ('{"format":2,"sha256":"00","data":1}', "format 2 is not read here"),
    ('{"format":true,"sha256":"00","data":1}', "format True"),
    ('{"format":1,"sha256":5,"data":1}', "checksum mismatch"),
    ('{"format":1,"sha256":"00","data":NaN}', "not a finite number"),
    ('{"format":1,"sha256":"00","data":1e999}', "not canonical"),
])
def test_a_document_that_is_not_one_is_corrupt(text, match):
    with pytest.raises(tj.Corrupt, match=match):
        tj.loads(text)


def test_deep_nesting_is_corrupt_not_a_recursion_error():
    with pytest.raises(tj.Corrupt, match="RecursionError"):
        tj.loads('{"format":1,"sha256":"0","data":' + "[" * 100_000 + "]" * 100_000 + "}")
    node, plain = X, ["list"]
    for _ in range(tj.MAX_DEPTH + 5):
        node, plain = ["Tuple", node], ["list", plain]
    for data in (node, plain, {"a": plain}):
        with pytest.raises(tj.Corrupt, match="nested deeper than"):
            tj.loads(sealed(data))


def test_deep_nesting_is_unsupported_when_written():
    deep, expr = [], x
    for _ in range(tj.MAX_DEPTH + 5):
        deep, expr = [deep], sp.sin(expr, evaluate=False)
    for obj in (deep, expr):
        with pytest.raises(tj.Unsupported, match="nested deeper than"):
            tj.dumps(obj)
    shallow = x
    for _ in range(tj.MAX_DEPTH - 5):
        shallow = sp.sin(shallow, evaluate=False)
    assert same(roundtrip(shallow), shallow)


# -- random expressions ----------------------------------------------------------------------------
SYMBOLS = [x, a, k, z, sp.Symbol("x", real=True)]
CONDITIONS = [x < a, sp.Eq(k, 2), a >= 1, sp.Ne(x, 0), (x < 1) & (k > 0), sp.Or(sp.Eq(a, 2), x > k)]
leaves = st.one_of(
    st.sampled_from(SYMBOLS),
    st.integers(-12, 12).map(sp.Integer),
    st.tuples(st.integers(-(10**20), 10**20), st.integers(1, 10**6)).map(lambda pq: sp.Rational(*pq)),
    st.tuples(st.floats(allow_nan=False, allow_infinity=False), st.integers(1, 60)).map(
        lambda v: sp.Float(*v)),
    st.sampled_from([sp.pi, sp.E, sp.oo, sp.S.Half, sp.I]),
)
exponents = st.one_of(st.integers(-3, 3).map(sp.Integer),
                      st.sampled_from([x, k, sp.S.Half, sp.Rational(-1, 3)]))


def grow(children):
    many = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        st.tuples(many, st.booleans()).map(lambda v: sp.Add(*v[0], evaluate=v[1])),
        st.tuples(many, st.booleans()).map(lambda v: sp.Mul(*v[0], evaluate=v[1])),
        st.tuples(children, exponents, st.booleans()).map(lambda v: sp.Pow(v[0], v[1], evaluate=v[2])),
        st.tuples(children, children, st.sampled_from(CONDITIONS), st.booleans()).map(
            lambda v: sp.Piecewise((v[0], v[2]), (v[1], True), evaluate=v[3])),
    )


def printable(expr) -> bool:
    """Whether SymPy can print ``expr`` (Hypothesis shows what it drew): not every unevaluated tree."""
    try:
        sp.srepr(expr)
    except ZeroDivisionError:
        return False
    return True


@given(st.recursive(leaves, grow, max_leaves=10).filter(printable))
def test_random_expressions_read_back_as_the_same_tree(expr):
    assert same(roundtrip(expr), expr)


def tree(obj):
    """``srepr`` node by node."""
    if isinstance(obj, sp.Basic) and obj.args:
        return type(obj).__name__, tuple(tree(a) for a in obj.args)
    return sp.srepr(obj)


def test_a_tree_sympy_cannot_print_reads_back_the_same():
    # srepr of Add(Mul(Pow(0.0, -1), x), x), all unevaluated, divides by zero inside SymPy's printer
    expr = sp.Add(sp.Mul(sp.Pow(sp.Float(0.0), -1, evaluate=False), x, evaluate=False), x, evaluate=False)
    assert not printable(expr)
    back = roundtrip(expr)
    assert type(back) is sp.Add
    assert back == expr
    assert tree(back) == tree(expr)


plain = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=8), st.sampled_from(SYMBOLS)),
    lambda c: st.one_of(st.lists(c, max_size=3), st.lists(c, max_size=3).map(tuple),
                        st.dictionaries(st.text(max_size=4), c, max_size=3)),
    max_leaves=12,
)


@given(plain)
def test_random_plain_data_reads_back_with_its_types(data):
    back = roundtrip(data)
    assert back == data
    assert shapes(back) == shapes(data)
