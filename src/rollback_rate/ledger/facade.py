"""`Ledger`: the one library in front of the pipeline, for every edge.

The CLI, the HTTP service, webhooks, sync jobs and the demo call only this class, the way
sqlite-utils' CLI calls only `Database`/`Table` and datasette's views call `Datasette`.
Behind it: one write path (validation, chunking, group commit where requests are
concurrent, deadlock retries, the after-commit hook) and one read model (every SELECT,
each answer in one snapshot). Database failures come out as `DatabaseError`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar

from rollback_rate.aggregation import (
    AuditPage,
    AuditQuery,
    ExportQuery,
    FilterMatch,
    OutcomeTally,
    ReadinessQuery,
    ReadModel,
    ReportQuery,
    StreamPosition,
)
from rollback_rate.aggregation.query import check_name
from rollback_rate.config import Config
from rollback_rate.errors import InvalidOption, UnknownStream
from rollback_rate.ledger.alert_log import AlertLog
from rollback_rate.ledger.errors import database_errors
from rollback_rate.ledger.snapshot import SnapshotOptions, dashboard_snapshot
from rollback_rate.metrics import (
    AdviceReport,
    ReadinessReport,
    Report,
    StreamFigures,
    SummarySettings,
    SurvivalReport,
    TestScore,
    advice_query,
    build_advice,
    build_readiness,
    build_report,
    build_survival,
    models_overview,
    score_tests,
    stream_figures,
)
from rollback_rate.metrics.rollbacks import (
    delay_edges,
    rollbacks_document,
    time_to_rollback_document,
)
from rollback_rate.store import Database, open_database
from rollback_rate.store.backend import backend_for_url
from rollback_rate.store.database import default_url, normalise_url
from rollback_rate.store.redaction import redact
from rollback_rate.store.secrets import (
    SecretInfo,
    add_secret,
    get_secret,
    list_secrets,
    remove_secret,
)
from rollback_rate.store.tokens import (
    TokenInfo,
    create_token,
    find_token,
    list_tokens,
    revoke_token,
    touch_token,
)
from rollback_rate.timeutil import now_micros

# The write path (attribution, sources, group commit) is imported by the methods that
# write: a command that only reads starts without it (issue 13).
if TYPE_CHECKING:
    from rollback_rate.attribution import ChangeLog
    from rollback_rate.attribution.moment import History
    from rollback_rate.events import EventRecord
    from rollback_rate.ledger.commits import Committed, Subscriber
    from rollback_rate.ledger.inputs import ImportResult
    from rollback_rate.ledger.outcomes import RecordOutcome
    from rollback_rate.ledger.webhooks import Delivery
    from rollback_rate.ledger.writes import IngestResult, RawEvent
    from rollback_rate.sources import SourceOptions

MAX_CONTEXT = 100  # changes either side of a moment that `history` shows
# Bodies up to this size are parsed and checked on the caller's event loop (about 50 µs
# for one event; a 10,000-event batch would hold the loop for a quarter of a second).
_SMALL_BODY = 16 * 1024
P = ParamSpec("P")
MAX_RECENT_ROLLBACKS = 500
T = TypeVar("T")


def _translated(method: Callable[P, T]) -> Callable[P, T]:
    """Database failures inside `method` come out as DatabaseError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with database_errors(_url_of(args[0])):
            return method(*args, **kwargs)

    return wrapper


def _url_of(ledger: object) -> str | None:
    return ledger.url if isinstance(ledger, Ledger) else None


