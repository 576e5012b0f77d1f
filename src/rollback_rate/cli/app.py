"""Root command, global options and the translation of domain errors to exit code 2.

Each command lives in a module of its own and knows nothing of this one; this module
puts them together, in the order `--help` lists them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from rollback_rate.cli import (
    advise,
    alerts,
    database,
    demo,
    history,
    importing,
    readiness,
    record,
    report,
    serve,
    survival,
    sync,
    testscore,
    tokens,
)
from rollback_rate.cli import webhooks as webhook_secrets
from rollback_rate.cli.context import CliState
from rollback_rate.cli.corrections import amend, void
from rollback_rate.cli.export import export_log
from rollback_rate.errors import InvalidInput, RollbackRateError


class _Group(TyperGroup):
    """Every RollbackRateError becomes one clear message and exit code 2, never a traceback
    (database failures included: the façade raises them as DatabaseError)."""

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


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Measure Model Rollback Rate: how often deployed models are rolled back, and why.",
)


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
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            envvar="ROLLBACK_RATE_CONFIG",
            help="TOML config file: cost model, readiness, advice, taxonomy, alert rules "
            "(docs/config.example.toml shows every key).",
        ),
    ] = None,
) -> None:
    if isinstance(ctx.obj, CliState):  # prepared by the caller (tests)
        ctx.obj.db_url = db if db is not None else ctx.obj.db_url
        ctx.obj.config_path = config if config is not None else ctx.obj.config_path
    else:
        ctx.obj = CliState(db, config or None)
    ctx.call_on_close(ctx.obj.close)


app.add_typer(record.record_app, name="record")
app.command("import")(importing.import_file)
app.command()(report.report)
app.command()(report.check)
app.command()(void)
app.command()(amend)
app.command("export")(export_log)
app.command()(advise.advise)
app.command()(readiness.readiness)
app.command()(survival.survival)
app.command()(history.history)
app.command()(testscore.testscore)
app.command()(demo.demo)
app.add_typer(database.db_app, name="db")
app.command()(serve.serve)
app.add_typer(tokens.tokens_app, name="tokens")
app.add_typer(webhook_secrets.webhooks_app, name="webhooks")
app.add_typer(sync.sync_app, name="sync")
app.add_typer(alerts.alerts_app, name="alerts")


def main() -> None:
    app(prog_name="rollback-rate")


if __name__ == "__main__":  # pragma: no cover
    main()
