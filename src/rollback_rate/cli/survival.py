"""`survival`: time to rollback as Kaplan-Meier curves, overall and by group (issue 12)."""

from __future__ import annotations

from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.options import (
    AsOf,
    EnvFilter,
    ModelFilter,
    Since,
    TeamFilter,
    Until,
    Window,
)


def survival(
    ctx: typer.Context,
    window: Window = "7d",
    as_of: AsOf = None,
    by: Annotated[
        str | None, typer.Option(help="One curve per model, environment and/or team.")
    ] = None,
    model: ModelFilter = None,
    environment: EnvFilter = None,
    team: TeamFilter = None,
    since: Since = None,
    until: Until = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
) -> None:
    """How long deployments last before a rollback: a Kaplan-Meier curve per group, its
    quantiles, the share of rollbacks after the window and the window that catches 95%."""
    from rollback_rate.aggregation import parse_query
    from rollback_rate.render.survival import render_survival

    query = parse_query(window=window, as_of=as_of, by=by, model=model,
                        environment=environment, team=team, since=since, until=until)  # fmt: skip
    typer.echo(render_survival(open_ledger(ctx).survival(query), fmt), nl=False)
