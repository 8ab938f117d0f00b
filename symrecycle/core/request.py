"""The quantity request: what a user asks of a model, validated once and dispatched once.

The API (``Model.derive``, ``Model.evaluate``), claim files and the command
line all build a :class:`Request` from the same fields — the quantity, the
parameter it is taken with respect to (``wrt``), the metric, the iteration
``n``, the fraction (for ``iterations-to``), the level and what it is the
breakeven ``of`` (the benefit at n, or its limit) — and ask it for the
:class:`~symrecycle.core.results.Result`.

Examples
--------
>>> from symrecycle.core.request import Request
>>> Request.make("iterations_to", fraction=0.9).quantity
'iterations-to'
>>> Request.make("breakeven")
Traceback (most recent call last):
...
ValueError: quantity 'breakeven' needs a parameter (wrt)
>>> Request.make("size")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown quantity 'size'; known: closed-form, benefit, limit, ..., iterations-to
>>> Request.make("limt")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown quantity 'limt'; known: ..., iterations-to; did you mean 'limit'?
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

from .params import n as N
from .results import QUANTITIES
from .suggest import did_you_mean

__all__ = ["Request", "WITH_RESPECT_TO"]

#: the quantities taken with respect to a parameter (they need ``wrt``)
WITH_RESPECT_TO = ("sensitivity", "elasticity", "breakeven")
#: the quantities that exist at a finite n as well as in the limit
AT_N = ("benefit", "sensitivity", "elasticity", "breakeven")


@dataclass(frozen=True)
class Request:
    """One quantity of a model, with its ``wrt``, ``metric``, ``n``, ``fraction``, ``level`` and ``of``.

    ``n`` is ``None`` (the limit, or a quantity free of n), the symbol n (the
    quantity at a general iteration) or an iteration number. Build it with :meth:`make`, which
    validates; :meth:`check` validates the names against a model.

    Examples
    --------
    >>> req = Request.make("sensitivity", wrt="alpha")
    >>> req.quantity, req.wrt, req.n, req.needs_wrt
    ('sensitivity', 'alpha', None, True)
    >>> Request.make("limit").needs_wrt
    False
    """

    quantity: str
    wrt: str | None = None
    metric: str | None = None
    n: object = None
    fraction: object = 0.99
    level: object = 1
    of: str = "benefit"

    @classmethod
    def make(cls, quantity, wrt=None, metric=None, n=None, fraction=0.99, level=1, of="benefit") -> Request:
        """A validated request; ``quantity`` may be written with ``_`` or ``-``.

        Examples
        --------
        >>> Request.make("closed_form")
        Request(quantity='closed-form', wrt=None, metric=None, n=None, fraction=0.99, level=1, of='benefit')
        >>> Request.make("iterations-to", fraction=1.5)
        Traceback (most recent call last):
        ...
        ValueError: fraction: got 1.5, expected a number in (0, 1)
        """
        if not isinstance(quantity, str):
            raise ValueError(f"quantity: got {quantity!r}, expected one of {', '.join(QUANTITIES)}")
        q = quantity.replace("_", "-")
        if q not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}"
                             + did_you_mean(quantity, QUANTITIES))
        if q in WITH_RESPECT_TO and wrt is None:
            raise ValueError(f"quantity {quantity!r} needs a parameter (wrt)")
        if n is not None and n != N and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0):
            raise ValueError(f"n: got {n!r}, expected None (the limit), the symbol n or an iteration")
        if q == "iterations-to":
            bad = isinstance(fraction, bool) or not isinstance(fraction, (numbers.Real, Fraction))
            if bad or not (0 < fraction < 1) or (isinstance(fraction, float) and not math.isfinite(fraction)):
                raise ValueError(f"fraction: got {fraction!r}, expected a number in (0, 1)")
        if of not in ("benefit", "limit"):
            raise ValueError(f"of: got {of!r}, expected 'benefit' or 'limit'")
        return cls(q, wrt, metric, n, fraction, level, of)

    @property
    def needs_wrt(self) -> bool:
        return self.quantity in WITH_RESPECT_TO

    def check(self, model) -> Request:
        """The request, once ``wrt`` and ``metric`` are found in ``model`` (else ValueError naming them).

        Examples
        --------
        >>> from symrecycle.models.catalogue import kickstarting
        >>> Request.make("sensitivity", wrt="alpha").check(kickstarting()).wrt
        'alpha'
        >>> Request.make("sensitivity", wrt="beta").check(kickstarting())
        Traceback (most recent call last):
        ...
        ValueError: model 'kickstarting' has no parameter 'beta'; its parameters: r, alpha, C1
        """
        if self.wrt is not None:
            model.parameter(self.wrt)
        model.metric(self.metric)
        return self

    def derive(self, model):
        """The :class:`~symrecycle.core.results.Result` of this request for ``model``.

        Examples
        --------
        A one-sequence model, ``C_1 = 1``, ``C_n = r C_{n-1}``, whose benefit is ``C_n``:

        >>> import sympy as sp
        >>> from symrecycle.core.params import STANDARD, n
        >>> from symrecycle.models.model import Metric, Model, SequenceDef, seq
        >>> r, C = STANDARD["r"], seq("C")
        >>> compute = (SequenceDef("C", sp.Integer(1), r.symbol * C[n - 1]),)
        >>> m = Model("compute", "", (r,), compute, (Metric("benefit", C[n]),), adjusted="C")
        >>> Request.make("benefit").derive(m)
        Result(compute benefit: r**(n - 1); verified=True)
        """
        q, at = self.quantity, self.n
        if q == "closed-form":
            return model.closed_form()
        if q == "benefit":
            return model.benefit(self.metric)
        if q == "limit":
            return model.limit(self.metric)
        if q == "sensitivity":
            return model.sensitivity(self.wrt, n=at, metric=self.metric)
        if q == "elasticity":
            return model.elasticity(self.wrt, n=at, metric=self.metric)
        if q == "breakeven":
            return model.breakeven(self.wrt, level=self.level, of=self.of, metric=self.metric)
        return model.iterations_to(self.fraction, metric=self.metric)

    def at(self, n) -> Request:
        """The same request at iteration ``n`` (the symbol n) or in the limit (``None``).

        Examples
        --------
        >>> from symrecycle.core.params import n
        >>> req = Request.make("breakeven", wrt="alpha")
        >>> req.at(n).n, req.at(n).of, req.at(None).of
        (n, 'benefit', 'limit')
        """
        of = self.of if self.quantity != "breakeven" else ("benefit" if n is not None else "limit")
        return Request(self.quantity, self.wrt, self.metric, n, self.fraction, self.level, of)

    def pair(self, model):
        """Thunks for (the result at a finite n, the result as n -> oo or free of n); None where absent.

        Thunks, so that only what the requested values of n need is derived.

        Examples
        --------
        A one-sequence model, ``C_1 = 1``, ``C_n = r C_{n-1}``, whose benefit is ``C_n``:

        >>> import sympy as sp
        >>> from symrecycle.core.params import STANDARD, n
        >>> from symrecycle.models.model import Metric, Model, SequenceDef, seq
        >>> r, C = STANDARD["r"], seq("C")
        >>> compute = (SequenceDef("C", sp.Integer(1), r.symbol * C[n - 1]),)
        >>> m = Model("compute", "", (r,), compute, (Metric("benefit", C[n]),), adjusted="C")
        >>> at_n, as_n_grows = Request.make("closed-form").pair(m)
        >>> at_n().expr, as_n_grows
        (r**(n - 1), None)
        >>> at_n, as_n_grows = Request.make("limit").pair(m)
        >>> at_n is None, callable(as_n_grows)
        (True, True)
        """
        if self.quantity == "closed-form":
            return (lambda: self.derive(model)), None
        if self.quantity == "limit":
            return None, (lambda: self.at(None).derive(model))
        if self.quantity == "iterations-to":
            return None, (lambda: self.derive(model))
        if self.quantity == "benefit":  # the metric at n; as n -> oo, its limit
            limit = Request("limit", None, self.metric)
            return (lambda: self.derive(model)), (lambda: limit.derive(model))
        return (lambda: self.at(N).derive(model)), (lambda: self.at(None).derive(model))
