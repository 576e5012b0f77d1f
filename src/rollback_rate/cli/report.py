"""`report` and `check`: the rate, and the quality gate built on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rollback_rate.cli.context import read_ledger
from rollback_rate.cli.options import (
    AsOf,
    By,
    EnvFilter,
    ModelFilter,
    Period,
    Since,
    TeamFilter,
    Tz,
    Until,
    Window,
    filters_match,
    terminal_width,
)
from rollback_rate.errors import InvalidOption


def report(
    ctx: typer.Context,
    window: Window = "7d",
    as_of: AsOf = None,
    by: By = None,
    period: Period = None,
    model: ModelFilter = None,
    environment: EnvFilter = None,
    team: TeamFilter = None,
    since: Since = None,
    until: Until = None,
    tz: Tz = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, json, csv, markdown, or html: the dashboard as one self-contained "
            "file (no network needed; --by sets its table, --period its trend).",
        ),
    ] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    order: Annotated[
        str,
        typer.Option(
            help="How --by groups are listed: name, rate (raw, highest first) or shrunk "
            "(the empirical-Bayes estimate, which does not put a group of two on top).",
        ),
    ] = "name",
) -> None:
    """Report Model Rollback Rate, overall and by group or period."""
    from rollback_rate.aggregation import parse_query
    from rollback_rate.render import render

    if output is not None:
        check_writable(output)
    if fmt == "html":
        from rollback_rate.ledger import SnapshotOptions
        from rollback_rate.render.html import report_file  # only here: reads plotly.min.js

        options = SnapshotOptions(
            window=window, as_of=as_of, model=model, environment=environment, team=team,
            since=since, until=until, period=period or "month", by=by or "model",
        )  # fmt: skip
        _write(report_file(read_ledger(ctx).dashboard_snapshot(options)), output)
        return
    query = parse_query(
        window=window,
        as_of=as_of,
        by=by,
        period=period,
        model=model,
        environment=environment,
        team=team,
        since=since,
        until=until,
        tz=tz,
        order=order,
    )
    ledger = read_ledger(ctx)
    filters_match(ledger, query, gate=False)
    _write(render(ledger.report(query), fmt, terminal_width() if output is None else None), output)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text)
        typer.echo(f"wrote {output}", err=True)


def check_writable(output: Path) -> None:
    """Refuse an --output that cannot be a file before any work is done."""
    if output.is_dir():
        raise InvalidOption(f"--output {output} is a directory; name a file in it", "output")
    if not output.parent.is_dir():
        raise InvalidOption(
            f"--output {output}: directory {output.parent} does not exist; create it first",
            "output",
        )


def write_output(output: Path, text: str) -> None:
    """Write the rendered report; an OS refusal (permissions, a full disk) is an error line."""
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidOption(f"--output {output}: {exc.strerror or exc}", "output") from None


def check(
    ctx: typer.Context,
    max_rate: Annotated[
        float, typer.Option("--max-rate", help="Highest acceptable rate, % (0 to 100).")
    ],
    window: Window = "7d",
    as_of: AsOf = None,
    model: ModelFilter = None,
    environment: EnvFilter = None,
    team: TeamFilter = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Exit 1 when the settled rollback rate is above --max-rate: a gate for pipelines.

    Exit 2 when a filter matches nothing recorded (a typo must not pass the gate).
    """
    from rollback_rate.aggregation import parse_query

    if not 0 <= max_rate <= 100:  # also refuses nan
        raise InvalidOption(
            f"--max-rate {max_rate:g} is not a percentage; give 0 to 100", "max_rate"
        )
    query = parse_query(
        window=window,
        as_of=as_of,
        model=model,
        environment=environment,
        team=team,
        since=since,
        until=until,
    )
    ledger = read_ledger(ctx)
    filters_match(ledger, query, gate=True)
    summary = ledger.report(query).overall
    if summary.rollback_rate is None:
        typer.echo(f"ok: no settled deployments yet ({summary.pending} pending)")
        return
    verdict = (
        f"rollback rate {summary.rollback_rate:.1f}% ({summary.rollbacks} of "
        f"{summary.settled} settled deployments)"
    )
    if summary.rollback_rate > max_rate:
        typer.echo(f"fail: {verdict} is above the limit of {max_rate:g}%")
        raise typer.Exit(1)
    typer.echo(f"ok: {verdict} is within the limit of {max_rate:g}%")
