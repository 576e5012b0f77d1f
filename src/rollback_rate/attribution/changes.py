"""What one transaction changed in each stream's projection, for the after-commit hook.

New events usually only add: counted deployments, rollbacks of earlier deployments,
orphan rollbacks. A replay (an event from the past, a correction) can also take back what
was there, or reclassify a rollback (an amend), so a replayed stream's changes are the
difference between its projection before and after, taken as the replay goes (it never
holds the replay's outcomes, only the projection as it was). Collected only when someone
listens, and bounded: a bulk import of a year of history lists its first `LIMIT` changes
and says it left the rest out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from rollback_rate.attribution.stack import Deployed, FixedForward, Orphaned, Outcome, RolledBack

LIMIT = 10_000
T = TypeVar("T")


class Classification(NamedTuple):
    """How a rollback was classified in the projection."""

    automated: bool
    cause: str | None


class Reclassified(NamedTuple):
    """The same rollback, classified anew (an amend, or the void of one): the rollback
    event's seq, and the deployments it rolled back (none for an orphan)."""

    rollback_seq: int
    at: int
    now: Classification
    was: Classification
    deployment_seqs: tuple[int, ...] = ()


@dataclass
class Projected:
    """A stream's projection as it stood before a replay: each counted deployment's
    rollback (its event's seq and classification) or None, each fix-forward (deployment
    seq -> the hotfix's seq), and each orphan rollback (as the hook tells it)."""

    rolled_back: dict[int, tuple[int, Classification] | None] = field(default_factory=dict)
    fixed_forward: dict[int, int] = field(default_factory=dict)
    orphans: dict[int, Orphaned] = field(default_factory=dict)


@dataclass
class StreamChanges:
    """One stream's changes; deployments are named by their seq in the log."""

    stream_id: int
    deployed: list[Deployed] = field(default_factory=list)
    rolled_back: list[RolledBack] = field(default_factory=list)
    orphaned: list[Orphaned] = field(default_factory=list)
    fixed_forward: list[FixedForward] = field(default_factory=list)
    unrolled: list[int] = field(default_factory=list)  # rolled back before, no longer
    uncounted: list[int] = field(default_factory=list)  # counted before, no longer
    reclassified: list[Reclassified] = field(default_factory=list)
    unorphaned: list[Orphaned] = field(default_factory=list)  # orphans before, no longer
    replayed: bool = False

    def __len__(self) -> int:
        return (len(self.deployed) + len(self.rolled_back) + len(self.orphaned)
                + len(self.unrolled) + len(self.uncounted) + len(self.reclassified)
                + len(self.unorphaned))  # fmt: skip


@dataclass
class _Replay:
    """A replay in progress: the projection before it, and what the replay has met."""

    before: Projected
    counted: set[int] = field(default_factory=set)
    rolled_back: set[int] = field(default_factory=set)
    orphans: set[int] = field(default_factory=set)
    reclassified: dict[int, Reclassified] = field(default_factory=dict)


