r"""Straight-line numpy programs for the float path of :mod:`.compile`: few passes, no allocation churn.

A :class:`Kernel` turns SymPy expressions (a result's value, its growth and
near-degenerate checks, the condition of its first case) into one list of
numpy operations, their common subexpressions shared. Run on a block of the
grid:

* every temporary the size of the block sits in a scratch buffer of the
  running thread, kept from block to block and from call to call (no memory
  handed back to the system and faulted in again at each block; a thread
  keeps as many buffers of :data:`~.pool.BLOCK` floats as its largest
  program has temporaries alive at once, a few);
* an operation whose operand is not needed afterwards writes over it;
* the value is written straight into the output array.

Conditions and checks are decided by reductions (:func:`exists`,
:func:`forall`): one read of an array, no mask the size of the grid unless
something is found. An expression with an operation not listed here raises
:class:`Unsupported`; :func:`by_cases` (``lambdify``) then evaluates it.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import sympy as sp

from .lambdas import numpy_function
from .pool import BLOCK, thread_pool, workers

__all__ = ["Kernel", "Unsupported", "Variant", "all_true", "by_cases", "exists", "forall", "in_blocks"]

#: one-argument functions, by SymPy name (``logn`` and ``exp`` are also the float rewrites' names)
_FUNCS = {
    "exp": np.exp, "log": np.log, "logn": np.log, "Abs": np.abs, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "sign": np.sign, "floor": np.floor, "ceiling": np.ceil,
}
_REL = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}
_BOOL = {sp.And: np.logical_and, sp.Or: np.logical_or}
#: a temporary with fewer elements than this is an ordinary numpy array (a column, a scalar)
_SMALL = 1024


class Unsupported(Exception):
    """An operation the kernel does not compile (the caller evaluates with ``lambdify`` instead)."""


def _logb(b, bm1, out=None):
    """log(b), from ``log1p(b - 1)`` near 1 (b - 1 computed exactly there), else ``log(b)``."""
    out = np.log(b, out=out)
    near = np.abs(bm1) < 0.5
    if near.any():
        np.log1p(bm1, out=out, where=near)
    return out


def _decider(sa, sb, op, every):
    """``f(a, b) -> bool``: whether ``a op b`` holds at every point (``every``) or at some point.

    For sides of shapes ``sa`` and ``sb``: each side is first reduced over the
    axes along which the other is constant (a min, a max), so the comparison
    runs over no more than the axes both vary along. For "some point" the
    reductions skip nans (``fmin``, ``fmax``: a nan compares false, as it does
    point by point); for "every point" they keep them (a nan anywhere: false).
    """
    nd = max(len(sa), len(sb))
    pa, pb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
    if 0 in pa or 0 in pb:
        return lambda a, b: every
    low = op in ("<", "<=")
    if every:
        fa, fb = (np.maximum, np.minimum) if low else (np.minimum, np.maximum)
    else:
        fa, fb = (np.fmin, np.fmax) if low else (np.fmax, np.fmin)
    cmp, reduce_all = _REL[op], np.all if every else np.any
    ra = tuple(k for k in range(nd) if pa[k] != 1 and pb[k] == 1)
    rb = tuple(k for k in range(nd) if pb[k] != 1 and pa[k] == 1)
    if all(x == 1 for x in pb) or all(x == 1 for x in pa):  # one side is a number: reduce the other whole
        ra, rb = (None if ra else ()), (None if rb else ())
    pad_a, pad_b = len(sa) != nd and ra not in (None, ()), len(sb) != nd and rb not in (None, ())

    def decide(a, b):
        if pad_a:
            a = np.reshape(a, pa)
        if pad_b:
            b = np.reshape(b, pb)
        if ra != ():
            a = fa.reduce(a, axis=ra, keepdims=ra is not None)
        if rb != ():
            b = fb.reduce(b, axis=rb, keepdims=rb is not None)
        return bool(reduce_all(cmp(a, b)))

    return decide


def exists(a, op, b) -> bool:
    """Whether ``a op b`` (op one of ``< <= > >=``) holds at some point of their broadcast.

    One reduction of each side over the axes the other does not vary along
    (``fmin``/``fmax``: a nan compares false, as it does point by point).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[1.0], [5.0]]), np.array([[2.0, 3.0, np.nan]])
    >>> exists(x, ">", y), exists(x, "<", y), exists(x, ">", 5.0)
    (True, True, False)
    """
    return _decider(np.shape(a), np.shape(b), op, False)(a, b)


def forall(a, op, b) -> bool:
    """Whether ``a op b`` (op one of ``< <= > >=``) holds at every point of their broadcast.

    As :func:`exists`, with ``maximum``/``minimum``: a nan anywhere makes it false.

    Examples
    --------
    >>> import numpy as np
    >>> forall(np.array([[0.0, 1.0]]), "<", np.array([[1.5], [2.0]]))
    True
    >>> forall(np.array([1.0, np.nan]), "<", 2.0)
    False
    """
    return _decider(np.shape(a), np.shape(b), op, True)(a, b)


def _finite(a, _b):
    """Whether every value of ``a`` is finite: its sum is finite only then (its overflow: a false alarm)."""
    return bool(np.isfinite(np.add.reduce(a, axis=None)))


def _all(a, _b):
    return bool(np.all(a))


class _Plan:
    """The kernel's steps for one set of input shapes: a buffer (or the output) for each big temporary."""

    __slots__ = ("shapes", "slots", "steps", "write_out")


