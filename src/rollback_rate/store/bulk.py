"""Bulk row transfer for the hot paths: COPY on PostgreSQL, raw executemany on SQLite.

SQLAlchemy's per-row parameter processing costs more than the database's own work at
100,000 rows a second, so these helpers hand plain tuples straight to the driver.
Table and column names come from our schema, never from input.

On SQLite, binding a None (or a bool) costs the sqlite3 module a failed adapter lookup,
several times the price of an int or a str. The hot paths therefore build their rows
grouped by which nullable columns they fill (`insert_groups`), and pass flags as 0 or 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_COPY_FROM = 50  # rows; below this a plain INSERT is cheaper on PostgreSQL


def placeholder(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


@contextmanager
def driver_errors(conn: Connection, statement: str) -> Iterator[Any]:
    """The driver's own connection, whose errors are raised as SQLAlchemy's would be (a
    DBAPIError subclass wrapping them), so that callers handle one kind: retries of a
    deadlock, a 503, the CLI's one-line message."""
    dbapi = conn.dialect.loaded_dbapi
    driver = conn.connection.dbapi_connection
    try:
        yield driver
    except dbapi.Error as exc:
        raise DBAPIError.instance(
            statement,
            None,
            exc,
            dbapi.Error,
            connection_invalidated=conn.dialect.is_disconnect(exc, driver, None),
            dialect=conn.dialect,
        ) from exc


def bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert many rows of plain values in column order."""
    names = ", ".join(columns)
    batch = rows if isinstance(rows, list) else list(rows)
    if not batch:
        return
    if conn.dialect.name == "postgresql" and len(batch) > _COPY_FROM:
        statement = f"COPY {table} ({names}) FROM STDIN"
        with (
            driver_errors(conn, statement) as driver,  # a psycopg connection
            driver.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            for row in batch:
                copy.write_row(row)
    elif conn.dialect.name == "postgresql":
        # A few rows: one multi-row INSERT is one round trip; COPY costs several.
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values = ", ".join([one] * len(batch))
        flat = tuple(value for row in batch for value in row)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES {values}", flat)
    else:
        marks = ", ".join("?" * len(columns))
        _executemany(conn, f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def bulk_execute(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """executemany of one statement written with '?' placeholders."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, [tuple(row) for row in rows])


def insert_groups(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    optional: Sequence[str],
    groups: dict[tuple[bool, ...], list[list[Any]]],
    *,
    on_conflict: str = "",
) -> int:
    """SQLite: insert rows grouped by which `optional` columns they fill, so that no
    None is ever bound; return how many were inserted.

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
    """SQLite: straight to the driver, in the transaction SQLAlchemy began; rows may be
    lists. Returns the rows changed."""
    with driver_errors(conn, sql) as driver:  # a sqlite3 connection
        return int(driver.executemany(sql, rows).rowcount)
