"""`readiness`: could each live model roll back safely now? A pipeline gate with --fail-on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.options import EnvFilter, ModelFilter, TeamFilter
from rollback_rate.errors import InvalidOption

FAIL_ON = ("at_risk", "not_ready")


def readiness(
    ctx: typer.Context,
    model: ModelFilter = None,
    environment: EnvFilter = None,
    team: TeamFilter = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 when any stream is at this level or worse."),
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
) -> None:
    """Rollback readiness per live stream: the target a rollback would restore, whether
    its artefact and digest are known, whether it failed before, and when rolling back
    was last exercised; verdict ready, at_risk or not_ready, with reasons."""
    from rollback_rate.aggregation import ReadinessQuery
    from rollback_rate.render import render_readiness

    if fail_on is not None and fail_on not in FAIL_ON:
        raise InvalidOption(f"--fail-on must be one of {', '.join(FAIL_ON)} (got {fail_on!r})")
    report = open_ledger(ctx).readiness(ReadinessQuery(model, environment, team))
    text = render_readiness(report, fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    if fail_on is not None:
        failing = report.at_least(fail_on)
        if failing:
            names = ", ".join(f"{s.readiness.facts.model}/{s.readiness.facts.environment}"
                              for s in failing)  # fmt: skip
            typer.echo(f"fail: {len(failing)} stream(s) {fail_on} or worse: {names}", err=True)
            raise typer.Exit(1)
        typer.echo(f"ok: no stream is {fail_on} or worse", err=True)
