"""Corrections (issue 9): voids and amends, as they bear on one stream's replay.

A `void` takes its target out of attribution; a void of a void puts the target back (so
an event is out exactly when a void that is itself in force targets it). An `amend`
changes how a recorded rollback is classified: each field it gives (cause, automated)
replaces the rollback's own, the latest amend in force giving a field winning. Both only
ever add to the log; a stream they touch is replayed from its first event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rollback_rate.attribution.stack import Orphaned, Outcome, RolledBack


@dataclass(frozen=True)
class Correction:
    """A void or amend as the log holds it; `target_seq` is its target's seq (None when
    the target is not in the log: then it corrects nothing)."""

    seq: int
    type: str
    ts: int
    target_seq: int | None
    cause: str | None = None
    automated: bool | None = None


@dataclass
class Corrections:
    """What one stream's replay must leave out and reclassify."""

    voided: set[int] = field(default_factory=set)  # seqs of events out of attribution
    cause: dict[int, str] = field(default_factory=dict)  # rollback seq -> amended cause
    automated: dict[int, bool] = field(default_factory=dict)

    def amend(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """The outcomes with each rollback's amended classification."""
        amended: list[Outcome] = []
        for outcome in outcomes:
            if type(outcome) is RolledBack:
                seq = outcome.rollback_seq
            elif type(outcome) is Orphaned:
                seq = outcome.seq
            else:
                amended.append(outcome)
                continue
            changes: dict[str, Any] = {}
            if seq in self.cause:
                changes["cause"] = self.cause[seq]
            if seq in self.automated:
                changes["automated"] = self.automated[seq]
            amended.append(outcome._replace(**changes) if changes else outcome)
        return amended


def resolve(corrections: Iterable[Correction]) -> Corrections:
    """Which events are out, and every rollback's amended classification."""
    listed = sorted(corrections, key=lambda c: (c.ts, c.seq))
    voids_of: dict[int, list[int]] = {}
    for correction in listed:
        if correction.type == "void" and correction.target_seq is not None:
            voids_of.setdefault(correction.target_seq, []).append(correction.seq)
    voided = {seq for seq in voids_of if _out(seq, voids_of, {})}
    result = Corrections(voided=voided)
    for correction in listed:  # in stream order: the latest amend in force wins
        if correction.type != "amend" or correction.seq in voided:
            continue
        target = correction.target_seq
        if target is None:
            continue
        if correction.cause is not None:
            result.cause[target] = correction.cause
        if correction.automated is not None:
            result.automated[target] = correction.automated
    return result


def _out(seq: int, voids_of: dict[int, list[int]], known: dict[int, bool]) -> bool:
    """Whether a void in force targets `seq` (iteratively: chains of voids may be long)."""
    pending = [seq]
    while pending:
        current = pending[-1]
        if current in known:
            pending.pop()
            continue
        undecided = [v for v in voids_of.get(current, ()) if v not in known]
        if undecided:
            pending.extend(undecided)
            continue
        known[current] = any(not known[v] for v in voids_of.get(current, ()))
        pending.pop()
    return known[seq]
