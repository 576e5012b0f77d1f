"""API tokens of the HTTP service: created once, kept only as a SHA-256, revoked by name.

A token is `rr_` plus 32 random bytes (URL-safe base64), so an unsalted SHA-256 is enough:
there is no dictionary to attack, and hashing keeps a leaked database from leaking
credentials. The plain token is returned exactly once, by `create_token`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from rollback_rate.errors import InvalidOption, RollbackRateError
from rollback_rate.store.database import Database
from rollback_rate.store.schema import api_tokens
from rollback_rate.timeutil import now_micros

SCOPES = ("ingest", "read", "admin")
PREFIX = "rr_"


@dataclass(frozen=True)
class TokenInfo:
    """A token's metadata (never its value); times in UTC microseconds."""

    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: int
    revoked_at: int | None = None
    last_used_at: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        """`admin` implies every scope; the others grant only themselves."""
        return "admin" in self.scopes or scope in self.scopes


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scopes(values: Iterable[str]) -> tuple[str, ...]:
    """`["ingest", "read"]` or `["ingest,read"]` to a sorted tuple of known scopes."""
    scopes = {part.strip() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(scopes - set(SCOPES))
    if unknown:
        raise InvalidOption(f"unknown scope {', '.join(unknown)}; use {', '.join(SCOPES)}")
    if not scopes:
        raise InvalidOption(f"a token needs at least one scope: {', '.join(SCOPES)}")
    return tuple(sorted(scopes))


def create_token(database: Database, name: str, scopes: Iterable[str]) -> tuple[str, TokenInfo]:
    """Store a new token's hash; return the plain token (shown once) and its metadata."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidOption("a token name must be 1 to 200 characters")
    chosen = parse_scopes(scopes)
    token = PREFIX + secrets.token_urlsafe(32)
    created = now_micros()
    try:
        with database.begin() as conn:
            token_id = conn.execute(
                api_tokens.insert()
                .values(
                    name=name,
                    scope=",".join(chosen),
                    token_hash=hash_token(token),
                    created_at=created,
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
    except IntegrityError:
        raise RollbackRateError(
            f"a token named {name!r} already exists (names stay reserved after revocation, "
            "so audit history stays unambiguous); choose another name"
        ) from None
    return token, TokenInfo(token_id, name, chosen, created)


def revoke_token(database: Database, name: str) -> TokenInfo:
    """Mark the active token `name` revoked; it stops working at once (modulo caches)."""
    with database.begin() as conn:
        changed = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now_micros())
        ).rowcount
        if not changed:
            raise RollbackRateError(f"no active token named {name!r}")
        row = conn.execute(select(*api_tokens.c).where(api_tokens.c.name == name)).one()
    return _info(row)


def list_tokens(database: Database) -> list[TokenInfo]:
    with database.snapshot() as conn:
        rows = conn.execute(select(*api_tokens.c).order_by(api_tokens.c.id)).all()
    return [_info(row) for row in rows]


def find_token(database: Database, token: str) -> TokenInfo | None:
    """The active token with this value, or None (unknown, malformed or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with database.snapshot() as conn:
        row = conn.execute(
            select(*api_tokens.c).where(
                api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
    return _info(row) if row is not None else None


def touch_token(database: Database, token_id: int, at: int | None = None) -> None:
    """Record use; callers throttle this so reads do not turn into a write per request."""
    with database.begin() as conn:
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(last_used_at=at if at is not None else now_micros())
        )


def _info(row) -> TokenInfo:  # type: ignore[no-untyped-def]
    return TokenInfo(
        id=row.id,
        name=row.name,
        scopes=tuple(row.scope.split(",")),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
