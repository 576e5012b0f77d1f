"""PostgreSQL: the team database. Concurrent writers, each stream locked by its row.

Bulk chunks are COPYed: straight into the log when their seqs are reserved first, else
through a staging table. The server works on another core while this process goes on,
so a bulk load's statements go to a writer thread (`threaded_writer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Text,
    cast,
    create_engine,
    func,
    make_url,
)
from sqlalchemy.exc import DBAPIError

from rollback_rate.events import EventRecord
from rollback_rate.store.appended import (
    EVENT_COLUMNS,
    AppendResult,
    Row,
    StreamKey,
    first_of_each_id,
    log_row,
    per_stream,
)
from rollback_rate.store.backend import Backend
from rollback_rate.store.bulk import driver_errors

_COPY_FROM = 50  # rows; below this a plain INSERT is cheaper
_COLUMN_LIST = ", ".join(EVENT_COLUMNS)
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS event_staging (ord INTEGER, event_id TEXT, "
    "stream_id INTEGER, type TEXT, version TEXT, ts BIGINT, automated BOOLEAN, cause TEXT, "
    "team TEXT, note TEXT, attributes TEXT, recorded_at BIGINT, target TEXT, artifact TEXT, "
    "digest TEXT, drill BOOLEAN, stage TEXT, unplanned BOOLEAN, actor TEXT) "
    "ON COMMIT DELETE ROWS"
)
# The sequence is looked up once, in a scalar subquery: written as nextval's argument,
# pg_get_serial_sequence would be called (a catalog lookup) for every row, five times
# the cost of the nextval itself.
_NEXT_SEQ = "nextval((SELECT pg_get_serial_sequence('events', 'seq'))::regclass)"
_RESERVE = f"SELECT {_NEXT_SEQ} FROM generate_series(1, %s)"
# The new ids among a chunk's (each once), with a seq reserved for each.
_NEW_IDS = (
    f"SELECT given.position, {_NEXT_SEQ} "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS given (event_id, position) "
    "WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.event_id = given.event_id) "
    "ORDER BY given.position"
)
_MOVE_NEW = (
    f"INSERT INTO events ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM event_staging "
    "ORDER BY ord ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id"
)
CONNECT_TIMEOUT = 3  # seconds (libpq counts whole seconds, at least 2)
_MIGRATION_LOCK = 7_202_611  # advisory lock id: replicas migrate one at a time
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


class PostgresBackend(Backend):
    name = "postgresql"
    placeholder = "%s"
    threaded_writer = True
    # Measured no faster (33.3 against 33.1 s for 1M events): the server maintains the
    # indexes on the other core while Python works, and a build at the end would not be.
    indexes_after_bulk_load = False
    concurrent_writers = True
    shares_snapshots = True
    # Twice SQLite's: a stream pushed out continues from its saved state at the end of an
    # import, its events read back from the server, which cost a 1M-event import a sixth
    # of its time (714 of 1,000 streams; 1M events: 49,800 -> 56,800 events/s). The
    # process keeps no page cache, so its peak stays under SQLite's: 1M 141 -> 148 MiB,
    # 10M 171 MiB (180 MB); with 48 MiB, 59,700 events/s but 10M peaked at 214 MB.
    state_budget = 24 * 2**20
    # Shedding down to half handed 467 of 1,000 streams of an incremental import into a
    # 1M-event database to the read back over the wire (9,000-10,800 events/s); down to
    # nine tenths, 184 (11,100-12,700 events/s; its peak 153 -> 165 MiB, and a 10M-event
    # import's 171 -> 178 MiB, 187 MB).
    state_shed_to = 0.9
    groups_by_sorting = False  # measured: two steps cost it 39 against 25 ms

    def create_engine(self, url: str) -> Engine:
        # A short connect timeout: while the server is down or unreachable, a request (a
        # readiness probe, a scrape) learns it in seconds, not after the operating
        # system's TCP timeout (issue 9). `?connect_timeout=N` in the URL overrides it.
        given = make_url(url).query
        connect_args = {} if "connect_timeout" in given else {"connect_timeout": CONNECT_TIMEOUT}
        return create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args
        )

    def snapshot_options(self) -> dict[str, Any]:
        # The default, READ COMMITTED, gives every statement its own snapshot: an answer
        # made of several queries could mix two states of the projection.
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}

    def lock_migrations(self, conn: Connection) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def maintain(self, engine: Engine) -> None:
        # VACUUM also sets the visibility map that lets reports scan indexes alone. Every
        # table a report reads: without statistics the planner takes the rollup's cells
        # for a few thousand and plans a serial scan for them.
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql(
                "VACUUM (ANALYZE) events, deployments, deployment_counts, streams, "
                "stream_stacks, orphan_rollbacks"
            )

    def append_bulk(
        self,
        conn: Connection,
        records: Sequence[EventRecord],
        stream_ids: dict[StreamKey, int],
        recorded_at: int,
    ) -> AppendResult:
        """COPY straight into the log, with seqs reserved first.

        An id stored before makes the COPY fail (under a savepoint): then one query says
        which ids are new and the COPY is tried with those. If that fails too (a
        concurrent writer stored one of them meanwhile), the staged insert skips known ids
        itself.
        """
        kept = first_of_each_id(records)
        rows = [log_row(r, stream_ids[(r.model, r.environment)], recorded_at) for r in kept]
        with driver_errors(conn, "COPY events") as driver, driver.cursor() as cursor:  # psycopg
            cursor.execute(_RESERVE, (len(rows),))
            seqs = sorted(seq for (seq,) in cursor)
            if _copy_new(cursor, seqs, rows):
                return _appended(seqs, kept, stream_ids, len(records))
            cursor.execute(_NEW_IDS, ([row[0] for row in rows],))
            new = cursor.fetchall()  # (position in `kept`, a reserved seq) of each new id
            seqs = sorted(seq for _, seq in new)
            positions = [position - 1 for position, _ in sorted(new)]
            kept = [kept[i] for i in positions]
            rows = [rows[i] for i in positions]
            if _copy_new(cursor, seqs, rows):
                return _appended(seqs, kept, stream_ids, len(records))
        inserted = _insert_staged(self, conn, rows)
        by_id = {record.event_id: record for record in kept}
        new_events = per_stream(((seq, by_id[event_id]) for seq, event_id in inserted), stream_ids)
        return AppendResult(len(inserted), len(records) - len(inserted), new_events, None)

    def insert_rows(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        nullable: Sequence[Sequence[int]] = (),
    ) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if len(rows) > _COPY_FROM:
            statement = f"COPY {table} ({names}) FROM STDIN"
            with (
                driver_errors(conn, statement) as driver,  # a psycopg connection
                driver.cursor() as cursor,
                cursor.copy(statement) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        # A few rows: one multi-row INSERT is one round trip; COPY costs several.
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values = ", ".join([one] * len(rows))
        flat = tuple(value for row in rows for value in row)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES {values}", flat)

    def driver_rows(
        self, conn: Connection, sql: str, params: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        # In binary: a bytea comes as its bytes, not as hex text to decode (the frozen
        # bottom of a stack of 50,000 deployments, 665 kB: 7 ms in text, 1.5-3 ms so).
        sql = sql.replace("?", self.placeholder)
        with driver_errors(conn, sql) as driver, driver.cursor(binary=True) as cursor:
            cursor.execute(sql, tuple(params))
            found: list[tuple[Any, ...]] = cursor.fetchall()
            return found

    def data_version(self, conn: Connection) -> str | None:
        # The last seq as on SQLite, but seqs come from a sequence: a writer holding an
        # earlier seq may commit after one holding a later one, and the last seq would
        # not change at that commit. Every writer locks its streams (`ensure_streams`)
        # before it takes seqs and keeps the table lock until it ends, so while another
        # session holds one there is no version to keep answers under.
        last, writing = conn.exec_driver_sql(_DATA_VERSION).one()
        return None if writing else str(last)

    def median(self, expression: ColumnElement[Any]) -> ColumnElement[Any] | None:
        return func.percentile_cont(0.5).within_group(expression)

    def export_snapshot(self, conn: Connection) -> str | None:
        # As pg_dump --jobs does: its workers read one state of the database in parallel.
        return str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())

    def import_snapshot(self, conn: Connection, snapshot: str) -> None:
        # A utility statement takes no parameters: the id is checked, then written in.
        if not _SNAPSHOT_ID.fullmatch(snapshot):
            raise ValueError(f"{snapshot!r} is not a snapshot id of pg_export_snapshot()")
        conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")

    def listed(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.string_agg(cast(expression, Text), ",")

    def is_retryable(self, error: DBAPIError) -> bool:
        return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


POSTGRES = PostgresBackend()
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")  # e.g. 00000003-0000001B-1

_DATA_VERSION = """
SELECT (SELECT max(seq) FROM events),
       EXISTS (SELECT 1 FROM pg_locks
               WHERE locktype = 'relation' AND relation = 'streams'::regclass
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid())
"""


def _copy_new(cursor: Any, seqs: list[int], rows: Sequence[Row]) -> bool:
    """COPY rows with their seqs under a savepoint; False (nothing inserted) if an id is
    already stored."""
    if not rows:
        return True
    cursor.execute("SAVEPOINT append_copy")
    try:
        with cursor.copy(f"COPY events (seq, {_COLUMN_LIST}) FROM STDIN") as copy:
            for seq, row in zip(seqs, rows, strict=True):
                copy.write_row((seq, *row))
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT append_copy")
        return False
    cursor.execute("RELEASE SAVEPOINT append_copy")
    return True


def _appended(
    seqs: list[int],
    records: Sequence[EventRecord],
    stream_ids: dict[StreamKey, int],
    received: int,
) -> AppendResult:
    new_events = per_stream(zip(seqs, records, strict=True), stream_ids)
    return AppendResult(len(records), received - len(records), new_events, inserted_ids=None)


def _insert_staged(
    backend: PostgresBackend, conn: Connection, rows: list[Row]
) -> list[tuple[int, str]]:
    """COPY into a staging table, then one INSERT ... SELECT that skips known ids and
    returns the new ones, in seq order."""
    conn.exec_driver_sql(_STAGING)
    staged = [(i, *row) for i, row in enumerate(rows)]
    backend.insert_rows(conn, "event_staging", ("ord", *EVENT_COLUMNS), staged)
    inserted = sorted((seq, event_id) for seq, event_id in conn.exec_driver_sql(_MOVE_NEW))
    conn.exec_driver_sql("TRUNCATE event_staging")  # more chunks may follow in this tx
    return inserted
