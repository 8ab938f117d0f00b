r"""A safe parser for model expressions: Python's ``ast`` and a whitelist.

Model files (:mod:`symrecycle.io.modelfile`) write recurrences and metrics as
plain mathematical text, ``"C1*r**(n-1) + alpha*A[n-1]"``. That text is never
given to ``eval``, ``exec``, ``sympify`` or ``parse_expr`` (all of which run
Python code). Instead :func:`parse_expression`

1. checks the raw text: a string, ASCII, not empty, at most
   :data:`MAX_LENGTH` characters and at most :data:`MAX_NESTING` levels of
   brackets;
2. reads it with ``ast.parse(text, mode="eval")``, which only builds a syntax
   tree and runs nothing;
3. walks the tree once, without recursion, and refuses anything outside the
   whitelist below, more than :data:`MAX_NODES` nodes or a tree deeper than
   :data:`MAX_DEPTH`;
4. folds the constant parts with exact fractions of bounded size, so that an
   exponent larger than :data:`MAX_EXPONENT` (``9**9**9``, ``2**10**10``) or a
   number of more than :data:`MAX_BITS` bits is refused before any SymPy
   object exists;
5. only then builds the SymPy expression node by node from objects it makes
   itself, checking each power again once SymPy has combined its parts: so
   ``2**(n - n + 10**10)``, ``exp(10**10*log(2))`` (SymPy turns it into a
   power) and ``(r+1)**100*(r+1)**100`` (one power ``(r+1)**200``) are
   refused too, before anything expands them.

The whitelist, and what each piece becomes:

- numbers ``12``, ``0.25``, ``1e-3``: ``Integer`` or an exact ``Rational``
  read from the decimal text (not from the binary float);
- a parameter name: the parameter's own ``Symbol``, with its assumptions;
- ``n``: the iteration index :data:`symrecycle.core.params.n`;
- ``X[n]``, ``X[n-1]``, ``X[1]`` for a sequence X: ``IndexedBase("X")[...]``;
  the index is ``n + k`` or an integer k;
- ``+ - * / **`` and unary ``-`` / ``+`` (``^`` is refused: write ``**``);
- the functions ``exp``, ``log`` (natural), ``sqrt``, ``Min``, ``Max``:
  ``sp.exp``, ``sp.log``, ``sp.sqrt``, ``sp.Min``, ``sp.Max``.

No other name has a meaning: ``beta``, ``gamma``, ``N``, ``E``, ``I``, ``S``,
``Q`` or ``pi`` are plain parameters when the model declares them and unknown
names otherwise; they never become SymPy's functions or constants.

Examples
--------
>>> import sympy as sp
>>> r, alpha, C1 = sp.symbols("r alpha C1", positive=True)
>>> names = {"r": r, "alpha": alpha, "C1": C1}
>>> parse_expression("C1*r**(n-1) + alpha*A[n-1]", names, sequences=["A"])
C1*r**(n - 1) + alpha*A[n - 1]
>>> parse_expression("0.1*r", names)
r/10
>>> parse_expression("9**9**9", names, field="next")
Traceback (most recent call last):
...
ValueError: next: '9**9**9': the exponent 387420489 is too large (at most 100 in absolute value)
"""

from __future__ import annotations

import ast
import keyword
import re
from fractions import Fraction

import sympy as sp
from sympy.printing.str import StrPrinter

from ..core.params import n as N

__all__ = [
    "FUNCTIONS", "MAX_BITS", "MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "MAX_NESTING", "MAX_NODES",
    "check_name", "parse_expression", "to_text"
]


#: Longest text accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of brackets ``( [`` accepted in the text.
MAX_NESTING = 40
#: Most syntax-tree nodes accepted.
MAX_NODES = 500
#: Deepest syntax tree accepted (a chain ``-(-(-x))`` or ``a+b+c+...`` counts each level).
MAX_DEPTH = 100
#: Largest absolute value of a numeric exponent (and of any number inside an exponent).
MAX_EXPONENT = 100
#: Largest number, in bits of numerator or denominator, that constant folding may produce.
MAX_BITS = 1024

