"""Root-cause advice for a report's scope, overall and per team or model (issue 10).

Pure: a function of the query, the per-cause counts the read model gave for it, the
taxonomy, `[advice] min_rollbacks` and the cost model. `metrics.advice.advise` ranks
each scope; this module turns counts into its input and the results into the stable
JSON shape of `advise --format json` and `GET /api/v1/advice`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rollback_rate.aggregation import AdviceCounts, CauseTally, ReportQuery
from rollback_rate.errors import InvalidOption
from rollback_rate.metrics.advice import Advice, AdviceInput, CauseCount, advise
from rollback_rate.metrics.cost import Cost, CostModel, CostTally, estimate_cost
from rollback_rate.metrics.taxonomy import Taxonomy
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc

ADVICE_BY = ("team", "model")
# Without --since, advice covers this many days before as_of, so that "change against
# the previous period of the same length" always has a period to compare with.
DEFAULT_PERIOD_DAYS = 90
_DAY = 24 * MICROS_PER_HOUR


@dataclass(frozen=True)
class AdviceReport:
    """Advice overall and per group, for one query and the period before it."""

    query: ReportQuery
    overall: Advice
    groups: list[Advice] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `advise --format json` and `GET /api/v1/advice`."""
        q = self.query
        before = q.previous()
        return {
            "as_of": iso_utc(q.as_of),
            "window_hours": q.window / MICROS_PER_HOUR,
            "filters": {
                "model": q.model,
                "environment": q.environment,
                "team": q.team,
                "by": list(q.by),
            },
            "period": _span(q),
            "previous_period": None if before is None else _span(before),
            "overall": self.overall.as_dict(),
            "groups": [advice.as_dict() for advice in self.groups],
        }


def advice_query(query: ReportQuery) -> ReportQuery:
    """The query advice runs: grouped by nothing, team or model, over `since` (default
    DEFAULT_PERIOD_DAYS before as_of) to `until` or as_of."""
    if len(query.by) > 1 or (query.by and query.by[0] not in ADVICE_BY):
        raise InvalidOption(f"by must be one of {', '.join(ADVICE_BY)} (got {','.join(query.by)})",
                            "by")  # fmt: skip
    if query.period is not None:
        raise InvalidOption("advice takes no period; use since and until", "period")
    if query.since is None:
        end = query.until if query.until is not None else query.as_of
        query = replace(query, since=end - DEFAULT_PERIOD_DAYS * _DAY)
    return query


def build_advice(
    query: ReportQuery,
    overall: AdviceCounts,
    grouped: AdviceCounts | None,
    taxonomy: Taxonomy,
    min_rollbacks: int,
    cost: CostModel | None = None,
) -> AdviceReport:
    """Ranked recommendations overall and for each group that had rollbacks this period
    (groups in name order)."""
    first = _advise(overall, (), {}, taxonomy, min_rollbacks, cost)
    groups = []
    if grouped is not None:
        dimension = query.by[0]
        for key in sorted(grouped.current, key=lambda k: (k[0] is None, str(k[0] or ""))):
            scope = {dimension: key[0]}
            groups.append(_advise(grouped, key, scope, taxonomy, min_rollbacks, cost))
    return AdviceReport(query, first, groups)


def _advise(
    counts: AdviceCounts,
    key: tuple[Any, ...],
    scope: dict[str, str | None],
    taxonomy: Taxonomy,
    min_rollbacks: int,
    cost: CostModel | None,
) -> Advice:
    tallies = counts.current.get(key, {})
    previous = (counts.previous or {}).get(key, {})
    causes = [
        CauseCount(
            cause=name,
            count=tally.count,
            event_ids=tuple(tally.event_ids),
            previous_count=previous.get(name, 0),
            cost=None if cost is None else _cost(tally, cost),
        )
        for name, tally in sorted(tallies.items())
    ]
    total = sum(cause.count for cause in causes)
    return advise(AdviceInput(total, causes, scope), taxonomy, min_rollbacks)


def _cost(tally: CauseTally, model: CostModel) -> Cost:
    return estimate_cost(
        (
            CostTally(name, environment, team, automated, n, micros / MICROS_PER_HOUR)
            for (name, environment, team, automated), (n, micros) in tally.exposure.items()
        ),
        model,
    )


def _span(query: ReportQuery) -> dict[str, str | None]:
    end = query.until if query.until is not None else query.as_of
    return {"since": None if query.since is None else iso_utc(query.since), "until": iso_utc(end)}
