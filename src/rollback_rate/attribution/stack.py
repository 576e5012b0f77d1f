"""The attribution rules of issue 2, as a pure function of one stream's ordered events.

Each stream (model + environment) keeps a stack of versions; the top is live. Popping an
entry rolls back the deployment that pushed it, at the time of the popping event.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from rollback_rate.attribution.compact_stack import StreamState
from rollback_rate.events import EventRecord


class StreamEvent(NamedTuple):
    """The fields attribution needs, in the stream's order (timestamp, then arrival).

    The one definition of what attribution reads of an event: new events are cut from
    their records (`stream_event`) and stored ones are read back by these column names.
    `apply` reads any tuple laid out like this one.
    """

    seq: int
    type: str
    version: str | None
    ts: int
    automated: bool | None
    cause: str | None
    team: str | None
    drill: bool | None = None
    stage: str | None = None
    unplanned: bool | None = None


_new = tuple.__new__  # a namedtuple built by this directly costs no Python frame, as _make does
_FROM_RECORD = itemgetter(*(EventRecord._fields.index(name) for name in StreamEvent._fields[1:]))


def stream_event(seq: int, record: EventRecord) -> StreamEvent:
    """What attribution needs of a record stored with `seq`."""
    return _new(StreamEvent, (seq, *_FROM_RECORD(record)))  # no Python frame (hot)


class Deployed(NamedTuple):
    """A counted deployment (rule 3)."""

    seq: int
    ts: int
    version: str
    team: str | None
    stage: str | None = None  # "canary": not yet at full traffic
    unplanned: bool | None = None  # a hotfix or an emergency retrain


class RolledBack(NamedTuple):
    """A counted deployment popped off the stack (rules 2 and 4)."""

    deployment_seq: int
    at: int
    rollback_seq: int
    automated: bool
    cause: str | None
    version: str  # the deployment's
    bad_target: bool = False  # the version restored had itself been rolled back before
    gap: int | None = None  # counted deployments since the stream's previous rollback


class Orphaned(NamedTuple):
    """A rollback that rolled back no counted deployment (rule 4)."""

    seq: int
    at: int
    team: str | None
    automated: bool
    cause: str | None


class FixedForward(NamedTuple):
    """A counted deployment replaced by an unplanned one (a hotfix) instead of rolled back."""

    deployment_seq: int
    at: int
    by_seq: int


Outcome = Deployed | RolledBack | Orphaned | FixedForward


def apply(state: StreamState, event: Sequence[Any]) -> list[Outcome]:
    """Advance `state` by one event (laid out as StreamEvent) and say what it did to
    counted deployments."""
    seq, type_, version, ts, _, _, team, drill, stage, unplanned = event
    if team:
        state.team = team
    if type_ == "deployment":
        version = version or ""
        live = state.live_entry
        if live is not None and version == live[0]:
            return []  # rule 1: redeploy of the live version
        depth = state.depth_of(version)
        if depth is not None:  # rule 2: an inferred rollback
            return _popped(state, event, state.pop_to(depth + 1), None)
        state.push(version, seq)  # rule 3: a new deployment
        if state.deployed_since_rollback is not None:
            state.deployed_since_rollback += 1
        deployed = _new(Deployed, (seq, ts, version, team, stage, unplanned))  # no frame (hot)
        if unplanned and live is not None and live[1] is not None:
            return [deployed, FixedForward(live[1], ts, seq)]
        return [deployed]
    if type_ == "rollback":
        if drill:  # a drill proves the path works; it counts as nothing, moves nothing
            state.exercised(ts)
            return []
        return _rollback(state, event, version)
    return []  # rollback_failed: recorded, but the stack did not move


def _rollback(state: StreamState, event: Sequence[Any], version: str | None) -> list[Outcome]:
    if version is None or version == state.live:
        popped = state.pop_to(state.size - 1) if state.size else []
        return _popped(state, event, popped, None)
    depth = state.depth_of(version)
    if depth is not None:
        return _popped(state, event, state.pop_to(depth + 1), None)
    # A version the stream never held here: the live entry goes, the named one is restored.
    popped = state.pop_to(state.size - 1) if state.size else []
    state.push(version, None)
    return _popped(state, event, popped, version)


def _popped(
    state: StreamState,
    event: Sequence[Any],
    popped: list[tuple[str, int | None]],
    restored: str | None,
) -> list[Outcome]:
    seq, _, _, ts, automated, cause, team, *_ = event
    state.exercised(ts)
    gap, state.deployed_since_rollback = state.deployed_since_rollback, 0
    counted = [(version, deployed) for version, deployed in popped if deployed is not None]
    if not counted:
        return [Orphaned(seq, ts, team or state.team, automated, cause)]
    target = restored if restored is not None else state.live
    bad_target = target is not None and state.was_rolled_back(target)
    state.rolled_back(version for version, _ in counted)
    return [
        RolledBack(deployed, ts, seq, automated, cause, version, bad_target, gap)
        for version, deployed in counted
    ]
