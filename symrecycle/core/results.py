"""Results: a derived expression with its conditions, display and verification."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy as sp

from . import canonical as _canonical
from . import sym as _sym
from .params import n

__all__ = ["Result", "NotDerived", "NoClosedForm", "EngineStopped", "QUANTITIES"]


#: Quantities every model derives (command-line names).
QUANTITIES = (
    "closed-form", "benefit", "limit", "sensitivity", "elasticity", "breakeven", "iterations-to",
)


class NotDerived(NotImplementedError):
    """The engine derives no symbolic result for this quantity (the message says why).

    A limitation, not a fault: numeric evaluation of what is derived, and
    direct iteration (:meth:`~symrecycle.models.model.Model.iterate`), still work.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.solve.asymptotics import limit_by_regime
    >>> limit_by_regime(sp.I**n, [])
    Traceback (most recent call last):
    ...
    symrecycle.core.results.NotDerived: the base I of (I)**n is not real (complex bases are not compared here)
    """


@dataclass(frozen=True)
class Result:
    """A derived quantity.

    Attributes
    ----------
    model, quantity : str
        Where it comes from (``"kickstarting"``, ``"limit"``).
    expr : sympy expression
        The result; a ``Piecewise`` when it has cases.
    label : str
        LaTeX of the left-hand side (``\\lim_{n\\to\\infty} B_n``).
    conditions : tuple of sympy booleans
        The domain assumptions under which ``expr`` holds.
    verified : bool
        Whether every check in ``certificate`` passed.
    certificate : tuple of str
        What was checked, one line each.
    notes : tuple of str
        Further facts (for example, that a breakeven does not depend on n).

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> a, r = sp.symbols("alpha r", positive=True)
    >>> res = Result("kickstarting", "benefit", r * (1 - (a / r)**n) / (r - a), "B_{n}", verified=True)
    >>> res
    Result(kickstarting benefit: r*(1 - (alpha/r)**n)/(-alpha + r); verified=True)
    >>> res.depends_on_n
    True
    """

    model: str
    quantity: str
    expr: sp.Basic
    label: str
    conditions: tuple = ()
    verified: bool = False
    certificate: tuple = ()
    notes: tuple = ()
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @functools.cached_property
    def cases(self):
        """``((expression, Condition), ...)``: each case where it holds and none before it does.

        A case that holds nowhere on the domain is left out. Decided once per result (a result is
        immutable); a result read from the derivation cache brings the cases stored with it.

        The conditions are canonical on the parameters' domains (:mod:`.canonical`: no relation
        implied by the others or by a domain, no negation); the last reads "otherwise" where its
        explicit form (``.expr``) would be longer than the others.

        Examples
        --------
        >>> import sympy as sp
        >>> a, r = sp.symbols("alpha r", positive=True)
        >>> limit = sp.Piecewise((r / (r - a), a < r), (sp.oo, True))
        >>> [(v, c.text()) for v, c in Result("kickstarting", "limit", limit, "L").cases]
        [(r/(-alpha + r), 'alpha < r'), (oo, 'alpha >= r')]
        >>> b = sp.Symbol("beta", real=True)
        >>> res = Result("m", "breakeven", sp.Piecewise((0, sp.Eq(b, 0)), (1 - b, b < 1), (sp.nan, True)),
        ...              "b", conditions=(sp.Contains(b, sp.Interval(0, 1)),))
        >>> [c.text() for _, c in res.cases]
        ['beta = 0', '0 < beta < 1', 'beta = 1']
        """
        pieces = _sym.pieces(self.expr)
        conds = _canonical.case_conditions(pieces, _canonical.domains_of(self.conditions))
        # a case that holds nowhere on the domain (it is left in the Piecewise) is not shown
        return tuple((v, c) for (v, _), c in zip(pieces, conds) if c.cubes or c.expr is not sp.false)

    @property
    def depends_on_n(self) -> bool:

        return self.expr.has(n)

    def latex(self, lhs: bool = True) -> str:
        r"""LaTeX of the result, as ``label = expression`` unless ``lhs=False``; cases in amsmath ``cases``.

        Examples
        --------
        >>> import sympy as sp
        >>> a, r = sp.symbols("alpha r", positive=True)
        >>> res = Result("kickstarting", "limit", r / (r - a), "L")
        >>> print(res.latex())
        L = \frac{r}{r - \alpha}
        >>> limit = Result("kickstarting", "limit", sp.Piecewise((r / (r - a), a < r), (sp.oo, True)), "L")
        >>> print(limit.latex(lhs=False).replace(" & ", "\n"))
        \begin{cases} \frac{r}{r - \alpha}
        \text{if } \alpha < r \\ \infty
        \text{if } \alpha \geq r \end{cases}
        >>> sens = Result("kickstarting", "sensitivity", sp.Piecewise((r, a < r), (sp.nan, True)), "S")
        >>> print(sens.latex())
        S = \begin{cases} r & \text{if } \alpha < r \\ \text{undefined} & \text{if } \alpha \geq r \end{cases}
        """
        cases = self.cases
        # a case without a value is said in words, not written as NaN
        none = r"\text{no solution}" if self.quantity == "breakeven" else r"\text{undefined}"

        def value(v):
            return none if v is sp.nan else _sym.latex(v)

        if len(cases) == 1:
            body = value(cases[0][0])
        else:
            rows = [f"{value(v)} & " + (c.latex() if c.otherwise else rf"\text{{if }} {c.latex()}")
                    for v, c in cases]
            body = r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"
        return f"{self.label} = {body}" if lhs else body

    def text(self) -> str:
        """Plain text of the expression, each case with its condition.

        Examples
        --------
        >>> import sympy as sp
        >>> a, r = sp.symbols("alpha r", positive=True)
        >>> Result("kickstarting", "limit", sp.Piecewise((r / (r - a), a < r), (sp.oo, True)), "L").text()
        'r/(-alpha + r) if alpha < r; oo if alpha >= r'
        """
        cases = self.cases
        if len(cases) == 1:
            return sp.sstr(cases[0][0])
        return "; ".join(f"{sp.sstr(v)} {c.text()}" if c.otherwise else f"{sp.sstr(v)} if {c.text()}"
                         for v, c in cases)

    def title(self) -> str:
        """What the result is, in words: the model, the quantity, and of what, in what, where.

        Examples
        --------
        >>> import sympy as sp
        >>> a, r = sp.symbols("alpha r", positive=True)
        >>> res = Result("kickstarting", "sensitivity", -a / (a - r)**2, "S",
        ...              meta={"metric": "benefit", "wrt": "alpha", "at": "the limit"})
        >>> res.title()
        'kickstarting sensitivity to alpha of the benefit, at the limit'
        >>> Result("augmentation", "breakeven", sp.nan, "b",
        ...        meta={"metric": "benefit", "wrt": "beta", "level": 1, "of": "limit"}).title()
        'augmentation breakeven beta* where the limit of the benefit = 1'
        """
        m, q = self.meta, self.quantity
        metric = f"the {m['metric']}" if m.get("metric") else ""
        if q == "breakeven" and m.get("wrt"):
            of = f"the limit of {metric}" if m.get("of") == "limit" else metric
            return f"{self.model} breakeven {m['wrt']}* where {of} = {m.get('level', 1)}"
        words = [self.model, q]
        if q in ("sensitivity", "elasticity") and m.get("wrt"):
            words.append(f"{'to' if q == 'sensitivity' else 'in'} {m['wrt']}")
        if q == "closed-form" and m.get("sequence"):
            words.append(f"of {m['sequence']}")
        elif metric and q != "benefit":
            words.append(f"of {metric}")
        elif metric and m["metric"] != "benefit":
            words.append(f"({m['metric']})")
        if q == "iterations-to" and m.get("fraction") is not None:
            words.append(f"within {1 - m['fraction']:.3g} of its limit")
        text = " ".join(words)
        return f"{text}, at {m['at']}" if m.get("at") else text

    def failed(self) -> str | None:
        """The first check that failed (a line of ``certificate``), or None where every one passed."""
        if self.verified:
            return None
        bad = [line for line in self.certificate if "FAILED" in line or "NOT" in line]
        return bad[0] if bad else (self.certificate[-1] if self.certificate else "no certificate")

    def _repr_latex_(self) -> str:
        """The result in a notebook, with a visible mark of whether it is verified (and why not).

        The reason is kept to letters, digits and plain punctuation: it goes into a LaTeX text box,
        read by MathJax and by LaTeX alike.
        """
        if self.verified:
            mark = r"\quad \checkmark\ \text{verified}"
        else:
            why = "".join(ch if ch.isalnum() or ch in " .,:;=()+-*/<>" else " " for ch in self.failed() or "")
            why = " ".join(why.split())
            why = why if len(why) <= 120 else why[:117] + "..."
            mark = rf"\quad \text{{NOT verified: {why}}}"
        return f"$${self.latex()}{mark}$$"

    def __repr__(self) -> str:
        text = self.text()
        if len(text) > 300:
            text = text[:297] + "..."
        return (
            f"Result({self.model} {self.quantity}: {text}; "
            f"verified={self.verified})"
        )

    def to_dict(self) -> dict:
        """A JSON-ready summary (``srepr`` of the expression, text, LaTeX).

        Examples
        --------
        >>> import sympy as sp
        >>> a, r = sp.symbols("alpha r", positive=True)
        >>> res = Result("kickstarting", "limit", sp.Piecewise((r / (r - a), a < r), (sp.oo, True)), "L")
        >>> d = res.to_dict()
        >>> [(c["value"], c["condition"]) for c in d["cases"]]
        [('r/(-alpha + r)', 'alpha < r'), ('oo', 'alpha >= r')]
        >>> d["expression"] == sp.srepr(res.expr)  # the expression's structure as text, never evaluated back
        True
        """
        return {
            "model": self.model,
            "quantity": self.quantity,
            "expression": sp.srepr(self.expr),
            "text": self.text(),
            "latex": self.latex(),
            "conditions": [sp.sstr(c) for c in self.conditions],
            "cases": [
                {"value": sp.sstr(v), "condition": c.text(), "condition_latex": c.latex(),
                 "otherwise": c.otherwise} for v, c in self.cases
            ],
            "verified": self.verified,
            "certificate": list(self.certificate),
            "notes": list(self.notes),
        }


class EngineStopped(NotDerived):
    """SymPy (or the engine) stopped inside a derivation: not a property of the model, so a model whose
    closed form stops this way is not treated as one without closed forms.

    Examples
    --------
    >>> isinstance(EngineStopped("model 'm': limit not derived: ..."), NotDerived)
    True
    """


class NoClosedForm(NotDerived):
    """The engine derives no closed form for this model; numeric iteration still works.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrecycle.core.params import n
    >>> from symrecycle.models.model import Metric, Model, SequenceDef, seq
    >>> X, Y = seq("X"), seq("Y")
    >>> x = SequenceDef("X", sp.Integer(2), X[n - 1] * Y[n - 1])  # a product: nonlinear
    >>> coupled = (x, SequenceDef("Y", sp.Integer(1), X[n - 1]))
    >>> m = Model("product", "", (), coupled, (Metric("benefit", X[n]),), adjusted="X")
    >>> m.closed_form()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrecycle.core.results.NoClosedForm: model 'product': ... (X uses Y uses X): a coupled system...
    >>> issubclass(NoClosedForm, NotDerived)
    True
    """
