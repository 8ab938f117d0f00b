"""Small symbolic helpers shared by the engine (not public API)."""

from __future__ import annotations

import contextlib
import functools
import numbers
import threading
from math import comb

import mpmath
import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache
from sympy.polys.fields import sfield

from . import texprint
from .params import n as N

#: mpmath's working precision is one setting for the whole process: its users take turns
MP_LOCK = threading.RLock()


@contextlib.contextmanager
def workdps(dps):
    """``mpmath.workdps(dps)`` for this thread alone: no other thread changes the precision meanwhile.

    (Two threads entering ``mpmath.workdps`` at once would compute at each
    other's precision and leave ``mpmath.mp.dps`` changed when they leave.)

    Examples
    --------
    >>> import mpmath
    >>> before = mpmath.mp.dps
    >>> with workdps(30):
    ...     print(mpmath.mpf(1) / 3)
    0.333333333333333333333333333333
    >>> mpmath.mp.dps == before
    True
    """
    with MP_LOCK, mpmath.workdps(dps):
        yield


def as_sympy(x):
    """A SymPy object from a SymPy object or a number; text is refused, never evaluated.

    Only a SymPy object or a number (Python's, numpy's, a Fraction) reaches
    ``sympify``: on text it would run ``eval``, and even with ``strict=True``
    it converts the items of a tuple, list or dict as text.

    Examples
    --------
    >>> as_sympy(3), as_sympy(0.5)
    (3, 0.500000000000000)
    >>> as_sympy("1 + 1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: got the text '1 + 1'; expected a number or a SymPy expression (...)
    >>> as_sympy(("1 + 1",))
    Traceback (most recent call last):
    ...
    ValueError: got ('1 + 1',); expected a number or a SymPy expression
    """
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, (str, bytes, np.str_, np.bytes_)):
        raise ValueError(
            f"got the text {x!r}; expected a number or a SymPy expression "
            "(text is read only from model files, by symrecycle's own parser)"
        )
    if not isinstance(x, (numbers.Number, np.number, np.bool_)):
        raise ValueError(f"got {x!r}; expected a number or a SymPy expression")
    try:
        return sp.sympify(x, strict=True)
    except sp.SympifyError:
        raise ValueError(f"got {x!r}; expected a number or a SymPy expression") from None


#: what the engine remembers within a process (see :func:`memo`): emptied by :func:`forget`
_MEMORY: list = []


def memo(maxsize: int = 4096):
    """Decorator: a step of the engine that is a function of its arguments alone (SymPy objects,
    numbers, tuples), remembered by them within the process (``functools.lru_cache``, typed); the
    derivations of a model ask many of them the same questions. :func:`forget` empties every one."""
    def remember(f):
        kept = functools.lru_cache(maxsize=maxsize, typed=True)(f)
        _MEMORY.append(kept.cache_clear)
        return kept
    return remember


def keyed(params):
    """``params`` as a key of the engine's memory: each parameter with its symbol (a ``Parameter``
    compares by name and domain alone, so two of one name and domain would share entries whatever their
    symbols); ``None`` stays ``None``. :func:`unkeyed` gives the parameters back.

    Examples
    --------
    >>> from symrecycle.core.params import STANDARD
    >>> k = keyed([STANDARD["r"]])
    >>> k[0][1], unkeyed(k) == [STANDARD["r"]], keyed(None)
    (r, True, None)
    """
    return None if params is None else tuple((p, p.symbol) for p in params)


def unkeyed(key):
    """The parameters of a :func:`keyed` key (``None`` for ``None``)."""
    return None if key is None else [p for p, _symbol in key]


def remembered(table: dict) -> dict:
    """``table``, a dict the engine fills as its memory, emptied by :func:`forget` too."""
    _MEMORY.append(table.clear)
    return table


def forget() -> None:
    """Empty what the engine's steps remember in this process, SymPy's own cache included: a new model
    object derives from nothing, as the benchmarks' cold runs need. Untouched: what a model object holds
    (:func:`symrecycle.io.registry.get_model` hands out the same one again) and the derivation cache on disk.

    Examples
    --------
    >>> a = sp.Symbol("a")
    >>> is_zero(a - a), _is_zero.cache_info().currsize > 0
    (True, True)
    >>> forget()
    >>> _is_zero.cache_info().currsize
    0
    """
    for clear in _MEMORY:
        clear()
    clear_cache()


