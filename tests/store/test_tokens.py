"""API tokens and webhook secrets in the store: hashed tokens, scopes, revocation, CRUD."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rollback_rate.errors import InvalidOption, RollbackRateError
from rollback_rate.store.schema import api_tokens
from rollback_rate.store.secrets import add_secret, get_secret, list_secrets, remove_secret
from rollback_rate.store.tokens import (
    create_token,
    find_token,
    hash_token,
    list_tokens,
    parse_scopes,
    revoke_token,
    touch_token,
)


def test_only_the_hash_is_stored_and_the_token_is_found_by_it(db):
    token, _ = create_token(db, "ci", ["ingest"])
    assert token.startswith("rr_") and len(token) >= 40
    with db.snapshot() as conn:
        row = conn.execute(select(*api_tokens.c)).one()
    assert row.token_hash == hash_token(token) and token not in tuple(map(str, row))
    found = find_token(db, token)
    assert found is not None and found.name == "ci" and found.scopes == ("ingest",)
    assert find_token(db, token + "x") is None
    assert find_token(db, "not-even-prefixed") is None


def test_tokens_are_unique_and_random(db):
    first, _ = create_token(db, "a", ["read"])
    second, _ = create_token(db, "b", ["read"])
    assert first != second
    with pytest.raises(RollbackRateError, match="already exists"):
        create_token(db, "a", ["read"])


def test_scopes(db):
    assert parse_scopes(["read,ingest", "read"]) == ("ingest", "read")
    with pytest.raises(InvalidOption):
        parse_scopes(["root"])
    with pytest.raises(InvalidOption):
        parse_scopes([])
    _, admin = create_token(db, "admin", ["admin"])
    assert admin.allows("ingest") and admin.allows("read") and admin.allows("admin")
    _, reader = create_token(db, "reader", ["read"])
    assert reader.allows("read") and not reader.allows("ingest") and not reader.allows("admin")


def test_revocation_and_listing(db):
    token, _ = create_token(db, "old", ["read"])
    touch_token(db, find_token(db, token).id, 123)  # type: ignore[union-attr]
    revoked = revoke_token(db, "old")
    assert revoked.revoked_at is not None and revoked.last_used_at == 123
    assert find_token(db, token) is None
    with pytest.raises(RollbackRateError, match="no active token"):
        revoke_token(db, "old")
    with pytest.raises(RollbackRateError, match="no active token"):
        revoke_token(db, "never-existed")
    create_token(db, "new", ["ingest"])
    assert [(t.name, t.active) for t in list_tokens(db)] == [("old", False), ("new", True)]


def test_webhook_secrets_crud(db):
    assert get_secret(db, "github") is None
    add_secret(db, "github", "s3cret")
    add_secret(db, "gitlab", "other")
    assert get_secret(db, "github") == "s3cret"
    with pytest.raises(RollbackRateError, match="already has a secret"):
        add_secret(db, "github", "again")
    add_secret(db, "github", "rotated", replace=True)
    assert get_secret(db, "github") == "rotated"
    assert [s.source for s in list_secrets(db)] == ["github", "gitlab"]
    assert remove_secret(db, "github") is True
    assert remove_secret(db, "github") is False
    assert get_secret(db, "github") is None
    with pytest.raises(InvalidOption):
        add_secret(db, "gitlab-2", "")
