"""Rollback readiness of every live stream a query matches (issue 10).

Pure: `metrics.readiness.assess_readiness` judges each stream from the facts the read
model gave; this module orders the verdicts (worst first), counts them, and gives the
stable JSON shape of `readiness --format json` and `GET /api/v1/readiness`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rollback_rate.aggregation import ReadinessQuery, ReadinessRow
from rollback_rate.metrics.readiness import (
    VERDICTS,
    Readiness,
    ReadinessFacts,
    assess_readiness,
    is_at_least,
    verdict_rank,
)
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc


@dataclass(frozen=True)
class StreamReadiness:
    """One stream's verdict, and the deployment events behind its live version and target."""

    readiness: Readiness
    live_event_id: str | None
    target_event_id: str | None

    @property
    def verdict(self) -> str:
        return self.readiness.verdict

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.readiness.as_dict(),
            "live_event_id": self.live_event_id,
            "target_event_id": self.target_event_id,
        }


@dataclass(frozen=True)
class ReadinessReport:
    query: ReadinessQuery
    as_of: int
    max_days_since_exercised: float
    streams: list[StreamReadiness]

    def counts(self) -> dict[str, int]:
        """How many streams have each verdict (every verdict listed, zero included)."""
        return {v: sum(1 for s in self.streams if s.verdict == v) for v in VERDICTS}

    def at_least(self, threshold: str) -> list[StreamReadiness]:
        """The streams at `threshold` or worse (`--fail-on`)."""
        return [s for s in self.streams if is_at_least(s.verdict, threshold)]

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `readiness --format json` and `GET /api/v1/readiness`."""
        q = self.query
        return {
            "as_of": iso_utc(self.as_of),
            "max_days_since_exercised": self.max_days_since_exercised,
            "filters": {"model": q.model, "environment": q.environment, "team": q.team},
            "counts": self.counts(),
            "streams": [s.as_dict() for s in self.streams],
        }


def build_readiness(
    query: ReadinessQuery, rows: Sequence[ReadinessRow], now: int, max_days: float
) -> ReadinessReport:
    """Each live stream judged as of `now`, worst verdict first, then by model and
    environment."""
    judged = [
        StreamReadiness(assess_readiness(_facts(row, now), max_days), row.live_event_id,
                        row.target_event_id)
        for row in rows
    ]  # fmt: skip
    judged.sort(
        key=lambda s: (-verdict_rank(s.verdict), s.readiness.facts.model,
                       s.readiness.facts.environment)
    )  # fmt: skip
    return ReadinessReport(query, now, max_days, judged)


def _facts(row: ReadinessRow, now: int) -> ReadinessFacts:
    median = row.median_rollback_micros
    return ReadinessFacts(
        model=row.model,
        environment=row.environment,
        team=row.team,
        live_version=row.live_version,
        target_version=row.target_version,
        target_artifact=row.target_artifact,
        target_digest=row.target_digest,
        target_rolled_back_before=row.target_rolled_back_before,
        last_exercised_at=row.last_exercised_at,
        median_hours_to_rollback=None if median is None else median / MICROS_PER_HOUR,
        now=now,
    )