_LOCAL = threading.local()


def _scratch(plan):
    """The plan's buffers in the running thread's scratch (kept for the next block and the next call)."""
    cache = getattr(_LOCAL, "views", None)
    if cache is None:
        cache = _LOCAL.views = {}
        _LOCAL.raw = []
    views = cache.get(plan)
    if views is None:
        size = BLOCK * 8
        if any(math.prod(s) * np.dtype(d).itemsize > size for s, d in plan.slots):
            return [np.empty(s, dtype=d) for s, d in plan.slots]  # an unusually wide block: not kept
        raw = _LOCAL.raw
        while len(raw) < len(plan.slots):
            raw.append(np.empty(size, dtype=np.uint8))
        views = [raw[k][: math.prod(s) * np.dtype(d).itemsize].view(d).reshape(s)
                 for k, (s, d) in enumerate(plan.slots)]
        if len(cache) > 64:
            cache.clear()
        cache[plan] = views
    return views


class Kernel:
    """SymPy expressions over ``args`` as one numpy program (see the module's docstring).

    ``value`` is written into the output. ``guard`` is a list of ``(lhs, op,
    rhs)`` that must hold at every point (op one of ``< <= > >=``, or ``"all"``
    with a boolean ``lhs``), decided before the value is computed: :meth:`run`
    returns None when one fails. ``screens`` are ``(lhs, op, rhs)`` asked of
    some point (:func:`exists`), each as soon as its sides are computed (while
    they are in cache); so is whether the value is finite everywhere.
    ``checks`` are returned as arrays when asked for (``keep``): they then stay
    in memory to the end of the run, which otherwise reuses theirs.

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", positive=True)
    >>> k = Kernel([x, y], x / (x - y), checks=[x - y], guard=[(y, "<", x)],
    ...            screens=[(x - y, "<", sp.Integer(1))])
    >>> out = np.empty((2, 3))
    >>> xs, ys = np.array([[2.0], [4.0]]), np.array([[0.0, 1.0, 1.5]])
    >>> k.run([xs, ys], out), out.tolist()
    ((None, [True], True), [[1.0, 2.0, 4.0], [1.0, 1.3333333333333333, 1.6]])
    >>> checks, screens, finite = k.run([xs, ys], out, keep=True)
    >>> checks[0].tolist()
    [[2.0, 1.0, 0.5], [4.0, 3.0, 2.5]]
    >>> k.run([xs, np.array([[0.0, 3.0]])], np.empty((2, 2))) is None
    True
    """

    def __init__(self, args, value, checks=(), guard=(), screens=(), functions=None):
        self.args = tuple(args)
        self._functions = dict(functions or {})
        guard = [(lhs, op, sp.true if op == "all" else rhs) for lhs, op, rhs in guard]
        tests = [*guard, *screens]
        # built in this order (the guard's sides first, the value before its checks): the order of the run
        exprs = [*(x for lhs, _, rhs in guard for x in (lhs, rhs)), value, *checks,
                 *(x for lhs, _, rhs in screens for x in (lhs, rhs))]
        reps, reduced = sp.cse(exprs, order="none")
        self._reps, self._memo, self._keys = dict(reps), {}, {}
        self.nodes = []  # (fn or None, ins, is_bool, in_place, takes_out); fn None: an input or a constant
        self.consts = {}  # node -> constant value
        self.inputs = {}  # node -> index in args
        outs = [self._node(e) for e in reduced]
        del self._reps, self._memo, self._keys
        g = 2 * len(guard)
        self.value, self.checks = outs[g], outs[g + 1: g + 1 + len(checks)]
        sides = outs[:g] + outs[g + 1 + len(checks):]
        # each test after the last of its sides that is computed (before any node if none is)
        self.tests = []  # (at, lhs, op, rhs, is_guard)
        for k, (_, op, _) in enumerate(tests):
            lhs, rhs = sides[2 * k], sides[2 * k + 1]
            at = max((x for x in (lhs, rhs) if self.nodes[x][0] is not None), default=-1)
            self.tests.append((at, lhs, op, rhs, k < len(guard)))
        self.n_guard = len(guard)
        self._plans: dict = {}

    def _last_uses(self, keep):
        """The node after which each node is no longer needed (``len(nodes)``: the end; -1: never needed)."""
        n = len(self.nodes)
        needed = [False] * n
        for j in (self.value, *(self.checks if keep else ()), *(x for t in self.tests for x in t[1:4:2])):
            needed[j] = True
        for i in range(n - 1, -1, -1):  # operands come before the nodes that use them
            if needed[i]:
                for j in self.nodes[i][1]:
                    needed[j] = True
        last = [-1] * n
        for i, (_, ins, *_rest) in enumerate(self.nodes):
            if needed[i]:
                for j in ins:
                    last[j] = i
        for at, lhs, _, rhs, _ in self.tests:
            last[lhs], last[rhs] = max(last[lhs], at), max(last[rhs], at)
        for j in (self.value, *(self.checks if keep else ())):
            last[j] = n
        return last, needed

    # -- building ---------------------------------------------------------------------------
    def _add(self, fn, ins, is_bool=False, in_place=True, takes_out=True):
        key = (fn, tuple(ins))
        if key not in self._keys:
            self.nodes.append((fn, tuple(ins), is_bool, in_place, takes_out))
            self._keys[key] = len(self.nodes) - 1
        return self._keys[key]

    def _const(self, value):
        key = ("const", value, type(value))
        if key not in self._keys:
            self.nodes.append((None, (), isinstance(value, bool), False, False))
            self._keys[key] = len(self.nodes) - 1
            self.consts[len(self.nodes) - 1] = value
        return self._keys[key]

    def _node(self, e):
        if e in self._memo:
            return self._memo[e]
        if e in self._reps:
            i = self._node(self._reps[e])
        elif e in self.args:
            self.nodes.append((None, (), False, False, False))
            i = len(self.nodes) - 1
            self.inputs[i] = self.args.index(e)
        else:
            i = self._build(e)
        self._memo[e] = i
        return i

    def _build(self, e):
        if e is sp.true or e is sp.false:
            return self._const(bool(e))
        if e.is_number:
            if e.is_extended_real is False:
                raise Unsupported(f"a complex number {e}")
            try:
                return self._const(float(e))
            except (TypeError, ValueError, OverflowError):
                raise Unsupported(f"the number {e}") from None
        if isinstance(e, sp.Symbol):
            raise Unsupported(f"the symbol {e} is not an argument")
        if e.is_Add:
            return self._sum(e)
        if e.is_Mul:
            return self._product(e)
        if e.is_Pow:
            return self._power(e.base, e.exp)
        if isinstance(e, sp.core.relational.Relational) and e.rel_op in _REL:
            return self._add(_REL[e.rel_op], [self._node(e.lhs), self._node(e.rhs)], is_bool=True)
        if type(e) in _BOOL:
            ins = [self._node(a) for a in e.args]
            acc = ins[0]
            for j in ins[1:]:
                acc = self._add(_BOOL[type(e)], [acc, j], is_bool=True)
            return acc
        if isinstance(e, sp.Not):
            return self._add(np.logical_not, [self._node(e.args[0])], is_bool=True)
        name = type(e).__name__
        if isinstance(e, (sp.Min, sp.Max)):
            ins = [self._node(a) for a in e.args]
            acc = ins[0]
            for j in ins[1:]:
                acc = self._add(np.minimum if isinstance(e, sp.Min) else np.maximum, [acc, j])
            return acc
        if isinstance(e, sp.Function) and name == "logb" and len(e.args) == 2:
            return self._add(_logb, [self._node(a) for a in e.args], in_place=False)
        if isinstance(e, sp.Function) and name in _FUNCS and len(e.args) == 1:
            return self._add(_FUNCS[name], [self._node(e.args[0])])
        if isinstance(e, sp.Function) and name in self._functions:
            return self._add(self._functions[name], [self._node(a) for a in e.args], takes_out=False)
        raise Unsupported(f"{name}")

    def _sum(self, e):
        # as lambdify prints it: terms in printing order, a negative one subtracted
        acc = None
        for t in e.as_ordered_terms():
            neg = t.could_extract_minus_sign()
            j = self._node(-t if neg else t)
            if acc is None:
                acc = self._add(np.negative, [j]) if neg else j
            else:
                acc = self._add(np.subtract if neg else np.add, [acc, j])
        return acc

    def _product(self, e):
        # as lambdify prints it: sign on the first factor, numerator left to right, then / denominator
        c, rest = e.as_coeff_Mul()
        if not c.is_extended_real:
            raise Unsupported(f"a complex coefficient {c}")
        neg = bool(c < 0)
        num, den = [], []
        for f in ([abs(c)] if abs(c) != 1 else []) + list(rest.as_ordered_factors()):
            if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
                den.append(f.base if f.exp == -1 else sp.Pow(f.base, -f.exp, evaluate=False))
            elif f.is_Rational:
                if f.p != 1:
                    num.append(sp.Integer(f.p))
                if f.q != 1:
                    den.append(sp.Integer(f.q))
            else:
                num.append(f)
        nodes = [self._node(f) for f in num] or [self._const(1.0)]
        acc = nodes[0]
        if neg:
            acc = self._const(-self.consts[acc]) if acc in self.consts else self._add(np.negative, [acc])
        for j in nodes[1:]:
            acc = self._add(np.multiply, [acc, j])
        if den:
            d = [self._node(f) for f in den]
            dacc = d[0]
            for j in d[1:]:
                dacc = self._add(np.multiply, [dacc, j])
            acc = self._add(np.divide, [acc, dacc])
        return acc

    def _power(self, base, ex):
        b = self._node(base)
        if ex.is_number and ex.is_real:
            if ex == sp.S.Half:
                return self._add(np.sqrt, [b])
            if ex == -sp.S.Half:
                return self._add(np.divide, [self._const(1.0), self._add(np.sqrt, [b])])
            if ex == 2:
                return self._add(np.square, [b])
            if ex == -1:
                return self._add(np.divide, [self._const(1.0), b])
            if ex == 1:
                return b
            return self._add(np.power, [b, self._const(float(ex))])
        return self._add(np.power, [b, self._node(ex)])

    # -- running ----------------------------------------------------------------------------
    def _plan(self, shapes, out_shape, keep):
        last, needed = self._last_uses(keep)
        n = len(self.nodes)
        shape, slot = [()] * n, [None] * n
        free, slots, steps = [], [], []
        tested = {}
        for k, test in enumerate(self.tests):
            tested.setdefault(test[0], []).append(k)

        def test_steps(i):  # ``(None, decide, (lhs, rhs, answer or -1 for the guard), None)``
            for k in tested.get(i, ()):
                _, lhs, op, rhs, is_guard = self.tests[k]
                decide = _all if op == "all" else _decider(shape[lhs], shape[rhs], op, is_guard)
                steps.append((None, decide, (lhs, rhs, -1 if is_guard else k - self.n_guard), None))

        for i, k in self.inputs.items():
            shape[i] = shapes[k]
        test_steps(-1)  # tests of inputs and constants alone: first
        for i, (fn, ins, is_bool, in_place, takes_out) in enumerate(self.nodes):
            if fn is None or not needed[i]:  # an input, a constant, or a check not asked for
                continue
            shape[i] = np.broadcast_shapes(*[shape[j] for j in ins])
            dtype = np.bool_ if is_bool else np.float64
            # operands not needed after this node (a test's sides only after the test)
            pinned = {x for k in tested.get(i, ()) for x in self.tests[k][1:4:2]}
            dying = [j for j in dict.fromkeys(ins) if last[j] == i and slot[j] is not None
                     and slot[j] >= 0 and j not in pinned]
            if i == self.value and shape[i] == out_shape and not is_bool and takes_out:
                slot[i] = -1  # the output itself
            elif takes_out and math.prod(shape[i]) >= _SMALL:
                same = [j for j in dying if in_place and slots[slot[j]] == (shape[i], dtype)]
                fits = [k for k in free if slots[k] == (shape[i], dtype)]
                if same:
                    slot[i] = slot[same[0]]
                    dying.remove(same[0])
                elif fits:
                    slot[i] = fits[0]
                    free.remove(fits[0])
                else:
                    slots.append((shape[i], dtype))
                    slot[i] = len(slots) - 1
            free += [slot[j] for j in dying]
            steps.append((i, fn, ins, slot[i]))
            if slot[i] == -1:  # the value, while in cache
                steps.append((None, _finite, (i, i, len(self.tests) - self.n_guard), None))
            test_steps(i)
            free += [slot[j] for j in pinned if last[j] == i and slot[j] is not None and slot[j] >= 0]
        plan = _Plan()
        plan.shapes, plan.slots, plan.steps = (*shapes, out_shape), slots, steps
        plan.write_out = slot[self.value] != -1
        return plan

    def run(self, arrays, out, keep=False):
        """The value into ``out`` (the block): ``(checks, screens, finite)``, or None if the guard fails.

        ``arrays`` are the inputs in the order of ``args``, each with ``out.ndim``
        dimensions (broadcasting); ``screens`` the answers of :func:`exists` for
        the screens, ``finite`` whether every value is finite; ``checks`` the
        checks' arrays with ``keep`` (valid until the next run in this thread), else None.
        """
        key = (*(a.shape for a in arrays), out.shape, keep)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) > 32:
                self._plans.clear()
            plan = self._plans[key] = self._plan(key[:-2], out.shape, keep)
        bufs = [*_scratch(plan), out]
        vals = [None] * len(self.nodes)
        for i, v in self.consts.items():
            vals[i] = v
        for i, k in self.inputs.items():
            vals[i] = arrays[k]
        answers = [None] * (len(self.tests) - self.n_guard + 1)
        for i, fn, ins, s in plan.steps:
            if i is None:  # a test
                lhs, rhs, k = ins
                if k >= 0:
                    answers[k] = fn(vals[lhs], vals[rhs])
                elif not fn(vals[lhs], vals[rhs]):
                    return None
            elif s is None:
                vals[i] = fn(*[vals[j] for j in ins])
            elif len(ins) == 2:
                vals[i] = fn(vals[ins[0]], vals[ins[1]], out=bufs[s])
            else:
                vals[i] = fn(*[vals[j] for j in ins], out=bufs[s])
        if plan.write_out:
            np.copyto(out, vals[self.value])
            answers[-1] = _finite(out, None)
        return [vals[j] for j in self.checks] if keep else None, answers[:-1], answers[-1]


