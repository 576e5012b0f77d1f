"""Fixtures of the service tests: an in-process app over each real database, and tokens."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from rollback_rate.service import Settings, create_app
from rollback_rate.store import Database
from tests.service.helpers import Tokens, make_tokens

with warnings.catch_warnings():  # Starlette prefers httpx2; plain httpx works the same here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def tokens(db: Database) -> Tokens:
    return make_tokens(db)


@pytest.fixture
def client(db_url: str, db: Database) -> Iterator[TestClient]:
    """An in-process app on the test database (no token cache: revocation is immediate)."""
    app = create_app(Settings(db_url=db_url, token_cache_seconds=0, access_log=False))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
