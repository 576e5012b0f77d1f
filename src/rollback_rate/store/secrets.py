"""Shared secrets of webhook sources (one per source name), for signature checks.

Unlike API tokens these are stored as given: verifying an HMAC signature needs the raw
secret. Listing never returns secret values, only which sources have one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from rollback_rate.errors import InvalidOption, RollbackRateError
from rollback_rate.store.database import Database
from rollback_rate.store.schema import webhook_secrets
from rollback_rate.timeutil import now_micros


@dataclass(frozen=True)
class SecretInfo:
    """Which source has a secret and since when (UTC microseconds); never the value."""

    source: str
    created_at: int


def add_secret(database: Database, source: str, secret: str, *, replace: bool = False) -> None:
    """Store `secret` for `source`; an existing one is an error unless `replace`."""
    source = source.strip()
    if not source or len(source) > 100:
        raise InvalidOption("a source name must be 1 to 100 characters")
    if not secret:
        raise InvalidOption("a webhook secret must not be empty")
    created = now_micros()
    try:
        with database.begin() as conn:
            if replace:
                changed = conn.execute(
                    update(webhook_secrets)
                    .where(webhook_secrets.c.source == source)
                    .values(secret=secret, created_at=created)
                ).rowcount
                if changed:
                    return
            conn.execute(
                webhook_secrets.insert().values(source=source, secret=secret, created_at=created)
            )
    except IntegrityError:
        raise RollbackRateError(
            f"source {source!r} already has a secret; remove it first or replace it"
        ) from None


def get_secret(database: Database, source: str) -> str | None:
    with database.snapshot() as conn:
        value = conn.execute(
            select(webhook_secrets.c.secret).where(webhook_secrets.c.source == source)
        ).scalar_one_or_none()
    return value


def list_secrets(database: Database) -> list[SecretInfo]:
    with database.snapshot() as conn:
        rows = conn.execute(
            select(webhook_secrets.c.source, webhook_secrets.c.created_at).order_by(
                webhook_secrets.c.source
            )
        ).all()
    return [SecretInfo(row.source, row.created_at) for row in rows]


def remove_secret(database: Database, source: str) -> bool:
    """Delete the secret of `source`; False when there was none."""
    with database.begin() as conn:
        removed = conn.execute(
            delete(webhook_secrets).where(webhook_secrets.c.source == source)
        ).rowcount
    return bool(removed)
