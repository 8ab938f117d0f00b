r"""Claims over regions proved, refuted with a counterexample, or left "not proved".

The order of attempts (each step is written to the certificate in words and SymPy):

1. the case of a ``Piecewise`` that holds on the whole box, chosen by sign proofs
   of its conditions (:func:`symrecycle.solve.signs.sign_on` with the box as the
   parameters' domains);
2. n quantified: the sign of ``Q(n+1) - Q(n)`` on the box; a quantity that is
   non-decreasing in n has its supremum in the limit (the model's limit, in the
   regime the box selects) and its infimum at the first n of the range;
3. the sign of ``Q - stated`` on the box;
4. monotonicity in a parameter (the sign of ``dQ/dp`` on the box) moves the
   extremum to an end of p's interval; at a closed end the reduction is an
   equivalence, so a counterexample there is one of the claim;
5. rigorous interval branch and bound (:mod:`symrecycle.numeric.boxes`, mpmath's
   ``iv``) over the box: PROVED when every sub-box's enclosure satisfies the
   relation (the number of boxes and the worst enclosure are stated);
6. a search for a counterexample at exact rational points.

A counterexample is confirmed by exact evaluation: SymPy rationals in the
derived expression and, for a finite n, exact iteration of the model's
recurrences with Fractions. Points that merely satisfy the claim give
"not proved: holds at N sampled points", never "proved".
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import sympy as sp

from ..core.params import n as N
from ..core.request import Request
from ..core.sym import as_sympy
from ..numeric.boxes import branch_and_bound
from ..solve.signs import sign_on

__all__ = ["Prover", "NEGATE", "holds", "defined", "shown", "N_SEARCH"]

NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
#: the largest n searched for a counterexample of a claim for every n
N_SEARCH = 2000
_UP, _DOWN = {1, "nonneg"}, {-1, "nonpos"}


def holds(value, rel, level) -> bool:
    """The relation between exact numbers (SymPy or Fraction; +-oo allowed).

    Examples
    --------
    >>> holds(sp.Rational(23, 19), "<=", sp.Rational(3, 2)), holds(sp.oo, ">", 1)
    (True, True)
    """
    v, c = as_sympy(value), as_sympy(level)
    return bool({"<": v < c, "<=": v <= c, ">": v > c, ">=": v >= c}[rel])


def defined(value) -> bool:
    """Whether an exact value is a real number or +-oo (not nan, zoo or complex).

    Examples
    --------
    >>> defined(sp.Rational(1, 2)), defined(sp.oo), defined(sp.nan), defined(sp.zoo)
    (True, True, False, False)
    """
    return as_sympy(value).is_extended_real is True


def _decides(sign, rel):
    """'proved', 'refuted' or None from the proved sign of ``Q - stated`` on the whole box."""
    if sign is None:
        return None
    if rel == "<=":
        return "proved" if sign in _DOWN else ("refuted" if sign == 1 else None)
    if rel == "<":
        return "proved" if sign == -1 else ("refuted" if sign in _UP else None)
    if rel == ">=":
        return "proved" if sign in _UP else ("refuted" if sign == -1 else None)
    return "proved" if sign == 1 else ("refuted" if sign in _DOWN else None)


def _words(sign):
    return {1: "positive", -1: "negative", "nonneg": "nonnegative", "nonpos": "nonpositive"}.get(sign, "?")


def _fmt_box(box):
    return ", ".join(f"{p.name} in {p.domain_text}" for p in box) or "the given point"


def _mid(p):
    lo = p.lower if p.lower is not None else (p.upper - 10 if p.upper is not None else Fraction(0))
    hi = p.upper if p.upper is not None else lo + 10
    return sp.Rational((Fraction(lo) + Fraction(hi)) / 2)


class Prover:
    """One claim's quantity on its box: the proofs and the exact evaluations.

    ``fixed`` maps symbols to exact values; ``box`` holds Parameters with the
    box as their domains; ``n_range`` is ``(low, high)`` (high None for oo) or None.

    Examples
    --------
    >>> from symrecycle.io.claimfile import parse_claims
    >>> from symrecycle.io.registry import get_model
    >>> (c,) = parse_claims('''
    ... [[claim]]
    ... id = "limit-bound"
    ... model = "kickstarting"
    ... quantity = "limit"
    ... params = { r = 5.75 }
    ... forall = { alpha = "[0, 1]" }
    ... relation = "<="
    ... stated = "1.5"
    ... ''')
    >>> m = get_model("kickstarting")
    >>> pr = Prover(m, c, {m.parameter("r").symbol: sp.Rational(23, 4)}, c.region.box, None, 100)
    >>> pr.forall(pr.expr(False), "<=", sp.Rational(3, 2))
    ('proved', None)
    >>> pr.steps[-1]
    'sign of (23/(4*(23/4 - alpha))) - 3/2 on alpha in [0, 1]: proved negative'
    """

    def __init__(self, model, claim, fixed, box, n_range, budget):
        self.model, self.claim, self.fixed = model, claim, fixed
        self.box, self.n_range, self.budget = tuple(box), n_range, budget
        self.steps: list = []
        self.sampled = 0
        self.extreme = None  # (point, value) where a monotone reduction put the extremum

    # -- derived expressions ---------------------------------------------------------------------
    @property
    def at_n(self) -> bool:
        """Whether the claim's quantity is taken at an iteration n (the benefit, or a quantity given n)."""
        c = self.claim
        if c.n == float("inf"):
            return False  # the benefit at n = inf is the limit
        # a quantified n (forall/over n = "[2, 5]") makes a sensitivity or elasticity the one at n, not
        # the one of the limit
        return c.quantity == "benefit" or c.n is not None or self.n_range is not None

    def expr(self, at_n):
        """The claim's quantity at n (a symbol) or in the limit, the fixed values put in."""
        c = self.claim
        q = "benefit" if c.quantity == "limit" and at_n else c.quantity
        if q == "benefit" and not at_n:
            q = "limit"
        req = Request.make(q, c.wrt, c.metric, None, c.fraction, c.level)
        e = req.at(N if at_n else None).derive(self.model).expr
        if at_n and c.n is not None and c.n != float("inf"):
            e = e.subs(N, int(c.n))
        boxed = {p.symbol for p in self.box}
        defaults = {p.symbol: sp.Rational(p.default) for p in self.model.parameters
                    if p.default is not None and p.symbol not in self.fixed and p.symbol not in boxed}
        return sp.piecewise_fold(e.xreplace({**self.fixed, **defaults}))

    def names(self, point):
        """A point as ``{name: exact value}`` (fixed values and defaults included)."""
        out = {}
        for p in self.model.parameters:
            s = p.symbol
            if s in point:
                out[p.name] = point[s]
            elif s in self.fixed:
                out[p.name] = self.fixed[s]
            elif p.default is not None:
                out[p.name] = sp.Rational(p.default)
        return out

    def value(self, expr, point):
        """The exact value of ``expr`` at a point (symbols to Rationals; n an int)."""
        v = expr.subs(point)
        if isinstance(v, sp.Piecewise):
            v = v.doit()
        return v

    def iterate_metric(self, point, ks):
        """The metric at iterations ``ks`` by exact iteration of the model's recurrences (Fractions)."""
        vals = {k: Fraction(int(v.p), int(v.q)) for k, v in self.names(point).items()}
        met = self.model.metric(self.claim.metric)
        return [sp.Rational(x) for x in self.model.metric_exact_at(met.expr, vals, ks)]

    def exact_quantity(self, point, n_value=None):
        """The claim's quantity at a point, exactly: by iteration at a finite n, else from the closed form."""
        if n_value is not None and self.claim.quantity in ("benefit", "limit"):
            return self.iterate_metric(point, [n_value])[0]
        e = self.expr(self.at_n)
        return self.value(e.subs(N, n_value) if n_value is not None else e, point)

    def counterexample(self, point, n_value=None, value=None, **extra):
        d = {"params": {k: _show(v) for k, v in self.names(point).items()}}
        if n_value is not None:
            d["n"] = int(n_value)
        if value is not None:
            d["value"] = _show(value)
            try:
                d["value_float"] = float(value) if value.is_finite else str(value)
            except (OverflowError, TypeError):
                d["value_float"] = str(value)
        d.update(extra)
        return d

    # -- the metric's one-step map, for interval enclosures at a finite n --------------------------------
    def metric_map(self):
        """``(step, u, k, start_value)``: ``M_(s+k+1) = step(u = M_(s+k))`` for the claim's metric, the fixed
        values put in, or None where the metric is not a function of its previous value alone.

        The map is derived by exact algebra (each sequence's recurrence put in, the previous metric
        solved for one sequence) and checked against exact iteration at one point for four steps.
        Iterated in interval arithmetic it encloses M_n without the cancellation of the closed form
        (``(g r)**(1 - n) ((g r)**(n - 1) - 1)`` near ``g r = 1``)."""
        if hasattr(self, "_map"):
            return self._map
        self._map = None
        try:
            self._map = self._derive_map()
        except (ValueError, TypeError, NotImplementedError, sp.PolynomialError):
            self._map = None
        return self._map

    def _derive_map(self):
        model, met = self.model, self.model.metric(self.claim.metric)
        seqs = {s.name: s for s in model.sequences}
        start = model.start

        def unfold(e, idx, use):
            for _ in range(20):
                refs = [x for x in e.atoms(sp.Indexed) if x.indices[0] == idx]
                if not refs:
                    return e
                e = e.xreplace({x: getattr(seqs[x.base.label.name], use).subs(N, idx) if use == "next"
                                else seqs[x.base.label.name].initial for x in refs})
            raise ValueError("sequences refer to each other without end")

        now = sp.cancel(unfold(met.expr, N, "next"))
        prev = met.expr.subs(N, N - 1)
        u, k = sp.Dummy("u"), sp.Dummy("k", integer=True, nonnegative=True)
        for y in sorted(prev.atoms(sp.Indexed), key=str):
            sol = sp.solve(sp.Eq(prev, u), y, dict=True)
            if len(sol) == 1:
                step = sp.cancel(now.xreplace(sol[0]))
                if not step.atoms(sp.Indexed):
                    break
        else:
            return None
        defaults = {p.symbol: sp.Rational(p.default) for p in model.parameters
                    if p.default is not None and p.symbol not in self.fixed}
        first = sp.cancel(unfold(met.expr.subs(N, start), start, "initial"))
        step = step.xreplace({**self.fixed, **defaults}).subs(N, start + 1 + k)
        if step.is_polynomial(u):  # a sum of powers of u, each coefficient on its own: tighter enclosures
            poly = sp.Poly(step, u)
            step = sp.Add(*[sp.cancel(c) * u**m for (m,), c in poly.terms()])
        first = first.xreplace({**self.fixed, **defaults})
        if first.atoms(sp.Indexed):
            return None
        pt = {p.symbol: _mid(p) for p in self.box}
        want = self.iterate_metric(pt, list(range(start, start + 5)))
        got, m = [], first.xreplace(pt)
        for i in range(5):
            got.append(sp.cancel(m))
            m = step.xreplace({**pt, u: m, k: i})
        if [sp.cancel(a - b) for a, b in zip(got, want)] != [0] * 5:
            return None
        self.steps.append(f"the metric's one-step map M_(n) = {sp.sstr(step.subs(k, N - start - 1))} in "
                          f"u = M_(n-1), M_{start} = {sp.sstr(first)} (derived from the recurrences, checked "
                          "against exact iteration for five steps)")
        return step, u, k, first

    def enclosure_at(self, n_value):
        """A function of the box's intervals enclosing the metric at iteration ``n_value``, or None."""
        mp = self.metric_map() if self.claim.quantity == "benefit" else None
        if mp is None:
            return None
        step, u, k, first = mp
        from ..numeric.boxes import enclose_map

        return lambda env: enclose_map((step, u, k), first, n_value - self.model.start, env)

    # -- pieces --------------------------------------------------------------------------------
    def cond_on_box(self, cond):
        """True / False / None: a condition decided on the whole box by sign proofs."""
        if cond in (sp.true, True):
            return True
        if cond in (sp.false, False):
            return False
        if isinstance(cond, (sp.And, sp.Or)):
            vals = [self.cond_on_box(c) for c in cond.args]
            if isinstance(cond, sp.And):
                return False if False in vals else (True if all(v is True for v in vals) else None)
            return True if True in vals else (False if all(v is False for v in vals) else None)
        if isinstance(cond, sp.Not):
            v = self.cond_on_box(cond.args[0])
            return None if v is None else not v
        if isinstance(cond, (sp.Eq, sp.Ne, sp.Lt, sp.Le, sp.Gt, sp.Ge)):
            s = sign_on(cond.lhs - cond.rhs, self.box)
            if s is None:
                return None
            if isinstance(cond, (sp.Eq, sp.Ne)):
                eq = False if s in (1, -1) else None
                return None if eq is None else (eq if isinstance(cond, sp.Eq) else not eq)
            if isinstance(cond, sp.Lt):
                return True if s == -1 else (False if s in _UP else None)
            if isinstance(cond, sp.Le):
                return True if s in _DOWN else (False if s == 1 else None)
            if isinstance(cond, sp.Gt):
                return True if s == 1 else (False if s in _DOWN else None)
            return True if s in _UP else (False if s == -1 else None)
        return None

    def one_case(self, expr, what="the quantity"):
        """The one case of a Piecewise that holds on the whole box, or None where sign proofs cannot tell."""
        if not isinstance(expr, sp.Piecewise):
            return expr
        dropped = []
        for v, c in expr.args:
            t = self.cond_on_box(c)
            if t is True:
                why = (f"the case condition {sp.sstr(c)} holds" if c is not sp.true else
                       f"the conditions {', '.join(dropped)} of the cases before fail")
                self.steps.append(f"on the box ({_fmt_box(self.box)}) {why} (sign proofs), so {what} is "
                                  f"{sp.sstr(v)} there")
                return v
            dropped.append(sp.sstr(c))
            if t is None:
                return None
        return None

    # -- forall on an expression free of n ---------------------------------------------------------
    def forall(self, expr, rel, level, box=None, point=None, exact=True):
        """('proved' | 'refuted' | None, counterexample point or None) for ``expr rel level`` on the box.

        ``exact``: whether a point refuting this problem refutes the claim (False after a reduction to
        an open end)."""
        box = self.box if box is None else box
        point = dict(point or {})
        saved, self.box = self.box, box
        try:
            return self._forall(expr, rel, level, point, exact)
        finally:
            self.box = saved

    def _forall(self, expr, rel, level, point, exact):
        if not (expr.free_symbols - {N}):
            v = self.value(expr, {})
            if not defined(v):
                self.steps.append(f"at {self._pt(point)} the value is {shown(v)}: undefined")
                return None, None
            ok = holds(v, rel, level)
            self.extreme = (dict(point), v)
            where = (f"at {self._pt(point)} the value is" if point else
                     "the quantity depends on none of the box's parameters: its value is")
            self.steps.append(f"{where} {shown(v)}, {'so' if ok else 'not'} {rel} {level}")
            return ("proved", None) if ok else (("refuted", point) if exact else (None, None))
        case = self.one_case(expr)
        if case is None:
            self.steps.append(f"tried: sign proofs do not decide the cases of {sp.sstr(expr)} on the whole "
                              f"box ({_fmt_box(self.box)})")
            return None, None
        s = sign_on(case - level, self.box)
        verdict = _decides(s, rel)
        if verdict is not None:
            self.steps.append(f"sign of ({sp.sstr(case)}) - {level} on {_fmt_box(self.box)}: proved "
                              f"{_words(s)}")
            if verdict == "proved":
                return "proved", None
            if exact:
                pt = {**point, **{p.symbol: _mid(p) for p in self.box}}
                return "refuted", pt
            return None, None
        for p in self.box:
            if p.symbol not in case.free_symbols:
                continue
            d = sp.diff(case, p.symbol)
            s = sign_on(d, self.box)
            if s is None:
                continue
            want_max = rel in ("<", "<=")
            at_upper = (s in _UP) == want_max
            end, closed = (p.upper, not p.upper_open) if at_upper else (p.lower, not p.lower_open)
            if end is None:
                continue
            end = sp.Rational(end)
            # at an open end the extremum is not reached: strictly monotone, Q < Q(end) <= level suffices
            at_end = {"<": "<=", ">": ">="}.get(rel, rel) if not closed and s in (1, -1) else rel
            word = "largest" if want_max else "smallest"
            self.steps.append(f"d/d{p.name} of {sp.sstr(case)} = {sp.sstr(sp.factor(d))} is proved "
                              f"{_words(s)} on the box: the {word} value is at {p.name} = {end}"
                              + ("" if closed else
                                 f" (an open end, not reached: {at_end} {level} there suffices)"))
            rest = tuple(q for q in self.box if q is not p)
            saved, self.box = self.box, rest
            try:
                return self._forall(case.subs(p.symbol, end), at_end, level, {**point, p.symbol: end},
                                    exact and closed)
            finally:
                self.box = saved
        self.steps.append(f"tried: no sign of ({sp.sstr(case)}) - {level} and no monotonicity in "
                          f"{', '.join(p.name for p in self.box)} proved on {_fmt_box(self.box)}")
        return None, None

    def interval(self, expr, rel, level, budget=None, n_value=None):
        """Branch and bound of ``expr rel level`` over the box: ('proved' | 'refuted' | None, point)."""
        c = float(level) if level not in (sp.oo, -sp.oo) else None
        if c is None or not self.box:
            return None, None
        lvl = Fraction(int(sp.Rational(level).p), int(sp.Rational(level).q))

        def test(e):
            lo, hi = e.a, e.b
            if rel == "<=":
                return True if hi <= lvl else (False if lo > lvl else None)
            if rel == "<":
                return True if hi < lvl else (False if lo >= lvl else None)
            if rel == ">=":
                return True if lo >= lvl else (False if hi < lvl else None)
            return True if lo > lvl else (False if hi <= lvl else None)

        def margin(e):
            return float(lvl) - float(e.b) if rel in ("<", "<=") else float(e.a) - float(lvl)

        sides = {p.symbol: (p.lower, p.upper) for p in self.box}
        fn = self.enclosure_at(n_value) if n_value is not None else None
        if fn is not None and all(hi is not None for _, hi in sides.values()):
            expr = fn
        res = branch_and_bound(expr, sides, _mp(test), budget or self.budget, margin=margin)
        if res.failed:
            pt = {s: sp.Rational(v) for s, v in res.point(res.failed[0]).items()}
            self.steps.append(f"interval arithmetic (mpmath.iv): the enclosure of {_name(expr)} on a "
                              f"sub-box around {self._pt(pt)} lies wholly outside {rel} {level}")
            return "refuted", pt
        if res.undecided:
            self.steps.append(f"interval branch and bound: {len(res.held)} sub-boxes proved, "
                              f"{len(res.undecided)} undecided within the budget of {res.evaluated} boxes")
            return None, None
        worst = res.worst[1] if res.worst else None
        self.steps.append(f"interval branch and bound (mpmath.iv, outward rounding) over "
                          f"{_fmt_box(self.box)}: {len(res.held)} sub-boxes, each enclosure {rel} {level} "
                          f"({res.evaluated} enclosures computed; worst enclosure "
                          f"[{worst[0]:.10g}, {worst[1]:.10g}])")
        return "proved", None

    # -- points for a counterexample search --------------------------------------------------------
    def points(self, count=40, seed=0):
        """Exact rational points of the box: corners, centre, and random points with small denominators."""
        rng = random.Random(seed)
        per = []
        for p in self.box:
            lo = sp.Rational(p.lower) if p.lower is not None else None
            hi = sp.Rational(p.upper) if p.upper is not None else None
            vals = []
            if lo is not None:
                vals.append(lo if not p.lower_open else lo + ((hi - lo) / 1000 if hi is not None else
                                                               sp.Rational(1, 1000)))
            if hi is not None:
                vals.append(hi if not p.upper_open else hi - ((hi - lo) / 1000 if lo is not None else 0))
            vals.append(_mid(p))
            if hi is None:
                vals += [lo + 10, lo + 1000]
            per.append(vals)
        pts = [dict(zip([p.symbol for p in self.box], combo)) for combo in itertools.islice(
            itertools.product(*per), 64)]
        for _ in range(count):
            pt = {}
            for p in self.box:
                lo = Fraction(p.lower) if p.lower is not None else Fraction(-100)
                hi = Fraction(p.upper) if p.upper is not None else lo + 100
                x = lo + (hi - lo) * Fraction(rng.randint(1, 999), 1000)
                pt[p.symbol] = sp.Rational(x)
            pts.append(pt)
        return pts

    def n_values(self):
        lo, hi = self.n_range if self.n_range else (self.model.start, None)
        cand = [lo, lo + 1, lo + 2, lo + 5, lo + 20, lo + 100]
        return sorted({k for k in cand if hi is None or k <= hi} | ({hi} if hi is not None else set()))

    def _pt(self, point):
        return ", ".join(f"{s} = {v}" for s, v in point.items()) or "the fixed values"