class Variant:
    """One float form of the expression (powers by ``pow``, or as ``exp(e*log(b))``) with its checks.

    A :class:`Kernel` computes it on a block whose points all take the
    first case (the common one: a grid inside one regime); otherwise, or for an
    operation the kernel lacks, ``lambdify`` evaluates each case where it holds.
    ``screens`` ``(i, op, j)`` ask :func:`exists` of ``checks[i] op checks[j]``
    (``j`` an index, or a float) either way.
    """

    def __init__(self, args, expr, checks, screens, functions, namespace):
        value, guard = expr, []
        if isinstance(expr, sp.Piecewise):
            value, guard = expr.args[0].expr, all_true(expr.args[0].cond)
        self.screens = screens
        sides = [(checks[i], op, checks[j] if isinstance(j, int) else sp.Float(j)) for i, op, j in screens]
        try:
            self.kernel = Kernel(args, value, checks, guard, sides, functions)
        except Unsupported:
            self.kernel = None
        pieces = expr.args if isinstance(expr, sp.Piecewise) else [(expr, sp.true)]
        self.cases = [(numpy_function(args, v, namespace),
                       None if c is sp.true else numpy_function(args, c, namespace)) for v, c in pieces]
        self.check_fn = numpy_function(args, list(checks), namespace, cse=True) if checks else None

    def run(self, arrays, out, keep=False):
        """The value into ``out``: ``(checks, screens, finite)`` as :meth:`Kernel.run` gives them."""
        if self.kernel is not None:
            done = self.kernel.run(arrays, out, keep)
            if done is not None:
                return done
        by_cases(self.cases, arrays, out.shape, out)
        checks = self.check_fn(*arrays) if self.check_fn else []
        screens = [exists(checks[i], op, checks[j] if isinstance(j, int) else j) for i, op, j in self.screens]
        return checks, screens, bool(np.isfinite(np.add.reduce(out, axis=None)))


