"""Root command, global options and the translation of domain errors to exit code 2.

Each command lives in a module of its own and knows nothing of this one; this module
puts them together, in the order `--help` lists them. Command modules import only Typer
and light modules at their top, and the rest inside the command (issue 13: `--help` in
under 0.3 s); `tests/cli/test_startup.py` holds them to it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer._click.core import ParameterSource
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
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
            explained = ctx.obj.explain(exc) if isinstance(ctx.obj, CliState) else str(exc)
            typer.echo(f"error: {explained}", err=True)
            raise typer.Exit(2) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's main, except that a usage error is one line naming the option and the
        help to read, not a usage block (exit code 2 still)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "rollback-rate"
            typer.echo(
                f"error: {exc.format_message().rstrip('.')} (see '{command} --help')", err=True
            )
            sys.exit(exc.exit_code)
        except ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain Click help: Rich's formatting costs more start-up than the rest of --help.
    rich_markup_mode=None,
    help="Measure Model Rollback Rate: how often deployed models are rolled back, and why.",
)


def _print_version(value: bool) -> None:
    if value:
        from rollback_rate import __version__

        typer.echo(f"rollback-rate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="ROLLBACK_RATE_DB",
            metavar="URL",
            help="Database URL: sqlite:///path.db, a file path, or postgresql://user@host/db "
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
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            expose_value=False,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    origin = {ParameterSource.COMMANDLINE: "--db", ParameterSource.ENVIRONMENT: "ROLLBACK_RATE_DB"}
    source = origin.get(ctx.get_parameter_source("db"))  # type: ignore[arg-type]
    if isinstance(ctx.obj, CliState):  # prepared by the caller (tests)
        if db is not None:
            ctx.obj.db_url, ctx.obj.db_origin = db, source
        ctx.obj.config_path = config if config is not None else ctx.obj.config_path
    else:
        ctx.obj = CliState(db, config or None, db_origin=source)
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
