"""`webhooks add|list|remove`: the shared secrets that webhook signatures are checked with.

Only sources that sign their deliveries (MLflow, GitHub, GitLab, SageMaker) use a secret;
CDEvents and Argo Rollouts authenticate with an API token instead. `--secret -` reads the
secret from stdin so it stays out of shell history and process listings.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from rollback_rate.cli.context import open_ledger, read_ledger
from rollback_rate.cli.names import SIGNED_SOURCES as SIGNED
from rollback_rate.errors import InvalidOption, RollbackRateError
from rollback_rate.timeutil import iso_utc

webhooks_app = typer.Typer(
    help=f"Webhook secrets of the sources that sign deliveries ({', '.join(SIGNED)}).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def signed_source(name: str) -> str:
    """`name` if it is a source that verifies deliveries with a secret, else a usage error."""
    from rollback_rate.sources import SOURCES

    source = SOURCES.get(name)
    if source is None:
        raise InvalidOption(
            f"unknown source {name!r}; sources with a webhook secret: {', '.join(SIGNED)}"
        )
    if source.whole_document:
        raise InvalidOption(
            f"{name} has no webhook (import only: `rollback-rate import FILE --format {name}`)"
        )
    if not source.authenticates:
        raise InvalidOption(
            f"{name} does not use a webhook secret: its webhook authenticates with an API "
            "token; create one with `rollback-rate tokens create --name "
            f"{name} --scope ingest` and send it as `Authorization: Bearer <token>`"
        )
    return name


def _read_secret(value: str) -> str:
    if value != "-":
        return value
    secret = sys.stdin.read().rstrip("\r\n")
    if not secret:
        raise InvalidOption("--secret -: nothing was read from stdin")
    return secret


@webhooks_app.command("add")
def add(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(SIGNED)}.")],
    secret: Annotated[
        str,
        typer.Option(
            "--secret",
            help="The shared secret the sender signs with; - reads it from stdin "
            "(keeps it out of shell history).",
        ),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing secret (rotation).")
    ] = False,
) -> None:
    """Store the secret that deliveries to POST /webhooks/SOURCE are verified with."""
    name = signed_source(source)
    value = _read_secret(secret)
    ledger = open_ledger(ctx)
    if not replace and ledger.webhook_secret(name) is not None:
        raise RollbackRateError(
            f"source {name!r} already has a webhook secret; pass --replace to rotate it"
        )
    ledger.add_webhook_secret(name, value, replace=replace)
    verb = "replaced" if replace else "stored"
    typer.echo(f"{verb} the webhook secret of {name}; deliveries go to POST /webhooks/{name}")


@webhooks_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Sources with a stored secret and since when (never the secret values)."""
    infos = read_ledger(ctx).webhook_secrets()
    if not infos:
        typer.echo(
            "no webhook secrets; add one with `rollback-rate webhooks add SOURCE --secret -`"
        )
        return
    rows = [("SOURCE", "SINCE")] + [(info.source, iso_utc(info.created_at)) for info in infos]
    width = max(len(row[0]) for row in rows)
    for source, since in rows:
        typer.echo(f"{source.ljust(width)}  {since}")


@webhooks_app.command("remove")
def remove(
    ctx: typer.Context, source: Annotated[str, typer.Argument(help="The source name.")]
) -> None:
    """Delete a source's secret; its webhook deliveries are refused (401) from then on."""
    if open_ledger(ctx).remove_webhook_secret(source):
        typer.echo(f"removed the webhook secret of {source}")
        return
    name = signed_source(source)  # an unknown or tokened source explains itself
    raise RollbackRateError(f"source {name!r} has no webhook secret")
