"""Hand-computed recent rollbacks and time-to-rollback buckets, on both backends."""

import pytest

from rollback_rate import parse_query
from rollback_rate.errors import InvalidOption
from tests.helpers import deploy, ledger_of, load, overall, rollback

HISTORY = [
    # m/production: v2 rolled back after 3 h by a rollback naming nothing: back to v1.
    deploy("m", "v1", "2026-01-01T00:00:00Z", team="t"),
    deploy("m", "v2", "2026-01-02T00:00:00Z", team="t"),
    rollback("m", "2026-01-02T03:00:00Z", automated=True, cause="latency"),
    # v3 and v4, then v1 deployed again: both rolled back (48 h and 24 h), back to v1.
    deploy("m", "v3", "2026-01-03T00:00:00Z"),
    deploy("m", "v4", "2026-01-04T00:00:00Z"),
    deploy("m", "v1", "2026-01-05T00:00:00Z"),
    # m/staging: s2 rolled back to s1 after 10 days: late.
    deploy("m", "s1", "2026-01-01T00:00:00Z", environment="staging"),
    deploy("m", "s2", "2026-01-02T00:00:00Z", environment="staging"),
    rollback("m", "2026-01-12T00:00:00Z", environment="staging", version="s1", cause="data_drift"),
    # n: b rolled back exactly 7 days later by a rollback naming b itself: back to a.
    deploy("n", "a", "2026-01-01T00:00:00Z"),
    deploy("n", "b", "2026-01-03T00:00:00Z"),
    rollback("n", "2026-01-10T00:00:00Z", version="b"),
    # k: two rollbacks naming nothing, one after the other: v3 back to v2, then v2 to v1.
    deploy("k", "v1", "2026-01-20T00:00:00Z"),
    deploy("k", "v2", "2026-01-21T01:00:00Z"),
    deploy("k", "v3", "2026-01-22T00:00:00Z"),
    rollback("k", "2026-01-22T01:00:00Z"),
    rollback("k", "2026-01-22T02:00:00Z"),
]
AS_OF = "2026-02-01T00:00:00Z"


def _query(window: str = "7d", as_of: str = AS_OF, **options: str):  # type: ignore[no-untyped-def]
    return parse_query(window=window, as_of=as_of, **options)


def _rows(db, **options):  # type: ignore[no-untyped-def]
    limit = int(options.pop("limit", 20))
    document = ledger_of(db).recent_rollbacks(_query(**options), limit)
    return [
        (r["model"], r["environment"], r["from_version"], r["to_version"],
         r["hours_after_deployment"], r["within_window"])
        for r in document["rollbacks"]
    ]  # fmt: skip


def test_recent_rollbacks_newest_first_with_the_version_restored(db):
    load(db, HISTORY)
    assert _rows(db) == [
        ("k", "production", "v2", "v1", 25.0, True),
        ("k", "production", "v3", "v2", 1.0, True),
        ("m", "staging", "s2", "s1", 240.0, False),
        ("n", "production", "b", "a", 168.0, True),
        ("m", "production", "v4", "v1", 24.0, True),
        ("m", "production", "v3", "v1", 48.0, True),
        ("m", "production", "v2", "v1", 3.0, True),
    ]
    document = ledger_of(db).recent_rollbacks(_query(), 20)
    oldest = document["rollbacks"][-1]
    assert oldest == {
        "model": "m",
        "environment": "production",
        "team": "t",
        "from_version": "v2",
        "to_version": "v1",
        "deployed_at": "2026-01-02T00:00:00Z",
        "rolled_back_at": "2026-01-02T03:00:00Z",
        "hours_after_deployment": 3.0,
        "within_window": True,
        "automated": True,
        "cause": "latency",
        "rollback_id": oldest["rollback_id"],
    }
    assert document["rollbacks"][4]["cause"] == "unspecified"
    assert document["as_of"] == AS_OF and document["window_hours"] == 168.0


def test_recent_rollbacks_filters_limit_and_as_of(db):
    load(db, HISTORY)
    assert [r[2] for r in _rows(db, limit=2)] == ["v2", "v3"]
    assert [r[:3] for r in _rows(db, model="m", environment="staging")] == [("m", "staging", "s2")]
    # since/until go by deployment time, as in the report.
    assert [r[2] for r in _rows(db, since="2026-01-03", until="2026-01-04")] == ["b", "v4", "v3"]
    # Nothing rolled back after as_of: v2 only (v3 and v4 were rolled back on the 5th).
    assert [r[2] for r in _rows(db, as_of="2026-01-04T12:00:00Z")] == ["v2"]
    with pytest.raises(InvalidOption, match="limit must be 1 to 500"):
        ledger_of(db).recent_rollbacks(_query(), 501)


def test_time_to_rollback_buckets_put_the_window_on_an_edge(db):
    load(db, HISTORY)
    document = ledger_of(db).time_to_rollback(_query())
    got = [(b["from_hours"], b["to_hours"], b["count"], b["within_window"])
           for b in document["buckets"]]  # fmt: skip
    assert got == [
        (0.0, 1.0, 1, True),  # k v3: exactly 1 h
        (1.0, 2.0, 0, True),
        (2.0, 4.0, 1, True),  # m v2: 3 h
        (4.0, 8.0, 0, True),
        (8.0, 12.0, 0, True),
        (12.0, 24.0, 1, True),  # m v4: 24 h
        (24.0, 48.0, 2, True),  # m v3: 48 h, k v2: 25 h
        (48.0, 72.0, 0, True),
        (72.0, 120.0, 0, True),
        (120.0, 168.0, 1, True),  # n b: exactly the window
        (168.0, 336.0, 1, False),  # m/staging s2: 240 h, late
    ]  # listed up to the last bucket that holds a rollback
    assert (document["rollbacks"], document["late_rollbacks"]) == (6, 1)
    summary = overall(db, AS_OF)
    assert (summary["rollbacks"], summary["late_rollbacks"]) == (6, 1)


def test_a_window_off_the_standard_edges_becomes_one(db):
    load(db, HISTORY)
    document = ledger_of(db).time_to_rollback(_query(window="36h"))
    edges = [b["to_hours"] for b in document["buckets"]]
    assert edges == [1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 36.0, 48.0, 72.0, 120.0, 168.0, 336.0]
    within = [b["count"] for b in document["buckets"] if b["within_window"]]
    assert within == [1, 0, 1, 0, 0, 1, 1]  # 1 h, 3 h, 24 h, 25 h
    assert (document["rollbacks"], document["late_rollbacks"]) == (4, 3)
    summary = overall(db, AS_OF, window="36h")
    assert (summary["rollbacks"], summary["late_rollbacks"]) == (4, 3)


def test_no_rollbacks_lists_the_buckets_up_to_the_window(db):
    load(db, [deploy("m", "v1", "2026-01-01T00:00:00Z")])
    document = ledger_of(db).time_to_rollback(_query())
    assert len(document["buckets"]) == 10
    assert document["buckets"][-1]["to_hours"] == 168.0
    assert {b["count"] for b in document["buckets"]} == {0}
    assert ledger_of(db).recent_rollbacks(_query(), 5)["rollbacks"] == []
