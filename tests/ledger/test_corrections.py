"""Corrections (issue 9): voids and amends, append-only, on both backends.

History used throughout (model m, production):
  d1 v1 day 1; d2 v2 day 2; r1 rollback day 2 +6h (rolls d2 back: rate 1 of 2).
"""

from __future__ import annotations

import pytest

from rollback_rate import Committed, InvalidInput, Ledger
from tests.helpers import deploy, report, rollback

AS_OF = "2026-03-01T00:00:00Z"
HISTORY = [
    deploy("m", "1", "2026-02-01T09:00:00Z", id="d1", team="risk"),
    deploy("m", "2", "2026-02-02T09:00:00Z", id="d2", team="risk"),
    rollback("m", "2026-02-02T15:00:00Z", id="r1", cause="latency"),
]


def void(target: str, id: str, reason: str = "recorded by mistake") -> dict:  # type: ignore[type-arg]
    return {"type": "void", "target": target, "reason": reason, "id": id,
            "timestamp": "2026-02-10T00:00:00Z"}  # fmt: skip


def amend(target: str, id: str, **fields: object) -> dict:  # type: ignore[type-arg]
    return {"type": "amend", "target": target, "id": id, "timestamp": "2026-02-11T00:00:00Z",
            **fields}  # fmt: skip


@pytest.fixture
def ledger(db):  # type: ignore[no-untyped-def]
    ledger = Ledger(db)
    ledger.record_batch(HISTORY)
    yield ledger
    ledger.close()


def overall(ledger: Ledger) -> dict:  # type: ignore[type-arg]
    return report(ledger, AS_OF)["overall"]


def test_voiding_a_rollback_takes_it_out_and_the_log_keeps_both(ledger):
    assert overall(ledger)["rollbacks"] == 1
    heard: list[Committed] = []
    ledger.subscribe(heard.append)
    assert ledger.record(void("r1", "v-1")).stored == 1
    got = overall(ledger)
    assert (got["deployments"], got["rollbacks"], got["orphan_rollbacks"]) == (2, 0, 0)
    [stream] = heard[0].streams
    assert [d.event_id for d in stream.no_longer_rolled_back] == ["d2"]
    from rollback_rate import AuditQuery

    page = ledger.events(AuditQuery())
    assert [e["id"] for e in page.events] == ["d1", "d2", "r1", "v-1"]
    assert page.events[-1]["reason"] == "recorded by mistake"
    assert (page.events[-1]["target"], page.events[-1]["model"]) == ("r1", "m")


def test_voiding_a_void_restores_its_target(ledger):
    ledger.record(void("r1", "v-1"))
    ledger.record(void("v-1", "v-2", reason="the rollback was real"))
    assert overall(ledger)["rollbacks"] == 1
    ledger.record(void("v-2", "v-3"))  # and a void of that void takes it out again
    assert overall(ledger)["rollbacks"] == 0


def test_voiding_a_deployment_uncounts_it_and_the_rollback_moves(ledger):
    # Without d2 the stack is [v1]; r1 then rolls back d1 (no other counted deployment).
    heard: list[Committed] = []
    ledger.subscribe(heard.append)
    ledger.record(void("d2", "v-d2"))
    got = overall(ledger)
    assert (got["deployments"], got["rollbacks"]) == (1, 1)
    [stream] = heard[0].streams
    assert [d.event_id for d in stream.no_longer_counted] == ["d2"]
    assert [(c.deployment.event_id, c.event_id) for c in stream.rolled_back] == [("d1", "r1")]


def test_an_amend_reclassifies_a_rollback_and_the_latest_wins_per_field(ledger):
    ledger.record(amend("r1", "a-1", cause="data_schema_change", note="post-mortem #12"))
    got = overall(ledger)
    assert got["root_causes"] == [{"cause": "data_schema_change", "count": 1}]
    assert got["automated_rollbacks"] == 0
    ledger.record(amend("r1", "a-2", automated=True))  # leaves the cause as amended
    got = overall(ledger)
    assert (got["root_causes"][0]["cause"], got["automated_rollbacks"]) == ("data_schema_change", 1)
    ledger.record(void("a-2", "v-a2"))  # an amend can be voided like any event
    assert overall(ledger)["automated_rollbacks"] == 0


def test_corrections_are_idempotent_by_id(ledger):
    assert ledger.record(void("r1", "v-1")).stored == 1
    again = ledger.record(void("r1", "v-1"))
    assert (again.stored, again.duplicates) == (0, 1)
    assert overall(ledger)["rollbacks"] == 0


@pytest.mark.parametrize(
    ("correction", "field", "reason"),
    [
        (void("nope", "v-x"), "target",
         "no event with id 'nope' is recorded; a void corrects a recorded event (find ids "
         "with `rollback-rate export` or GET /api/v1/events)"),
        (amend("v-1", "a-x", cause="c"), "target",
         "event 'v-1' is a void; an amend changes how a rollback is classified (a rollback, "
         "or a deployment of an older version)"),
        ({**void("r1", "v-y"), "model": "other"}, "model",
         "'other' does not match the target's 'm' (event 'r1'); leave model out, the target "
         "names it"),
    ],
)  # fmt: skip
def test_unknown_and_mismatched_targets_are_located_errors(ledger, correction, field, reason):
    ledger.record(void("r1", "v-1"))
    before = overall(ledger)
    with pytest.raises(InvalidInput) as info:
        ledger.record_batch([correction])
    assert [(p.location, p.field, p.reason) for p in info.value.problems] == [
        ("[0]", field, reason)
    ]
    assert overall(ledger) == before  # nothing stored