def is_zero(expr) -> bool:
    """Whether ``expr`` simplifies to exactly 0 (a proof, not a float test).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> is_zero((a * r)**n - a**n * r**n), is_zero(a / (a + 1) + 1 / (a + 1) - 1)
    (True, True)
    >>> is_zero(a - r)
    False
    """
    try:
        return _is_zero(as_sympy(expr))
    except RecursionError:  # SymPy ran out of stack: not proved (not remembered: the next stack may be lower)
        return False


@memo()
def _is_zero(expr) -> bool:
    if expr == 0:
        return True
    for step in (
        lambda e: sp.expand(sp.powsimp(sp.expand(e))),
        lambda e: sp.cancel(sp.together(e)),
        # sin(k acos(x)), cos(k theta) at integers k: polynomials in cos and sin of the angle
        lambda e: sp.radsimp(sp.expand(sp.expand_trig(e))) if e.has(sp.sin, sp.cos) else e,
    ):
        expr = step(expr)
        if expr == 0:
            return True
    if expo_terms(expr) is not None:  # an exponential polynomial: decided, no simplify
        return expo_zero(expr)
    try:
        return sp.simplify(expr) == 0
    except (TypeError, ValueError, NotImplementedError):  # SymPy gave up: not proved
        return False


def expo_terms(expr, n=N):
    r"""``{mu: p(n)}`` with ``expr == sum(p(n) * mu**n)``, or None if ``expr`` is no exponential polynomial.

    Powers ``b**(p n + q)`` are read as ``(b**p)**n * b**q``, and the bases of
    one term are multiplied into one (``alpha**n (1-d)**n`` is the base
    ``alpha (1 - d)``); bases are merged when equal as rational functions.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle import n
    >>> a, d = sp.symbols("alpha d", positive=True)
    >>> expo_terms(n * a**n * (1 - d)**n - (a - a*d)**(n + 1))
    {-alpha*d + alpha: alpha*d - alpha + n}
    """
    return _expo(as_sympy(expr), n)


def _expo(e, n):
    """:func:`expo_terms` by walking the expression (no global expand: denominators stay apart)."""
    if not e.has(n):
        return {sp.Integer(1): e}
    if e == n:
        return {sp.Integer(1): e}
    if isinstance(e, sp.Add):
        out: dict = {}
        for arg in e.args:
            part = _expo(arg, n)
            if part is None:
                return None
            for k, c in part.items():
                out[k] = out.get(k, 0) + c
        return out
    if isinstance(e, sp.Mul):
        out = {sp.Integer(1): sp.Integer(1)}
        for arg in e.args:
            part = _expo(arg, n)
            if part is None:
                return None
            out = _expo_product(out, part)
        return out
    if isinstance(e, sp.Pow):
        b, x = e.args
        if not b.has(n) and x.is_polynomial(n) and sp.degree(x, n) == 1:
            p, q = sp.Poly(x, n).all_coeffs()
            if not p.is_Integer and not b.is_positive:
                return None  # (b**p)**n with a root of a base of unknown sign
            return {sp.cancel(b**p): b**q}
        if x.is_Integer and 0 < x <= 64:
            part = _expo(b, n)
            if part is None:
                return None
            out = {sp.Integer(1): sp.Integer(1)}
            for _ in range(int(x)):
                out = _expo_product(out, part)
            return out
        if x.is_Integer and x < 0 and isinstance(b, sp.Add):
            # a denominator whose terms share the power: 2**n*(2*r - a) over -2**n*a + 2*2**n*r
            f = sp.factor_terms(b)
            varying = [g for g in sp.Mul.make_args(f) if g.has(n)]
            if f != b and all(isinstance(g, sp.Pow) and not g.base.has(n) for g in varying):
                return _expo(sp.Mul(*[g**x for g in sp.Mul.make_args(f)]), n)
    return None


