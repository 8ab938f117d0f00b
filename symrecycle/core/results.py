"""Results: a derived expression with its conditions, display and verification."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from . import sym as _sym

__all__ = ["Result", "NotDerived", "NoClosedForm", "QUANTITIES"]


#: Quantities every model derives (command-line names).
QUANTITIES = (
    "closed-form", "benefit", "limit", "sensitivity", "elasticity", "breakeven", "iterations-to",
)


class NotDerived(NotImplementedError):
    """The engine derives no symbolic result for this quantity (the message says why).

    A limitation, not a fault: numeric evaluation of what is derived, and
    direct iteration (:meth:`~symrecycle.models.model.Model.iterate`), still work.
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

    @property
    def cases(self):
        """``((expression, condition), ...)``, each condition excluding the earlier."""
        return _sym.exclusive_pieces(self.expr)

    @property
    def depends_on_n(self) -> bool:
        from .params import n

        return self.expr.has(n)

    def latex(self, lhs: bool = True) -> str:
        """LaTeX of the result, as ``label = expression`` unless ``lhs=False``."""
        body = sp.latex(self.expr)
        return f"{self.label} = {body}" if lhs else body

    def text(self) -> str:
        """Plain text of the expression."""
        return sp.sstr(self.expr)

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __repr__(self) -> str:
        text = self.text()
        if len(text) > 300:
            text = text[:297] + "..."
        return (
            f"Result({self.model} {self.quantity}: {text}; "
            f"verified={self.verified})"
        )

    def to_dict(self) -> dict:
        """A JSON-ready summary (``srepr`` of the expression, text, LaTeX)."""
        return {
            "model": self.model,
            "quantity": self.quantity,
            "expression": sp.srepr(self.expr),
            "text": self.text(),
            "latex": self.latex(),
            "conditions": [sp.sstr(c) for c in self.conditions],
            "cases": [
                {"value": sp.sstr(v), "condition": sp.sstr(c)} for v, c in self.cases
            ],
            "verified": self.verified,
            "certificate": list(self.certificate),
            "notes": list(self.notes),
        }


class NoClosedForm(NotDerived):
    """The engine derives no closed form for this model; numeric iteration still works."""
