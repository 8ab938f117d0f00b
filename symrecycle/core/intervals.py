"""Finite unions of real intervals with rational ends: the sets one real quantity takes in a condition.

SymPy's sets decide the same operations, at about a millisecond each (their
intersections run its assumptions and ``contains`` queries); a canonical
condition asks thousands. :class:`Span` holds a sorted tuple of disjoint
intervals with :class:`fractions.Fraction` ends (``inf`` for an open end at
infinity), so that intersection, union, complement and equality are exact
comparisons of rationals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

__all__ = ["Span", "INF"]

INF = float("inf")


@dataclass(frozen=True)
class Span:
    """A finite union of disjoint intervals, each ``(lo, lo_closed, hi, hi_closed)``, sorted.

    Examples
    --------
    >>> unit = Span.interval(0, 1)
    >>> above = Span.from_sympy(sp.Interval.open(sp.Rational(1, 2), sp.oo))
    >>> unit & above
    Span(parts=((Fraction(1, 2), False, Fraction(1, 1), True),))
    >>> (unit & above.complement()).to_sympy(), (unit | Span.point(2)).to_sympy()
    (Interval(0, 1/2), Union({2}, Interval(0, 1)))
    >>> Span.point(3).only_point(), Span.REALS.complement().empty
    (3, True)
    """

    parts: tuple = ()

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def interval(cls, lo, hi, lo_closed=True, hi_closed=True) -> Span:
        lo, hi = _num(lo), _num(hi)
        return cls._of([(lo, lo_closed and lo != -INF, hi, hi_closed and hi != INF)])

    @classmethod
    def point(cls, p) -> Span:
        p = _num(p)
        return cls._of([(p, True, p, True)])

    @classmethod
    def from_sympy(cls, s) -> Span | None:
        """The span of a SymPy set of rational-ended intervals and points; None for any other set."""
        if s is sp.S.Reals:
            return cls.REALS
        if s is sp.S.EmptySet:
            return cls(())
        if isinstance(s, sp.Interval):
            if not all(_rational(x) for x in (s.start, s.end)):
                return None
            return cls.interval(s.start, s.end, not s.left_open, not s.right_open)
        if isinstance(s, sp.FiniteSet):
            if not all(getattr(x, "is_Rational", False) for x in s.args):  # no point at infinity
                return None
            return cls._of([(_num(p), True, _num(p), True) for p in s.args])
        if isinstance(s, (sp.Union, sp.Complement, sp.Intersection)):
            parts = [cls.from_sympy(a) for a in s.args]
            if None in parts:
                return None
            if isinstance(s, sp.Union):
                out = cls(())
                for p in parts:
                    out = out | p
                return out
            if isinstance(s, sp.Intersection):
                out = cls.REALS
                for p in parts:
                    out = out & p
                return out
            return parts[0] & parts[1].complement()
        return None

    @classmethod
    def _of(cls, parts) -> Span:
        """The span of intervals in any order, empty ones dropped, overlapping or touching ones joined."""
        keep = sorted((p for p in parts if p[0] < p[2] or (p[0] == p[2] and p[1] and p[3])),
                      key=lambda p: (p[0], not p[1]))
        out: list = []
        for lo, lc, hi, hc in keep:
            if out:
                plo, plc, phi, phc = out[-1]
                if lo < phi or (lo == phi and (phc or lc)):
                    if hi > phi or (hi == phi and hc and not phc):
                        out[-1] = (plo, plc, hi, hc if hi > phi else (hc or phc))
                    continue
            out.append((lo, lc, hi, hc))
        return cls(tuple(out))

    # -- algebra ----------------------------------------------------------------------------------
    def __and__(self, other: Span) -> Span:
        out = []
        for alo, alc, ahi, ahc in self.parts:
            for blo, blc, bhi, bhc in other.parts:
                lo, lc = (alo, alc) if alo > blo else (blo, blc) if blo > alo else (alo, alc and blc)
                hi, hc = (ahi, ahc) if ahi < bhi else (bhi, bhc) if bhi < ahi else (ahi, ahc and bhc)
                out.append((lo, lc, hi, hc))
        return Span._of(out)

    def __or__(self, other: Span) -> Span:
        return Span._of(list(self.parts) + list(other.parts))

    def complement(self) -> Span:
        """The real numbers not in this span."""
        out, lo, lc = [], -INF, False
        for plo, plc, phi, phc in self.parts:
            out.append((lo, lc, plo, not plc))
            lo, lc = phi, not phc
        out.append((lo, lc, INF, False))
        return Span._of([p for p in out if p[0] != INF and p[2] != -INF])

    @property
    def empty(self) -> bool:
        return not self.parts

    def only_point(self):
        """The one number of a span that is a single point (a SymPy Rational), else None."""
        if len(self.parts) == 1 and self.parts[0][0] == self.parts[0][2]:
            return _sym_num(self.parts[0][0])
        return None

    def points(self) -> list:
        """The points of a span of isolated points (SymPy Rationals); [] if it holds an interval."""
        if all(lo == hi for lo, _, hi, _ in self.parts):
            return [_sym_num(lo) for lo, _, _, _ in self.parts]
        return []

    def to_sympy(self):
        sets = [sp.FiniteSet(_sym_num(lo)) if lo == hi else
                sp.Interval(_sym_num(lo), _sym_num(hi), not lc, not hc) for lo, lc, hi, hc in self.parts]
        return sp.Union(*sets) if sets else sp.S.EmptySet


Span.REALS = Span(((-INF, False, INF, False),))
Span.POSITIVE = Span(((Fraction(0), False, INF, False),))
Span.NONNEGATIVE = Span(((Fraction(0), True, INF, False),))
Span.NEGATIVE = Span(((-INF, False, Fraction(0), False),))


def _rational(x) -> bool:
    return x in (sp.oo, -sp.oo) or bool(getattr(x, "is_Rational", False))


def _num(x):
    if isinstance(x, (Fraction, float)):
        return x
    if x == sp.oo:
        return INF
    if x == -sp.oo:
        return -INF
    x = sp.Rational(x)
    return Fraction(int(x.p), int(x.q))


def _sym_num(x):
    if x == INF:
        return sp.oo
    if x == -INF:
        return -sp.oo
    return sp.Rational(x.numerator, x.denominator)
