"""What differs between SQLite and PostgreSQL, behind one interface.

httpx keeps each transport behind `BaseTransport` instead of `if` checks across the
client; the store does the same with its two databases. Everything above the store
works with a `Database` and never asks which one it is. The differences:

* engine set-up: SQLite's pragmas and `BEGIN IMMEDIATE`; PostgreSQL's pool;
* read snapshots: a plain `BEGIN` on SQLite (WAL keeps one snapshot per transaction);
  `REPEATABLE READ, READ ONLY` on PostgreSQL, whose default gives each statement its own;
* migrations: PostgreSQL replicas take an advisory lock, SQLite's writer lock suffices;
* statistics upkeep after a bulk load;
* the bulk paths: COPY on PostgreSQL, raw `executemany` without None on SQLite;
* whether a writer thread overlaps Python's work (PostgreSQL: yes; SQLite: it would only
  add switching, the engine runs in this process under the GIL);
* which failures are worth retrying (PostgreSQL deadlocks and serialization failures).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Connection, Engine, Index, func
from sqlalchemy.exc import DBAPIError

from rollback_rate.events import EventRecord
from rollback_rate.store.appended import AppendResult, StreamKey


class Backend:
    """One database's way of doing the store's work; see the module docstring."""

    name: ClassVar[str]
    placeholder: ClassVar[str]  # the driver's parameter mark
    threaded_writer: ClassVar[bool]  # bulk statements overlap Python's work on a thread
    concurrent_writers: ClassVar[bool]  # writers to different streams proceed in parallel
    # A bulk load into an empty log builds the secondary indexes after it (bulk_load.py).
    indexes_after_bulk_load: ClassVar[bool]
    # GROUP BY sorts its rows unless an index holds them in that order (SQLite), rather
    # than hashing them (PostgreSQL): then grouping in an index's order first pays.
    groups_by_sorting: ClassVar[bool]
    shares_snapshots: ClassVar[bool] = False  # export_snapshot gives an id (parallel.py)
    # Bytes of stream states a write transaction keeps in memory (attribution/budget.py).
    # Measured (issue 14) on SQLite: 48 MiB let a 10M-event import peak at 245 MB, 12 MiB
    # at under 200 MB (a 3M-event import: 231 -> 191 MB), and a 1M-event import took the
    # same time with either: a stream pushed out continues from its saved state at the
    # end, which costs SQLite, in process, little.
    state_budget: ClassVar[int] = 12 * 2**20
    # Past the bound, states are shed down to this share of it: the fewer shed, the fewer
    # read back at the end, but the more held between sheds (SQLite's 10M-event import is
    # near its memory bound, and its reads back cost little in process).
    state_shed_to: ClassVar[float] = 0.5

    def create_engine(self, url: str) -> Engine:
        raise NotImplementedError

    def snapshot_options(self) -> dict[str, Any]:
        """Execution options of a read transaction that sees one snapshot throughout."""
        raise NotImplementedError

    def lock_migrations(self, conn: Connection) -> None:
        """Keep concurrent starters from migrating at once (inside the migration's tx)."""

    def maintain(self, engine: Engine) -> None:
        """Refresh planner statistics after a bulk load."""
        raise NotImplementedError

    def append_bulk(
        self,
        conn: Connection,
        records: Sequence[EventRecord],
        stream_ids: dict[StreamKey, int],
        recorded_at: int,
    ) -> AppendResult:
        """Append thousands of records (streams already ensured), skipping stored ids."""
        raise NotImplementedError

    def insert_rows(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        nullable: Sequence[Sequence[int]] = (),
    ) -> None:
        """Insert many rows of plain values in column order. Only the columns `nullable`
        names (sets of indexes, each None or filled as a whole) may hold None."""
        raise NotImplementedError

    def execute_many(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement written with '?' marks, for every row."""
        if not rows:
            return
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        conn.exec_driver_sql(sql, [tuple(row) for row in rows])

    def driver_rows(
        self, conn: Connection, sql: str, params: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement written with '?' marks, as plain tuples, byte
        strings as `bytes`. Backends run it on the driver's own cursor: the few statements
        of a small write spent a third of their time in SQLAlchemy's result set-up, and a
        stack's frozen bottom comes back as bytes (PostgreSQL: in binary, not as hex)."""
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(params))]

    def data_version(self, conn: Connection) -> str | None:
        """A value that changes whenever a commit could change an answer read from the
        log and the projection (to keep answers while it does not), or None while that
        cannot be told (keep nothing). On SQLite the last seq: one writer at a time, so it
        grows commit by commit, and every write that changes an answer appends an event
        (corrections are events too)."""
        return str(conn.exec_driver_sql("SELECT max(seq) FROM events").scalar())

    def is_retryable(self, error: DBAPIError) -> bool:
        """The transaction was aborted by the database and can run again as it was."""
        return False

    def build_indexes(self, conn: Connection, indexes: Sequence[Index]) -> None:
        """Create `indexes` over tables already full (after a bulk load)."""
        for index in indexes:
            index.create(conn)

    def median(self, expression: ColumnElement[Any]) -> ColumnElement[Any] | None:
        """The aggregate of `expression`'s median (the mean of the middle two values when
        there are two), or None where the database has no such aggregate."""
        return None

    def export_snapshot(self, conn: Connection) -> str | None:
        """An id by which another transaction can see exactly what `conn`'s sees, while
        conn's stays open; None where a database cannot share a snapshot (SQLite)."""
        return None

    def import_snapshot(self, conn: Connection, snapshot: str) -> None:
        """Make `conn`'s new transaction see the snapshot `export_snapshot` named."""
        raise NotImplementedError(f"{self.name} cannot share a snapshot")

    def listed(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        """The aggregate of `expression`'s values (NULLs left out) as one comma-separated
        text, in no order. Where there is no median aggregate, a grouping's delays ride
        along with its other rollback figures in this form: the rolled-back rows are
        read and sorted once, and only a few thousand texts come into Python."""
        return func.group_concat(expression)


def backend_of(conn: Connection) -> Backend:
    """The backend of a connection's database."""
    return _backend(conn.dialect.name == "postgresql")


def backend_for_url(url: str) -> Backend:
    """The backend a (normalised) database URL names."""
    return _backend(url.startswith("postgresql"))


def _backend(postgres: bool) -> Backend:
    # Only the backend in use is imported: psycopg costs a SQLite command 50 ms at start.
    if postgres:
        from rollback_rate.store.postgres import POSTGRES

        return POSTGRES
    from rollback_rate.store.sqlite import SQLITE

    return SQLITE