def _name(expr):
    return "the metric (by its one-step map)" if callable(expr) else sp.sstr(expr)


def _show(v):
    v = as_sympy(v)
    if v.is_Rational and max(abs(v.p), v.q).bit_length() > 4000:  # beyond 1200 digits: 30 digits and the size
        return shown(v)
    if v.is_Integer:
        return int(v)
    if v.is_Rational:
        return f"{v.p}/{v.q}"
    return str(v)


#: digits beyond which an exact rational is shown by 30 significant digits and its size
LONG = 48


def shown(v) -> str:
    """An exact value as text: a short rational as it is, a long one by 30 digits and its size.

    Examples
    --------
    >>> shown(sp.Rational(21, 16))
    '21/16'
    >>> shown(sp.Rational(101, 100) ** 1000)
    '20959.1556378136600644412457889 (exactly a ratio of integers of about 2005 and 2001 digits)'

    """
    v = as_sympy(v)
    if v.is_Rational and max(abs(v.p), v.q).bit_length() > LONG * 3.33:
        import mpmath

        with mpmath.workdps(30):
            approx = mpmath.nstr(mpmath.mpf(v.p) / v.q, 30)
        return f"{approx} (exactly a ratio of integers of about {_digits(v.p)} and {_digits(v.q)} digits)"
    return sp.sstr(v)


def _digits(x) -> int:
    import math

    x = abs(int(x))
    return 1 if x == 0 else int(x.bit_length() * math.log10(2)) + 1


def _exact_end(x):
    """An mpmath endpoint as an exact Fraction (or +-inf as a float)."""
    import mpmath

    x = mpmath.mpf(x)
    if mpmath.isinf(x):
        return float(x)
    if mpmath.isnan(x):
        raise ValueError("a nan end")
    sign, man, exp, _ = x._mpf_
    return (-1) ** sign * Fraction(man) * Fraction(2) ** exp


def _mp(test):
    """``test`` on an interval with exact endpoints (Fractions, or +-inf) instead of mpf."""

    class _Ends:
        __slots__ = ("a", "b")

    def run(e):
        out = _Ends()
        out.a, out.b = _exact_end(e.a), _exact_end(e.b)
        r = test(out)
        return None if r is None else bool(r)

    return run
