"""`Ledger.record_json_async`, the HTTP service's write: small bodies wait for their group
commit on the event loop; the answers are those of `record_json`."""

from __future__ import annotations

import asyncio
import threading

import orjson
import pytest

from rollback_rate import Ledger
from rollback_rate.errors import InvalidInput
from tests.helpers import deploy, overall, rollback

AS_OF = "2026-02-01T00:00:00Z"


def body(*events: dict) -> bytes:  # type: ignore[type-arg]
    return orjson.dumps(events[0] if len(events) == 1 else list(events))


def test_concurrent_single_events_share_commits_and_each_gets_its_counts(db):
    # 40 single-event bodies at once from one event loop: each answered with its own
    # counts, the repeats as duplicates, and the projection as if recorded one by one.
    stamps = [f"2026-01-01T00:{minute:02d}:00Z" for minute in range(20)]
    bodies = [body(deploy("m", f"v{i}", stamps[i], id=f"d{i}")) for i in range(20)]
    with Ledger(db) as ledger:

        async def post_all() -> list[tuple[int, object]]:
            return await asyncio.gather(
                *(ledger.record_json_async(b, max_events=10) for b in bodies + bodies)
            )

        answers = asyncio.run(post_all())
    stored = [result.stored for _, result in answers]  # type: ignore[attr-defined]
    duplicates = [result.duplicates for _, result in answers]  # type: ignore[attr-defined]
    assert [received for received, _ in answers] == [1] * 40
    assert sum(stored) == 20 and sum(duplicates) == 20
    assert all(s + d == 1 for s, d in zip(stored, duplicates, strict=True))
    assert overall(db, AS_OF)["deployments"] == 20


def test_an_invalid_body_raises_on_the_loop_and_stores_nothing(db):
    bad = body(deploy("m", "1", "2026-01-01T00:00:00Z"), {"type": "deployment", "model": "m"})
    with Ledger(db) as ledger, pytest.raises(InvalidInput) as info:
        asyncio.run(ledger.record_json_async(bad, max_events=10))
    assert [str(problem).split(":")[0] for problem in info.value.problems] == ["[1]", "[1]"]
    assert overall(db, AS_OF)["deployments"] == 0


def test_corrections_and_large_bodies_take_a_worker_thread_with_the_same_answers(db):
    # A correction is answered with what it changed; a body over 16 KiB is parsed on a
    # worker thread, not on the loop.
    first = [deploy("m", "1", "2026-01-01T00:00:00Z", id="d1"),
             deploy("m", "2", "2026-01-02T00:00:00Z", id="d2"),
             rollback("m", "2026-01-02T01:00:00Z", id="r1", cause="latency")]  # fmt: skip
    amend = {"type": "amend", "target": "r1", "cause": "data_schema_change",
             "timestamp": "2026-01-03T00:00:00Z"}  # fmt: skip
    padded = [deploy("n", f"v{i}", "2026-01-01T00:00:00Z", note="x" * 300) for i in range(60)]
    threads: set[str] = set()
    with Ledger(db) as ledger:
        ledger.subscribe(lambda _: threads.add(threading.current_thread().name))
        asyncio.run(ledger.record_json_async(body(*first), max_events=10))
        _, corrected = asyncio.run(ledger.record_json_async(body(amend), max_events=10))
        assert len(body(*padded)) > 16 * 1024
        received, large = asyncio.run(ledger.record_json_async(body(*padded), max_events=100))
    assert corrected.changes is not None
    [stream] = corrected.changes.streams
    assert [(c.event_id, c.was_cause, c.cause) for c in stream.reclassified] == [
        ("r1", "latency", "data_schema_change")
    ]
    assert (received, large.stored) == (60, 60)
    assert "MainThread" not in threads  # every write ran off the loop's thread


def test_a_bad_target_rollback_is_answered_with_its_warning(db):
    # v2 rolled back, deployed again, then v3: going back to v2 restores a version that
    # was rolled back before (as in test_warnings.py).
    events = [deploy("m", "1", "2026-01-01T00:00:00Z", id="d1"),
              deploy("m", "2", "2026-01-02T00:00:00Z", id="d2"),
              rollback("m", "2026-01-02T01:00:00Z", id="r1"),
              deploy("m", "2", "2026-01-03T00:00:00Z", id="d3"),
              deploy("m", "3", "2026-01-04T00:00:00Z", id="d4")]  # fmt: skip
    with Ledger(db) as ledger:
        for event in events:
            asyncio.run(ledger.record_json_async(body(event), max_events=10))
        _, result = asyncio.run(
            ledger.record_json_async(body(rollback("m", "2026-01-04T02:00:00Z", id="r2",
                                                   version="2")), max_events=10)
        )  # fmt: skip
    assert [warning.event_id for warning in result.warnings] == ["r2"]
