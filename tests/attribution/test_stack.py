"""Hand-computed cases for every attribution rule of issue 2, on the pure stack."""

from rollback_rate.attribution import (
    Deployed,
    Orphaned,
    RolledBack,
    StreamEvent,
    StreamState,
    apply,
    stream_event,
)
from rollback_rate.events import parse_event


def run(*events: tuple[str, str | None]) -> tuple[StreamState, list[list[object]]]:
    state = StreamState()
    outcomes = []
    for seq, (kind, version) in enumerate(events, start=1):
        event = StreamEvent(seq, kind, version, seq * 100, False, None, None)
        outcomes.append(apply(state, event))
    return state, outcomes


def test_rule3_new_deployments_push_and_count():
    state, out = run(("deployment", "v1"), ("deployment", "v2"))
    assert out == [[Deployed(1, 100, "v1", None)], [Deployed(2, 200, "v2", None)]]
    assert state.stack == [("v1", 1), ("v2", 2)]
    assert state.live == "v2"


def test_rule1_redeploy_of_live_version_is_not_counted():
    state, out = run(("deployment", "v1"), ("deployment", "v1"))
    assert out[1] == []
    assert state.stack == [("v1", 1)]


def test_rule2_deploying_an_older_version_rolls_back_everything_above_it():
    state, out = run(
        ("deployment", "v1"), ("deployment", "v2"), ("deployment", "v3"), ("deployment", "v1")
    )
    assert out[3] == [
        RolledBack(3, 400, 4, False, None, "v3"),
        RolledBack(2, 400, 4, False, None, "v2"),
    ]
    assert state.stack == [("v1", 1)]


def test_rule3_redeploying_a_version_that_was_rolled_back_is_a_new_attempt():
    state, out = run(
        ("deployment", "v1"), ("deployment", "v2"), ("rollback", None), ("deployment", "v2")
    )
    assert out[3] == [Deployed(4, 400, "v2", None)]
    assert state.stack == [("v1", 1), ("v2", 4)]


def test_rule4_rollback_without_version_pops_one():
    state, out = run(("deployment", "v1"), ("deployment", "v2"), ("rollback", None))
    assert out[2] == [RolledBack(2, 300, 3, False, None, "v2")]
    assert state.live == "v1"


def test_rule4_rollback_naming_the_live_version_pops_it():
    state, out = run(("deployment", "v1"), ("deployment", "v2"), ("rollback", "v2"))
    assert out[2] == [RolledBack(2, 300, 3, False, None, "v2")]
    assert state.live == "v1"


def test_rule4_rollback_to_a_version_below_pops_back_to_it():
    state, out = run(
        ("deployment", "v1"), ("deployment", "v2"), ("deployment", "v3"), ("rollback", "v1")
    )
    assert [o.deployment_seq for o in out[3]] == [3, 2]
    assert state.stack == [("v1", 1)]


def test_rule4_rollback_to_an_unknown_version_restores_it_uncounted():
    state, out = run(("deployment", "v7"), ("rollback", "v5"), ("rollback", None))
    assert out[1] == [RolledBack(1, 200, 2, False, None, "v7")]
    assert out[2] == [Orphaned(3, 300, None, False, None)]  # only the restored v5 popped
    assert state.stack == []


def test_rule4_rollback_with_nothing_live_is_an_orphan():
    _, out = run(("rollback", None))
    assert out == [[Orphaned(1, 100, None, False, None)]]


def test_rollback_takes_automated_and_cause_from_the_popping_event():
    state = StreamState()
    apply(state, StreamEvent(1, "deployment", "a", 0, False, None, "search"))
    out = apply(state, StreamEvent(2, "rollback", None, 5, True, "latency", None))
    assert out == [RolledBack(1, 5, 2, True, "latency", "a")]


def test_orphan_inherits_the_stream_team():
    state = StreamState()
    apply(state, StreamEvent(1, "deployment", "a", 0, False, None, "fraud"))
    apply(state, StreamEvent(2, "rollback", None, 5, False, None, None))
    out = apply(state, StreamEvent(3, "rollback", None, 6, False, None, None))
    assert out == [Orphaned(3, 6, "fraud", False, None)]


def test_failed_rollback_does_not_move_the_stack():
    state, out = run(("deployment", "v1"), ("rollback_failed", None))
    assert out[1] == []
    assert state.live == "v1"


def test_state_round_trips_through_its_stack():
    state, _ = run(("deployment", "v1"), ("deployment", "v2"), ("rollback", "v0"))
    restored = StreamState([tuple(e) for e in state.stack])
    out = apply(restored, StreamEvent(9, "deployment", "v1", 900, False, None, None))
    assert out == [Orphaned(9, 900, None, False, None)]  # only the restored v0 popped
    assert restored.live == "v1"


def test_attribution_reads_a_record_by_its_field_names():
    record = parse_event(
        {"type": "rollback", "model": "m", "version": "v1", "timestamp": "2026-01-01T00:00:00Z",
         "automated": True, "cause": "latency", "team": "risk", "note": "n"},
        "event",
    )  # fmt: skip
    assert stream_event(7, record) == StreamEvent(
        7, "rollback", "v1", record.ts, True, "latency", "risk"
    )
