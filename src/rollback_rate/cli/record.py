"""`record deployment` / `record rollback`: one event from a pipeline step.

Each says what it did in one line (`--format json` for scripts), warns on stderr about a
time more than 5 minutes ahead and a cause outside the taxonomy, and refuses options that
do not apply to its type (issue 13). Which options apply:

| option | deployment | rollback |
|---|---|---|
| --model, --environment, --at, --id, --note | yes | yes |
| --version | required: the version deployed | optional: the version restored |
| --team | yes | no: a rollback counts for the team of the deployment it rolls back |
| --automated, --cause | no: record the rollback itself, `record rollback --version V` | yes |
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.errors import InvalidOption

record_app = typer.Typer(
    help="Record one deployment or rollback.", no_args_is_help=True, rich_markup_mode=None
)

Model = Annotated[str, typer.Option(help="Model name.")]
Environment = Annotated[str, typer.Option(help="Environment.")]
At = Annotated[str | None, typer.Option("--at", help="ISO 8601 time with offset (default now).")]
EventId = Annotated[str | None, typer.Option("--id", help="Idempotency key (e.g. the CI job id).")]
Note = Annotated[str | None, typer.Option(help="Free text.")]
AllowFuture = Annotated[
    bool,
    typer.Option(
        "--allow-future", help="Record a time more than 5 minutes ahead without a warning."
    ),
]
Format = Annotated[str, typer.Option("--format", help="text (one line) or json (for scripts).")]
FORMATS = ("text", "json")


def _refuse(command: str, option: str, why: str) -> None:
    raise InvalidOption(f"record {command}: {option} does not apply: {why}", option.lstrip("-"))


def _record(ctx: typer.Context, raw: dict[str, Any], allow_future: bool, fmt: str) -> None:
    from rollback_rate.ledger.outcomes import cause_warning, future_warning
    from rollback_rate.metrics.taxonomy import nearest_cause, shipped_entries
    from rollback_rate.timeutil import now_micros

    if fmt not in FORMATS:
        raise InvalidOption(f"--format {fmt!r} is not one of {', '.join(FORMATS)}", "format")
    raw = {key: value for key, value in raw.items() if value is not None}
    raw.setdefault("timestamp", datetime.now(UTC).isoformat())
    outcome = open_ledger(ctx).record_explained(raw)
    warnings = [] if allow_future else [future_warning(outcome.event, now_micros())]
    cause = outcome.event.cause
    known = tuple(sorted(shipped_entries()))
    warnings.append(cause_warning(cause, known, nearest_cause(cause) if cause else None))
    warnings += [warning.message for warning in outcome.warnings]  # a bad-target rollback
    for warning in filter(None, warnings):
        typer.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        typer.echo(json.dumps(outcome.as_dict()))
    else:
        typer.echo(outcome.summary())


@record_app.command("deployment")
def deployment(
    ctx: typer.Context,
    model: Model,
    version: Annotated[str, typer.Option(help="Version deployed.")],
    environment: Environment = "production",
    team: Annotated[str | None, typer.Option(help="Owning team.")] = None,
    at: At = None,
    event_id: EventId = None,
    note: Note = None,
    allow_future: AllowFuture = False,
    fmt: Format = "text",
    automated: Annotated[bool, typer.Option(hidden=True)] = False,
    cause: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Record that VERSION of MODEL went live.

    Prints whether it was a new deployment, a redeploy of the live version, or an
    inferred rollback (VERSION was live earlier) and of which deployments.
    """
    for given, option in ((automated, "--automated"), (cause, "--cause CAUSE")):
        if given:
            _refuse(
                "deployment",
                option.split()[0],
                "it describes a rollback; to say why a deployment went back to an earlier "
                f"version, record the rollback: `record rollback --version VERSION {option}`",
            )
    _record(
        ctx,
        {
            "type": "deployment",
            "model": model,
            "version": version,
            "environment": environment,
            "team": team,
            "timestamp": at,
            "id": event_id,
            "note": note,
        },
        allow_future,
        fmt,
    )


@record_app.command("rollback")
def rollback(
    ctx: typer.Context,
    model: Model,
    version: Annotated[str | None, typer.Option(help="Version restored (optional).")] = None,
    environment: Environment = "production",
    automated: Annotated[bool, typer.Option(help="Triggered by automation.")] = False,
    cause: Annotated[str | None, typer.Option(help="Root cause, e.g. data_drift.")] = None,
    at: At = None,
    event_id: EventId = None,
    note: Note = None,
    allow_future: AllowFuture = False,
    fmt: Format = "text",
    team: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Record that MODEL was rolled back (to VERSION, if given).

    Prints which deployment it rolled back, or that it was an orphan (nothing counted was
    live). A rollback counts for the team of the deployment it rolls back, so it takes
    no --team.
    """
    if team is not None:
        _refuse(
            "rollback",
            "--team",
            "a rollback counts for the team of the deployment it rolls back; give --team "
            "when recording the deployment",
        )
    _record(
        ctx,
        {
            "type": "rollback",
            "model": model,
            "version": version,
            "environment": environment,
            "automated": automated,
            "cause": cause,
            "timestamp": at,
            "id": event_id,
            "note": note,
        },
        allow_future,
        fmt,
    )
