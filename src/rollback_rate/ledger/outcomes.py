"""What recording one event did, in words (issue 13): `record` says it in one line.

The write path already notes every change a transaction makes to the projection (the
after-commit hook's `Committed`); this reads the recorded event's own part of it: a new
deployment, a redeploy of the live version, an inferred rollback of which deployments, a
rollback of which deployment, an orphan, or a duplicate. Pure: no database, no clock
beyond the `now` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollback_rate.events import EventRecord
from rollback_rate.ledger.commits import Committed, RollbackChange
from rollback_rate.ledger.warnings import RecordWarning
from rollback_rate.ledger.writes import IngestResult
from rollback_rate.timeutil import iso_utc

FUTURE_TOLERANCE = 5 * 60 * 1_000_000  # clocks drift; beyond 5 minutes a time is a typo
KINDS = (
    "new_deployment",
    "redeploy",
    "inferred_rollback",
    "rollback",
    "orphan",
    "duplicate",
    "recorded",
)


@dataclass(frozen=True)
class RecordOutcome:
    """One recorded event and what it did. `kind` is one of KINDS; `rolled_back` the
    deployments it rolled back; `replayed`: it was older than the stream's last event, so
    the stream was attributed again and `changes` may hold more than its own effect;
    `warnings`: what its sender should look at (a bad-target rollback)."""

    kind: str
    event: EventRecord
    rolled_back: list[RollbackChange] = field(default_factory=list)
    replayed: bool = False
    changes: Committed | None = None
    warnings: list[RecordWarning] = field(default_factory=list)

    def summary(self) -> str:
        """The one line `record` prints."""
        event = self.event
        what = f"{event.type} of {event.model}"
        if self.kind == "duplicate":
            return f"duplicate {what}: id {event.event_id} is already recorded; nothing changed"
        version = f" {event.version}" if event.type == "deployment" else ""
        text = f"recorded {what}{version} in {event.environment}: {_describe(self)}"
        if not event.event_id.startswith("sha256:"):  # a derived id says nothing to a reader
            text += f" (id {event.event_id})"
        if self.replayed:
            text += "; it predates the stream's last event, so the stream was re-attributed"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `record --format json`."""
        return {
            "outcome": self.kind,
            "message": self.summary(),
            "event": self.event.as_dict(),
            "rolled_back": [_rolled_back(change) for change in self.rolled_back],
            "replayed": self.replayed,
            "changes": self.changes.as_dict()["streams"] if self.changes else [],
            "warnings": [warning.as_dict() for warning in self.warnings],
        }


def outcome_of(
    record: EventRecord,
    result: IngestResult,
    committed: Committed | None,
    warnings: list[RecordWarning] | None = None,
) -> RecordOutcome:
    """Classify what recording `record` did, from the write's result and its changes."""
    warned = warnings or []
    if result.duplicates:
        return RecordOutcome("duplicate", record, changes=committed, warnings=warned)
    stream = next(
        (
            change
            for change in (committed.streams if committed else [])
            if (change.model, change.environment) == (record.model, record.environment)
        ),
        None,
    )
    if stream is None:  # no change log was kept
        return RecordOutcome("recorded", record, changes=committed, warnings=warned)
    mine = record.event_id
    rolled_back = [change for change in stream.rolled_back if change.event_id == mine]
    orphaned = any(orphan.event_id == mine for orphan in stream.orphaned)
    deployed = any(change.event_id == mine for change in stream.deployed)
    if orphaned:
        kind = "orphan"
    elif rolled_back:
        kind = "inferred_rollback" if record.type == "deployment" else "rollback"
    elif deployed:
        kind = "new_deployment"
    elif record.type == "deployment":
        kind = "redeploy"
    else:
        kind = "recorded"  # e.g. a failed rollback: stored, moves nothing
    return RecordOutcome(kind, record, rolled_back, stream.replayed, committed, warned)


def future_warning(record: EventRecord, now: int) -> str | None:
    """A warning when the event's time is more than 5 minutes after `now`."""
    ahead = record.ts - now
    if ahead <= FUTURE_TOLERANCE:
        return None
    return (
        f"timestamp {iso_utc(record.ts)} is {_span(ahead)} in the future; reports as of now "
        "leave it out until then (pass --allow-future to record future times quietly)"
    )


def cause_warning(cause: str | None, known: tuple[str, ...], nearest: str | None) -> str | None:
    """A warning for a cause slug outside the taxonomy (it is still recorded as given)."""
    if cause is None or cause in known:
        return None
    hint = f" (did you mean {nearest!r}?)" if nearest else ""
    return (
        f"cause {cause!r} is not a known cause{hint}; it is recorded as given and reported "
        f"on its own; known causes: {', '.join(known)}"
    )


def _span(micros: int) -> str:
    hours = micros / 3_600_000_000
    if hours < 48:
        return f"{hours:.1f} hours" if hours >= 1 else f"{hours * 60:.0f} minutes"
    days = hours / 24
    return f"{days:.0f} days" if days < 730 else f"{days / 365.25:.1f} years"


def _rolled_back(change: RollbackChange) -> dict[str, Any]:
    return {
        "event_id": change.deployment.event_id,
        "version": change.deployment.version,
        "deployed_at": change.deployment.deployed_at,
        "team": change.deployment.team,
        "hours_after_deployment": change.hours_after_deployment,
    }


def _describe(outcome: RecordOutcome) -> str:
    rolled_back = " and ".join(
        f"{change.deployment.version} (deployed {change.deployment.deployed_at}, "
        f"{change.hours_after_deployment:.1f} h earlier)"
        for change in outcome.rolled_back
    )
    if outcome.kind == "new_deployment":
        return "a new deployment, counted"
    if outcome.kind == "redeploy":
        return "a redeploy of the live version, not counted"
    if outcome.kind == "inferred_rollback":
        return f"an inferred rollback of {rolled_back}, not a new deployment"
    if outcome.kind == "rollback":
        return f"rolled back {rolled_back}"
    if outcome.kind == "orphan":
        return "an orphan: no counted deployment was live to roll back"
    return "stored; it moves no deployment"
