"""The database a service process uses, opened lazily so a down database is survivable.

The process starts (and `/healthz` answers) even when PostgreSQL is not reachable yet;
`/readyz` and data endpoints answer 503 until it is, then the handle opens and migrates
it once (migrations take an advisory lock, so replicas starting together are safe).
"""

from __future__ import annotations

import threading

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from rollback_rate.errors import DatabaseUnavailable
from rollback_rate.store import Database, open_database


class DatabaseHandle:
    """Opens `url` on first use; retries on later uses after a failure."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._database: Database | None = None
        self._lock = threading.Lock()

    def get(self) -> Database:
        database = self._database
        if database is not None:
            return database
        with self._lock:
            if self._database is None:
                self._database = open_database(self.url)
            return self._database

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds now."""
        database = self.get()
        try:
            with database.read() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseUnavailable(f"database unreachable: {reason}") from None

    def dispose(self) -> None:
        with self._lock:
            if self._database is not None:
                self._database.dispose()
                self._database = None


def get_database(request: Request) -> Database:
    """FastAPI dependency: the process's database (for this app's and other routers)."""
    handle: DatabaseHandle = request.app.state.database
    return handle.get()
