"""A whole report: overall, per group and per period, in the stable JSON shape.

Pure: a function of the query and the counts the read model gives for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollback_rate.aggregation import FailedRollbacks, ReportCounts, ReportQuery
from rollback_rate.metrics.summary import Summary, summarise
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    overall: Summary
    groups: list[tuple[dict[str, Any], Summary]] = field(default_factory=list)
    periods: list[tuple[str, Summary]] = field(default_factory=list)
    failed_rollbacks: FailedRollbacks = field(default_factory=FailedRollbacks)

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `report --format json` and `GET /api/v1/report`."""
        q = self.query
        return {
            "as_of": iso_utc(q.as_of),
            "window_hours": q.window / MICROS_PER_HOUR,
            "filters": {
                "model": q.model,
                "environment": q.environment,
                "team": q.team,
                "since": iso_utc(q.since) if q.since is not None else None,
                "until": iso_utc(q.until) if q.until is not None else None,
                "by": list(q.by),
                "period": q.period,
            },
            "overall": self.overall.as_dict(),
            "groups": [{"key": key, **summary.as_dict()} for key, summary in self.groups],
            "periods": [{"period": p, **summary.as_dict()} for p, summary in self.periods],
            "failed_rollbacks": self.failed_rollbacks.as_dict(),
        }


def build_report(query: ReportQuery, counts: ReportCounts) -> Report:
    """Rates, intervals and bands per group, from the tallies the read model counted."""
    return Report(
        query=query,
        overall=summarise(counts.overall),
        groups=[
            (dict(zip(query.by, key, strict=True)), summarise(tally))
            for key, tally in sorted(counts.groups.items(), key=lambda kv: _sortable(kv[0]))
        ],
        periods=[(key[0], summarise(tally)) for key, tally in sorted(counts.periods.items())],
        failed_rollbacks=counts.failed_rollbacks,
    )


def _sortable(key: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((part is None, str(part or "")) for part in key)