def all_true(cond):
    """``cond`` as kernel guard terms ``(lhs, op, rhs)`` that all hold where it holds."""
    if cond is sp.true:
        return []
    if isinstance(cond, sp.And):
        return [t for c in cond.args for t in all_true(c)]
    if isinstance(cond, (sp.Lt, sp.Le, sp.Gt, sp.Ge)):
        return [(cond.lhs, cond.rel_op, cond.rhs)]
    return [(cond, "all", None)]


def by_cases(cases, arrays, shape, out):
    """A Piecewise's cases ``[(value_fn, cond_fn or None)]`` into ``out``, each value where it is chosen.

    A case that holds at few points is evaluated at those points alone (not
    on the whole block); a point no case selects is nan.
    """
    left = None  # the points no case has taken yet (None: all)
    for value, cond in cases:
        if cond is None:
            mask = left
        else:
            mask = np.broadcast_to(cond(*arrays), shape)
            mask = mask if left is None else mask & left
        if mask is None or (left is None and mask.all()):
            np.copyto(out, value(*arrays))
            return
        count = np.count_nonzero(mask)
        if 4 * count > mask.size:
            np.copyto(out, value(*arrays), where=mask)
        elif count:
            idx = np.nonzero(mask)
            out[idx] = value(*[np.broadcast_to(a, shape)[idx] for a in arrays])
        left = ~mask if left is None else left & ~mask
        if not left.any():
            return
    out[left] = np.nan


