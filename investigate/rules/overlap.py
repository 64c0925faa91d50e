"""Can a hypothesis' ``confirmed`` and ``ruled_out`` rules both hold on the same runs?

Both rules are expanded into disjunctive normal form (a list of conjunctions of conditions, with
``not`` pushed down to the conditions), and each pair of conjunctions is checked for a joint
assignment of values. What this finds, and what it does not:

- Each (arm, vs, where, metric) is a free variable: its runs' values. Different metrics are taken
  as independent, so an overlap that a physical link between two metrics rules out (``has_nan``
  and ``trains_clean``) can still be reported.
- ``over: all`` constrains every value, ``any`` one value, ``fraction: f`` a share ``f`` of them
  (two shares of disjoint sets must fit in 1), ``mean`` / ``median`` the statistic, which must lie
  within the range the ``all`` conditions leave. A condition without an arm, or with fewer ``where``
  keys, covers the narrower ones: its ``all`` applies to them too.
- Values are numbers (intervals with open or closed ends) or anything else (booleans, strings,
  NaN, null), which fail every numeric comparison, so they sit in the complement of a numeric range.
- A contrast (``vs`` another arm, or ``vs_point``) is a difference of means, linked to its arms'
  own values in a way these sets cannot follow (it depends on the other side's values and on
  how many seeds there are). A witness that needs a contrast in one rule and a plain condition on
  the same metric and arm in the other to be independent is therefore not reported: taken as
  independent they "overlap" for rules that are, read as intended, exclusive (a contrast ≥ 0.5
  against the arm's own ≤ 0.01 in some run).
- A rule too large to expand (over ``MAX_TERMS`` conjunctions) is not checked.
So a reported overlap is a real assignment of values satisfying both rules under these
assumptions; the absence of a report is not a proof.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from investigate.formats.schema import Fraction, Rule
from investigate.rules.conditions import cmp_text

MAX_TERMS = 256
Interval = tuple[float, bool, float, bool]  # low, low included, high, high included


@dataclass(frozen=True)
class ValueSet:
    """A set of values: numeric intervals, plus non-numbers ``cats`` (``out``: all non-numbers but those)."""

    nums: tuple[Interval, ...]
    out: bool
    cats: frozenset[Any]

    @property
    def empty(self) -> bool:
        return not self.nums and not self.out and not self.cats

    def complement(self) -> ValueSet:
        return ValueSet(_num_complement(self.nums), not self.out, self.cats)

    def __and__(self, other: ValueSet) -> ValueSet:
        nums = tuple(i for a in self.nums for b in other.nums if (i := _meet(a, b)) is not None)
        if self.out and other.out:
            return ValueSet(nums, True, self.cats | other.cats)
        if self.out:
            return ValueSet(nums, False, other.cats - self.cats)
        if other.out:
            return ValueSet(nums, False, self.cats - other.cats)
        return ValueSet(nums, False, self.cats & other.cats)

    def hull(self) -> ValueSet | None:
        """The range a mean of values from this set can take (None if non-numbers may occur)."""
        if self.out or self.cats or not self.nums:
            return None
        low = min(self.nums, key=lambda i: (i[0], not i[1]))
        high = max(self.nums, key=lambda i: (i[2], i[3]))
        return ValueSet(((low[0], low[1], high[2], high[3]),), False, frozenset())


EVERYTHING = ValueSet(((-math.inf, False, math.inf, False),), True, frozenset())


def _valid(lo: float, lo_inc: bool, hi: float, hi_inc: bool) -> Interval | None:
    return (lo, lo_inc, hi, hi_inc) if lo < hi or (lo == hi and lo_inc and hi_inc) else None


def _meet(a: Interval, b: Interval) -> Interval | None:
    # The larger low end (an excluded end is the tighter one at a tie), the smaller high end.
    lo, lo_excluded = max((a[0], not a[1]), (b[0], not b[1]))
    hi, hi_inc = min((a[2], a[3]), (b[2], b[3]))
    return _valid(lo, not lo_excluded, hi, hi_inc)


def _num_complement(nums: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    covered, covered_inc = -math.inf, True  # everything up to here (included?) is in ``nums``
    for lo, lo_inc, hi, hi_inc in sorted(nums, key=lambda i: (i[0], not i[1])):
        gap = _valid(covered, not covered_inc, lo, not lo_inc)
        if gap is not None:
            out.append(gap)
        if (hi, hi_inc) > (covered, covered_inc):
            covered, covered_inc = hi, hi_inc
    tail = _valid(covered, not covered_inc, math.inf, False)
    return tuple(out) + ((tail,) if tail is not None else ())


def value_set(rule: Rule) -> ValueSet:
    """The values that satisfy a condition's comparison."""
    op, target = rule.comparison
    if op == "equals":
        if isinstance(target, (int, float)) and not isinstance(target, bool):
            return ValueSet(((float(target), True, float(target), True),), False, frozenset())
        return ValueSet((), False, frozenset([target]))
    if op == "between":
        return ValueSet(((float(target[0]), True, float(target[1]), True),), False, frozenset())
    t = float(target)
    bounds: dict[str, Interval] = {
        "lt": (-math.inf, False, t, False),
        "le": (-math.inf, False, t, True),
        "gt": (t, False, math.inf, False),
        "ge": (t, True, math.inf, False),
    }
    return ValueSet((bounds[op],), False, frozenset())


