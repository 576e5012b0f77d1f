"""`validate_events` and `write_groups` (group commit): several batches in one
transaction, each answered as if it had been recorded on its own, in order."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidInput
from rollback_rate.ledger.writes import validate_events, write_groups
from rollback_rate.store import Database, append_events
from rollback_rate.store.log import SMALL_BATCH
from tests.helpers import clear_history, deploy, ledger_of, report, rollback

AS_OF = "2026-02-01T00:00:00Z"


def located(events, prefix="[{}]"):  # type: ignore[no-untyped-def]
    return [(prefix.format(i), e) for i, e in enumerate(events)]


def record_events(database, raws):  # type: ignore[no-untyped-def]
    return ledger_of(database).record_stream(raws)


def store_groups(database, groups):  # type: ignore[no-untyped-def]
    return write_groups(database, groups)[0]


def counts(results):  # type: ignore[no-untyped-def]
    return [(r.stored, r.duplicates) for r in results]


def test_per_group_counts_follow_sequential_semantics(db):
    record_events(db, located([deploy("m", "0", "2026-01-01T00:00:00Z", id="old")]))
    groups = [
        # new, new, and the same id again inside the group
        [
            deploy("m", "1", "2026-01-02T00:00:00Z", id="a"),
            deploy("n", "1", "2026-01-02T00:00:00Z", id="b"),
            deploy("m", "1b", "2026-01-02T01:00:00Z", id="a"),
        ],
        # `b` stored by the group before, `old` stored before this commit, `c` new
        [
            deploy("n", "2", "2026-01-03T00:00:00Z", id="b"),
            deploy("m", "0", "2026-01-01T00:00:00Z", id="old"),
            deploy("k", "1", "2026-01-03T00:00:00Z", id="c"),
        ],
        [],
        # an event without an id: its derived id equals that of the same event later
        [deploy("k", "2", "2026-01-04T00:00:00Z"), deploy("k", "2", "2026-01-04T00:00:00Z")],
    ]
    results = store_groups(db, [validate_events(located(g)) for g in groups])
    assert counts(results) == [(2, 1), (1, 2), (0, 0), (1, 1)]
    with db.snapshot() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT event_id FROM events ORDER BY seq")]
    assert ids[:4] == ["old", "a", "b", "c"] and len(ids) == 5
    # the first row of a duplicated id is the one kept
    with db.snapshot() as conn:
        version = conn.exec_driver_sql("SELECT version FROM events WHERE event_id = 'a'").scalar()
    assert version == "1"


def _history() -> list[list[dict]]:  # type: ignore[type-arg]
    """Groups touching shared streams, with rollbacks, duplicates and an event from the
    past (a replay of its stream) inside the grouped commit."""
    return [
        [deploy("fraud", "1", "2026-01-05T09:00:00Z", id="f1", team="risk")],
        [
            deploy("fraud", "2", "2026-01-06T09:00:00Z", id="f2", team="risk"),
            deploy("search", "7", "2026-01-06T10:00:00Z", id="s7", environment="staging"),
        ],
        [rollback("fraud", "2026-01-06T12:00:00Z", id="r1", automated=True, cause="drift")],
        [deploy("fraud", "2", "2026-01-06T09:00:00Z", id="f2", team="risk")],  # duplicate
        [deploy("fraud", "0", "2026-01-01T09:00:00Z", id="f0", team="risk")],  # the past
        [
            deploy("search", "8", "2026-01-07T10:00:00Z", id="s8", environment="staging"),
            rollback("search", "2026-01-07T11:00:00Z", id="r2", environment="staging"),
            rollback("ranker", "2026-01-07T11:00:00Z", id="r3"),  # nothing to roll back
        ],
    ]


def _snapshot(database: Database) -> tuple[object, ...]:
    """Log order, projection and report, with seqs replaced by event ids."""
    with database.snapshot() as conn:
        log = conn.exec_driver_sql("SELECT event_id FROM events ORDER BY seq").all()
        projection = conn.exec_driver_sql(
            "SELECT e.event_id, d.version, d.deployed_at, d.rolled_back_at, r.event_id, "
            "d.rollback_automated, d.rollback_cause FROM deployments d "
            "JOIN events e ON e.seq = d.seq LEFT JOIN events r ON r.seq = d.rollback_seq "
            "ORDER BY e.event_id"
        ).all()
        orphans = conn.exec_driver_sql(
            "SELECT e.event_id, o.at FROM orphan_rollbacks o JOIN events e ON e.seq = o.seq"
        ).all()
    full = report(database, AS_OF, by="model,environment", period="week")
    return [tuple(r) for r in log], [tuple(r) for r in projection], orphans, full


def test_a_grouped_commit_leaves_what_sequential_recording_leaves(db):
    groups = _history()
    sequential = [record_events(db, located(g)) for g in groups]
    expected = _snapshot(db)
    clear_history(db)
    grouped = store_groups(db, [validate_events(located(g)) for g in groups])
    assert counts(grouped) == counts(sequential) == [(1, 0), (2, 0), (1, 0), (0, 1), (1, 0), (3, 0)]
    assert _snapshot(db) == expected
    assert expected[3]["overall"]["rollbacks"] == 2
    assert len(expected[2]) == 1  # the rollback of ranker, which had no deployment


def test_validate_events_reports_exactly_what_record_events_reports(db):
    events = [
        deploy("m", "1", "2026-01-01T00:00:00Z"),
        deploy("m", "2", "2026-01-02T00:00:00"),
        {"type": "rollback", "model": "", "timestamp": "2026-01-03T00:00:00Z"},
    ]
    with pytest.raises(InvalidInput) as validated:
        validate_events(located(events))
    with pytest.raises(InvalidInput) as recorded:
        record_events(db, located(events))
    assert validated.value.problems == recorded.value.problems
    assert validated.value.total_invalid == recorded.value.total_invalid == 2
    assert str(validated.value) == str(recorded.value)
    assert [r.version for r in validate_events(located(events[:1]))] == ["1"]


def test_a_group_commit_stays_on_the_small_path(db):
    records = validate_events(
        located([deploy("m", str(i), "2026-01-01T00:00:00Z") for i in range(SMALL_BATCH + 1)])
    )
    with pytest.raises(ValueError, match="at most"):
        store_groups(db, [records[:SMALL_BATCH], records[SMALL_BATCH:]])
    assert counts(store_groups(db, [records[:200], records[200:SMALL_BATCH]])) == [
        (200, 0),
        (SMALL_BATCH - 200, 0),
    ]
    assert store_groups(db, []) == []


def test_append_result_lists_inserted_ids_on_the_small_path_only(db):
    small = validate_events(located([deploy("m", "1", "2026-01-01T00:00:00Z", id="x")] * 2))
    big = validate_events(
        located([deploy("m", str(i), "2026-01-02T00:00:00Z") for i in range(SMALL_BATCH + 1)])
    )
    with db.begin() as conn:
        first = append_events(conn, small, {})
        bulk = append_events(conn, big, {})
    assert first.inserted_ids == ["x"]
    assert bulk.inserted_ids is None
