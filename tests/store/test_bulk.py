"""Raw driver calls on the hot paths raise what SQLAlchemy would raise."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from rollback_rate.store.bulk import driver_errors


def test_a_driver_error_comes_out_as_sqlalchemy_s(db):
    with (
        db.begin() as conn,
        pytest.raises(DBAPIError) as info,
        driver_errors(conn, "SELECT nothing FROM nowhere") as driver,
    ):
        driver.cursor().execute("SELECT nothing FROM nowhere")
    assert info.value.statement == "SELECT nothing FROM nowhere"
    assert isinstance(info.value.orig, db.engine.dialect.loaded_dbapi.Error)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_deadlock_in_a_copy_is_retried_like_any_other(db):
    import psycopg

    with (
        db.begin() as conn,
        pytest.raises(OperationalError) as info,
        driver_errors(conn, "COPY events"),
    ):
        raise psycopg.errors.DeadlockDetected("deadlock detected")
    assert db.backend.is_retryable(info.value)  # SQLSTATE 40P01, as the write path's retry expects
    assert isinstance(info.value.orig, psycopg.errors.DeadlockDetected)
