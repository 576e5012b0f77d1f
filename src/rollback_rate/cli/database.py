"""`db`: explicit schema migration and a replay of the projection."""

from __future__ import annotations

import typer

from rollback_rate.attribution import rebuild_all
from rollback_rate.cli.app import app, settings
from rollback_rate.store import open_database

db_app = typer.Typer(help="Database schema and projection maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema version."""
    database = open_database(settings(ctx).db_url, migrate=False)
    try:
        before = database.current_revision()
        after = database.upgrade()
    finally:
        database.dispose()
    typer.echo(f"schema at revision {after}" + ("" if before == after else f" (was {before})"))


@db_app.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Replay every stream's events into the attribution projection."""
    database = settings(ctx).database()
    with database.begin() as conn:
        count = rebuild_all(conn)
    typer.echo(f"rebuilt {count} streams")