class Ledger:
    """Deployments and rollbacks recorded, attributed and reported, in one database.

    Built from a database URL (None: `ROLLBACK_RATE_DB` or the default SQLite file) or
    an open `Database`. The database is opened (and migrated) on first use, so a service
    can start while it is down; a failed opening is tried again on the next call. With
    `create=False` (readers), a SQLite file that does not exist raises DatabaseNotFound
    on first use instead of being created.
    """

    def __init__(
        self,
        database: str | Database | None = None,
        *,
        group_commit: bool = True,
        migrate: bool = True,
        config: Config | None = None,
        create: bool = True,
    ) -> None:
        self._given = database if isinstance(database, Database) else None
        self._url = database if isinstance(database, str) else None
        self._database: Database | None = self._given
        self._migrate = migrate
        self.config = config or Config.default()
        self._create = create
        self._opening = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._committer = None
        if group_commit:
            from rollback_rate.ledger.group_commit import GroupCommitter

            self._committer = GroupCommitter(self._commit_groups)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The database URL, as given or defaulted."""
        if self._database is not None:
            return self._database.url
        return self._url or default_url()

    @property
    def printable_url(self) -> str:
        """The database URL with every credential replaced by `***`: fit to print."""
        return redact(self.url)

    @property
    def one_writer_at_a_time(self) -> bool:
        """Writers queue on one lock (SQLite): more service workers do not write faster."""
        return not backend_for_url(normalise_url(self.url)).concurrent_writers

    @property
    def database(self) -> Database:
        """The open database (opened and migrated now if it was not yet)."""
        database = self._database
        if database is not None:
            return database
        with self._opening:
            if self._database is None:
                self._database = open_database(self.url, migrate=self._migrate, create=self._create)
            return self._database

    def close(self) -> None:
        """Answer queued writes, then release the database (unless it was given open)."""
        if self._committer is not None:
            self._committer.close()
        with self._opening:
            if self._database is not None and self._database is not self._given:
                self._database.dispose()
                self._database = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_translated
    def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers now."""
        self.database.ping()

    # ------------------------------------------------------------------ the hook

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` after every committed write with what it changed; returns a
        function that unsubscribes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    # ------------------------------------------------------------------ writes

    def record(self, event: Mapping[str, Any], *, location: str = "event") -> IngestResult:
        """Record one event (a pipeline step, a sync job)."""
        return self.record_batch([event], locations=[location])

    @_translated
    def record_explained(
        self, event: Mapping[str, Any], *, location: str = "event"
    ) -> RecordOutcome:
        """Record one event and say what it did: a new deployment, a redeploy, an inferred
        rollback of which deployments, a rollback, an orphan or a duplicate (`record`),
        with the warnings of `record_batch`."""
        from rollback_rate.ledger.outcomes import outcome_of
        from rollback_rate.ledger.warnings import bad_target_warnings
        from rollback_rate.ledger.writes import validate_events, write_events

        [record] = validate_events([(location, event)])
        result, committed = self._write_noted(
            lambda changes: write_events(self.database, [(location, record)], changes=changes),
            full=True,
        )
        return outcome_of(record, result, committed, bad_target_warnings(committed, [record]))

    @_translated
    def record_batch(
        self,
        events: Sequence[Mapping[str, Any] | EventRecord],
        *,
        locations: Sequence[str] | None = None,
    ) -> IngestResult:
        """Record a batch atomically: any invalid event raises InvalidInput, each problem
        located (`[3]`, or the given locations), and nothing is stored. Small batches from
        concurrent callers share a transaction (group commit); every batch is retried
        whole when the database aborts it to break a deadlock. A batch holding corrections
        (void, amend) has a transaction of its own, and its result tells what it changed
        (`changes`, the after-commit notice subscribers get too). Its `warnings` name the
        bad-target rollbacks its events made."""
        from rollback_rate.events.model import CORRECTIONS
        from rollback_rate.ledger.group_commit import MAX_GROUPED_EVENTS
        from rollback_rate.ledger.warnings import bad_target_warnings
        from rollback_rate.ledger.writes import validate_events, write_events

        where = locations or [f"[{index}]" for index in range(len(events))]
        records = validate_events(zip(where, events, strict=True))
        corrects = any(record.type in CORRECTIONS for record in records)
        if self._committer is not None and not corrects and len(records) <= MAX_GROUPED_EVENTS:
            return self._committer.submit(records)
        located = list(zip(where, records, strict=True))
        result, committed = self._write_noted(
            lambda changes: write_events(self.database, located, changes=changes), full=corrects
        )
        if corrects:
            result.changes = committed
        result.warnings = bad_target_warnings(committed, records)
        return result

    @_translated
    def record_stream(
        self, raws: Iterable[RawEvent], *, skip_invalid: bool = False
    ) -> IngestResult:
        """Record located raw events of any number, read once, in constant memory: atomic
        unless `skip_invalid` (then the valid ones are stored and the rest listed).

        A one-shot stream cannot be read again, so it is not retried; a list is."""
        from rollback_rate.ledger.writes import write_events

        if isinstance(raws, Sequence):
            return self._write(
                lambda changes: write_events(
                    self.database, raws, skip_invalid=skip_invalid, changes=changes
                )
            )
        result, committed = write_events(
            self.database, raws, skip_invalid=skip_invalid, changes=self._change_log()
        )
        self._notify(committed)
        return result

    def record_json(self, body: bytes, *, max_events: int) -> tuple[int, IngestResult]:
        """Record the events of a JSON body (one object or an array of at most
        `max_events`); how many it held, and what was stored."""
        from rollback_rate.ledger.inputs import located_json_body

        raws = located_json_body(body, max_events)
        locations = [location for location, _ in raws]
        return len(raws), self.record_batch([raw for _, raw in raws], locations=locations)

    async def record_json_async(self, body: bytes, *, max_events: int) -> tuple[int, IngestResult]:
        """`record_json` for code on an event loop (the HTTP service). A small body of new
        events is parsed and checked on the loop and awaits its group commit without a
        thread of its own, so a single-event POST makes no trip through a thread pool;
        anything else (a large body, corrections, no group commit) runs `record_json` on
        a worker thread."""
        import asyncio

        from rollback_rate.events.model import CORRECTIONS
        from rollback_rate.ledger.group_commit import MAX_GROUPED_EVENTS
        from rollback_rate.ledger.inputs import located_json_body
        from rollback_rate.ledger.writes import validate_events

        committer = self._committer
        if committer is None or len(body) > _SMALL_BODY:
            return await asyncio.to_thread(self.record_json, body, max_events=max_events)
        raws = located_json_body(body, max_events)
        records = validate_events(raws)
        if len(records) > MAX_GROUPED_EVENTS or any(r.type in CORRECTIONS for r in records):
            return await asyncio.to_thread(self.record_json, body, max_events=max_events)
        with database_errors(self.url):
            return len(raws), await asyncio.wrap_future(committer.enqueue(records))

    def import_file(
        self,
        file: str | Path | IO[bytes],
        fmt: str | None = None,
        *,
        skip_invalid: bool = False,
        options: SourceOptions | None = None,
        wrap: Callable[[IO[bytes]], IO[bytes]] | None = None,
    ) -> ImportResult:
        """Import a file of events (`jsonl`, `csv`, detected when `fmt` is None) or of a
        source's payloads (`fmt` names the source), streamed. A path is opened again if
        the database aborts the import to break a deadlock; a stream cannot be. `wrap`
        wraps each opened file (a progress bar)."""
        if isinstance(file, str | Path):
            path = Path(file)
            if not path.is_file():
                raise InvalidOption(f"{file} is not a readable file", "file")

            def attempt(changes: ChangeLog | None) -> tuple[ImportResult, Committed | None]:
                with path.open("rb") as handle:
                    return self._import(handle, path.name, fmt, skip_invalid, options, wrap,
                                        changes)  # fmt: skip

            with database_errors(self.url):
                return self._write(attempt)
        with database_errors(self.url):
            result, committed = self._import(
                file, "-", fmt, skip_invalid, options, wrap, self._change_log()
            )
        self._notify(committed)
        return result

    def deliver(
        self,
        source: str,
        body: bytes,
        headers: Mapping[str, str],
        options: SourceOptions | None = None,
    ) -> Delivery:
        """A webhook delivery: verified against the source's stored secret (for sources
        that sign), translated by the source's adapter, recorded as one batch."""
        from rollback_rate.ledger.webhooks import deliver
        from rollback_rate.sources import SourceOptions

        return deliver(self, source, body, headers, options or SourceOptions())

    @_translated
    def rebuild(self) -> int:
        """Replay every stream's attribution from the log; returns how many streams."""
        from rollback_rate.ledger.writes import rebuild as replay

        return self._write(lambda changes: replay(self.database, changes))

    @_translated
    def maintain(self) -> None:
        """Refresh the database's planner statistics (after a large import)."""
        self.database.maintain()

    @_translated
    def upgrade(self) -> tuple[str | None, str | None]:
        """Migrate to the newest schema; the revisions before and after."""
        database = self._database or open_database(self.url, migrate=False)
        try:
            before = database.current_revision()
            return before, database.upgrade()
        finally:
            if database is not self._database:
                database.dispose()

    # ------------------------------------------------------------------ reads

    @_translated
    def report(self, query: ReportQuery) -> Report:
        """The Model Rollback Rate report the query asks for (with the config's sample size,
        repeat distance and, when it has one, cost model)."""
        config = self.config
        query = replace(query, repeat_within=config.report.repeat_within)
        counts = ReadModel(self.database).report_counts(query, costed=config.cost is not None)
        settings = SummarySettings(config.report.min_settled, config.cost, counts.stream_names)
        return build_report(query, counts, settings)

    @_translated
    def match_filters(self, query: ReportQuery) -> FilterMatch:
        """Whether anything recorded, at any time, matches the query's model, environment
        and team filters; if not, which value matches nothing and the nearest that do."""
        return ReadModel(self.database).filter_match(query)

    @_translated
    def advice(self, query: ReportQuery) -> AdviceReport:
        """Where to invest: the causes of the query's counted rollbacks, ranked by estimated
        cost (with a cost model) or count, overall and by `query.by` (team or model), each
        against the period of equal length before; `since` defaults to 90 days before
        `until` or `as_of`. The taxonomy and `min_rollbacks` come from the config."""
        config = self.config
        query = advice_query(query)
        overall, grouped = ReadModel(self.database).advice_counts(query)
        return build_advice(query, overall, grouped, config.cause_taxonomy(),
                            config.advice.min_rollbacks, config.cost)  # fmt: skip

    @_translated
    def readiness(
        self, query: ReadinessQuery | None = None, *, now: int | None = None
    ) -> ReadinessReport:
        """Could each live stream the query matches roll back safely now (or at `now`,
        UTC microseconds, for the exercise check; the stacks are always the latest)?
        `[readiness] max_days_since_exercised` comes from the config."""
        query = query or ReadinessQuery()
        rows = ReadModel(self.database).readiness(query)
        moment = now_micros() if now is None else now
        return build_readiness(query, rows, moment,
                               self.config.readiness.max_days_since_exercised)  # fmt: skip

    def survival(self, query: ReportQuery) -> SurvivalReport:
        """Time to rollback as Kaplan-Meier curves, overall and per group of `query.by`:
        a rollback is the event (late ones included), every other deployment is censored
        at `query.as_of`."""
        return build_survival(query, ReadModel(self.database).survival(query))

    @_translated
    def testscore(self, query: ReportQuery) -> TestScore:
        """Per model, ML Test Score Infra 6 (canary before serving) and Infra 7 (rollback
        quickly and safely), scored from what the log shows, with the evidence."""
        return score_tests(query, ReadModel(self.database).testscore(query))

    @_translated
    def history(
        self, model: str, environment: str, at: int | None = None, *, context: int = 3
    ) -> History:
        """What served on (model, environment) at `at` (now): the live version, since when
        and which event made it live, and `context` changes either side, from the stack
        rules replayed over the log with its corrections."""
        check_name(model, "model")
        check_name(environment, "environment")
        if not 0 <= context <= MAX_CONTEXT:
            raise InvalidOption(f"context must be 0 to {MAX_CONTEXT} (got {context})", "context")
        moment = now_micros() if at is None else at
        found, environments = ReadModel(self.database).history(model, environment, moment, context)
        if found is None:
            if not environments:
                raise UnknownStream(f"no events were recorded for model {model!r}", "model")
            raise UnknownStream(
                f"model {model!r} has no events in environment {environment!r}; it has "
                f"events in {', '.join(environments)}",
                "environment",
            )
        from rollback_rate.attribution.moment import History, replay_to

        replayed = replay_to(found.events, found.corrections, moment, context)
        return History(model, environment, replayed)

    @_translated
    def models(self, query: ReportQuery) -> dict[str, Any]:
        """Per model and environment: live version, last deployment and rollback, rate."""
        counts, rows = ReadModel(self.database).models(query)
        return models_overview(query, counts, rows)

    @_translated
    def recent_rollbacks(self, query: ReportQuery, limit: int = 20) -> dict[str, Any]:
        """The latest rolled-back deployments matching the query's filters (newest first),
        each with the version restored and the hours it had been deployed."""
        if not 1 <= limit <= MAX_RECENT_ROLLBACKS:
            raise InvalidOption(f"limit must be 1 to {MAX_RECENT_ROLLBACKS} (got {limit})", "limit")
        return rollbacks_document(query, ReadModel(self.database).recent_rollbacks(query, limit))

    @_translated
    def time_to_rollback(self, query: ReportQuery) -> dict[str, Any]:
        """Rolled-back deployments matching the query, counted by hours from deployment to
        rollback, in buckets that put the window on an edge (late rollbacks after it)."""
        edges = delay_edges(query.window)
        counts = ReadModel(self.database).delay_histogram(query, edges)
        return time_to_rollback_document(query, edges, counts)

    def dashboard_snapshot(self, options: SnapshotOptions) -> dict[str, Any]:
        """The API's answers to every request the dashboard makes for these options, keyed
        as its script keys them: what a self-contained report file carries."""
        return dashboard_snapshot(self, options)

    @_translated
    def streams(self, models: Iterable[str] | None = None) -> dict[tuple[str, str], StreamPosition]:
        """Each stream's live version and last event, by (model, environment)."""
        return ReadModel(self.database).stream_positions(models)

    @_translated
    def events(self, query: AuditQuery) -> AuditPage:
        """A page of the event log in arrival order (the audit trail)."""
        return ReadModel(self.database).audit_page(query)

    def export(self, query: ExportQuery | None = None) -> Iterator[bytes]:
        """The event log as canonical JSON Lines in arrival order, one line per event, all
        from one snapshot: what `import_file` takes back to the same events (ids, every
        field, attributes, corrections). Lazy and in constant memory: the log is read a
        page at a time as the lines are taken."""
        with database_errors():
            for record in ReadModel(self.database).exported(query or ExportQuery()):
                yield record.as_line()

    @_translated
    def gauges(self, window: int, as_of: int | None = None) -> list[StreamFigures]:
        """Per stream: settled rate, settled and pending deployments as of `as_of` (now)
        over `window` (microseconds), and recorded events; cheap enough for every scrape."""
        moment = now_micros() if as_of is None else as_of
        return stream_figures(ReadModel(self.database).gauges(moment, window))

    @_translated
    def is_empty(self) -> bool:
        """No event was ever recorded."""
        return ReadModel(self.database).is_empty()

    @_translated
    def data_version(self) -> str | None:
        """An opaque value that changes whenever a commit (from any process) could change
        an answer of the read methods: a reader may keep answers while it is the same.
        None while it cannot be told (PostgreSQL, while another session is writing)."""
        return ReadModel(self.database).data_version()

    @_translated
    def outcomes(
        self, spans: Sequence[tuple[int, int]], window: int, models: Iterable[str] | None = None
    ) -> list[list[OutcomeTally]]:
        """For each (start, end] span (UTC microseconds): the outcomes that became known in
        it (a rollback within `window`, or a window closed without one), per model,
        environment and team, with the rollback events behind the failures; of `models`
        (None: all). What rate alerts watch."""
        wanted = None if models is None else sorted(set(models))
        return ReadModel(self.database).outcomes(spans, window, wanted)

    @property
    def alert_log(self) -> AlertLog:
        """Alert delivery state in this database: claims, leases, sent and failed alerts."""
        return AlertLog(lambda: self.database)

    # ------------------------------------------------------------------ tokens, secrets

    @_translated
    def create_token(self, name: str, scopes: Iterable[str]) -> tuple[str, TokenInfo]:
        """A new API token (shown once) and its metadata; only its hash is stored."""
        return create_token(self.database, name, scopes)

    @_translated
    def revoke_token(self, name: str) -> TokenInfo:
        """Revoke the active token `name`; it stops working at once (modulo caches)."""
        return revoke_token(self.database, name)

    @_translated
    def tokens(self) -> list[TokenInfo]:
        """Every token ever created, with scopes and status (never the token values)."""
        return list_tokens(self.database)

    @_translated
    def find_token(self, token: str) -> TokenInfo | None:
        """The active token with this value, or None."""
        return find_token(self.database, token)

    @_translated
    def touch_token(self, token_id: int, at: int | None = None) -> None:
        """Record a token's use (callers throttle this: not a write per request)."""
        touch_token(self.database, token_id, at)

    @_translated
    def add_webhook_secret(self, source: str, secret: str, *, replace: bool = False) -> None:
        """Store the secret a source signs its deliveries with (an error if one is there,
        unless `replace`)."""
        add_secret(self.database, source, secret, replace=replace)

    @_translated
    def webhook_secret(self, source: str) -> str | None:
        """The secret stored for `source`, or None."""
        return get_secret(self.database, source)

    @_translated
    def webhook_secrets(self) -> list[SecretInfo]:
        """Which sources have a secret, and since when (never the values)."""
        return list_secrets(self.database)

    @_translated
    def remove_webhook_secret(self, source: str) -> bool:
        """Delete a source's secret; False when there was none."""
        return remove_secret(self.database, source)

    # ------------------------------------------------------------------ inside

    def _change_log(self) -> ChangeLog | None:
        from rollback_rate.attribution import ChangeLog

        return ChangeLog() if self._subscribers else None

    def _notify(self, committed: Committed | None) -> None:
        if committed is not None:
            from rollback_rate.ledger.commits import notify

            notify(list(self._subscribers), committed)

    def _write(self, attempt: Callable[[ChangeLog | None], tuple[T, Committed | None]]) -> T:
        """One write transaction, retried whole if aborted, subscribers told after."""
        from rollback_rate.ledger.retry import with_retries

        result, committed = with_retries(self.database.backend, lambda: attempt(self._change_log()))
        self._notify(committed)
        return result

    def _write_noted(
        self,
        attempt: Callable[[ChangeLog | None], tuple[T, Committed | None]],
        *,
        full: bool = False,
    ) -> tuple[T, Committed | None]:
        """`_write`, and what it changed: all of it for subscribers or when `full` is asked
        (a correction is answered with its changes); otherwise only when it made a
        bad-target rollback (warnings need no more)."""
        from rollback_rate.attribution import ChangeLog
        from rollback_rate.ledger.retry import with_retries
        from rollback_rate.ledger.warnings import WarningLog

        result, committed = with_retries(
            self.database.backend,
            lambda: attempt(ChangeLog() if full or self._subscribers else WarningLog()),
        )
        self._notify(committed)
        return result, committed

    def _commit_groups(self, groups: Sequence[Sequence[EventRecord]]) -> list[IngestResult]:
        from rollback_rate.ledger.warnings import bad_target_warnings
        from rollback_rate.ledger.writes import write_groups

        results, committed = self._write_noted(
            lambda changes: write_groups(self.database, groups, changes)
        )
        for result, group in zip(results, groups, strict=True):
            result.warnings = bad_target_warnings(committed, group)
        return results

    def _import(
        self,
        handle: IO[bytes],
        name: str,
        fmt: str | None,
        skip_invalid: bool,
        options: SourceOptions | None,
        wrap: Callable[[IO[bytes]], IO[bytes]] | None,
        changes: ChangeLog | None,
    ) -> tuple[ImportResult, Committed | None]:
        stream = wrap(handle) if wrap is not None else handle
        from rollback_rate.ledger.inputs import ImportResult, located_file_events
        from rollback_rate.ledger.writes import write_events

        raws, ignored = located_file_events(stream, name, fmt, options)
        result, committed = write_events(
            self.database, raws, skip_invalid=skip_invalid, changes=changes
        )
        return ImportResult.of(result, ignored), committed
