"""Bulk-load mode (issue 14): an import into an empty SQLite log builds its secondary
indexes after the load, in the import's one transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from rollback_rate.errors import InvalidInput
from rollback_rate.ledger.writes import CHUNK
from rollback_rate.store.bulk_load import DEFERRED
from rollback_rate.store.schema import metadata
from rollback_rate.timeutil import iso_utc, to_micros
from tests.helpers import deploy, ledger_of, overall, rollback

MESSAGE = "secondary indexes dropped"
JANUARY, MINUTE = to_micros(datetime(2026, 1, 1, tzinfo=UTC)), 60_000_000


def _history(count: int, prefix: str = "") -> list[tuple[str, dict]]:
    """`count` events a minute apart over ten streams; every 20th is a rollback (all of
    them of m9, each ten minutes after m9's deployment, which it rolls back)."""
    events = []
    for i in range(count):
        model, at = f"m{i % 10}", iso_utc(JANUARY + i * MINUTE)
        if i % 20 == 19:
            events.append(rollback(model, at, cause="latency"))
        else:
            events.append(deploy(model, f"{prefix}{i}", at, id=f"{prefix}e{i}"))
    return [(f"[{n}]", event) for n, event in enumerate(events)]


def _index_names(database) -> set[str]:
    # From sqlite_schema: SQLAlchemy's inspector leaves out an index on an expression.
    with database.engine.connect() as conn:
        return {
            name
            for (name,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND "
                "tbl_name IN ('events', 'deployments', 'deployment_counts', 'orphan_rollbacks')"
            )
        }


def test_every_secondary_index_of_the_projection_and_the_log_is_deferred():
    expected = {
        index.name
        for name in ("events", "deployments", "deployment_counts", "orphan_rollbacks")
        for index in metadata.tables[name].indexes
    }
    assert {index.name for index in DEFERRED} == expected
    assert len(DEFERRED) == 13  # 3 of the log, 8 of deployments, 1 each of the rollups


def test_a_large_import_into_an_empty_log_builds_its_indexes_after(sqlite_db, caplog):
    before = _index_names(sqlite_db)
    with caplog.at_level(logging.INFO, logger="rollback_rate.store.bulk_load"):
        result = ledger_of(sqlite_db).record_stream(_history(2 * CHUNK + 7))
    assert MESSAGE in caplog.text
    assert (result.stored, result.duplicates) == (2 * CHUNK + 7, 0)
    assert _index_names(sqlite_db) == before == {index.name for index in DEFERRED}
    figures = overall(sqlite_db, "2026-03-01T00:00:00Z")
    # Hand-counted: 10,007 events, every 20th a rollback (500); each rolls back its
    # stream's live deployment, counted 9,507 times.
    assert (figures["deployments"], figures["rollbacks"]) == (9_507, 500)


def test_duplicates_in_a_bulk_load_still_lose_to_their_first_copy(sqlite_db):
    events = _history(CHUNK + 100)
    result = ledger_of(sqlite_db).record_stream([*events, *events[:50]])
    assert (result.stored, result.duplicates) == (CHUNK + 100, 50)


def test_a_failed_bulk_load_leaves_the_database_as_it_was(sqlite_db, caplog):
    before = _index_names(sqlite_db)
    late_error = [*_history(2 * CHUNK + 1), ("[x]", {"type": "deployment", "model": "m"})]
    with (
        caplog.at_level(logging.INFO, logger="rollback_rate.store.bulk_load"),
        pytest.raises(InvalidInput),
    ):
        ledger_of(sqlite_db).record_stream(late_error)
    assert MESSAGE in caplog.text  # the indexes were dropped before the error was seen
    assert _index_names(sqlite_db) == before
    assert ledger_of(sqlite_db).is_empty()


def test_an_import_into_a_log_that_holds_events_keeps_the_indexes(db, caplog):
    ledger_of(db).record_stream(_history(10, prefix="first-"))
    with caplog.at_level(logging.INFO, logger="rollback_rate.store.bulk_load"):
        result = ledger_of(db).record_stream(_history(CHUNK + 1))
    assert result.stored == CHUNK + 1
    assert MESSAGE not in caplog.text


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_keeps_its_indexes_during_a_load(db, caplog):
    # Measured no faster there: the server keeps indexes up on its own core meanwhile.
    with caplog.at_level(logging.INFO, logger="rollback_rate.store.bulk_load"):
        ledger_of(db).record_stream(_history(CHUNK + 1))
    assert MESSAGE not in caplog.text


def test_the_index_build_spills_to_files_and_gives_the_cache_back(sqlite_db):
    # Building a 10M-event log's indexes kept its sorted runs in memory (730 MiB) while
    # SQLite's temporary storage was memory; the cache is shrunk only while they build.
    ledger_of(sqlite_db).record_stream(_history(CHUNK + 1))
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 1  # FILE
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -65536
