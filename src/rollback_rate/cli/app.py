"""Root command, global options and the translation of domain errors to exit code 2."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from rollback_rate.errors import InvalidInput, RollbackRateError
from rollback_rate.store import Database, open_database


class _Group(TyperGroup):
    """Every RollbackRateError becomes one clear message and exit code 2, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            for problem in exc.problems:
                typer.echo(f"invalid: {problem}", err=True)
            if exc.total_invalid > len(exc.problems):
                typer.echo(f"... and {exc.total_invalid - len(exc.problems)} more", err=True)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except RollbackRateError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except SQLAlchemyError as exc:
            # A database failure mid-command (connection lost, disk full, deadlock): the
            # transaction was rolled back, so say that instead of printing a traceback.
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            typer.echo(
                f"error: database error, nothing from this command was stored: {reason}", err=True
            )
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Measure Model Rollback Rate: how often deployed models are rolled back, and why.",
)


@dataclass
class Settings:
    db_url: str | None
    _database: Database | None = None

    def database(self) -> Database:
        if self._database is None:
            self._database = open_database(self.db_url)
        return self._database


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="ROLLBACK_RATE_DB",
            help="Database URL: sqlite:///path.db or postgresql://user@host/db "
            "(default: a SQLite file in the user data directory).",
        ),
    ] = None,
) -> None:
    ctx.obj = Settings(db)
    ctx.call_on_close(lambda: ctx.obj._database and ctx.obj._database.dispose())


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def main() -> None:
    app(prog_name="rollback-rate")


# Each module registers its commands on import; this order is the order of `--help`.
COMMAND_MODULES = ("record", "importing", "report", "demo", "database", "serve", "tokens",
                   "webhooks", "sync")  # fmt: skip


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"rollback_rate.cli.{name}")


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
