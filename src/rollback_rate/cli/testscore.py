"""`testscore`: ML Test Score Infra 6 and Infra 7 per model, from the log (issue 12)."""

from __future__ import annotations

from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.options import AsOf, EnvFilter, ModelFilter


def testscore(
    ctx: typer.Context,
    as_of: AsOf = None,
    model: ModelFilter = None,
    environment: EnvFilter = None,
    since: Annotated[str | None, typer.Option(help="Evidence at or after this time.")] = None,
    until: Annotated[str | None, typer.Option(help="Evidence at or before this time.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
) -> None:
    """Per model, ML Test Score Infra 6 (canary before serving) and Infra 7 (roll back
    quickly and safely): 0, 0.5 (seen, manual) or 1 (seen, automated), with the evidence."""
    from rollback_rate.aggregation import parse_query
    from rollback_rate.render.testscore import render_testscore

    query = parse_query(window="7d", as_of=as_of, model=model, environment=environment,
                        since=since, until=until)  # fmt: skip
    typer.echo(render_testscore(open_ledger(ctx).testscore(query), fmt), nl=False)
