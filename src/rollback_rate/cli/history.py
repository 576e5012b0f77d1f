"""`history`: what served on a stream at a moment, and the changes around it (issue 12)."""

from __future__ import annotations

from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger


def history(
    ctx: typer.Context,
    model: Annotated[str, typer.Option("--model", help="The model.")],
    environment: Annotated[str, typer.Option(help="Its environment.")] = "production",
    at: Annotated[
        str | None, typer.Option("--at", help="The moment, ISO 8601 with offset (default now).")
    ] = None,
    context: Annotated[
        int, typer.Option(help="Changes to show either side of the moment (0 to 100).")
    ] = 3,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
) -> None:
    """What served when: the version live at --at, since when, the event that made it
    live (id, source, actor, note) and the stream's changes just before and after."""
    from rollback_rate.render.history import render_history
    from rollback_rate.timeutil import parse_timestamp

    moment = parse_timestamp(at, "at") if at is not None else None
    found = open_ledger(ctx).history(model, environment, moment, context=context)
    typer.echo(render_history(found, fmt), nl=False)
