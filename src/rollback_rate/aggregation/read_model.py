"""The read model: every question asked of the projection and the log, each answered
from one snapshot of the database.

A report, the models overview or a scrape is several queries; read in one snapshot
(`Database.snapshot`), they never mix two states of the projection, even while imports
commit. Nothing here writes, and nothing above it writes SQL: the façade asks here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from rollback_rate.aggregation.advice import AdviceCounts, advice_counts
from rollback_rate.aggregation.audit import AuditPage, AuditQuery, audit_page
from rollback_rate.aggregation.export import ExportQuery, exported_records
from rollback_rate.aggregation.failures import FailedRollbacks, failed_rollbacks
from rollback_rate.aggregation.filters import FilterMatch, match_filters
from rollback_rate.aggregation.gauges import StreamGauge, stream_gauges
from rollback_rate.aggregation.history import StreamHistory, environments_of, stream_history
from rollback_rate.aggregation.outcomes import OutcomeTally, settled_outcomes
from rollback_rate.aggregation.periods import UTC_NAME, LocalPeriods, local_periods
from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.readiness import ReadinessQuery, ReadinessRow, readiness_rows
from rollback_rate.aggregation.rollbacks import (
    RolledBackDeployment,
    delay_histogram,
    recent_rollbacks,
)
from rollback_rate.aggregation.sql import Counts, Key, aggregate_many, time_span
from rollback_rate.aggregation.streams import (
    StreamPosition,
    StreamRow,
    stream_positions,
    stream_rows,
)
from rollback_rate.aggregation.survival import SurvivalCounts, survival_counts
from rollback_rate.aggregation.testscore import ModelEvidence, testscore_evidence
from rollback_rate.events import EventRecord
from rollback_rate.store import Database
from rollback_rate.store.log import log_is_empty
from rollback_rate.store.schema import streams


@dataclass(frozen=True)
class ReportCounts:
    """Everything a report is computed from: tallies overall, per group and per period;
    overall for the period of equal length before (with `since`); and, when costed, the
    streams' names (cost overrides match models and environments)."""

    overall: Counts
    groups: dict[Key, Counts] = field(default_factory=dict)
    periods: dict[Key, Counts] = field(default_factory=dict)
    failed_rollbacks: FailedRollbacks = field(default_factory=FailedRollbacks)
    previous: Counts | None = None
    stream_names: dict[int, tuple[str, str]] = field(default_factory=dict)


