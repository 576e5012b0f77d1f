"""`record deployment` / `record rollback`: one event from a pipeline step."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.record_warnings import warn

record_app = typer.Typer(help="Record one deployment or rollback.", no_args_is_help=True)

Model = Annotated[str, typer.Option(help="Model name.")]
Environment = Annotated[str, typer.Option(help="Environment.")]
Team = Annotated[str | None, typer.Option(help="Owning team.")]
At = Annotated[str | None, typer.Option("--at", help="ISO 8601 time with offset (default now).")]
EventId = Annotated[str | None, typer.Option("--id", help="Idempotency key (e.g. the CI job id).")]
Note = Annotated[str | None, typer.Option(help="Free text.")]


def _record(ctx: typer.Context, raw: dict[str, Any]) -> None:
    raw = {key: value for key, value in raw.items() if value is not None}
    raw.setdefault("timestamp", datetime.now(UTC).isoformat())
    result = open_ledger(ctx).record(raw)
    warn(result.warnings)
    what = f"{raw['type']} of {raw['model']}"
    typer.echo(f"recorded {what}" if result.stored else f"duplicate {what}: already recorded")


@record_app.command("deployment")
def deployment(
    ctx: typer.Context,
    model: Model,
    version: Annotated[str, typer.Option(help="Version deployed.")],
    environment: Environment = "production",
    team: Team = None,
    at: At = None,
    event_id: EventId = None,
    note: Note = None,
) -> None:
    """Record that VERSION of MODEL went live."""
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
    )


@record_app.command("rollback")
def rollback(
    ctx: typer.Context,
    model: Model,
    version: Annotated[str | None, typer.Option(help="Version restored (optional).")] = None,
    environment: Environment = "production",
    automated: Annotated[bool, typer.Option(help="Triggered by automation.")] = False,
    cause: Annotated[str | None, typer.Option(help="Root cause, e.g. data_drift.")] = None,
    team: Team = None,
    at: At = None,
    event_id: EventId = None,
    note: Note = None,
) -> None:
    """Record that MODEL was rolled back."""
    _record(
        ctx,
        {
            "type": "rollback",
            "model": model,
            "version": version,
            "environment": environment,
            "automated": automated,
            "cause": cause,
            "team": team,
            "timestamp": at,
            "id": event_id,
            "note": note,
        },
    )