def test_a_correction_may_follow_its_target_in_one_import(db, tmp_path):
    # An export read back: targets come first in the file, all in one transaction, past
    # the write path's chunk size.
    import json

    from rollback_rate.ledger import writes

    lines = [deploy("n", str(i), f"2026-02-01T{i // 60:02d}:{i % 60:02d}:00Z", id=f"n{i}")
             for i in range(1200)]  # fmt: skip
    lines += [rollback("n", "2026-02-02T00:00:00Z", id="rb"), void("rb", "v-rb"),
              void("n5", "v-n5")]  # fmt: skip
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    ledger = Ledger(db)
    original = writes.CHUNK
    writes.CHUNK = 500
    try:
        assert ledger.import_file(path).stored == 1203
    finally:
        writes.CHUNK = original
    got = overall(ledger)
    assert (got["deployments"], got["rollbacks"]) == (1199, 0)


def test_an_amend_is_told_as_the_rollback_reclassified(ledger):
    heard: list[Committed] = []
    ledger.subscribe(heard.append)
    ledger.record(amend("r1", "a-1", cause="data_schema_change", automated=True))
    [stream] = heard[0].streams
    [change] = stream.reclassified
    assert (change.event_id, change.at) == ("r1", "2026-02-02T15:00:00Z")
    assert (change.cause, change.automated) == ("data_schema_change", True)
    assert (change.was_cause, change.was_automated) == ("latency", False)
    assert [d.event_id for d in change.rolled_back] == ["d2"]
    # Nothing else moved: the replay is told as its difference, not as every outcome.
    assert (stream.deployed, stream.rolled_back, stream.no_longer_rolled_back,
            stream.no_longer_counted) == ([], [], [], [])  # fmt: skip
    ledger.record(amend("r1", "a-2", cause="data_schema_change"))  # what it already is
    assert heard[1].streams[0].reclassified == []


def test_voiding_a_void_is_told_as_rolled_back_again(ledger):
    ledger.record(void("r1", "v-1"))
    heard: list[Committed] = []
    ledger.subscribe(heard.append)
    ledger.record(void("v-1", "v-2"))
    [stream] = heard[0].streams
    assert [(c.deployment.event_id, c.event_id, c.cause) for c in stream.rolled_back] == [
        ("d2", "r1", "latency")
    ]
    assert stream.no_longer_rolled_back == [] and stream.deployed == []


def test_an_orphan_voided_and_amended_is_told(db):
    # o1 rolls back nothing (no deployment yet): an orphan. Amended, then voided.
    ledger = Ledger(db)
    ledger.record(rollback("m", "2026-02-01T00:00:00Z", id="o1", cause="latency"))
    heard: list[Committed] = []
    ledger.subscribe(heard.append)
    ledger.record(amend("o1", "a-o1", cause="safety"))
    ledger.record(void("o1", "v-o1"))
    [reclassified] = heard[0].streams[0].reclassified
    assert (reclassified.event_id, reclassified.was_cause, reclassified.cause) == (
        "o1", "latency", "safety",
    )  # fmt: skip
    assert reclassified.rolled_back == []
    [gone] = heard[1].streams[0].no_longer_orphaned
    assert (gone.event_id, gone.at, gone.cause) == ("o1", "2026-02-01T00:00:00Z", "safety")
    assert overall(ledger)["orphan_rollbacks"] == 0
    ledger.close()


def test_a_replay_tells_a_fix_forward_only_when_it_is_new(db):
    # d1 v1, d2 v2, hotfix h (unplanned v2.1) replaces d2; r1 rolls back h. Voiding r1
    # leaves the fix-forward of d2 as it was: it is not told again.
    ledger = Ledger(db)
    ledger.record_batch([
        deploy("m", "1", "2026-02-01T09:00:00Z", id="d1"),
        deploy("m", "2", "2026-02-02T09:00:00Z", id="d2"),
        deploy("m", "2.1", "2026-02-02T10:00:00Z", id="h", unplanned=True),
        rollback("m", "2026-02-02T11:00:00Z", id="r1"),
    ])  # fmt: skip
    heard: list[Committed] = []
    ledger.subscribe(heard.append)
    ledger.record(void("r1", "v-1"))
    [stream] = heard[0].streams
    assert stream.fixed_forward == []
    assert [d.event_id for d in stream.no_longer_rolled_back] == ["h"]
    ledger.close()


def test_a_replay_longer_than_the_listing_limit_lists_only_what_changed(db):
    # 12 deployments, listed at most 5 changes: a replay compares as it goes, so a replay
    # that changes nothing lists nothing (it once listed the uncounted tail after the cut).
    from rollback_rate.attribution import ChangeLog, refresh_streams

    ledger = Ledger(db)
    ledger.record_batch([deploy("m", str(i), f"2026-02-{i + 1:02d}T09:00:00Z", id=f"d{i}")
                         for i in range(12)])  # fmt: skip
    log = ChangeLog(limit=5)
    with db.begin() as conn:
        refresh_streams(conn, {1: None}, log)
    [changes] = log.streams.values()
    assert (changes.replayed, len(changes), log.truncated) == (True, 0, False)
    ledger.close()
