"""The after-commit hook: what each committed transaction did, for subscribers (alerts).

A subscriber is called once per committed write transaction, after the commit, with a
`Committed`: every stream the transaction touched, and what changed in its projection,
named by event ids, versions and times. Subscribers run on the committing thread (the
group committer's, for grouped HTTP requests); an exception in one is logged and never
undoes or fails the write, which is already durable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rollback_rate.attribution import ChangeLog, StreamChanges
from rollback_rate.store.log import EventFacts
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc

log = logging.getLogger("rollback_rate")


@dataclass(frozen=True)
class DeploymentChange:
    """A counted deployment (new, or no longer counted / rolled back after a replay)."""

    event_id: str
    version: str | None
    deployed_at: str
    team: str | None = None


@dataclass(frozen=True)
class RollbackChange:
    """A counted deployment rolled back, and by which event."""

    deployment: DeploymentChange
    event_id: str
    at: str
    automated: bool
    cause: str | None
    hours_after_deployment: float
    bad_target: bool = False  # it restored a version that had been rolled back before


@dataclass(frozen=True)
class FixForwardChange:
    """A counted deployment replaced by an unplanned one (a hotfix)."""

    deployment: DeploymentChange
    event_id: str  # the hotfix's
    at: str


@dataclass(frozen=True)
class OrphanChange:
    """A rollback that rolled back no counted deployment."""

    event_id: str
    at: str
    automated: bool
    cause: str | None


@dataclass(frozen=True)
class ReclassifiedChange:
    """A rollback classified anew (an amend, or the void of one): its cause and automated
    flag now and before, and the deployments it rolled back (none for an orphan)."""

    event_id: str
    at: str
    cause: str | None
    automated: bool
    was_cause: str | None
    was_automated: bool
    rolled_back: list[DeploymentChange] = field(default_factory=list)


@dataclass(frozen=True)
class StreamChange:
    """One stream's changes in one transaction. `replayed`: the stream was attributed
    again from its first event (an event from the past, a rebuild), and the lists are the
    difference between before and after, including what was taken back."""

    model: str
    environment: str
    deployed: list[DeploymentChange] = field(default_factory=list)
    rolled_back: list[RollbackChange] = field(default_factory=list)
    orphaned: list[OrphanChange] = field(default_factory=list)
    fixed_forward: list[FixForwardChange] = field(default_factory=list)
    no_longer_rolled_back: list[DeploymentChange] = field(default_factory=list)
    no_longer_counted: list[DeploymentChange] = field(default_factory=list)
    reclassified: list[ReclassifiedChange] = field(default_factory=list)
    no_longer_orphaned: list[OrphanChange] = field(default_factory=list)
    replayed: bool = False


@dataclass(frozen=True)
class Committed:
    """What one committed transaction changed. `truncated`: more changes happened than
    were listed (a bulk import lists its first ten thousand)."""

    streams: list[StreamChange]
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


Subscriber = Callable[[Committed], None]


def describe(
    changes: ChangeLog,
    names: Mapping[int, tuple[str, str]],
    facts: Mapping[int, EventFacts],
) -> Committed:
    """The public form of a change log, given each stream's (model, environment) and the
    facts of every event the changes name (by seq)."""
    streams = [
        _stream(change, names[stream_id], facts)
        for stream_id, change in sorted(changes.streams.items(), key=lambda i: names[i[0]])
    ]
    return Committed(streams, changes.truncated)


def seqs_named(changes: ChangeLog) -> set[int]:
    """Every event seq a change log refers to."""
    seqs: set[int] = set()
    for change in changes.streams.values():
        seqs.update(d.seq for d in change.deployed)
        seqs.update(r.deployment_seq for r in change.rolled_back)
        seqs.update(r.rollback_seq for r in change.rolled_back)
        seqs.update(o.seq for o in change.orphaned)
        seqs.update(seq for f in change.fixed_forward for seq in (f.deployment_seq, f.by_seq))
        seqs.update(change.unrolled)
        seqs.update(change.uncounted)
        seqs.update(o.seq for o in change.unorphaned)
        for reclassified in change.reclassified:
            seqs.add(reclassified.rollback_seq)
            seqs.update(reclassified.deployment_seqs)
    return seqs


def notify(subscribers: list[Subscriber], committed: Committed) -> None:
    for subscriber in subscribers:
        try:
            subscriber(committed)
        except Exception:  # the write is durable; a subscriber's failure is its own
            log.exception("after-commit subscriber %r failed", subscriber)


def _stream(
    change: StreamChanges, name: tuple[str, str], facts: Mapping[int, EventFacts]
) -> StreamChange:
    def deployment(seq: int, team: str | None = None) -> DeploymentChange:
        fact = facts[seq]
        return DeploymentChange(fact.event_id, fact.version, iso_utc(fact.ts), team or fact.team)

    rolled_back = []
    for outcome in change.rolled_back:
        deployed = facts[outcome.deployment_seq]
        rolled_back.append(
            RollbackChange(
                deployment=deployment(outcome.deployment_seq),
                event_id=facts[outcome.rollback_seq].event_id,
                at=iso_utc(outcome.at),
                automated=bool(outcome.automated),
                cause=outcome.cause,
                hours_after_deployment=(outcome.at - deployed.ts) / MICROS_PER_HOUR,
                bad_target=outcome.bad_target,
            )
        )
    return StreamChange(
        model=name[0],
        environment=name[1],
        deployed=[deployment(d.seq, d.team) for d in change.deployed],
        rolled_back=rolled_back,
        orphaned=[
            OrphanChange(facts[o.seq].event_id, iso_utc(o.at), bool(o.automated), o.cause)
            for o in change.orphaned
        ],
        fixed_forward=[
            FixForwardChange(deployment(f.deployment_seq), facts[f.by_seq].event_id, iso_utc(f.at))
            for f in change.fixed_forward
        ],
        no_longer_rolled_back=[deployment(seq) for seq in change.unrolled],
        no_longer_counted=[deployment(seq) for seq in change.uncounted],
        reclassified=[
            ReclassifiedChange(
                event_id=facts[r.rollback_seq].event_id,
                at=iso_utc(r.at),
                cause=r.now.cause,
                automated=r.now.automated,
                was_cause=r.was.cause,
                was_automated=r.was.automated,
                rolled_back=[deployment(seq) for seq in r.deployment_seqs],
            )
            for r in change.reclassified
        ],
        no_longer_orphaned=[
            OrphanChange(facts[o.seq].event_id, iso_utc(o.at), o.automated, o.cause)
            for o in change.unorphaned
        ],
        replayed=change.replayed,
    )
