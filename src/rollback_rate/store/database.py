"""Opening a database by URL: SQLite by default, PostgreSQL for a team.

The same SQLAlchemy Core code runs on both; what differs lives in the backend
(`backend.py`), chosen here from the URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from rollback_rate.errors import DatabaseUnavailable
from rollback_rate.store.backend import Backend, backend_for_url

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration (a test checks it against the migrations themselves): a database
# already there needs no Alembic at all, which spares every command importing it.
SCHEMA_HEAD = "0008"
ENV_VAR = "ROLLBACK_RATE_DB"


def default_url() -> str:
    """`ROLLBACK_RATE_DB`, else a SQLite file in the user's data directory."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return configured
    return f"sqlite:///{Path(user_data_dir('rollback-rate')) / 'rollback-rate.db'}"


def normalise_url(url: str) -> str:
    """Accept `postgresql://`, `postgres://`, `sqlite:///...` or a bare file path."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    return url


def redact(url: str) -> str:
    """A URL fit to print: any user and password replaced by `***`, and any password
    given as a query parameter too."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest.split("?", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
    return _QUERY_SECRET.sub(r"\1=***", scheme + sep + rest)


def redact_text(text: str) -> str:
    """Any database URL or `password=...` inside a message, redacted."""
    text = _URL_IN_TEXT.sub(lambda match: redact(match.group(0)), text)
    return _QUERY_SECRET.sub(r"\1=***", text)


_QUERY_SECRET = re.compile(r"(?i)\b(password|passwd|pwd|secret|token|sslpassword)=[^&\s'\"]*")
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", re.IGNORECASE)


class Database:
    """An engine and the backend that knows its database's ways."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.backend: Backend = backend_for_url(self.url)
        self.engine = self.backend.create_engine(self.url)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite, so writers queue, not fail)."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one state of the database throughout, and
        never blocks writers."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**self.backend.snapshot_options())
            with conn.begin():
                yield conn

    def current_revision(self) -> str | None:
        with self.snapshot() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def upgrade(self) -> str | None:
        """Migrate to the newest schema version; return the revision now in place."""
        if self.current_revision() == SCHEMA_HEAD:
            return SCHEMA_HEAD
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            self.backend.lock_migrations(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        return self.current_revision()

    def maintain(self) -> None:
        """Refresh planner statistics after a bulk load; autovacuum would, but later."""
        self.backend.maintain(self.engine)

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds now."""
        try:
            with self.snapshot() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(f"database {redact(self.url)} unreachable") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open (creating if needed) and migrate the database at `url`."""
    database = Database(url or default_url())
    try:
        if migrate:
            database.upgrade()
        else:
            database.ping()
    except OperationalError as exc:
        database.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot open database {redact(database.url)}: {reason}"
        ) from None
    except SQLAlchemyError as exc:
        database.dispose()
        raise DatabaseUnavailable(f"database {redact(database.url)}: {exc}") from None
    return database