def in_blocks(block_fn, arrays, shape):
    """``block_fn(arrays, out)`` over blocks of about :data:`BLOCK` elements along the first axis.

    Each input keeps its own shape (leading axes of length 1 are not copied);
    ``block_fn`` writes the block's values into ``out``, a view of the result.
    The calling thread and up to ``workers() - 1`` threads of the pool take
    the blocks in turn (numpy releases the GIL in its loops): one task per
    thread, not one per block.
    """
    result = np.empty(shape, dtype=float)
    rows = max(1, BLOCK // max(1, math.prod(shape[1:])))
    todo = iter([slice(i, i + rows) for i in range(0, shape[0], rows)])
    lock, failed = threading.Lock(), []

    def drain():
        while not failed:
            with lock:
                sl = next(todo, None)
            if sl is None:
                return
            try:
                block_fn([a if a.shape[0] == 1 else a[sl] for a in arrays], result[sl])
            except BaseException:
                failed.append(True)
                raise

    helpers = min(workers(), -(-shape[0] // rows)) - 1
    futures = [thread_pool().submit(drain) for _ in range(helpers)]
    error = None
    try:
        drain()
    except BaseException as exc:  # the helpers stop at their next block; then it propagates
        error = exc
    for f in futures:
        if f.cancel():  # never started: the blocks are all taken (and no wait on a busy pool)
            continue
        try:
            f.result()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
    return result
