"""`advise`: where to invest, from the causes of the rollbacks in a report's scope."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.options import AsOf, EnvFilter, ModelFilter, TeamFilter, Until, Window


def advise(
    ctx: typer.Context,
    window: Window = "7d",
    as_of: AsOf = None,
    by: Annotated[str | None, typer.Option(help="Also advise per team or per model.")] = None,
    model: ModelFilter = None,
    environment: EnvFilter = None,
    team: TeamFilter = None,
    since: Annotated[
        str | None, typer.Option(help="Deployments at or after this time (default 90 days ago).")
    ] = None,
    until: Until = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
) -> None:
    """Rank the causes of rollbacks and the pipeline investment each points to (by
    estimated cost with a [cost] model in the config, else by count)."""
    from rollback_rate.aggregation import parse_query
    from rollback_rate.render import render_advice

    query = parse_query(window=window, as_of=as_of, by=by, model=model,
                        environment=environment, team=team, since=since, until=until)  # fmt: skip
    text = render_advice(open_ledger(ctx).advice(query), fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
