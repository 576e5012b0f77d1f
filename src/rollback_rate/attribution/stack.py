"""The attribution rules of issue 2, as a pure function of one stream's ordered events.

Each stream (model + environment) keeps a stack of versions; the top is live. Popping an
entry rolls back the deployment that pushed it, at the time of the popping event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class StreamEvent(NamedTuple):
    """The fields attribution needs, in the stream's order (timestamp, then arrival)."""

    seq: int
    type: str
    version: str | None
    ts: int
    automated: bool
    cause: str | None
    team: str | None


class Deployed(NamedTuple):
    """A counted deployment (rule 3)."""

    seq: int
    ts: int
    version: str
    team: str | None


class RolledBack(NamedTuple):
    """A counted deployment popped off the stack (rules 2 and 4)."""

    deployment_seq: int
    at: int
    rollback_seq: int
    automated: bool
    cause: str | None


class Orphaned(NamedTuple):
    """A rollback that rolled back no counted deployment (rule 4)."""

    seq: int
    at: int
    team: str | None
    automated: bool
    cause: str | None


Outcome = Deployed | RolledBack | Orphaned


@dataclass
class StreamState:
    """The stack of (version, deployment seq or None when restored), bottom first.

    Versions are unique in the stack: a version already in it is either live (a redeploy)
    or below it (a rollback), so a new push never duplicates one.
    """

    stack: list[tuple[str, int | None]] = field(default_factory=list)
    team: str | None = None
    _depth: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._depth = {version: i for i, (version, _) in enumerate(self.stack)}

    @property
    def live(self) -> str | None:
        return self.stack[-1][0] if self.stack else None

    def depth_of(self, version: str) -> int | None:
        return self._depth.get(version)

    def push(self, version: str, deployment_seq: int | None) -> None:
        self._depth[version] = len(self.stack)
        self.stack.append((version, deployment_seq))

    def pop_to(self, depth: int) -> list[int | None]:
        """Pop every entry above `depth`; return their deployment seqs, top first."""
        popped = self.stack[depth:]
        del self.stack[depth:]
        for version, _ in popped:
            del self._depth[version]
        return [seq for _, seq in reversed(popped)]


def apply(state: StreamState, event: StreamEvent) -> list[Outcome]:
    """Advance `state` by one event and say what it did to counted deployments."""
    if event.team:
        state.team = event.team
    if event.type == "deployment":
        return _deployment(state, event)
    if event.type == "rollback":
        return _rollback(state, event)
    return []  # rollback_failed: recorded, but the stack did not move


def _deployment(state: StreamState, event: StreamEvent) -> list[Outcome]:
    version = event.version or ""
    if version == state.live:
        return []  # rule 1: redeploy of the live version
    depth = state.depth_of(version)
    if depth is not None:
        return _popped(state, event, state.pop_to(depth + 1))  # rule 2: inferred rollback
    state.push(version, event.seq)  # rule 3: a new deployment
    return [Deployed(event.seq, event.ts, version, event.team)]


def _rollback(state: StreamState, event: StreamEvent) -> list[Outcome]:
    version = event.version
    if version is None or version == state.live:
        popped = state.pop_to(len(state.stack) - 1) if state.stack else []
        return _popped(state, event, popped)
    depth = state.depth_of(version)
    if depth is not None:
        return _popped(state, event, state.pop_to(depth + 1))
    # A version the stream never held here: the live entry goes, the named one is restored.
    popped = state.pop_to(len(state.stack) - 1) if state.stack else []
    state.push(version, None)
    return _popped(state, event, popped)


def _popped(state: StreamState, event: StreamEvent, seqs: list[int | None]) -> list[Outcome]:
    counted = [seq for seq in seqs if seq is not None]
    if not counted:
        return [
            Orphaned(event.seq, event.ts, event.team or state.team, event.automated, event.cause)
        ]
    return [RolledBack(seq, event.ts, event.seq, event.automated, event.cause) for seq in counted]
