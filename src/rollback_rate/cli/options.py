"""Options shared by the reading commands (`report`, `check`), and what they do with
filters that match nothing."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from rollback_rate.errors import InvalidOption

if TYPE_CHECKING:
    from rollback_rate.aggregation import ReportQuery
    from rollback_rate.ledger import Ledger

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
Tz = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        help="IANA time zone (e.g. Europe/Berlin) of period boundaries, bare dates and "
        "displayed times; JSON times stay UTC (default: UTC).",
    ),
]


def filters_match(ledger: Ledger, query: ReportQuery, *, gate: bool) -> None:
    """Say so when the model, environment or team filters match nothing recorded: a gate
    (`gate`) refuses with exit code 2, since passing on a typo would let anything
    through; a report notes it on stderr and goes on."""
    reason = ledger.match_filters(query).reason()
    if reason is None:
        return
    if gate:
        raise InvalidOption(f"{reason}; a gate on filters that match nothing would always pass")
    typer.echo(f"note: {reason}", err=True)


def terminal_width() -> int | None:
    """The columns of the terminal the output goes to (COLUMNS, when set, says); None
    when it goes to a file or a pipe, where a table may be as wide as it needs."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return None
