"""Fixtures: a real SQLite file and the real PostgreSQL server, never a mock of the store.

PostgreSQL tests need ROLLBACK_RATE_TEST_PG (a server URL; `.ci/run` sets it). Each test
session creates its own fresh database there and drops it at the end; each test starts
from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from rollback_rate.compiled import stale_extensions
from rollback_rate.store import Database, open_database

PG_ENV = "ROLLBACK_RATE_TEST_PG"
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    # An editable install's compiled module shadows its source: testing it after an edit
    # would test the code before the edit.
    stale = stale_extensions()
    if stale:
        pytest.exit(
            f"compiled modules older than their source: {', '.join(stale)}; run "
            "scripts/bootstrap to rebuild them (or set ROLLBACK_RATE_PURE_PYTHON=1)",
            returncode=2,
        )


def _admin_engine(server_url: str) -> sa.Engine:
    url = sa.make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this session (and xdist worker)."""
    server = os.environ.get(PG_ENV)
    if not server:
        reason = f"PostgreSQL tests skipped: set {PG_ENV}=postgresql://user@host:5432/db"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run them; .ci/run sets it)")
        pytest.skip(reason)
    name = f"rr_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(server)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate_all(database: Database) -> None:
    with database.begin() as conn:
        names = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        if names:
            quoted = ", ".join(f'"{n}"' for n in names)
            conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite file; tests copy it instead of migrating anew each time."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    open_database(f"sqlite:///{path}").dispose()
    return str(path)


@pytest.fixture
def fresh_sqlite_url(sqlite_template: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A factory of migrated, empty SQLite database URLs."""

    def make() -> str:
        path = tmp_path_factory.mktemp("db") / "test.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"

    return make


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, fresh_sqlite_url) -> str:  # type: ignore[no-untyped-def]
    """A migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        url: str = fresh_sqlite_url()
        return url
    url = request.getfixturevalue("pg_server_url")
    database = open_database(url)
    _truncate_all(database)
    database.dispose()
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(fresh_sqlite_url) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """SQLite only, for tests of logic that does not depend on the backend."""
    database = open_database(fresh_sqlite_url())
    yield database
    database.dispose()