@dataclass(frozen=True)
class Literal:
    scope: tuple[str | None, str | None, tuple[tuple[str, str], ...]]  # arm, vs, where
    metric: str
    level: str  # all / share / mean / median
    share: float  # for "share": the fraction of values that must lie in ``values`` (tiny for any)
    values: ValueSet
    text: str


def literals(rule: Rule, negate: bool, arms: list[str]) -> list[list[Literal]] | None:
    """The rule in disjunctive normal form, or None when it grows past MAX_TERMS."""
    if rule.not_ is not None:
        return literals(rule.not_, not negate, arms)
    if rule.all_ is not None or rule.any_ is not None:
        parts = [literals(r, negate, arms) for r in (rule.all_ or rule.any_ or [])]
        if any(p is None for p in parts):
            return None
        conjunctive = (rule.all_ is not None) != negate
        if not conjunctive:
            terms = [t for p in parts for t in p or []]
            return terms if len(terms) <= MAX_TERMS else None
        product: list[list[Literal]] = [[]]
        for p in parts:
            product = [a + b for a in product for b in p or []]
            if len(product) > MAX_TERMS:
                return None
        return product
    return [[_leaf(rule, negate, arms)]]


def _leaf(rule: Rule, negate: bool, arms: list[str]) -> Literal:
    arm = rule.arm if rule.arm is not None or len(arms) != 1 else arms[0]
    where = tuple(sorted((k, repr(v)) for k, v in (rule.where or {}).items()))
    values = value_set(rule)
    over = rule.over
    vs = rule.vs if rule.vs_point is None else "@" + repr(sorted(rule.vs_point.items()))
    side = f"{rule.arm + '.' if rule.arm else ''}{rule.metric}"
    if vs is not None:
        side = f"({rule.arm} − {rule.vs}).{rule.metric}" if rule.vs else f"({side} − at {vs[1:]})"
    text = f"{'not ' if negate else ''}{side} {cmp_text(*rule.comparison)}"
    text += f" (over {over if isinstance(over, str) else f'fraction {over.fraction:g}'})"
    if isinstance(over, str) and over in ("mean", "median"):
        return Literal((arm, vs, where), str(rule.metric), over, 1.0, values.complement() if negate else values, text)
    share = over.fraction if isinstance(over, Fraction) else (1e-9 if over == "any" else 1.0)
    if negate:  # not(a share f in S) = more than 1 - f in the complement
        return Literal((arm, vs, where), str(rule.metric), "share", max(1.0 - share, 1e-9), values.complement(), text)
    return Literal((arm, vs, where), str(rule.metric), "share", share, values, text)


def _covers(broad: tuple[Any, ...], narrow: tuple[Any, ...]) -> bool:
    return (broad[0] is None or broad[0] == narrow[0]) and broad[1] == narrow[1] and set(broad[2]) <= set(narrow[2])


def satisfiable(term: list[Literal]) -> bool:
    """Whether some runs' values make every literal of the conjunction hold."""
    for scope, metric in {(lit.scope, lit.metric) for lit in term}:
        # ``all`` over a covering scope constrains these runs too; the rest speak of their own scope.
        alls = EVERYTHING
        for lit in term:
            if lit.metric == metric and lit.level == "share" and lit.share >= 1.0 and _covers(lit.scope, scope):
                alls = alls & lit.values
        if alls.empty:
            return False
        own = [lit for lit in term if lit.metric == metric and lit.scope == scope]
        shares = [(lit.share, lit.values & alls) for lit in own if lit.level == "share" and lit.share < 1.0]
        if any(s.empty for _, s in shares):
            return False
        for i, (f, a) in enumerate(shares):  # two shares of disjoint sets must fit in the runs
            if any((a & b).empty and f + g > 1.0 for g, b in shares[i + 1 :]):
                return False
        for level in ("mean", "median"):
            stat = alls.hull() or EVERYTHING
            for lit in own:
                if lit.level == level:
                    stat = stat & lit.values
            if stat.empty:
                return False
    return True


def overlap(confirmed: Rule, ruled_out: Rule, arms: list[str]) -> tuple[list[Literal], list[Literal]] | None:
    """A conjunction of each rule that can hold together, or None (none found, or too large)."""
    left, right = literals(confirmed, False, arms), literals(ruled_out, False, arms)
    if left is None or right is None:
        return None
    for a in left:
        if not satisfiable(a):
            continue
        for b in right:
            if not _linked(a, b) and satisfiable(a + b):
                return a, b
    return None


def _linked(a: list[Literal], b: list[Literal]) -> bool:
    """Whether one side has a contrast and the other a plain condition on the same metric and arm."""

    def one_way(contrasts: list[Literal], plain: list[Literal]) -> bool:
        return any(
            c.scope[1] is not None
            and p.scope[1] is None
            and c.metric == p.metric
            and (p.scope[0] is None or p.scope[0] in (c.scope[0], c.scope[1]))
            for c in contrasts
            for p in plain
        )

    return one_way(a, b) or one_way(b, a)
