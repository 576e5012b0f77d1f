"""The driver's own connection for the hot paths, with SQLAlchemy's errors.

SQLAlchemy's per-row parameter processing costs more than the database's own work at
100,000 rows a second, so the bulk paths (`sqlite.py`, `postgres.py`) hand plain tuples
straight to the driver. Table and column names come from our schema, never from input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


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