#: Functions that may be called: name -> (SymPy function, fewest and most arguments).
FUNCTIONS = {
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "Min": (sp.Min, 2, 8),
    "Max": (sp.Max, 2, 8),
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_DECIMAL = re.compile(r"(?P<mant>\d[\d_]*\.?[\d_]*|\.[\d_]+)(?:[eE](?P<exp>[+-]?\d+))?\Z")

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPS = {
    ast.BitXor: "'^' (write powers as '**')",
    ast.FloorDiv: "'//'",
    ast.Mod: "'%'",
    ast.MatMult: "'@'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.BitAnd: "'&'",
    ast.BitOr: "'|'",
    ast.Not: "'not'",
    ast.Invert: "'~'",
}
_REFUSED_NODES = {
    ast.Attribute: "attribute access ('.') is",
    ast.Lambda: "lambda expressions are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.NamedExpr: "assignment expressions (':=') are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and' / 'or' are",
    ast.IfExp: "conditional expressions ('if ... else') are",
    ast.Tuple: "tuples (a ',' outside a function call) are",
    ast.List: "lists are",
    ast.Set: "sets are",
    ast.Dict: "dictionaries are",
    ast.Starred: "'*' unpacking is",
    ast.Slice: "slices (':') are",
    ast.Await: "'await' is",
    ast.Yield: "'yield' is",
    ast.YieldFrom: "'yield' is",
}


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class _Refused(Exception):
    """Internal: a reason, turned into ``ValueError`` with the field and text."""


def check_name(name: str, what: str) -> None:
    """Raise ``ValueError`` unless ``name`` may name a parameter or sequence.

    A name is ASCII letters, digits and ``_``, starts with a letter, is not a
    Python keyword, not ``n`` and not a function of :data:`FUNCTIONS`.

    Examples
    --------
    >>> check_name("beta", "parameter")
    >>> check_name("exp", "parameter")
    Traceback (most recent call last):
    ...
    ValueError: parameter name 'exp': got a function name, expected another name (the functions: exp, ...)
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"{what} name {name!r}: expected ASCII letters, digits and '_', starting with a letter"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ValueError(f"{what} name {name!r}: got a Python keyword, expected another name (e.g. {name}_)")
    if name == "n":
        raise ValueError(f"{what} name 'n': got the iteration index, expected another name")
    if name in FUNCTIONS:
        raise ValueError(
            f"{what} name {name!r}: got a function name, expected another name "
            f"(the functions: {', '.join(FUNCTIONS)})"
        )


def parse_expression(text, symbols=None, sequences=(), field: str = "expression") -> sp.Expr:
    """Parse model text into a SymPy expression, safely.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"C[n] + alpha*A[n-1]"``.
    symbols : mapping of str to sympy.Symbol
        The parameters: each name the text may use, and the symbol it stands
        for. ``n`` is always the iteration index and may not be a key.
    sequences : iterable of str
        Names usable only as indexed references ``X[...]``.
    field : str
        Where the text came from (``"sequences.A.next"``), for error messages.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        naming the field, the text and what was expected, for any text outside
        the whitelist or the size limits (see the module docstring).

    Examples
    --------
    >>> import sympy as sp
    >>> beta, gamma = sp.symbols("beta gamma", positive=True)
    >>> e = parse_expression("beta*gamma + exp(-beta)", {"beta": beta, "gamma": gamma})
    >>> e.free_symbols == {beta, gamma}
    True
    >>> parse_expression("__import__('os')", {}, field="metric.benefit")
    Traceback (most recent call last):
    ...
    ValueError: metric.benefit: "__import__('os')": names starting with '_' are not allowed (got '__import__')
    """
    symbols = dict(symbols or {})
    sequences = tuple(sequences)
    if not isinstance(text, str):
        raise ValueError(
            f"{field}: got {text!r} ({type(text).__name__}), expected the expression as a string"
        )
    try:
        for name in (*symbols, *sequences):
            check_name(name, "parameter" if name in symbols else "sequence")
        clash = set(symbols) & set(sequences)
        if clash:
            raise ValueError(f"{sorted(clash)[0]!r} is both a parameter and a sequence")
        _check_text(text)
        tree = _syntax_tree(text)
        _check_tree(tree, symbols, sequences)
        folder = _Folder(text)
        folder.fold(tree.body)
        expr = _Builder(symbols, sequences, folder).build(tree.body)
    except _Refused as exc:
        raise ValueError(f"{field}: {_short(text)}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None
    return expr


# -- 1. the raw text ------------------------------------------------------------------------
def _check_text(text):
    if len(text) > 50 * MAX_LENGTH:
        raise _Refused(f"the text is {len(text)} characters long (at most {MAX_LENGTH})")
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise _Refused(f"expected ASCII text, got the character {bad!r}")
    depth = deepest = 0
    for c in text:
        if c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise _Refused(f"brackets nested {deepest} levels deep (at most {MAX_NESTING})")
    if len(text) > MAX_LENGTH:
        raise _Refused(f"the text is {len(text)} characters long (at most {MAX_LENGTH})")
    if not text.strip():
        raise _Refused("empty expression")


def _syntax_tree(text):
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _Refused(f"not a single expression ({exc.msg})") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # pragma: no cover - guarded by the limits
        raise _Refused(f"not a single expression ({type(exc).__name__})") from None


# -- 2. the whitelist ------------------------------------------------------------------------
def _check_tree(tree, symbols, sequences):
    """Refuse nodes outside the whitelist; count nodes and depth, without recursion."""
    count = 0
    stack = [(tree.body, 1, None)]
    while stack:
        node, depth, parent = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES} syntax nodes (too long an expression)")
        if depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep")
        _check_node(node, parent, symbols, sequences)
        for child in _children(node):
            stack.append((child, depth + 1, node))


def _children(node):
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.Subscript):
        return [node.slice]
    return []


def _check_node(node, parent, symbols, sequences):
    kind = type(node)
    if kind in _REFUSED_NODES:
        raise _Refused(f"{_REFUSED_NODES[kind]} not allowed")
    if kind is ast.BinOp or kind is ast.UnaryOp:
        if type(node.op) not in _BINOPS and not isinstance(node.op, (ast.USub, ast.UAdd)):
            op = _REFUSED_OPS.get(type(node.op), type(node.op).__name__)
            raise _Refused(f"the operator {op} is not allowed")
        return
    if kind is ast.Constant:
        v = node.value
        if isinstance(v, bool) or v is None or not isinstance(v, (int, float)):
            what = {str: "strings", bytes: "bytes", complex: "imaginary numbers"}.get(type(v), repr(v))
            raise _Refused(f"{what} are not allowed (only real numbers)" if what != repr(v) else
                           f"the constant {what} is not allowed (only real numbers)")
        return
    if kind is ast.Name:
        _check_name_use(node.id, parent, node, symbols, sequences)
        return
    if kind is ast.Call:
        func = node.func
        if not isinstance(func, ast.Name):
            raise _Refused(f"only the functions {', '.join(FUNCTIONS)} may be called")
        if func.id.startswith("_"):
            raise _Refused(f"names starting with '_' are not allowed (got {func.id!r})")
        if func.id not in FUNCTIONS:
            raise _Refused(
                f"calls to {func.id!r} are not allowed; the functions are {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            raise _Refused(f"{func.id}() takes no keyword arguments")
        lo, hi = FUNCTIONS[func.id][1:]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise _Refused(f"{func.id}() takes {want} argument(s), got {len(node.args)}")
        return
    if kind is ast.Subscript:
        base = node.value
        if not isinstance(base, ast.Name):
            raise _Refused("only a sequence name may be indexed, as in A[n-1]")
        if base.id.startswith("_"):
            raise _Refused(f"names starting with '_' are not allowed (got {base.id!r})")
        if base.id not in sequences:
            what = "a parameter" if base.id in symbols or base.id == "n" else "not a sequence"
            known = ", ".join(sequences) or "none"
            raise _Refused(f"{base.id!r} is {what} and cannot be indexed; the sequences: {known}")
        return
    raise _Refused(f"{kind.__name__} is not allowed")


def _check_name_use(name, parent, node, symbols, sequences):
    if name.startswith("_"):
        raise _Refused(f"names starting with '_' are not allowed (got {name!r})")
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return  # checked with the subscript
    if name in sequences:
        raise _Refused(f"the sequence {name!r} must be indexed, as in {name}[n] or {name}[n-1]")
    if name in FUNCTIONS:
        raise _Refused(f"{name!r} is a function: call it, as in {name}(x)")
    if name != "n" and name not in symbols:
        known = ", ".join(["n", *symbols]) or "n"
        raise _Refused(f"unknown name {name!r}; the names are: {known}")


# -- 3. constants, folded exactly and with bounded size ----------------------------------------
def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


class _Folder:
    """Fold constant subtrees with ``Fraction``; refuse sizes past the limits first."""

    def __init__(self, text):
        self.text = text.strip()

    def fold(self, node):
        """The exact value of a constant subtree, or ``None``."""
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.UnaryOp):
            v = self.fold(node.operand)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp):
            a, b = self.fold(node.left), self.fold(node.right)
            if isinstance(node.op, ast.Pow):
                return self.power(a, b)
            if isinstance(node.op, ast.Div) and b == 0:
                raise _Refused("division by zero")
            if a is None or b is None:
                return None
            if _bits(a) + _bits(b) + 1 > MAX_BITS:
                raise _Refused(f"a number larger than {MAX_BITS} bits")
            ops = {ast.Add: a.__add__, ast.Sub: a.__sub__, ast.Mult: a.__mul__, ast.Div: a.__truediv__}
            return ops[type(node.op)](b)
        if isinstance(node, ast.Call):
            for arg in node.args:
                self.fold(arg)
            return None
        if isinstance(node, ast.Subscript):
            self.fold(node.slice)
            return None
        return None

    def number(self, node):
        v = node.value
        if isinstance(v, int):
            q = Fraction(v)
        else:
            seg = ast.get_source_segment(self.text, node)
            m = _DECIMAL.match(seg or "")
            if m is None:  # pragma: no cover - Python only makes floats from such text
                raise _Refused(f"cannot read the number {seg!r}")
            if m["exp"] is not None and abs(int(m["exp"])) > MAX_BITS // 2:
                raise _Refused(f"the number {seg} is too large or too small")
            q = Fraction(seg.replace("_", ""))
        if _bits(q) > MAX_BITS:
            raise _Refused(f"the number {_short(str(v), 30)} is larger than {MAX_BITS} bits")
        return q

    @staticmethod
    def power(base, exp):
        if exp is None:
            return None
        if abs(exp) > MAX_EXPONENT:
            raise _Refused(f"the exponent {exp} is too large (at most {MAX_EXPONENT} in absolute value)")
        if base is None:
            return None
        if base == 0 and exp < 0:
            raise _Refused("division by zero (0 to a negative power)")
        if exp.denominator != 1:
            return None  # irrational in general; SymPy keeps it as a power
        if _bits(base) * abs(exp.numerator) > MAX_BITS:
            raise _Refused(f"{base}**{exp} is larger than {MAX_BITS} bits")
        return base ** exp.numerator


# -- 4. the SymPy expression ------------------------------------------------------------------
def _check_exponent(base, exp):
    """Refuse a power SymPy would evaluate to a huge number, before it is made."""
    if exp.is_Number:
        if abs(exp) > MAX_EXPONENT:
            raise _Refused(f"the exponent {exp} is too large (at most {MAX_EXPONENT} in absolute value)")
        if base.is_zero and exp.is_negative:
            raise _Refused("division by zero (0 to a negative power)")
        if base.is_Rational and exp.is_Integer:
            bits = max(abs(base.p).bit_length(), abs(base.q).bit_length())
            if bits * abs(int(exp)) > MAX_BITS:
                raise _Refused(f"{base}**{exp} is larger than {MAX_BITS} bits")
        return
    for num in exp.atoms(sp.Number):
        if abs(num) > MAX_EXPONENT:
            raise _Refused(
                f"the exponent {exp} has the number {num}, too large in an exponent "
                f"(at most {MAX_EXPONENT} in absolute value)"
            )


class _Builder:
    """Build the SymPy expression from a checked tree, from objects made here."""

    def __init__(self, symbols, sequences, folder):
        self.symbols = symbols
        self.bases = {name: sp.IndexedBase(name) for name in sequences}
        self.folder = folder

    def build(self, node):
        expr = self.node(node)
        if not isinstance(expr, sp.Expr):  # pragma: no cover - the whitelist only makes expressions
            raise _Refused("not an arithmetic expression")
        for num in expr.atoms(sp.Rational):
            if max(abs(num.p).bit_length(), num.q.bit_length()) > MAX_BITS:
                raise _Refused(f"a number larger than {MAX_BITS} bits")
        for power in expr.atoms(sp.Pow):
            _check_exponent(power.base, power.exp)
        for bad, what in ((sp.zoo, "a division by zero"), (sp.nan, "an undefined value"),
                          (sp.oo, "an infinite value"), (sp.I, "an imaginary value")):
            if expr.has(bad):
                raise _Refused(f"the expression has {what} ({bad})")
        return expr

    def node(self, node):
        if isinstance(node, ast.Constant):
            q = self.folder.number(node)
            return sp.Rational(q.numerator, q.denominator)
        if isinstance(node, ast.Name):
            return N if node.id == "n" else self.symbols[node.id]
        if isinstance(node, ast.UnaryOp):
            v = self.node(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = self.node(node.left), self.node(node.right)
            op = type(node.op)
            if op is ast.Add:
                return a + b
            if op is ast.Sub:
                return a - b
            if op is ast.Mult:
                return a * b
            if op is ast.Div:
                if b.is_zero:
                    raise _Refused("division by zero")
                return a / b
            _check_exponent(a, b)
            return a**b
        if isinstance(node, ast.Call):
            func = FUNCTIONS[node.func.id][0]
            args = [self.node(a) for a in node.args]
            if func is sp.sqrt:
                _check_exponent(args[0], sp.Rational(1, 2))
            if func is sp.exp:  # exp(k*log(x)) becomes x**k: the limits of an exponent apply
                _check_exponent(sp.E, args[0])
            return func(*args)
        if isinstance(node, ast.Subscript):
            base = self.bases[node.value.id]
            idx = self.node(node.slice)
            if not (idx.is_Integer or (idx - N).is_Integer):
                raise _Refused(
                    f"the index of {node.value.id} must be n, n - k, n + k or an integer k; got {idx}"
                )
            return base[idx]
        raise AssertionError(type(node))  # pragma: no cover - _check_tree refused it


# -- printing back ---------------------------------------------------------------------------
class _TextPrinter(StrPrinter):
    """``str`` but with ``exp(1)`` for Euler's number (``E`` may be a parameter)."""

    def _print_Exp1(self, expr):
        return "exp(1)"


def to_text(expr) -> str:
    """Text that :func:`parse_expression` reads back to the same expression.

    Like ``str(expr)``, except that Euler's number prints as ``exp(1)``: the
    name ``E`` is an ordinary parameter here.

    Examples
    --------
    >>> import sympy as sp
    >>> E = sp.Symbol("E", positive=True)
    >>> e = parse_expression("E*exp(1)", {"E": E})
    >>> str(e), to_text(e)
    ('E*E', 'exp(1)*E')
    >>> parse_expression(to_text(e), {"E": E}) == e
    True
    """
    return _TextPrinter().doprint(expr)
