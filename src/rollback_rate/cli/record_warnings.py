"""Warnings `record` prints about what the recorded event did (issue 12)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rollback_rate.ledger.warnings import RecordWarning


def warn(warnings: Iterable[RecordWarning]) -> None:
    """One `warning: ...` line on stderr per warning (a bad-target rollback: the version
    now live was rolled back before)."""
    for warning in warnings:
        typer.echo(f"warning: {warning.message}", err=True)