def _expo_product(left, right):
    out: dict = {}
    for k1, c1 in left.items():
        for k2, c2 in right.items():
            k = k2 if k1 == 1 else k1 if k2 == 1 else sp.cancel(k1 * k2)
            out[k] = out.get(k, 0) + c1 * c2
    return out


def expo_zero(expr, n=N) -> bool:
    """Whether ``expr`` is 0 for every n, decided as an exponential polynomial (False: not proved).

    Every coefficient of ``n**j mu**n``, after grouping terms by base (see
    :func:`expo_terms`), must cancel to 0 as a rational function of the
    parameters: a proof, with no ``simplify``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> expo_zero(a**(n + 1) * r**n - a * (a * r)**n)
    True
    >>> expo_zero(n * a**n - a**(n + 1))
    False
    """
    terms = expo_terms(expr, n)
    if terms is None:
        return False
    return all(_zero_polynomial(c, n) for c in terms.values())


def _zero_polynomial(c, n):
    """Whether ``c``, a polynomial in n over rational functions of the parameters, is 0 (False: not proved).

    Its terms are grouped by their power of n and each group's coefficient is
    cancelled as one rational function; failing that, the numerator of ``c``
    over one denominator is expanded.
    """
    if c == 0:
        return True
    groups: dict = {}
    for t in sp.Add.make_args(sp.expand(c)):
        coef, power = t.as_independent(n, as_Add=False)
        groups.setdefault(power, []).append(coef)
    if all(cancels(sp.Add(*cs)) for cs in groups.values()):
        return True
    return sp.expand(sp.numer(sp.together(c))) == 0


def cancels(expr) -> bool:
    """Whether ``expr`` is 0 as a rational function of its generators (``sp.cancel(expr) == 0``, the
    proof SymPy's ``cancel`` gives, in a field of rational functions: three to four times faster on the
    certificates' coefficients). Zero there is zero at every value of the generators; where the field
    says otherwise, or cannot be built, or the expression holds a float (rounding could cancel), ``cancel``
    decides.

    Examples
    --------
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> cancels(a / (a - r) - r / (a - r) - 1), cancels(a / (a - r) - 1)
    (True, False)
    """
    if not expr.has(sp.Float):
        try:
            if sfield(expr)[1] == 0:
                return True
        except (sp.polys.polyerrors.PolynomialError, sp.polys.polyerrors.CoercionFailed):
            pass
    return sp.cancel(expr) == 0


def pieces(expr):
    """The ``(expression, condition)`` pairs of a Piecewise, else one pair.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> pieces(sp.Piecewise((1, sp.Eq(a, r)), (r / (r - a), True)))
    ((1, Eq(alpha, r)), (r/(-alpha + r), True))
    >>> pieces(a + 1)
    ((alpha + 1, True),)
    """
    if isinstance(expr, sp.Piecewise):
        return tuple((e, c) for e, c in expr.args)
    return ((expr, sp.true),)


def exclusive_pieces(expr):
    """Like :func:`pieces`, but each condition excludes the earlier ones.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> exclusive_pieces(sp.Piecewise((1, sp.Eq(a, r)), (r / (r - a), True)))
    ((1, Eq(alpha, r)), (r/(-alpha + r), Ne(alpha, r)))
    """
    out, before = [], []
    for e, c in pieces(expr):
        cond = sp.And(c, *[sp.Not(b) for b in before])
        out.append((e, cond))
        before.append(c)
    return tuple(out)


#: what ``subs`` substitutes in by more than replacing its arguments (a symbol it binds: a sum's index,
#: a ``Lambda``'s variable; an indexed term's base): these go to ``subs``
_BINDS = (sp.Sum, sp.Product, sp.Integral, sp.Derivative, sp.Subs, sp.Lambda, sp.Indexed, sp.IndexedBase)


