"""`sync mlflow`: record the alias moves whose webhook never arrived.

Meant to run on a schedule (cron, a CI job) next to the MLflow webhook: the webhook gives
timely events, the sync guarantees that none is missing for good.  The heavy lifting is
in :mod:`rollback_rate.sync.mlflow`; this module only parses options and prints.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.importing import parse_alias_map

if TYPE_CHECKING:
    from rollback_rate.sync.mlflow import AliasOutcome, SyncResult

sync_app = typer.Typer(
    help="Reconcile deployments with an external system's current state.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@sync_app.command("mlflow")
def mlflow(
    ctx: typer.Context,
    tracking_uri: Annotated[
        str,
        typer.Option(
            "--tracking-uri",
            envvar="MLFLOW_TRACKING_URI",
            help="http(s) URL of the MLflow tracking server. Credentials come from "
            "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/_PASSWORD, as for MLflow's client.",
        ),
    ],
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="Only this alias (repeatable; default: every alias)."),
    ] = None,
    map_alias: Annotated[
        list[str] | None,
        typer.Option(
            "--map-alias",
            help="ALIAS=ENVIRONMENT, e.g. champion=production (repeatable); "
            "other aliases are their own environment.",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="Only this registered model (repeatable; default: all)."),
    ] = None,
) -> None:
    """Record a deployment wherever an MLflow alias points at a version that is not live.

    Safe to repeat: moves already recorded (by webhook or earlier sync) are left alone.
    """
    # Imported here: the HTTP client is only needed by this command.
    from rollback_rate.sync.mlflow import sync_mlflow
    from rollback_rate.sync.mlflow_registry import connect

    alias_map = parse_alias_map(map_alias)
    ledger = open_ledger(ctx)
    with connect(
        tracking_uri,
        token=os.environ.get("MLFLOW_TRACKING_TOKEN") or None,
        username=os.environ.get("MLFLOW_TRACKING_USERNAME") or None,
        password=os.environ.get("MLFLOW_TRACKING_PASSWORD") or None,
    ) as client:
        result = sync_mlflow(
            ledger, client, aliases=alias or None, alias_map=alias_map, models=model or None
        )
    _print(result)


def _print(result: SyncResult) -> None:
    for outcome in result.outcomes:
        typer.echo(_line(outcome))
    typer.echo(
        f"synced {len(result.outcomes)} alias(es) of {result.models} model(s) from "
        f"{result.tracking_uri}: {result.recorded} recorded, {result.unchanged} unchanged"
        + (f", {result.duplicates} already recorded" if result.duplicates else "")
        + (f", {result.conflicts} conflicting" if result.conflicts else "")
    )


def _line(outcome: AliasOutcome) -> str:
    where = f"{outcome.model} {outcome.environment} (alias {outcome.alias})"
    if outcome.action == "recorded":
        was = outcome.previous if outcome.previous is not None else "nothing live"
        return (
            f"recorded   {where}: version {outcome.version} (was {was}) "
            f"at {outcome.timestamp}, id {outcome.event_id}"
        )
    if outcome.action == "unchanged":
        return f"unchanged  {where}: version {outcome.version} already live"
    if outcome.action == "duplicate":
        return f"duplicate  {where}: version {outcome.version}: {outcome.note}"
    return f"conflict   {where}: version {outcome.version} left alone: {outcome.note}"
