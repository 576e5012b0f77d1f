"""Hand-computed cases for the rules of the contract's later fields, on the pure stack:
drills (issue 10), fix-forward and canaries (issue 12), bad-target rollbacks (issue 12)."""

from rollback_rate.attribution import (
    Deployed,
    FixedForward,
    Orphaned,
    RolledBack,
    StreamEvent,
    StreamState,
    apply,
)


def event(seq, kind, version=None, **flags):  # type: ignore[no-untyped-def]
    drill, stage, unplanned = (flags.get(name) for name in ("drill", "stage", "unplanned"))
    automated = flags.get("automated", False)
    return StreamEvent(
        seq, kind, version, seq * 100, automated, None, None, drill, stage, unplanned
    )


def test_a_drill_counts_nothing_moves_nothing_and_exercises_the_path():
    state = StreamState()
    apply(state, event(1, "deployment", "v1"))
    apply(state, event(2, "deployment", "v2"))
    assert apply(state, event(3, "rollback", drill=True)) == []
    assert (state.live, state.last_exercised) == ("v2", 300)
    apply(state, event(4, "rollback"))  # a real one exercises it too
    assert (state.live, state.last_exercised) == ("v1", 400)


def test_an_unplanned_deployment_fixes_the_live_one_forward():
    state = StreamState()
    apply(state, event(1, "deployment", "v1"))
    out = apply(state, event(2, "deployment", "v1.0.1", unplanned=True, stage="canary"))
    assert out == [Deployed(2, 200, "v1.0.1", None, "canary", True), FixedForward(1, 200, 2)]
    # nothing live, or only a restored version: nothing to fix forward
    empty = StreamState()
    assert apply(empty, event(1, "deployment", "x", unplanned=True)) == [
        Deployed(1, 100, "x", None, None, True)
    ]


def test_a_rollback_onto_a_version_rolled_back_before_is_a_bad_target():
    # v1, v2, rollback (v2 off, onto v1: fine); v2 again, v3; rollback to v2: v2 had been
    # rolled back before, so this rollback restored a version known to be bad.
    state = StreamState()
    for seq, version in ((1, "v1"), (2, "v2")):
        apply(state, event(seq, "deployment", version))
    assert apply(state, event(3, "rollback")) == [RolledBack(2, 300, 3, False, None, "v2", False)]
    apply(state, event(4, "deployment", "v2"))
    apply(state, event(5, "deployment", "v3"))
    assert apply(state, event(6, "rollback", "v2")) == [
        RolledBack(5, 600, 6, False, None, "v3", True, 2)  # 2 counted since the last
    ]
    assert state.rolled_back_versions == {"v2", "v3"}


def test_an_inferred_rollback_and_a_restored_version_are_judged_alike():
    state = StreamState()
    for seq, version in ((1, "a"), (2, "b")):
        apply(state, event(seq, "deployment", version))
    apply(state, event(3, "rollback"))  # b off
    apply(state, event(4, "deployment", "c"))
    # rolling back to "b", which the stream no longer holds: c off, b restored (bad)
    assert apply(state, event(5, "rollback", "b")) == [
        RolledBack(4, 500, 5, False, None, "c", True, 1)
    ]
    # an orphan rolls back nothing, so it has no target to judge
    assert apply(StreamState(), event(1, "rollback")) == [Orphaned(1, 100, None, False, None)]


def test_the_new_state_survives_saving_and_loading():
    state = StreamState()
    for seq, version in ((1, "a"), (2, "b")):
        apply(state, event(seq, "deployment", version))
    apply(state, event(3, "rollback"))
    again = StreamState(state.stack, state.team, state.rolled_back_versions, state.last_exercised)
    assert (again.rolled_back_versions, again.last_exercised, again.live) == ({"b"}, 300, "a")


def test_the_gap_counts_counted_deployments_since_any_rollback_of_the_stream():
    # An orphan (nothing live yet) is a rollback of the stream too: orphan, a, b, b again
    # (a redeploy, not counted), rollback (gap 2: a and b), c, a drill, rollback (gap 1).
    state = StreamState()
    assert apply(state, event(1, "rollback")) == [Orphaned(1, 100, None, False, None)]
    apply(state, event(2, "deployment", "a"))
    apply(state, event(3, "deployment", "b"))
    apply(state, event(4, "deployment", "b"))  # a redeploy: not counted
    [first] = apply(state, event(5, "rollback"))
    apply(state, event(6, "deployment", "c"))
    apply(state, event(7, "rollback", drill=True))  # a drill is no rollback
    [second] = apply(state, event(8, "rollback"))
    assert (first.gap, second.gap) == (2, 1)