def at_point(expr, point):
    """``expr`` with every symbol of ``point`` (``{symbol: number}``) replaced by its number, all at once.

    ``subs`` replaces them one after another, 10 to 35 times slower on the engine's conditions and
    cases (SymPy's cache emptied before each; ``xreplace`` here): where the
    expression is defined at the point the two agree, and where it is not (``beta / (r - 1)`` at
    ``beta = 0, r = 1``) ``subs`` gives what the order of the symbols makes of it (``0``) and this
    gives SymPy's ``nan`` or ``zoo``. As with ``subs``, a conjunction is false where one conjunct is,
    and a disjunction true where one disjunct is, even where another cannot be compared there
    (``TypeError``); a ``Piecewise`` keeps the cases up to the first that holds, and substitutes
    into the value of none that fails. An expression with a bound symbol (a sum, a ``Lambda``) or an
    indexed term, a point whose key is not a symbol or whose value is not a number: ``subs``.

    Examples
    --------
    >>> b, r, a = sp.symbols("beta r alpha", real=True)
    >>> at_point(b / (r - 1), {b: 0, r: 1}), (b / (r - 1)).subs({b: 0, r: 1})
    (nan, 0)
    >>> at_point((a < r) & (b > 0), {a: sp.Rational(1, 2), r: 2, b: 1})
    True
    >>> at_point(sp.Eq(a, r) | (sp.I * a < 1), {a: 1, r: 1})  # subs says the same
    True
    """
    point = {k: as_sympy(v) for k, v in point.items()}
    numbers = all(isinstance(k, sp.Symbol) and not v.free_symbols for k, v in point.items())
    if not numbers or expr.has(*_BINDS):
        return expr.subs(point)
    return _at(expr, point)


def _at(expr, point):
    if isinstance(expr, (sp.And, sp.Or)):  # decided by one operand as subs decides it
        stop = sp.false if isinstance(expr, sp.And) else sp.true
        kept, failed = [], None
        for a in expr.args:
            try:
                v = _at(a, point)
            except TypeError as exc:
                failed = failed or exc
                continue
            if v == stop:
                return stop
            kept.append(v)
        if failed is not None:
            raise failed
        return expr.func(*kept)
    if isinstance(expr, sp.Not):
        return sp.Not(_at(expr.args[0], point))
    if isinstance(expr, sp.Piecewise):
        kept = []
        for value, cond in expr.args:
            cond = _at(cond, point)
            if cond != sp.false:
                kept.append((_at(value, point), cond))
            if cond == sp.true:
                break
        return sp.Piecewise(*kept) if kept else sp.nan
    if not expr.has(sp.Piecewise, sp.And, sp.Or):
        return expr.xreplace(point)
    return expr.func(*[_at(a, point) for a in expr.args]) if expr.args else expr.xreplace(point)


def operands(op, cond) -> tuple:
    """The operands of ``cond`` under ``op`` (``sp.And`` or ``sp.Or``) in SymPy's sorted order; ``(cond,)``
    where ``cond`` is not an ``op``.

    ``op.make_args`` gives them as a set, whose order changes with the process's hash seed: a result
    that took them in that order (which equality is imposed first, say) would change from run to run.

    Examples
    --------
    >>> a, b, r = sp.symbols("a b r", real=True)
    >>> operands(sp.And, sp.Eq(b, 0) & sp.Eq(r, 1) & (a < 1))
    (Eq(b, 0), Eq(r, 1), a < 1)
    >>> operands(sp.Or, a < 1)
    (a < 1,)
    """
    return cond.args if isinstance(cond, op) else (cond,)


def conjuncts(cond) -> tuple:
    """The conjuncts of ``cond`` in a fixed order (:func:`operands` of ``And``)."""
    return operands(sp.And, as_sympy(cond))


def disjuncts(cond) -> tuple:
    """The disjuncts of ``cond`` in a fixed order (:func:`operands` of ``Or``)."""
    return operands(sp.Or, as_sympy(cond))


def equalities(cond):
    """The equalities that ``cond`` asserts (its ``Eq`` conjuncts).

    Examples
    --------
    >>> import sympy as sp
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> sorted(equalities(sp.Eq(a, r) & (a < 1) & sp.Eq(r, 2)), key=str)
    [Eq(alpha, r), Eq(r, 2)]
    >>> equalities(sp.Eq(a, 1) | sp.Eq(r, 1))
    []
    """
    cond = as_sympy(cond)
    return [a for a in conjuncts(cond) if isinstance(a, sp.Eq)]


