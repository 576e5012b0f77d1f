"""Reads on a second connection in the caller's snapshot (store/parallel.py)."""

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from rollback_rate.store import Database, open_database
from rollback_rate.store.parallel import SLOTS
from tests.helpers import deploy, load

COUNT = sa.text("SELECT count(*) FROM deployments")
POSTGRESQL_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _count(conn: sa.Connection) -> int:
    return int(conn.execute(COUNT).scalar_one())


@pytest.fixture
def pg_db(db_url: str) -> Iterator[Database]:
    """PostgreSQL only: SQLite cannot share a snapshot (its reads are in process)."""
    database = open_database(db_url)
    yield database
    database.dispose()


def test_sqlite_reads_on_its_own_connection(sqlite_db):
    with sqlite_db.snapshot() as conn:
        assert sqlite_db.alongside(conn) is None


@POSTGRESQL_ONLY
def test_a_parallel_read_sees_the_callers_snapshot_not_a_later_commit(pg_db):
    load(pg_db, [deploy("m", "1", "2026-01-01T00:00:00Z")])
    with pg_db.snapshot() as conn:
        assert _count(conn) == 1
        # Committed after the snapshot was taken: the caller does not see it, so
        # neither may the read that runs beside it.
        load(pg_db, [deploy("m", "2", "2026-01-02T00:00:00Z")])
        run = pg_db.alongside(conn)
        assert run is not None
        future = run(_count)
        assert future is not None
        assert (future.result(timeout=30), _count(conn)) == (1, 1)
    with pg_db.snapshot() as conn:
        assert _count(conn) == 2


@POSTGRESQL_ONLY
def test_with_every_slot_busy_the_caller_reads_itself(pg_db):
    release = threading.Event()

    def held(conn: sa.Connection) -> int:
        release.wait(30)
        return _count(conn)

    with pg_db.snapshot() as conn:
        run = pg_db.alongside(conn)
        assert run is not None
        busy = [run(held) for _ in range(SLOTS)]
        try:
            assert None not in busy
            assert run(_count) is None  # no waiting for a slot: read on conn instead
        finally:
            release.set()
        assert [future.result(timeout=30) for future in busy if future] == [0] * SLOTS
        again = run(_count)  # the slots are free again
        assert again is not None and again.result(timeout=30) == 0


@POSTGRESQL_ONLY
def test_a_snapshot_id_is_checked_before_it_is_written_into_sql(pg_db):
    with pg_db.snapshot() as conn, pytest.raises(ValueError, match="is not a snapshot id"):
        pg_db.backend.import_snapshot(conn, "1'; DROP TABLE events; --")