class ChangeLog:
    """Collects each stream's changes as attribution goes."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.streams: dict[int, StreamChanges] = {}
        self.truncated = False
        self._listed = 0
        self._replays: dict[int, _Replay] = {}

    def touched(self, stream_id: int) -> StreamChanges:
        changes = self.streams.get(stream_id)
        if changes is None:
            changes = self.streams[stream_id] = StreamChanges(stream_id)
        return changes

    def record(self, stream_id: int, outcomes: Iterable[Outcome]) -> None:
        changes = self.touched(stream_id)
        replay = self._replays.get(stream_id)
        for outcome in outcomes:
            if replay is not None:
                self._compare(changes, replay, outcome)
            elif self._room():
                self._list(changes, outcome)
            else:
                return

    def replaying(self, stream_id: int, before: Projected) -> None:
        """A stream is about to replay: remember its projection to diff against, as it was
        before this transaction: what the transaction added so far is taken out (a
        continuing stream only adds deployments, rolls back live ones, adds orphans and
        fix-forwards)."""
        changes = self.touched(stream_id)
        for deployed in changes.deployed:
            before.rolled_back.pop(deployed.seq, None)
            before.fixed_forward.pop(deployed.seq, None)
        for outcome in changes.rolled_back:
            if outcome.deployment_seq in before.rolled_back:
                before.rolled_back[outcome.deployment_seq] = None
        for fixed in changes.fixed_forward:
            before.fixed_forward.pop(fixed.deployment_seq, None)
        for orphan in changes.orphaned:
            before.orphans.pop(orphan.seq, None)
        self._replays[stream_id] = _Replay(before)
        changes.deployed.clear()
        changes.rolled_back.clear()
        changes.orphaned.clear()
        changes.fixed_forward.clear()
        changes.replayed = True

    def replayed(self, stream_id: int) -> None:
        """The replay is done: list what it took back (what it added is listed already)."""
        replay = self._replays.pop(stream_id)
        changes = self.streams[stream_id]
        before = replay.before
        changes.reclassified = self._bounded(list(replay.reclassified.values()))
        changes.uncounted = self._bounded(sorted(before.rolled_back.keys() - replay.counted))
        still_counted = replay.counted - replay.rolled_back
        changes.unrolled = self._bounded(
            sorted(
                seq
                for seq, rollback in before.rolled_back.items()
                if rollback is not None and seq in still_counted
            )
        )
        changes.unorphaned = self._bounded(
            [before.orphans[seq] for seq in sorted(before.orphans.keys() - replay.orphans)]
        )

    def _compare(self, changes: StreamChanges, replay: _Replay, outcome: Outcome) -> None:
        """Note a replay's outcome; list it only where it differs from before."""
        before = replay.before
        if type(outcome) is Deployed:
            replay.counted.add(outcome.seq)
            if outcome.seq not in before.rolled_back and self._room():
                changes.deployed.append(outcome)
        elif type(outcome) is RolledBack:
            replay.rolled_back.add(outcome.deployment_seq)
            prior = before.rolled_back.get(outcome.deployment_seq)
            now = Classification(outcome.automated, outcome.cause)
            if prior is None or prior[0] != outcome.rollback_seq:
                if self._room():
                    changes.rolled_back.append(outcome)
            elif prior[1] != now:
                self._reclassify(replay, outcome.rollback_seq, outcome.at, now, prior[1],
                                 outcome.deployment_seq)  # fmt: skip
        elif type(outcome) is Orphaned:
            replay.orphans.add(outcome.seq)
            was = before.orphans.get(outcome.seq)
            now = Classification(outcome.automated, outcome.cause)
            if was is None:
                if self._room():
                    changes.orphaned.append(outcome)
            elif Classification(was.automated, was.cause) != now:
                self._reclassify(replay, outcome.seq, outcome.at, now,
                                 Classification(was.automated, was.cause))  # fmt: skip
        elif (
            type(outcome) is FixedForward
            and before.fixed_forward.get(outcome.deployment_seq) != outcome.by_seq
            and self._room()
        ):
            changes.fixed_forward.append(outcome)

    def _reclassify(
        self,
        replay: _Replay,
        seq: int,
        at: int,
        now: Classification,
        was: Classification,
        deployment_seq: int | None = None,
    ) -> None:
        known = replay.reclassified.get(seq)
        deployments = () if deployment_seq is None else (deployment_seq,)
        if known is None:
            replay.reclassified[seq] = Reclassified(seq, at, now, was, deployments)
        else:  # one rollback that rolled back several deployments
            replay.reclassified[seq] = known._replace(
                deployment_seqs=known.deployment_seqs + deployments
            )

    def _list(self, changes: StreamChanges, outcome: Outcome) -> None:
        if type(outcome) is Deployed:
            changes.deployed.append(outcome)
        elif type(outcome) is RolledBack:
            changes.rolled_back.append(outcome)
        elif type(outcome) is Orphaned:
            changes.orphaned.append(outcome)
        elif type(outcome) is FixedForward:
            changes.fixed_forward.append(outcome)

    def _room(self) -> bool:
        """Whether one more change may be listed (counting it), else note the truncation."""
        if self._listed >= self.limit:
            self.truncated = True
            return False
        self._listed += 1
        return True

    def _bounded(self, items: list[T]) -> list[T]:
        room = max(self.limit - self._listed, 0)
        if len(items) > room:
            self.truncated = True
            items = items[:room]
        self._listed += len(items)
        return items
