"""Hand-computed cases for every attribution rule of issue 2, on the pure stack."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.attribution.stack import (
    Deployed,
    Orphaned,
    RolledBack,
    StreamEvent,
    StreamState,
    apply,
)


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
    assert out[3] == [RolledBack(3, 400, 4, False, None), RolledBack(2, 400, 4, False, None)]
    assert state.stack == [("v1", 1)]


def test_rule3_redeploying_a_version_that_was_rolled_back_is_a_new_attempt():
    state, out = run(
        ("deployment", "v1"), ("deployment", "v2"), ("rollback", None), ("deployment", "v2")
    )
    assert out[3] == [Deployed(4, 400, "v2", None)]
    assert state.stack == [("v1", 1), ("v2", 4)]


def test_rule4_rollback_without_version_pops_one():
    state, out = run(("deployment", "v1"), ("deployment", "v2"), ("rollback", None))
    assert out[2] == [RolledBack(2, 300, 3, False, None)]
    assert state.live == "v1"


def test_rule4_rollback_naming_the_live_version_pops_it():
    state, out = run(("deployment", "v1"), ("deployment", "v2"), ("rollback", "v2"))
    assert out[2] == [RolledBack(2, 300, 3, False, None)]
    assert state.live == "v1"


def test_rule4_rollback_to_a_version_below_pops_back_to_it():
    state, out = run(
        ("deployment", "v1"), ("deployment", "v2"), ("deployment", "v3"), ("rollback", "v1")
    )
    assert [o.deployment_seq for o in out[3]] == [3, 2]
    assert state.stack == [("v1", 1)]


def test_rule4_rollback_to_an_unknown_version_restores_it_uncounted():
    state, out = run(("deployment", "v7"), ("rollback", "v5"), ("rollback", None))
    assert out[1] == [RolledBack(1, 200, 2, False, None)]
    assert out[2] == [Orphaned(3, 300, None, False, None)]  # only the restored v5 popped
    assert state.stack == []


def test_rule4_rollback_with_nothing_live_is_an_orphan():
    _, out = run(("rollback", None))
    assert out == [[Orphaned(1, 100, None, False, None)]]


def test_rollback_takes_automated_and_cause_from_the_popping_event():
    state = StreamState()
    apply(state, StreamEvent(1, "deployment", "a", 0, False, None, "search"))
    out = apply(state, StreamEvent(2, "rollback", None, 5, True, "latency", None))
    assert out == [RolledBack(1, 5, 2, True, "latency")]


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


# The stack keeps deep entries frozen (see StreamState); a plain list is the reference.
class PlainStack:
    def __init__(self) -> None:
        self.stack: list[tuple[str, int | None]] = []

    def apply(self, seq: int, kind: str, version: str | None) -> list[int | None] | None:
        """The seqs popped by one event (top first), or None when it pushed or did nothing."""
        versions = [v for v, _ in self.stack]
        live = versions[-1] if versions else None
        if kind == "deployment":
            if version == live:
                return None
            if version in versions:
                return self._pop_to(versions.index(version) + 1)
            self.stack.append((version, seq))  # type: ignore[arg-type]
            return None
        if version is None or version == live:
            return self._pop_to(len(versions) - 1) if versions else []
        if version in versions:
            return self._pop_to(versions.index(version) + 1)
        popped = self._pop_to(len(versions) - 1) if versions else []
        self.stack.append((version, None))
        return popped

    def _pop_to(self, depth: int) -> list[int | None]:
        popped = self.stack[depth:]
        del self.stack[depth:]
        return [seq for _, seq in reversed(popped)]


_STEP = st.one_of(
    st.tuples(st.just("deployment"), st.integers(0, 150).map(str)),
    st.tuples(st.just("rollback"), st.one_of(st.none(), st.integers(0, 200).map(str))),
    st.tuples(st.just("burst"), st.integers(1, 150)),  # that many new versions in a row
    st.tuples(st.just("pops"), st.integers(1, 80)),  # that many plain rollbacks in a row
)


def _expand(steps: list[tuple[str, object]]) -> list[tuple[str, str | None]]:
    events: list[tuple[str, str | None]] = []
    for kind, arg in steps:
        if kind == "burst":
            start = len(events)
            events += [("deployment", f"new-{start + i}") for i in range(arg)]  # type: ignore[call-overload]
        elif kind == "pops":
            events += [("rollback", None)] * arg  # type: ignore[operator]
        else:
            events.append((kind, arg))  # type: ignore[arg-type]
    return events


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(_STEP, min_size=1, max_size=60), reload_every=st.integers(1, 120))
def test_frozen_entries_behave_like_a_plain_stack(steps, reload_every):
    state, plain = StreamState(), PlainStack()
    for seq, (kind, version) in enumerate(_expand(steps), start=1):
        out = apply(state, StreamEvent(seq, kind, version, seq, False, None, None))
        popped = plain.apply(seq, kind, version)
        rolled_back = [o.deployment_seq for o in out if isinstance(o, RolledBack)]
        if popped is not None:
            assert rolled_back == [s for s in popped if s is not None]
        else:
            assert rolled_back == []
        assert state.live == (plain.stack[-1][0] if plain.stack else None)
        if seq % reload_every == 0:
            state = StreamState(state.stack, state.team)  # as saved and loaded again
    assert state.stack == plain.stack
    assert state.size == len(plain.stack)
