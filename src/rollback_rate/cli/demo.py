"""`demo`: a fresh database of realistic history, and its report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from rollback_rate.aggregation import parse_query
from rollback_rate.cli.context import open_ledger, state
from rollback_rate.demo import demo_events
from rollback_rate.errors import RollbackRateError
from rollback_rate.render import render
from rollback_rate.timeutil import iso_utc, now_micros


def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Random seed of the generated history.")] = 7,
    by: Annotated[str, typer.Option(help="Grouping of the printed report.")] = "team",
) -> None:
    """Load a year of realistic deployment history into a fresh database and report on it."""
    if state(ctx).db_url is None:
        folder = Path(tempfile.mkdtemp(prefix="rollback-rate-demo-"))
        state(ctx).db_url = f"sqlite:///{folder / 'demo.db'}"
    ledger = open_ledger(ctx)
    if not ledger.is_empty():
        raise RollbackRateError(
            "demo needs an empty database; omit --db to use a fresh temporary one"
        )
    now = now_micros()
    raws = ((f"demo event {i}", raw) for i, raw in enumerate(demo_events(now, seed)))
    result = ledger.record_stream(raws)
    shown = ledger.printable_url  # issue 9: never print a password
    typer.echo(f"loaded {result.stored} events into {shown}\n")
    query = parse_query(window="7d", as_of=iso_utc(now), by=by)
    typer.echo(render(ledger.report(query), "table"))
    typer.echo(f"Explore it:  rollback-rate --db {shown} report --by model --period month")
