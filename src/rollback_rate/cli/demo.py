"""`demo`: a fresh database of realistic history, its report, where to invest, which
streams could not roll back safely, and what to do next.

The report is fitted to the terminal and explains its terms; the next steps are commands
that run as printed from where the demo was started (issue 13): after `scripts/demo`,
`rollback-rate` is not on PATH, so they begin with the command that really ran.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rollback_rate.cli.context import open_ledger, state
from rollback_rate.cli.options import terminal_width
from rollback_rate.errors import RollbackRateError
from rollback_rate.timeutil import iso_utc, now_micros

if TYPE_CHECKING:
    from rollback_rate.ledger import Ledger

SAMPLE = "sample-history.jsonl"


def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Random seed of the generated history.")] = 7,
    by: Annotated[str, typer.Option(help="Grouping of the printed report.")] = "team",
) -> None:
    """Load a year of realistic deployment history into a fresh database and report on it."""
    from rollback_rate.aggregation import parse_query
    from rollback_rate.demo import demo_events, sample_events
    from rollback_rate.render import render

    if state(ctx).db_url is None:
        folder = Path(tempfile.mkdtemp(prefix="rollback-rate-demo-"))
        state(ctx).db_url = f"sqlite:///{folder / 'demo.db'}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="rollback-rate-demo-"))
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
    typer.echo(render(ledger.report(query), "table", terminal_width()))
    typer.echo(_fitted(_top_advice(ledger, iso_utc(now)), terminal_width()))
    typer.echo(_fitted(_not_ready(ledger), terminal_width()))
    sample = folder / SAMPLE
    sample.write_text("".join(line + "\n" for line in sample_events(now)), encoding="utf-8")
    typer.echo(next_steps(invocation(), shown, str(sample), terminal_width()))


def invocation() -> str:
    """The command that runs this rollback-rate, as it can be typed here: `rollback-rate`
    when that is on PATH, else the path it was started by (`.venv/bin/rollback-rate`), or
    `python -m rollback_rate`."""
    started = sys.argv[0]
    if Path(started).name == "__main__.py":  # python -m rollback_rate
        return f"{shlex.quote(_here(sys.executable))} -m rollback_rate"
    on_path = shutil.which("rollback-rate")
    if os.sep not in started:
        return "rollback-rate"
    if on_path and Path(started).exists() and os.path.samefile(on_path, started):
        return "rollback-rate"
    return shlex.quote(started)


def _here(path: str) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else path


def next_steps(command: str, url: str, sample: str, width: int | None = None) -> str:
    """What to try next: prose wrapped to `width`, each command whole, runnable as printed."""
    db = f"{command} --db {shlex.quote(url)}"
    steps = [
        ("Explore this history, by model and month:", "report --by model --period month"),
        ("Where to invest, team by team:", "advise --by team"),
        ("Which live models could not be rolled back safely, and why:", "readiness"),
        (
            "Record a deployment from a pipeline step, once it has deployed (with the CI "
            "job's id, a re-run is a duplicate, not a second deployment):",
            "record deployment --model my-model --version 1.4.0 --team my-team --id ci-1234",
        ),
        (
            "Import history, JSON Lines or CSV with one event per line (the format is in the "
            "README; here, a sample):",
            f"import {shlex.quote(sample)}",
        ),
        (
            "Start the HTTP service, API docs at http://127.0.0.1:8000/docs (--no-auth is for "
            "local demos; create tokens with `tokens create` otherwise):",
            "serve --no-auth",
        ),
    ]

    def prose(text: str, indent: str) -> str:
        return textwrap.fill(text, width or 100, initial_indent=indent, subsequent_indent=indent)

    lines = [
        prose(
            "Next steps, each runs as printed. They use the demo's database; drop --db to "
            "use your own (a file in the user data directory, or ROLLBACK_RATE_DB).",
            "",
        )
    ]
    for text, arguments in steps:
        lines += ["", prose(text, "  "), f"    {db} {arguments}"]
    return "\n".join(lines)


TOP = 3  # recommendations, and not-ready streams, the demo prints


def _top_advice(ledger: Ledger, as_of: str) -> str:
    from rollback_rate.aggregation import parse_query

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


def _fitted(text: str, width: int | None) -> str:
    """Each line wrapped to the terminal, continued under its text (indented further);
    unchanged for a file or a pipe (`width` None)."""
    if width is None:
        return text
    lines = []
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip()) + 5)
        lines.append(textwrap.fill(line, width, subsequent_indent=indent) if line else "")
    return "\n".join(lines) + "\n"
