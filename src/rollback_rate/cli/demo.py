"""`demo`: a fresh database of realistic history, and its report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from rollback_rate.aggregation import parse_query
from rollback_rate.cli.app import app, settings
from rollback_rate.demo import demo_events
from rollback_rate.errors import RollbackRateError
from rollback_rate.ingest import record_events
from rollback_rate.metrics import build_report
from rollback_rate.render import render
from rollback_rate.store import open_database
from rollback_rate.store.schema import events
from rollback_rate.timeutil import iso_utc, now_micros


@app.command()
def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Random seed of the generated history.")] = 7,
    by: Annotated[str, typer.Option(help="Grouping of the printed report.")] = "team",
) -> None:
    """Load a year of realistic deployment history into a fresh database and report on it."""
    url = settings(ctx).db_url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rollback-rate-demo-')) / 'demo.db'}"
    database = open_database(url)
    try:
        with database.read() as conn:
            if conn.execute(select(func.count()).select_from(events)).scalar_one():
                raise RollbackRateError(
                    "demo needs an empty database; omit --db to use a fresh temporary one"
                )
        now = now_micros()
        raws = ((f"demo event {i}", raw) for i, raw in enumerate(demo_events(now, seed)))
        result = record_events(database, raws)
        typer.echo(f"loaded {result.stored} events into {url}\n")
        query = parse_query(window="7d", as_of=iso_utc(now), by=by)
        typer.echo(render(build_report(database, query), "table"))
        typer.echo(f"Explore it:  rollback-rate --db {url} report --by model --period month")
    finally:
        database.dispose()
