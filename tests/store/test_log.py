"""Appending to the log in bulk: seqs, duplicates, and a concurrent writer of the same id."""

from __future__ import annotations

import threading
import time

import pytest

from rollback_rate.ledger.writes import validate_events
from rollback_rate.store import AppendResult, Database, append_events
from rollback_rate.store.log import SMALL_BATCH
from tests.helpers import deploy

BULK = SMALL_BATCH + 100


def records(ids: list[str], model: str = "m") -> list:  # type: ignore[type-arg]
    events = [
        deploy(model, f"v-{i}", f"2026-01-01T00:00:{n % 60:02d}Z", id=i) for n, i in enumerate(ids)
    ]
    return validate_events([(str(n), e) for n, e in enumerate(events)])


def append(db: Database, ids: list[str]) -> AppendResult:
    with db.begin() as conn:
        return append_events(conn, records(ids), {})


def stored_ids(db: Database) -> list[str]:
    with db.snapshot() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT event_id FROM events ORDER BY seq")]


def test_a_bulk_chunk_keeps_arrival_order_and_skips_known_ids(db):
    append(db, ["b", "d"])
    ids = [f"n{i:04d}" for i in range(BULK)]
    ids[10:10] = ["b", "x", "x", "d"]  # two known ids, and one twice in the chunk
    result = append(db, ids)
    assert (result.stored, result.duplicates) == (BULK + 1, 3)
    expected = ["b", "d"] + [i for i in dict.fromkeys(ids) if i not in ("b", "d")]
    assert stored_ids(db) == expected
    # What attribution is handed: the new events, in seq order, the first "x" kept.
    [new] = result.new_events.values()
    assert [seq for seq, _ in new] == sorted(seq for seq, _ in new)
    assert len(new) == BULK + 1
    assert [record.version for _, record in new][10] == "v-x"


def hold(db: Database, event_id: str, model: str) -> tuple[object, object, int]:
    """Another transaction that has stored `event_id` (in stream `model`), uncommitted."""
    other = db.engine.connect()
    transaction = other.begin()
    append_events(other, records([event_id], model=model), {})
    pid = other.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return other, transaction, pid


def wait_until_blocked_by(db: Database, pid: int) -> None:
    deadline = time.monotonic() + 30
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            blocked = watcher.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (pid,),
            ).scalar()
            watcher.rollback()
            if blocked:
                return
            time.sleep(0.05)
    raise AssertionError(f"the bulk writer never waited on backend {pid}")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_ids_concurrent_writers_commit_first_are_duplicates(db):
    # The bulk writer copies its chunk straight in; an id stored meanwhile by another
    # transaction makes the copy fail, and the writer asks which ids are new and copies
    # those; one stored between that question and the second copy sends the chunk the
    # staged way, which skips known ids itself. Each racing id is a duplicate, once.
    # (Ids in other streams: the same stream's lock would make the writer wait first.)
    first, first_tx, first_pid = hold(db, "race-1", "o1")
    second, second_tx, second_pid = hold(db, "race-2", "o2")
    outcome: dict[str, AppendResult] = {}
    ids = ["race-1", *[f"n{i}" for i in range(BULK)], "race-2"]
    writer = threading.Thread(target=lambda: outcome.update(result=append(db, ids)))
    writer.start()
    wait_until_blocked_by(db, first_pid)  # the first copy meets race-1
    first_tx.commit()  # type: ignore[attr-defined]
    wait_until_blocked_by(db, second_pid)  # the second copy meets race-2
    second_tx.commit()  # type: ignore[attr-defined]
    writer.join(timeout=30)
    for connection in (first, second):
        connection.close()  # type: ignore[attr-defined]
    result = outcome["result"]
    assert (result.stored, result.duplicates) == (BULK, 2)
    assert stored_ids(db) == ["race-1", "race-2", *[f"n{i}" for i in range(BULK)]]
