"""`db`: explicit schema migration and a replay of the projection."""

from __future__ import annotations

import typer

from rollback_rate.cli.context import open_ledger

db_app = typer.Typer(
    help="Database schema and projection maintenance.", no_args_is_help=True, rich_markup_mode=None
)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema version."""
    before, after = open_ledger(ctx).upgrade()
    typer.echo(f"schema at revision {after}" + ("" if before == after else f" (was {before})"))


@db_app.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Replay every stream's events into the attribution projection."""
    count = open_ledger(ctx).rebuild()
    typer.echo(f"rebuilt {count} streams")
