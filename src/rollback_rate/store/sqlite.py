"""SQLite: the embedded default. One writer at a time, readers never blocked (WAL).

Bulk rows go straight to the sqlite3 driver's `executemany`: SQLAlchemy's per-row
parameter handling costs more than SQLite's own work at 100,000 rows a second. The
driver binds a None (or a bool) through a failed adapter lookup, several times the price
of an int or a str, so rows are grouped by which nullable columns they fill and each
group's statement leaves the others out; flags go in as 0 or 1.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Index, create_engine, event

from rollback_rate.events import EventRecord
from rollback_rate.store.appended import (
    NO_LATER,
    AppendResult,
    NewEvent,
    StreamKey,
    first_of_each_id,
)
from rollback_rate.store.backend import Backend
from rollback_rate.store.bulk import driver_errors

_SEQ_FIRST = ("seq", "event_id", "stream_id", "type", "ts", "automated", "recorded_at")
_NULLABLE = ("version", "cause", "team", "note", "attributes", "target", "artifact", "digest",
             "drill", "stage", "unplanned", "actor")  # fmt: skip
_NONE_LATER = (False,) * len(NO_LATER)
_EMPTY_INDEX_STATISTICS = (
    "INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT tbl_name, name, '1 1' FROM sqlite_schema "
    "AS m WHERE type = 'index' AND name LIKE 'ix\\_%' ESCAPE '\\' AND NOT EXISTS "
    "(SELECT 1 FROM sqlite_stat1 AS s WHERE s.idx = m.name)"
)


class SQLiteBackend(Backend):
    name = "sqlite"
    placeholder = "?"
    threaded_writer = False
    # 11% off a 1M-event import: the engine runs in this process, so index upkeep is ours.
    indexes_after_bulk_load = True
    concurrent_writers = False
    groups_by_sorting = True

    def create_engine(self, url: str) -> Engine:
        path = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            _create_private(Path(path))
        engine = create_engine(url, connect_args={"timeout": 60})
        _configure(engine)
        return engine

    def snapshot_options(self) -> dict[str, Any]:
        return {"rollback_rate_read": True}

    def maintain(self, engine: Engine) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")  # sampled: fast at any size
            conn.exec_driver_sql("ANALYZE")
            # ANALYZE leaves no statistics for an empty index, and the planner then guesses
            # an empty partial index (no unplanned or fixed-forward deployments yet) to be
            # as large as the table: by month over a million deployments, it scanned the
            # stream index instead, 0.45 s for a count of nothing. Say what is true, that
            # it holds about one row, and have the planner read the statistics again.
            conn.exec_driver_sql(_EMPTY_INDEX_STATISTICS)
            conn.exec_driver_sql("ANALYZE sqlite_schema")

    def build_indexes(self, conn: Connection, indexes: Sequence[Index]) -> None:
        # SQLite's sorter may take as much memory as the page cache on top of it: with the
        # cache shrunk while the indexes are built, a 1M import peaks at 178 MiB, not 245.
        (cache_size,) = conn.exec_driver_sql("PRAGMA cache_size").one()
        conn.exec_driver_sql("PRAGMA cache_size=-8192")
        super().build_indexes(conn, indexes)
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")

    def append_bulk(
        self,
        conn: Connection,
        records: Sequence[EventRecord],
        stream_ids: dict[StreamKey, int],
        recorded_at: int,
    ) -> AppendResult:
        # The transaction holds SQLite's only write lock, so this chunk's rows take the
        # next seqs in order: known without reading anything back, and arrival order kept
        # although the rows go out grouped by which nullable columns they fill.
        first = int(
            conn.exec_driver_sql("SELECT coalesce(max(seq), 0) + 1 FROM events").scalar_one()
        )
        kept = first_of_each_id(records)
        groups: dict[tuple[bool, ...], list[list[Any]]] = {}
        new_events: dict[int, list[NewEvent]] = {}
        for seq, r in enumerate(kept, first):
            version, cause, team, note, attributes = (
                r.version, r.cause, r.team, r.note, r.attributes
            )  # fmt: skip
            later: tuple[Any, ...] = r[11:]  # its later fields (appended.NO_LATER)
            plain = later == NO_LATER  # the common case: none of the later fields
            filled = (
                version is not None,
                cause is not None,
                team is not None,
                note is not None,
                attributes is not None,
                *(_NONE_LATER if plain else [_stored(value) for value in later]),
            )
            stream_id = stream_ids[(r.model, r.environment)]
            automated = r.automated  # None only for an amend that leaves it be
            flag = 1 if automated else 0 if automated is not None else None
            row = [seq, r.event_id, stream_id, r.type, r.ts, flag, recorded_at]
            if version is not None:
                row.append(version)
            if cause is not None:
                row.append(cause)
            if team is not None:
                row.append(team)
            if note is not None:
                row.append(note)
            if attributes is not None:
                row.append(attributes)
            if not plain:  # flags go in as 1, and false ones not at all (NULL)
                row += [1 if value is True else value for value in later if _stored(value)]
            group = groups.get(filled)
            if group is None:
                group = groups[filled] = []
            group.append(row)
            new = new_events.get(stream_id)
            if new is None:
                new = new_events[stream_id] = []
            new.append((seq, r))
        inserted = _insert_groups(
            conn, "events", _SEQ_FIRST, _NULLABLE, groups, on_conflict="(event_id) DO NOTHING"
        )
        if inserted < len(kept):  # some ids were stored before: keep the events that went in
            stored = {
                seq
                for (seq,) in conn.exec_driver_sql(
                    "SELECT seq FROM events WHERE seq BETWEEN ? AND ?", (first, first + len(kept))
                )
            }
            new_events = {
                stream_id: kept_new
                for stream_id, new in new_events.items()
                if (kept_new := [event for event in new if event[0] in stored])
            }
        return AppendResult(inserted, len(records) - inserted, new_events, inserted_ids=None)

    def execute_many(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # Straight to the driver, as `insert_rows`: SQLAlchemy's result set-up was a third
        # of the time of the few statements a small write transaction runs.
        if rows:
            _executemany(conn, sql, rows)

    def driver_rows(
        self, conn: Connection, sql: str, params: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        with driver_errors(conn, sql) as driver:
            found: list[tuple[Any, ...]] = driver.execute(sql, tuple(params)).fetchall()
            return found

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
        # Rows are grouped by which `nullable` column sets they fill (each set is empty or
        # filled as a whole), and each group leaves its empty columns out: no None is bound.
        firsts = [indexes[0] for indexes in nullable]
        groups: dict[tuple[bool, ...], list[Sequence[Any]]] = {}
        for row in rows:
            key = tuple([row[i] is not None for i in firsts])
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
            group.append(row)
        for filled, group in groups.items():
            empty = {i for indexes, flag in zip(nullable, filled, strict=True) if not flag
                     for i in indexes}  # fmt: skip
            kept = [i for i in range(len(columns)) if i not in empty]
            names = ", ".join(columns[i] for i in kept)
            marks = ", ".join("?" * len(kept))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            if empty:
                pick = itemgetter(*kept)
                _executemany(conn, sql, [pick(row) for row in group])
            else:
                _executemany(conn, sql, group)


SQLITE = SQLiteBackend()


def _stored(value: Any) -> bool:
    """A later field's value takes a column: a flag when true, text when given."""
    return value is not None and value is not False


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only (0600), in a directory
    made 0700 if it is new, before SQLite first opens it: the file holds webhook secrets
    and token hashes (issue 9). SQLite gives its -wal and -shm files the database file's
    mode. An existing file keeps the mode its owner chose."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _configure(engine: Engine) -> None:
    # SQLAlchemy's recipe: take over pysqlite's transaction handling so BEGIN IMMEDIATE
    # makes concurrent writers wait on busy_timeout instead of failing on lock upgrade.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: index inserts stay in memory
        # Sorts that outgrow memory spill to temporary files, not to more memory: building
        # the indexes after a 10M-event bulk load kept 730 MiB of sorted runs in memory.
        # Reports are as fast either way (their sorts are small).
        cursor.execute("PRAGMA temp_store=FILE")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        read_only = conn.get_execution_options().get("rollback_rate_read", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _insert_groups(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    optional: Sequence[str],
    groups: dict[tuple[bool, ...], list[list[Any]]],
    *,
    on_conflict: str = "",
) -> int:
    """Insert rows grouped by which `optional` columns they fill; return how many went in.

    Each group's key flags the optional columns its rows fill; each row holds `columns`'
    values, then those of the filled optional columns, in order.
    """
    conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
    inserted = 0
    for filled, rows in groups.items():
        names = [*columns, *(name for name, flag in zip(optional, filled, strict=True) if flag)]
        marks = ", ".join("?" * len(names))
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}){conflict}"
        inserted += _executemany(conn, sql, rows)
    return inserted


def _executemany(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """Straight to the sqlite3 driver, in the transaction SQLAlchemy began; rows may be
    lists. Returns the rows changed."""
    with driver_errors(conn, sql) as driver:  # a sqlite3 connection
        return int(driver.executemany(sql, rows).rowcount)