class ReadModel:
    """Read-only answers over one database; each method reads one snapshot."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def report_counts(self, query: ReportQuery, *, costed: bool = False) -> ReportCounts:
        """The tallies of a report: overall, by `query.by`, by `query.period`; with
        `costed`, what their cost is made of."""
        with self.database.snapshot() as conn:
            groupings: list[tuple[str, ...]] = [(), query.by] if query.by else [()]
            local: LocalPeriods | None = None
            if query.period and query.tz != UTC_NAME:
                span = time_span(conn, query)
                if span is not None:
                    local = local_periods(query.period, query.tz, *span)
            if query.period:
                groupings.append((query.period,))
            alongside = self.database.alongside(conn)
            found = aggregate_many(conn, query, groupings, costed=costed, local=local,
                                   alongside=alongside)  # fmt: skip
            failures = failed_rollbacks(conn, query)
            before = query.previous()
            previous = (
                aggregate_many(conn, before, [()], alongside=alongside)[0][()] if before else None
            )
            names = (
                {row.id: (row.model, row.environment) for row in conn.execute(
                    select(streams.c.id, streams.c.model, streams.c.environment))}
                if costed else {}
            )  # fmt: skip
        return ReportCounts(
            overall=found[0][()],
            groups=found[1] if query.by else {},
            periods=found[-1] if query.period else {},
            failed_rollbacks=failures,
            previous=previous,
            stream_names=names,
        )

    def advice_counts(self, query: ReportQuery) -> tuple[AdviceCounts, AdviceCounts | None]:
        """The query's counted rollbacks per cause (with the events behind them and their
        exposure) and per cause in the period before: overall, and by `query.by` when
        it groups (else None)."""
        with self.database.snapshot() as conn:
            overall = advice_counts(conn, replace(query, by=()))
            return overall, advice_counts(conn, query) if query.by else None

    def readiness(self, query: ReadinessQuery) -> list[ReadinessRow]:
        """The readiness facts of every live stream the query matches."""
        with self.database.snapshot() as conn:
            return readiness_rows(conn, query)

    def outcomes(
        self, spans: Sequence[tuple[int, int]], window: int, models: Sequence[str] | None = None
    ) -> list[list[OutcomeTally]]:
        """The outcomes known in each (start, end] span, per model, environment and team."""
        with self.database.snapshot() as conn:
            return [settled_outcomes(conn, start, end, window, models) for start, end in spans]

    def models(self, query: ReportQuery) -> tuple[dict[Key, Counts], list[StreamRow]]:
        """Tallies per (model, environment) and the streams' rows, in one snapshot."""
        per_stream = ReportQuery(
            as_of=query.as_of,
            window=query.window,
            by=("model", "environment"),
            model=query.model,
            environment=query.environment,
        )
        with self.database.snapshot() as conn:
            [counts] = aggregate_many(conn, per_stream, [per_stream.by])
            rows = stream_rows(conn, query.model, query.environment)
        return counts, rows

    def recent_rollbacks(self, query: ReportQuery, limit: int) -> list[RolledBackDeployment]:
        """The latest `limit` rolled-back deployments matching the query, newest first."""
        with self.database.snapshot() as conn:
            return recent_rollbacks(conn, query, limit)

    def delay_histogram(self, query: ReportQuery, edges: Sequence[int]) -> list[int]:
        """Rolled-back deployments counted by time to rollback, between `edges` (µs)."""
        with self.database.snapshot() as conn:
            return delay_histogram(conn, query, edges)

    def survival(self, query: ReportQuery) -> SurvivalCounts:
        """What the time-to-rollback curves of the query are computed from."""
        with self.database.snapshot() as conn:
            return survival_counts(conn, query)

    def testscore(self, query: ReportQuery) -> dict[str, ModelEvidence]:
        """Per model, the evidence of canaries, rollbacks, drills and failed rollbacks."""
        with self.database.snapshot() as conn:
            return testscore_evidence(conn, query)

    def history(
        self, model: str, environment: str, at: int, after: int
    ) -> tuple[StreamHistory | None, list[str]]:
        """The stream's events up to `at` and `after` of those after it, with its
        corrections; when there is no such stream, None and the model's environments."""
        with self.database.snapshot() as conn:
            found = stream_history(conn, model, environment, at, after)
            return found, [] if found is not None else environments_of(conn, model)

    def stream_positions(
        self, models: Iterable[str] | None = None
    ) -> dict[tuple[str, str], StreamPosition]:
        with self.database.snapshot() as conn:
            return stream_positions(conn, models)

    def filter_match(self, query: ReportQuery) -> FilterMatch:
        """Whether the query's model, environment and team filters match anything."""
        with self.database.snapshot() as conn:
            return match_filters(conn, query)

    def audit_page(self, query: AuditQuery) -> AuditPage:
        with self.database.snapshot() as conn:
            return audit_page(conn, query)

    def exported(self, query: ExportQuery) -> Iterator[EventRecord]:
        """The stored events the query wants, in arrival order, all from one snapshot (a
        consistent backup while writers go on), read in keyset pages as they are taken."""
        with self.database.snapshot() as conn:
            yield from exported_records(conn, query)

    def gauges(self, as_of: int, window: int) -> list[StreamGauge]:
        with self.database.snapshot() as conn:
            return stream_gauges(conn, as_of, window)

    def data_version(self) -> str | None:
        """Changes whenever a commit could change any answer here (`Backend.data_version`)."""
        with self.database.snapshot() as conn:
            return self.database.backend.data_version(conn)

    def is_empty(self) -> bool:
        """No event was ever recorded."""
        with self.database.snapshot() as conn:
            return log_is_empty(conn)
