"""Opening a database by URL: SQLite by default, PostgreSQL for a team.

The same SQLAlchemy Core code runs on both; only connection set-up differs here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from rollback_rate.errors import DatabaseUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration (a test checks it against the migrations themselves): a database
# already there needs no Alembic at all, which spares every command importing it.
SCHEMA_HEAD = "0004"
ENV_VAR = "ROLLBACK_RATE_DB"
_MIGRATION_LOCK = 7_202_611  # PostgreSQL advisory lock id: replicas migrate one at a time


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


class Database:
    """An engine plus the few dialect facts the rest of the code needs."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = _create_engine(self.url)
        self.dialect = self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite, so writers queue, not fail)."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection: a plain BEGIN on SQLite, so readers never block writers."""
        with self.engine.connect() as conn:
            conn.execution_options(rollback_rate_read=True)
            yield conn

    def current_revision(self) -> str | None:
        with self.read() as conn:
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
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        return self.current_revision()

    def maintain(self) -> None:
        """Refresh planner statistics (and, on PostgreSQL, the visibility map that lets
        reports scan indexes alone) after a bulk load; autovacuum would, but later."""
        if self.is_postgres:
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql("VACUUM (ANALYZE) events, deployments, orphan_rollbacks")
        else:
            with self.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")  # sampled: fast at any size
                conn.exec_driver_sql("ANALYZE")

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open (creating if needed) and migrate the database at `url`."""
    database = Database(url or default_url())
    try:
        if migrate:
            database.upgrade()
        else:
            with database.read() as conn:
                conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        database.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot open database {_redact(database.url)}: {reason}"
        ) from None
    except SQLAlchemyError as exc:
        database.dispose()
        raise DatabaseUnavailable(f"database {_redact(database.url)}: {exc}") from None
    return database


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _configure_sqlite(engine: Engine) -> None:
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
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        read_only = conn.get_execution_options().get("rollback_rate_read", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
