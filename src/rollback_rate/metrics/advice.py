"""Root-cause guidance: which pipeline investment the rollbacks point to (issue 10).

"Root cause patterns guide pipeline investment": for one scope (overall, or one team or
model) and one period, each cause's rollbacks are looked up in the taxonomy and ranked by
estimated cost when costs are given, else by count (ties by cause slug), with the share of
rollbacks it explains and that share's Wilson 95% interval, the count in the previous
period of the same length, and the rollback event ids as evidence. Causes that point at
one investment are summed in `investments`. A cause with no rollbacks this period is
left out of both, previous count included: there is nothing to act on.

Below `min_rollbacks` rollbacks the ranking would be noise, so the advice says how many
more are needed and ranks nothing. A high `unspecified` share is itself a finding: those
rollbacks point at no investment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rollback_rate.metrics.cost import Cost
from rollback_rate.metrics.stats import rate_pct, wilson_interval_pct
from rollback_rate.metrics.taxonomy import UNSPECIFIED, Taxonomy

DEFAULT_MIN_ROLLBACKS = 5
# At or above this share of rollbacks without a cause, the advice says so first.
UNSPECIFIED_FINDING_PCT = 30.0


@dataclass(frozen=True)
class CauseCount:
    """One cause's counted rollbacks in the period, with the previous period's count."""

    cause: str
    count: int
    event_ids: tuple[str, ...] = ()
    previous_count: int = 0
    cost: Cost | None = None


@dataclass(frozen=True)
class AdviceInput:
    """One scope's period: every counted rollback, split by cause (missing: unspecified)."""

    rollbacks: int
    causes: Sequence[CauseCount]
    scope: Mapping[str, str | None] = field(default_factory=dict)  # {} overall, {"team": "risk"}


@dataclass(frozen=True)
class Recommendation:
    rank: int
    cause: str
    category: str
    investment: str
    why: str
    count: int
    share_pct: float
    share_ci95: list[float]
    previous_count: int
    cost: Cost | None
    event_ids: tuple[str, ...]

    @property
    def change(self) -> int:
        return self.count - self.previous_count

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "cause": self.cause,
            "category": self.category,
            "investment": self.investment,
            "why": self.why,
            "count": self.count,
            "share_pct": self.share_pct,
            "share_ci95": self.share_ci95,
            "previous_count": self.previous_count,
            "change": self.change,
            "cost": None if self.cost is None else self.cost.as_dict(),
            "event_ids": list(self.event_ids),
        }


@dataclass(frozen=True)
class InvestmentTotal:
    """Several causes can point at one investment: their counts and costs summed."""

    rank: int
    investment: str
    causes: tuple[str, ...]
    count: int
    share_pct: float
    share_ci95: list[float]
    previous_count: int
    cost: Cost | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "investment": self.investment,
            "causes": list(self.causes),
            "count": self.count,
            "share_pct": self.share_pct,
            "share_ci95": self.share_ci95,
            "previous_count": self.previous_count,
            "change": self.count - self.previous_count,
            "cost": None if self.cost is None else self.cost.as_dict(),
        }


@dataclass(frozen=True)
class Finding:
    code: str
    text: str


@dataclass(frozen=True)
class Advice:
    scope: Mapping[str, str | None]
    rollbacks: int
    min_rollbacks: int
    sufficient: bool
    message: str
    ranked_by: Literal["cost", "count"] | None
    recommendations: tuple[Recommendation, ...] = ()
    investments: tuple[InvestmentTotal, ...] = ()
    findings: tuple[Finding, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": dict(self.scope),
            "rollbacks": self.rollbacks,
            "min_rollbacks": self.min_rollbacks,
            "sufficient": self.sufficient,
            "message": self.message,
            "ranked_by": self.ranked_by,
            "findings": [{"code": f.code, "text": f.text} for f in self.findings],
            "recommendations": [r.as_dict() for r in self.recommendations],
            "investments": [i.as_dict() for i in self.investments],
        }


