"""`tokens create|revoke|list`: API tokens of the HTTP service (only hashes are stored)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from rollback_rate.cli.context import open_ledger, read_ledger
from rollback_rate.cli.names import SCOPES
from rollback_rate.timeutil import iso_utc

if TYPE_CHECKING:
    from rollback_rate.ledger import TokenInfo

tokens_app = typer.Typer(
    help="API tokens for `serve`.", no_args_is_help=True, rich_markup_mode=None
)


@tokens_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Unique name, e.g. the client: ci-deployer.")],
    scope: Annotated[
        list[str],
        typer.Option(help=f"{', '.join(SCOPES)} (repeatable; admin implies all)."),
    ],
) -> None:
    """Create a token and print it ONCE on stdout; only its SHA-256 is stored."""
    token, info = open_ledger(ctx).create_token(name, scope)
    typer.echo(token)
    typer.echo(
        f"created token {info.name!r} with scope {','.join(info.scopes)}; it is shown only "
        "once, store it now (send it as `Authorization: Bearer <token>`)",
        err=True,
    )


@tokens_app.command("revoke")
def revoke(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Name of the token.")]
) -> None:
    """Revoke a token; running servers reject it within their token cache time (5 s)."""
    info = open_ledger(ctx).revoke_token(name)
    typer.echo(f"revoked token {info.name!r}")


@tokens_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every token ever created, with scopes and status (never the token values)."""
    infos = read_ledger(ctx).tokens()
    if not infos:
        typer.echo("no tokens; create one with `rollback-rate tokens create`")
        return
    rows = [("NAME", "SCOPE", "CREATED", "LAST USED", "STATUS")]
    rows += [_row(info) for info in infos]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _row(info: TokenInfo) -> tuple[str, str, str, str, str]:
    status = "active" if info.active else f"revoked {iso_utc(info.revoked_at or 0)}"
    used = iso_utc(info.last_used_at) if info.last_used_at else "never"
    return (info.name, ",".join(info.scopes), iso_utc(info.created_at), used, status)
