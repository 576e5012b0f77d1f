"""Warnings about what a write did, for the one who made it (issue 12).

A bad-target rollback restores a version that had itself been rolled back before
(argoproj/argo-rollouts#3039): the stream is now serving a version already known to be
bad. The after-commit hook says which rollbacks were bad-target (`RollbackChange.bad_target`);
these are the ones the writer's own events made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from rollback_rate.attribution import ChangeLog
from rollback_rate.events import EventRecord
from rollback_rate.ledger.commits import Committed

BAD_TARGET = "bad_target_rollback"


@dataclass(frozen=True)
class RecordWarning:
    """Something a recorded event did that its sender should look at; `code` is stable."""

    code: str
    event_id: str
    model: str
    environment: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class WarningLog(ChangeLog):
    """The change log of a write nobody subscribed to, kept only to warn its writer: the
    write path describes it (reading event facts back) only when it holds a bad-target
    rollback, so a write without one costs no more than it did without warnings."""

    def has_bad_target(self) -> bool:
        return any(
            outcome.bad_target
            for changes in self.streams.values()
            for outcome in changes.rolled_back
        )


def bad_target_warnings(
    committed: Committed | None, records: Iterable[EventRecord]
) -> list[RecordWarning]:
    """One warning per event among `records` that made a bad-target rollback in
    `committed` (the changes of the transaction that stored them)."""
    if committed is None:
        return []
    mine = {record.event_id: record for record in records}
    warnings = []
    for stream in committed.streams:
        rolled: dict[str, list[str]] = {}  # rollback event id -> versions it rolled back
        for change in stream.rolled_back:
            if change.bad_target and change.event_id in mine:
                rolled.setdefault(change.event_id, []).append(change.deployment.version or "?")
        for event_id, versions in rolled.items():
            restored = mine[event_id].version
            # A rollback naming the live version pops it: then the version is the one it left.
            target = f"version {restored}" if restored and restored not in versions else "a version"
            warnings.append(
                RecordWarning(
                    BAD_TARGET,
                    event_id,
                    stream.model,
                    stream.environment,
                    f"{event_id} rolled {stream.model} ({stream.environment}) back from "
                    f"{', '.join(versions)} to {target} that was itself rolled back before; "
                    "check that it is safe to serve (a bad-target rollback, "
                    "argoproj/argo-rollouts#3039)",
                )
            )
    return warnings
