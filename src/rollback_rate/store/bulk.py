"""Bulk row transfer for the hot paths: COPY on PostgreSQL, raw executemany on SQLite.

SQLAlchemy's per-row parameter processing costs more than the database's own work at
100,000 rows a second, so these two helpers hand plain tuples straight to the driver.
Table and column names come from our schema, never from input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

_COPY_FROM = 50  # rows; below this a plain INSERT is cheaper on PostgreSQL


def placeholder(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert many rows of plain values in column order."""
    names = ", ".join(columns)
    batch = [tuple(row) for row in rows]
    if not batch:
        return
    if conn.dialect.name == "postgresql" and len(batch) > _COPY_FROM:
        driver: Any = conn.connection.dbapi_connection  # a psycopg connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
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
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def bulk_execute(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """executemany of one statement written with '?' placeholders."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, [tuple(row) for row in rows])