def advise(
    data: AdviceInput, taxonomy: Taxonomy, min_rollbacks: int = DEFAULT_MIN_ROLLBACKS
) -> Advice:
    """Ranked recommendations for one scope, or why there is not enough evidence yet."""
    if min_rollbacks < 1:
        raise ValueError(f"min_rollbacks must be at least 1 (got {min_rollbacks})")
    _check(data)
    total = data.rollbacks
    if total < min_rollbacks:
        missing = min_rollbacks - total
        message = (
            f"{_rollbacks(total)} in the period; advice needs at least {min_rollbacks}, "
            f"so {missing} more before causes are ranked"
        )
        return Advice(data.scope, total, min_rollbacks, False, message, None)
    current = [c for c in data.causes if c.count > 0]
    by_cost = bool(current) and all(c.cost is not None for c in current)
    ranked = sorted(current, key=lambda c: (*_cost_key(c.cost, by_cost), -c.count, c.cause))
    recommendations = tuple(
        _recommend(rank, cause, total, taxonomy) for rank, cause in enumerate(ranked, 1)
    )
    ranked_by: Literal["cost", "count"] = "cost" if by_cost else "count"
    message = (
        f"{_rollbacks(total)} in the period, ranked by {'estimated cost' if by_cost else 'count'}"
    )
    return Advice(
        scope=data.scope,
        rollbacks=total,
        min_rollbacks=min_rollbacks,
        sufficient=True,
        message=message,
        ranked_by=ranked_by,
        recommendations=recommendations,
        investments=_investments(recommendations, total, by_cost),
        findings=_findings(data.causes, total),
    )


def _check(data: AdviceInput) -> None:
    causes = [c.cause for c in data.causes]
    if len(set(causes)) != len(causes):
        raise ValueError(f"a cause is listed twice: {sorted(causes)}")
    if any(c.count < 0 or c.previous_count < 0 for c in data.causes):
        raise ValueError("cause counts cannot be negative")
    if sum(c.count for c in data.causes) != data.rollbacks:
        raise ValueError(f"cause counts do not add up to the {data.rollbacks} rollbacks")
    costs = [c.cost is None for c in data.causes if c.count > 0]
    if any(costs) and not all(costs):
        raise ValueError("give every cause a cost or none: a ranking cannot mix the two")


def _cost_key(cost: Cost | None, by_cost: bool) -> tuple[float, ...]:
    # The printed total decides, so the order can be checked against the printed figures.
    return (-cost.as_dict()["total"],) if by_cost and cost is not None else ()


def _recommend(rank: int, cause: CauseCount, total: int, taxonomy: Taxonomy) -> Recommendation:
    entry = taxonomy.entry(cause.cause)
    return Recommendation(
        rank=rank,
        cause=cause.cause,
        category=entry.category,
        investment=entry.investment,
        why=entry.why,
        count=cause.count,
        share_pct=_share(cause.count, total),
        share_ci95=_interval(cause.count, total),
        previous_count=cause.previous_count,
        cost=cause.cost,
        event_ids=cause.event_ids,
    )


def _investments(
    recommendations: Sequence[Recommendation], total: int, by_cost: bool
) -> tuple[InvestmentTotal, ...]:
    groups: dict[str, list[Recommendation]] = {}
    for recommendation in recommendations:
        groups.setdefault(recommendation.investment, []).append(recommendation)
    sums = []
    for investment, members in groups.items():
        count = sum(m.count for m in members)
        cost = _sum_costs([m.cost for m in members]) if by_cost else None
        previous = sum(m.previous_count for m in members)
        sums.append((investment, tuple(m.cause for m in members), count, previous, cost))
    sums.sort(key=lambda s: (*_cost_key(s[4], by_cost), -s[2], s[0]))
    return tuple(
        InvestmentTotal(
            rank,
            investment,
            causes,
            count,
            _share(count, total),
            _interval(count, total),
            previous,
            cost,
        )
        for rank, (investment, causes, count, previous, cost) in enumerate(sums, 1)
    )


def _sum_costs(costs: Sequence[Cost | None]) -> Cost | None:
    total = None
    for cost in costs:
        if cost is not None:
            total = cost if total is None else total + cost
    return total


def _findings(causes: Sequence[CauseCount], total: int) -> tuple[Finding, ...]:
    unspecified = next((c.count for c in causes if c.cause == UNSPECIFIED), 0)
    share = _share(unspecified, total)
    if share < UNSPECIFIED_FINDING_PCT:
        return ()
    text = (
        f"{_pct(share)}% of rollbacks ({unspecified} of {total}) recorded no cause, so they "
        "point at no investment; record a cause wherever rollbacks are recorded"
    )
    return (Finding("unspecified_share_high", text),)


def _share(count: int, total: int) -> float:
    share = rate_pct(count, total)
    assert share is not None  # advise() ranks only when total >= min_rollbacks >= 1
    return share


def _interval(count: int, total: int) -> list[float]:
    interval = wilson_interval_pct(count, total)
    assert interval is not None
    return interval


def _rollbacks(n: int) -> str:
    return f"{n} rollback" if n == 1 else f"{n} rollbacks"


def _pct(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
