"""A whole report: overall, per group and per period, in the stable JSON shape.

Pure: a function of the query and the counts the read model gives for it. Each period
carries its change against the period before it, and the overall summary its change
against the period of equal length before `since` (issue 12). Groups carry an
empirical-Bayes estimate beside their raw rate, so that one rollback of a rarely deployed
model does not top a ranking; `order` lists them by name, raw rate or that estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from rollback_rate.aggregation import Counts, FailedRollbacks, ReportCounts, ReportQuery
from rollback_rate.metrics.shrinkage import BetaPrior, ShrunkRate, shrink_rates
from rollback_rate.metrics.summary import Summary, SummarySettings, summarise, with_change
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    overall: Summary
    groups: list[tuple[dict[str, Any], Summary]] = field(default_factory=list)
    periods: list[tuple[str, Summary]] = field(default_factory=list)
    failed_rollbacks: FailedRollbacks = field(default_factory=FailedRollbacks)
    shrunk: list[ShrunkRate] = field(default_factory=list)  # one per group, in order
    prior: BetaPrior | None = None

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `report --format json` and `GET /api/v1/report`."""
        q = self.query
        return {
            "as_of": iso_utc(q.as_of),
            "window_hours": q.window / MICROS_PER_HOUR,
            "tz": q.tz,
            "filters": {
                "model": q.model,
                "environment": q.environment,
                "team": q.team,
                "since": iso_utc(q.since) if q.since is not None else None,
                "until": iso_utc(q.until) if q.until is not None else None,
                "by": list(q.by),
                "period": q.period,
                "order": q.order,
            },
            "overall": self.overall.as_dict(),
            "groups": [
                {
                    "key": key,
                    **summary.as_dict(),
                    "shrunk_rate": shrunk.rate_pct,
                    "shrunk_ci95": shrunk.ci95,
                }
                for (key, summary), shrunk in zip(self.groups, self.shrunk, strict=True)
            ],
            "prior": None if self.prior is None else _prior(self.prior),
            "periods": [{"period": p, **summary.as_dict()} for p, summary in self.periods],
            "failed_rollbacks": self.failed_rollbacks.as_dict(),
        }


def build_report(
    query: ReportQuery, counts: ReportCounts, settings: SummarySettings | None = None
) -> Report:
    """Rates, intervals and bands per group, from the tallies the read model counted."""
    settings = settings or SummarySettings(stream_names=counts.stream_names)
    if counts.stream_names and not settings.stream_names:
        settings = SummarySettings(settings.min_settled, settings.cost, counts.stream_names)
    overall = summarise(counts.overall, settings)
    before = query.previous()
    if before is not None:
        previous = summarise(counts.previous, settings) if counts.previous else None
        overall = with_change(overall, previous, _span(before))
    groups = [
        (dict(zip(query.by, key, strict=True)), summarise(tally, settings))
        for key, tally in sorted(counts.groups.items(), key=lambda kv: sortable(kv[0]))
    ]
    prior, shrunk = (
        shrink_rates([(s.rollbacks, s.settled) for _, s in groups]) if groups else (None, [])
    )
    ranked = _ordered(query.order, list(zip(groups, shrunk, strict=True)))
    return Report(
        query=query,
        overall=overall,
        groups=[group for group, _ in ranked],
        periods=_periods(query, counts, settings),
        failed_rollbacks=counts.failed_rollbacks,
        shrunk=[estimate for _, estimate in ranked],
        prior=prior,
    )


def _periods(
    query: ReportQuery, counts: ReportCounts, settings: SummarySettings
) -> list[tuple[str, Summary]]:
    """Each period with its change against the calendar period before it (a period with
    no deployments is compared as an empty one)."""
    summaries = {key[0]: summarise(tally, settings) for key, tally in counts.periods.items()}
    listed = []
    for label in sorted(summaries):
        before = _previous_period(label)
        summary = with_change(summaries[label], summaries.get(before) or _EMPTY, before)
        listed.append((label, summary))
    return listed


_EMPTY = summarise(Counts())


def _previous_period(label: str) -> str:
    """The ISO week or month before `label` ("2026-W01" -> "2025-W52", "2026-01" -> "2025-12")."""
    if "-W" in label:
        iso_year, week = label.split("-W")
        monday = date.fromisocalendar(int(iso_year), int(week), 1) - timedelta(days=7)
        iso = monday.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    year, month = (int(part) for part in label.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def _span(query: ReportQuery) -> str:
    assert query.since is not None and query.until is not None
    return f"{iso_utc(query.since)}/{iso_utc(query.until)}"


def _ordered(
    order: str, pairs: list[tuple[tuple[dict[str, Any], Summary], ShrunkRate]]
) -> list[tuple[tuple[dict[str, Any], Summary], ShrunkRate]]:
    """Groups by name (as sorted), by raw rate or by shrunk estimate, highest first; ties
    by name."""
    if order == "rate":
        return sorted(pairs, key=lambda pair: -(pair[0][1].rollback_rate or -1.0))
    if order == "shrunk":
        return sorted(pairs, key=lambda pair: -pair[1].rate_pct)
    return pairs


def _prior(prior: BetaPrior) -> dict[str, Any]:
    return {
        "alpha": prior.alpha,
        "beta": prior.beta,
        "mean_rate": prior.mean_pct,
        "method": prior.method,
        "reason": prior.reason,
        "groups": prior.groups,
    }


def sortable(key: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    """A group key's sort key: by name, groups without a value (None) last."""
    return tuple((part is None, str(part or "")) for part in key)
