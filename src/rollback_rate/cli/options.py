"""Options shared by `report` and `check`, turned into one ReportQuery."""

from __future__ import annotations

from typing import Annotated

import typer

Window = Annotated[str, typer.Option(help="Observation window after each deployment: 7d, 36h, 1w.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Report as of this time (default now).")]
By = Annotated[
    str | None, typer.Option(help="Group by model, environment and/or team (comma-separated).")
]
Period = Annotated[str | None, typer.Option(help="Also break down by week (ISO) or month.")]
ModelFilter = Annotated[str | None, typer.Option("--model", help="Only this model.")]
EnvFilter = Annotated[str | None, typer.Option("--environment", help="Only this environment.")]
TeamFilter = Annotated[str | None, typer.Option("--team", help="Only this team.")]
Since = Annotated[str | None, typer.Option(help="Deployments at or after this time.")]
Until = Annotated[str | None, typer.Option(help="Deployments at or before this time.")]