def linear_parts(expr, x):
    """``(a, b)`` with ``expr == a*x + b`` read off the tree (nothing expanded), or None.

    None where the walk meets ``x`` other than linearly (``x**2``, ``x*x``,
    ``exp(x)``): the caller may expand to see whether such terms cancel.

    Examples
    --------
    >>> import sympy as sp
    >>> a, r, x = sp.symbols("alpha r x")
    >>> linear_parts(a * (x + r) + ((r + 1)**100 + 1)**100, x)
    (alpha, alpha*r + ((r + 1)**100 + 1)**100)
    >>> linear_parts(x**2 + x, x) is None
    True
    """
    if not expr.has(x):
        return sp.Integer(0), expr
    if expr == x:
        return sp.Integer(1), sp.Integer(0)
    if isinstance(expr, sp.Add):
        a, b = [], []
        for arg in expr.args:
            part = linear_parts(arg, x)
            if part is None:
                return None
            a.append(part[0])
            b.append(part[1])
        return sp.Add(*a), sp.Add(*b)
    if isinstance(expr, sp.Mul):
        inner = [arg for arg in expr.args if arg.has(x)]
        if len(inner) != 1:
            return None
        part = linear_parts(inner[0], x)
        if part is None:
            return None
        rest = sp.Mul(*[arg for arg in expr.args if not arg.has(x)])
        return rest * part[0], rest * part[1]
    return None


def expanded_terms(expr) -> int:
    """An upper bound on the number of terms of ``sp.expand(expr)``, counted without expanding.

    A sum adds its terms' counts, a product multiplies them, and a power
    ``b**k`` of a sum of ``t`` terms has at most ``C(t+k-1, k)`` terms; any
    other expression counts as one term.

    Examples
    --------
    >>> import sympy as sp
    >>> r, a = sp.symbols("r alpha")
    >>> expanded_terms((r + a + 1)**100)
    5151
    >>> expanded_terms((r + 1) * (a + 2) + r**2)
    5
    """
    if isinstance(expr, sp.Add):
        return sum(expanded_terms(arg) for arg in expr.args)
    if isinstance(expr, sp.Mul):
        out = 1
        for arg in expr.args:
            out *= expanded_terms(arg)
        return out
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 1:
        t = expanded_terms(expr.base)
        return comb(t + int(expr.exp) - 1, int(expr.exp)) if t > 1 else 1
    return 1


def degree_bound(expr, x) -> int:
    """The largest power of ``x`` that expanding ``expr`` could make, counted without expanding.

    Denominators count as numerators do; a power with a symbolic exponent,
    and a function, count as their base and arguments.

    Examples
    --------
    >>> import sympy as sp
    >>> r, n = sp.symbols("r n")
    >>> degree_bound((r + 1)**100 * (r + 2)**100 + r**n, r), degree_bound(n**3 / (n + 1)**2, n)
    (200, 5)
    """
    if not expr.has(x):
        return 0
    if expr == x:
        return 1
    if isinstance(expr, sp.Add):
        return max(degree_bound(arg, x) for arg in expr.args)
    if isinstance(expr, sp.Mul):
        return sum(degree_bound(arg, x) for arg in expr.args)
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        return abs(int(expr.exp)) * degree_bound(expr.base, x)
    return max(degree_bound(arg, x) for arg in expr.args)


def latex(expr) -> str:
    r"""LaTeX of ``expr`` as a person writes it (:func:`symrecycle.core.texprint.latex`).

    A positive term leads a sum, a minus sign goes into an odd power of a
    difference where that saves one, cases read ``\text{if }`` and
    ``\text{otherwise}``, and a sum over the roots of a polynomial is a sum.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> z = sp.Symbol("z")
    >>> print(latex(sp.Piecewise((r / (r - a), a < r), (sp.oo, True))))
    \begin{cases} \frac{r}{r - \alpha} & \text{if } \alpha < r \\ \infty & \text{otherwise} \end{cases}
    >>> print(latex(sp.RootSum(z**3 - z - 1, sp.Lambda(z, z**n + z**(n - 1)))))
    \sum_{z^{3} - z - 1 = 0} \left(z^{n} + z^{n - 1}\right)
    """
    return texprint.latex(as_sympy(expr))
