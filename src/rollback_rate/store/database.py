"""Opening a database by URL: SQLite by default, PostgreSQL for a team.

The same SQLAlchemy Core code runs on both; what differs lives in the backend
(`backend.py`), chosen here from the URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Connection, inspect, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from rollback_rate.errors import DatabaseNotFound, DatabaseUnavailable, InvalidOption
from rollback_rate.store.backend import Backend, backend_for_url
from rollback_rate.store.parallel import Alongside, ParallelReads
from rollback_rate.store.redaction import redact, redact_text

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration (a test checks it against the migrations themselves): a database
# already there needs no Alembic at all, which spares every command importing it.
SCHEMA_HEAD = "0011"
ENV_VAR = "ROLLBACK_RATE_DB"


def default_url() -> str:
    """`ROLLBACK_RATE_DB`, else a SQLite file in the user's data directory."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return configured
    return f"sqlite:///{Path(user_data_dir('rollback-rate')) / 'rollback-rate.db'}"


# The URL schemes the two backends take (SQLAlchemy would try to load any other as a
# plugin, and fail with "Can't load plugin: sqlalchemy.dialects:...").
SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")


def normalise_url(url: str) -> str:
    """Accept `postgresql://`, `postgres://`, `sqlite:///...` or a bare file path; any
    other scheme is an InvalidOption (`db`) that names the ones that work."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    scheme = url.split("://", 1)[0]
    if scheme.lower() not in SCHEMES:
        raise InvalidOption(
            f"database URL {redact(url)!r} has the unsupported scheme {scheme!r}; use "
            "sqlite:///PATH.db (or just a file path) or postgresql://user@host/db",
            "db",
        )
    return url


def sqlite_file(url: str) -> Path | None:
    """The file a (normalised) SQLite URL names; None for other databases and memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class Database:
    """An engine and the backend that knows its database's ways."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.backend: Backend = backend_for_url(self.url)
        self.engine = self.backend.create_engine(self.url)
        shares = self.backend.shares_snapshots
        self._parallel = ParallelReads(self.url, self.backend) if shares else None

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

    def alongside(self, conn: Connection) -> Alongside | None:
        """A way to run a read in `conn`'s snapshot on another connection, in parallel
        (`parallel.py`), or None where the database cannot share a snapshot (SQLite)."""
        if self._parallel is None:
            return None
        return self._parallel.alongside(conn)

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
        if self._parallel is not None:
            self._parallel.dispose()
        self.engine.dispose()


def open_database(url: str | None = None, *, migrate: bool = True, create: bool = True) -> Database:
    """Open (creating if needed) and migrate the database at `url`. With `create` off, a
    SQLite file that does not exist raises DatabaseNotFound instead of being created.

    Any failure, from a URL that does not parse to a server that refuses, is one
    DatabaseUnavailable line with every credential of the URL redacted (issue 9)."""
    given = url or default_url()
    try:
        if not create:
            path = sqlite_file(normalise_url(given))
            if path is not None and not path.exists():
                raise DatabaseNotFound(str(path))
        database = Database(given)
    except _OPENING_ERRORS as exc:
        raise DatabaseUnavailable(
            f"cannot open database {redact(given)}: {reason(exc, given)}"
        ) from None
    try:
        if migrate:
            database.upgrade()
        else:
            database.ping()
    except _OPENING_ERRORS as exc:
        database.dispose()
        raise DatabaseUnavailable(
            f"cannot open database {redact(database.url)}: {reason(exc, given)}"
        ) from None
    return database


# What opening a database can raise besides the driver's errors: a URL SQLAlchemy cannot
# parse (ValueError), a dialect or driver that is not installed (ImportError).
_OPENING_ERRORS = (SQLAlchemyError, ValueError, ImportError)


def reason(exc: BaseException, url: str | None = None) -> str:
    """The first line of a (driver's) error, fit to print: credentials redacted."""
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = lines[0] if lines else type(cause).__name__
    if isinstance(cause, ImportError) and not isinstance(exc, SQLAlchemyError):
        text = f"a driver is not installed ({text})"
    return redact_text(text, url)
