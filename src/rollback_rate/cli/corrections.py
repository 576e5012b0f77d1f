"""`void` and `amend`: correct a recorded event without deleting anything (issue 9).

Each records one correction event through the ledger and prints what it changed, from
the after-commit notice the ledger hands back for a batch that holds corrections.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.errors import InvalidEvent, InvalidInput, InvalidOption, Problem

Target = Annotated[str, typer.Argument(metavar="ID", help="Id of the recorded event to correct.")]
At = Annotated[str | None, typer.Option("--at", help="ISO 8601 time with offset (default now).")]
EventId = Annotated[
    str | None, typer.Option("--id", help="Idempotency key of the correction itself.")
]
Format = Annotated[str, typer.Option("--format", help="text or json.")]
FORMATS = ("text", "json")
# Where each field of the correction came from on the command line, to locate a problem.
_OPTION_OF = {"target": "ID", "timestamp": "--at", "id": "--id", "reason": "--reason",
              "cause": "--cause", "note": "--note", "automated": "--automated"}  # fmt: skip


def void(
    ctx: typer.Context,
    target: Target,
    reason: Annotated[str, typer.Option(help="Why the event is taken out (kept in the log).")],
    at: At = None,
    event_id: EventId = None,
    fmt: Format = "text",
) -> None:
    """Take event ID out of attribution (voiding a void puts its target back)."""
    if not reason.strip():
        raise InvalidOption("--reason: must not be empty; say why the event is taken out", "reason")
    _correct(ctx, {"type": "void", "target": target, "reason": reason}, at, event_id, fmt)


def amend(
    ctx: typer.Context,
    target: Target,
    cause: Annotated[str | None, typer.Option(help="Root cause, e.g. data_drift.")] = None,
    note: Annotated[str | None, typer.Option(help="Free text, e.g. the post-mortem.")] = None,
    automated: Annotated[
        bool | None,
        typer.Option("--automated/--manual", help="Triggered by automation, or by a person."),
    ] = None,
    at: At = None,
    event_id: EventId = None,
    fmt: Format = "text",
) -> None:
    """Reclassify rollback ID: the latest amend of each field wins."""
    if cause is None and note is None and automated is None:
        raise InvalidOption(
            "amend: give --cause, --note or --automated/--manual (what to change)", "cause"
        )
    raw = {"type": "amend", "target": target, "cause": cause, "note": note,
           "automated": automated}  # fmt: skip
    _correct(ctx, raw, at, event_id, fmt)


def _correct(
    ctx: typer.Context, raw: dict[str, Any], at: str | None, event_id: str | None, fmt: str
) -> None:
    import orjson  # here, not at start-up: every command would pay for it

    from rollback_rate.events import parse_event
    from rollback_rate.render.changes import NO_CHANGE, change_lines, show

    if fmt not in FORMATS:
        raise InvalidOption(f"--format {fmt!r} is not one of {', '.join(FORMATS)}", "format")
    raw = {key: value for key, value in {**raw, "timestamp": at, "id": event_id}.items()
           if value is not None}  # fmt: skip
    raw.setdefault("timestamp", datetime.now(UTC).isoformat())
    try:
        record = parse_event(raw, "command")  # here, to name the correction by its id
        result = open_ledger(ctx).record_batch([record], locations=["command"])
    except (InvalidEvent, InvalidInput) as exc:
        raise InvalidOption("; ".join(_located(problem) for problem in exc.problems)) from None
    assert result.changes is not None  # a batch with a correction is always told
    if fmt == "json":
        answer = {"id": record.event_id, "type": record.type, "target": record.target,
                  "stored": bool(result.stored), "changes": result.changes.as_dict()}  # fmt: skip
        typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
        return
    name, target = show(record.event_id), show(record.target or "")
    if not result.stored:
        typer.echo(f"duplicate: {name} is already recorded; nothing changed")
        return
    typer.echo(f"recorded {name}, {'a void' if record.type == 'void' else 'an amend'} of {target}")
    for line in change_lines(result.changes) or [NO_CHANGE]:
        typer.echo(line)


def _located(problem: Problem) -> str:
    """A problem, located by the option that gave the field."""
    if problem.field is None:
        return problem.reason
    return f"{_OPTION_OF.get(problem.field, problem.field)}: {problem.reason}"
