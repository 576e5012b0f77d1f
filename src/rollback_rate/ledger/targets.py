"""Corrections find their targets: a void or amend names an event id, and takes the
stream of that event (its model and environment), from the log or from earlier in the
same batch. An unknown target, or one an amend cannot change (only a rollback, or a
deployment that rolled back, has a classification), is a located error.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from rollback_rate.errors import Problem
from rollback_rate.events import EventRecord
from rollback_rate.events.model import CORRECTIONS
from rollback_rate.store.log import Target, find_targets

AMENDABLE = ("rollback", "deployment")


def resolve_targets(
    conn: Connection, records: Sequence[EventRecord], locations: dict[int, str]
) -> tuple[list[EventRecord], list[Problem]]:
    """The records with each correction's stream filled in from its target; the problems
    of the corrections that cannot be resolved (left out of the records). `locations`
    gives the location of each correction by its index in `records`."""
    wanted = {r.target for r in records if r.type in CORRECTIONS and r.target is not None}
    if not wanted:
        return list(records), []
    stored = find_targets(conn, wanted)
    earlier: dict[str, Target] = {}
    resolved: list[EventRecord] = []
    problems: list[Problem] = []
    for index, record in enumerate(records):
        if record.type in CORRECTIONS:
            target_id = record.target or ""
            target = earlier.get(target_id) or stored.get(target_id)
            problem = _mismatch(record, target, locations.get(index, f"[{index}]"))
            if problem is not None:
                problems.append(problem)
                continue
            assert target is not None
            record = record._replace(model=target.model, environment=target.environment)
        earlier.setdefault(record.event_id, Target(record.type, record.model, record.environment))
        resolved.append(record)
    return resolved, problems


def _mismatch(record: EventRecord, target: Target | None, location: str) -> Problem | None:
    name = record.target
    if target is None:
        return Problem(
            location,
            "target",
            f"no event with id {name!r} is recorded; a {record.type} corrects a recorded "
            "event (find ids with `rollback-rate export` or GET /api/v1/events)",
        )
    if record.type == "amend" and target.type not in AMENDABLE:
        return Problem(
            location,
            "target",
            f"event {name!r} is a {target.type}; an amend changes how a rollback is "
            "classified (a rollback, or a deployment of an older version)",
        )
    for field, given, actual in (
        ("model", record.model, target.model),
        ("environment", record.environment, target.environment),
    ):
        if given and given != actual:
            return Problem(
                location,
                field,
                f"{given!r} does not match the target's {actual!r} (event {name!r}); "
                f"leave {field} out, the target names it",
            )
    return None
