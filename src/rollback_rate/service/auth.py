"""Bearer-token authentication with scopes: `ingest`, `read`, `admin` (implies both).

`require_scope(scope)` is the dependency every protected route declares, including
routers outside this package (webhooks). Verified tokens are cached per process for a
few seconds (`ROLLBACK_RATE_TOKEN_CACHE_SECONDS`, 0 disables) so a hot ingest path does
not pay a database round trip per request; a revocation takes effect within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rollback_rate.errors import DatabaseUnavailable
from rollback_rate.ledger import SCOPES, Ledger, TokenInfo, hash_token
from rollback_rate.service.errors import ApiError
from rollback_rate.service.settings import is_loopback

log = logging.getLogger("rollback_rate.service")
_bearer = HTTPBearer(auto_error=False, description="An API token: `rr_...`")
# The dashboard's browser session: the read token it signed in with, in an HttpOnly,
# SameSite=Strict cookie. It admits GET and HEAD requests that need `read`, nothing else:
# a cookie rides along with any request the browser sends, so it must never authorise a
# write (CSRF); writes need the Authorization header.
SESSION_COOKIE = "rr_session"
_COOKIE_METHODS = frozenset({"GET", "HEAD"})
_TOUCH_EVERY = 60_000_000  # µs: last_used_at is precise to a minute, not a write per call
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
NO_AUTH_WARNING = (
    "WARNING: ROLLBACK_RATE_NO_AUTH: the API accepts and serves data WITHOUT ANY TOKEN, "
    "to loopback clients only; for local demos, never expose this process to a network"
)


class TokenCache:
    """token hash -> (TokenInfo, fresh until, verified at); only successful lookups are kept.

    A token verified within `outage_seconds` is still admitted while the database cannot
    be reached to check it again: `/metrics` can then answer `rollback_rate_database_up 0`
    instead of a 503 (issue 9). A token revoked before the outage began is not: its next
    lookup after the revocation dropped it.
    """

    def __init__(self, ttl_seconds: float, outage_seconds: float = 0.0) -> None:
        self.ttl, self.outage = ttl_seconds, outage_seconds
        self._entries: dict[str, tuple[TokenInfo, float, float]] = {}
        self._lock = threading.Lock()

    def fresh(self, token: str) -> TokenInfo | None:
        """The token's info when it was verified within the time to live; None when it
        must be looked up (which reads the database: `lookup`, on a worker thread)."""
        with self._lock:
            hit = self._entries.get(hash_token(token))
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def lookup(self, ledger: Ledger, token: str) -> TokenInfo | None:
        key = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        try:
            info = ledger.find_token(token)
        except DatabaseUnavailable:
            if hit is not None and now - hit[2] <= self.outage:
                log.warning("token %r admitted unchecked: the database is unreachable", hit[0].name)
                return hit[0]
            raise
        if info is None:
            with self._lock:
                self._entries.pop(key, None)
            return None
        wall = int(time.time() * 1_000_000)
        if info.last_used_at is None or wall - info.last_used_at >= _TOUCH_EVERY:
            ledger.touch_token(info.id, wall)
        if self.ttl > 0 or self.outage > 0:
            with self._lock:
                if len(self._entries) > 10_000:  # bounded: valid tokens are few
                    self._entries.clear()
                self._entries[key] = (info, now + self.ttl, now)
        return info


def refuse_unless_loopback(request: Request) -> None:
    """No-auth mode serves this machine only: a request that reached a non-loopback
    address, came from one, or came through a proxy (it names the client it forwards)
    gets 403. The rule lives here, not only in `serve`, because the documented factory
    (`uvicorn --factory rollback_rate.service.app:app_from_env`) bypasses `serve` (issue 9).
    """
    server, client = request.scope.get("server"), request.scope.get("client")
    headers = request.headers
    proxied = "x-forwarded-for" in headers or "forwarded" in headers
    if server is None and client is None:  # a Unix socket: this machine only
        local = True
    else:
        local = (
            server is not None
            and is_loopback(str(server[0]))
            and client is not None
            and is_loopback(str(client[0]))
        )
    if not local or proxied:
        raise ApiError(
            403,
            "forbidden",
            "this server runs without tokens (ROLLBACK_RATE_NO_AUTH=1 or --no-auth), so it "
            "answers loopback clients on a loopback address only; bind to 127.0.0.1, or "
            "create a token with `rollback-rate tokens create` and turn no-auth off",
        )


def require_scope(scope: str) -> Callable[..., Awaitable[TokenInfo | None]]:
    """A dependency that admits only a valid, unrevoked token granting `scope`.

    Missing or unknown token: 401 (with `WWW-Authenticate: Bearer`); a valid token
    without the scope: 403. With `--no-auth` it admits everyone and returns None. Without
    an Authorization header, a `read` GET also accepts the dashboard's session cookie.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    # Async, so a token verified within the cache's time to live costs no hop to the
    # thread pool (a quarter of a single-event POST's CPU was such hops, issue 14); a
    # lookup that reads the database runs on a worker thread.
    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> TokenInfo | None:
        if request.app.state.settings.no_auth:
            refuse_unless_loopback(request)
            return None
        # HTTPBearer gives None for a missing header and for any scheme but Bearer.
        token = credentials.credentials if credentials else session_token(request, scope)
        if token is None:
            raise ApiError(
                401,
                "unauthorized",
                "missing bearer token (Authorization: Bearer rr_...)",
                headers=_CHALLENGE,
            )
        cache: TokenCache = request.app.state.tokens
        info = cache.fresh(token)
        if info is None:
            info = await run_in_threadpool(cache.lookup, request.app.state.ledger, token)
        if info is None:
            raise ApiError(401, "unauthorized", "invalid or revoked token", headers=_CHALLENGE)
        if not info.allows(scope):
            raise ApiError(
                403,
                "forbidden",
                f"token {info.name!r} lacks the {scope!r} scope (it has: {', '.join(info.scopes)})",
            )
        request.state.token = info
        return info

    dependency.__name__ = f"require_{scope}"
    return dependency


def session_token(request: Request, scope: str = "read") -> str | None:
    """The dashboard session's token, when this request may use it: a `read` GET/HEAD."""
    if scope != "read" or request.method not in _COOKIE_METHODS:
        return None
    return request.cookies.get(SESSION_COOKIE) or None
