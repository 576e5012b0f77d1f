"""What one transaction changed in each stream's projection, for the after-commit hook.

New events usually only add: counted deployments, rollbacks of earlier deployments,
orphan rollbacks. A replay (an event from the past, a correction) can also take back what
was there, so a replayed stream's changes are the difference between its projection
before and after. Collected only when someone listens, and bounded: a bulk import of a
year of history lists its first `LIMIT` changes and says it left the rest out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rollback_rate.attribution.stack import Deployed, FixedForward, Orphaned, Outcome, RolledBack

LIMIT = 10_000


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
    replayed: bool = False

    def __len__(self) -> int:
        return (len(self.deployed) + len(self.rolled_back) + len(self.orphaned)
                + len(self.unrolled) + len(self.uncounted))  # fmt: skip


class ChangeLog:
    """Collects each stream's changes as attribution goes."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.streams: dict[int, StreamChanges] = {}
        self.truncated = False
        self._listed = 0
        self._before: dict[int, tuple[dict[int, int | None], set[int]]] = {}

    def touched(self, stream_id: int) -> StreamChanges:
        changes = self.streams.get(stream_id)
        if changes is None:
            changes = self.streams[stream_id] = StreamChanges(stream_id)
        return changes

    def record(self, stream_id: int, outcomes: Iterable[Outcome]) -> None:
        changes = self.touched(stream_id)
        for outcome in outcomes:
            if self._listed >= self.limit:
                self.truncated = True
                return
            self._listed += 1
            if type(outcome) is Deployed:
                changes.deployed.append(outcome)
            elif type(outcome) is RolledBack:
                changes.rolled_back.append(outcome)
            elif type(outcome) is Orphaned:
                changes.orphaned.append(outcome)
            elif type(outcome) is FixedForward:
                changes.fixed_forward.append(outcome)

    def replaying(
        self, stream_id: int, rolled_back: dict[int, int | None], orphans: set[int]
    ) -> None:
        """A stream is about to replay: remember its projection (deployment seq -> seq of
        the rollback that rolled it back, or None; orphan rollback seqs) to diff against,
        as it was before this transaction: what the transaction added so far is taken out
        (a continuing stream only adds deployments and rolls back live ones)."""
        changes = self.touched(stream_id)
        for deployed in changes.deployed:
            rolled_back.pop(deployed.seq, None)
        for outcome in changes.rolled_back:
            if outcome.deployment_seq in rolled_back:
                rolled_back[outcome.deployment_seq] = None
        orphans.difference_update(orphan.seq for orphan in changes.orphaned)
        self._before[stream_id] = (rolled_back, orphans)
        changes.deployed.clear()
        changes.rolled_back.clear()
        changes.orphaned.clear()
        changes.fixed_forward.clear()
        changes.replayed = True

    def replayed(self, stream_id: int) -> None:
        """The replay is done: keep only what differs from before it."""
        before_rolled, before_orphans = self._before.pop(stream_id)
        changes = self.streams[stream_id]
        after_rolled = {outcome.deployment_seq: outcome for outcome in changes.rolled_back}
        counted = {outcome.seq for outcome in changes.deployed}
        changes.deployed = [d for d in changes.deployed if d.seq not in before_rolled]
        changes.rolled_back = [
            outcome
            for seq, outcome in after_rolled.items()
            if before_rolled.get(seq) != outcome.rollback_seq
        ]
        changes.orphaned = [o for o in changes.orphaned if o.seq not in before_orphans]
        changes.uncounted = sorted(seq for seq in before_rolled if seq not in counted)
        changes.unrolled = sorted(
            seq
            for seq, rollback in before_rolled.items()
            if rollback is not None and seq in counted and seq not in after_rolled
        )
