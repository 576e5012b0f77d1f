"""`demo`: a fresh database of realistic history, its report, where to invest and which
streams could not roll back safely."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rollback_rate.aggregation import parse_query
from rollback_rate.cli.context import open_ledger, state
from rollback_rate.demo import demo_events
from rollback_rate.errors import RollbackRateError
from rollback_rate.render import render
from rollback_rate.timeutil import iso_utc, now_micros

if TYPE_CHECKING:
    from rollback_rate.ledger import Ledger


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
    typer.echo(_top_advice(ledger, iso_utc(now)))
    typer.echo(_not_ready(ledger))
    typer.echo(f"Explore it:  rollback-rate --db {shown} report --by model --period month")
    typer.echo(f"             rollback-rate --db {shown} advise --by team")
    typer.echo(f"             rollback-rate --db {shown} readiness")


TOP = 3  # recommendations, and not-ready streams, the demo prints


def _top_advice(ledger: Ledger, as_of: str) -> str:
    advice = ledger.advice(parse_query(window="7d", as_of=as_of)).overall
    if not advice.sufficient:
        return f"Where to invest: not enough evidence yet ({advice.message}).\n"
    ranked = "estimated cost" if advice.ranked_by == "cost" else "count"
    lines = [f"Where to invest ({advice.rollbacks} rollbacks in the last 90 days, by {ranked}):"]
    for r in advice.recommendations[:TOP]:
        cost = "" if r.cost is None else f", {r.cost.currency} {r.cost.as_dict()['total']:,.0f}"
        lines.append(f"  {r.rank}. {r.cause}: {r.count} ({r.share_pct:.0f}%, {r.change:+d} vs "
                     f"the 90 days before{cost}) -> {r.investment}")  # fmt: skip
    return "\n".join(lines) + "\n"


def _not_ready(ledger: Ledger) -> str:
    report = ledger.readiness()
    counts = report.counts()
    failing = report.at_least("not_ready")
    lines = [f"Rollback readiness of {len(report.streams)} live streams: {counts['ready']} "
             f"ready, {counts['at_risk']} at risk, {counts['not_ready']} not ready."]  # fmt: skip
    for stream in failing[:TOP]:
        facts = stream.readiness.facts
        why = ", ".join(reason.code for reason in stream.readiness.reasons)
        lines.append(f"  not ready: {facts.model} / {facts.environment}: {why}")
    if len(failing) > TOP:
        lines.append(f"  ... and {len(failing) - TOP} more")
    return "\n".join(lines) + "\n"
