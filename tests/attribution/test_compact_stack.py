"""The compact stack (frozen deep entries, Bloom filter) behaves like a plain list."""

from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.attribution import RolledBack, StreamEvent, StreamState, apply


# The stack keeps deep entries frozen (see StreamState); a plain list is the reference.
class PlainStack:
    def __init__(self) -> None:
        self.stack: list[tuple[str, int | None]] = []

    def apply(
        self, seq: int, kind: str, version: str | None
    ) -> list[tuple[str, int | None]] | None:
        """The entries popped by one event (top first), or None when it pushed or did
        nothing."""
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

    def _pop_to(self, depth: int) -> list[tuple[str, int | None]]:
        popped = self.stack[depth:]
        del self.stack[depth:]
        return list(reversed(popped))


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
        rolled_back = [(o.version, o.deployment_seq) for o in out if isinstance(o, RolledBack)]
        if popped is not None:
            assert rolled_back == [(v, s) for v, s in popped if s is not None]
        else:
            assert rolled_back == []
        assert state.live == (plain.stack[-1][0] if plain.stack else None)
        if seq % reload_every == 0:  # as saved and loaded again, whole (before 0010) or split
            if seq // reload_every % 2:
                state = StreamState(state.stack, state.team)
            else:
                frozen, top = state.frozen_parts(), state.saved_top()
                state = StreamState(top, state.team, frozen=frozen)
                assert not state.frozen_changed
    assert state.stack == plain.stack
    assert state.size == len(plain.stack)


def test_a_saved_top_holds_the_live_entry_and_the_one_below():
    # Readers of a saved state read its top only; a state whose top is empty above frozen
    # entries (the rules leave one so only rarely) thaws two of them to save it.
    whole = StreamState([(f"v{i}", i) for i in range(40)])  # 8 frozen, 32 on top
    frozen = whole.frozen_parts()
    assert frozen == (b"\x00" + b"\x00".join(b"v%d" % i for i in range(8)) + b"\x00",
                      array("q", range(8)).tobytes())  # fmt: skip
    state = StreamState([], frozen=frozen)
    assert not state.frozen_changed and state.size == 8
    assert state.saved_top() == [("v6", 6), ("v7", 7)]
    assert state.frozen_changed and state.frozen_parts()[0] == frozen[0][: -len(b"v6\x00v7\x00")]


def test_rolled_back_versions_are_saved_as_loaded_until_a_rollback_adds_one():
    saved = '["a","c"]'
    state = StreamState([("a", 1), ("b", 2), ("c", 3)], rolled_back_versions=saved)
    apply(state, StreamEvent(4, "deployment", "d", 4, False, None, None))
    assert state.saved_rolled_back() is saved  # not parsed, not re-encoded
    assert not state.rolled_back_changed
    apply(state, StreamEvent(5, "rollback", None, 5, False, None, None))
    assert state.rolled_back_changed
    assert state.saved_rolled_back() == '["a","c","d"]'
    assert state.rolled_back_versions == {"a", "c", "d"}
