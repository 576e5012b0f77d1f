"""Bearer-token authentication with scopes: `ingest`, `read`, `admin` (implies both).

`require_scope(scope)` is the dependency every protected route declares, including
routers outside this package (webhooks). Verified tokens are cached per process for a
few seconds (`ROLLBACK_RATE_TOKEN_CACHE_SECONDS`, 0 disables) so a hot ingest path does
not pay a database round trip per request; a revocation takes effect within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rollback_rate.ledger import SCOPES, Ledger, TokenInfo, hash_token
from rollback_rate.service.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="An API token: `rr_...`")
# The dashboard's browser session: the read token it signed in with, in an HttpOnly,
# SameSite=Strict cookie. It admits GET and HEAD requests that need `read`, nothing else:
# a cookie rides along with any request the browser sends, so it must never authorise a
# write (CSRF); writes need the Authorization header.
SESSION_COOKIE = "rr_session"
_COOKIE_METHODS = frozenset({"GET", "HEAD"})
_TOUCH_EVERY = 60_000_000  # µs: last_used_at is precise to a minute, not a write per call
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class TokenCache:
    """token hash -> (TokenInfo, expiry); only successful lookups are cached."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[TokenInfo, float]] = {}
        self._lock = threading.Lock()

    def lookup(self, ledger: Ledger, token: str) -> TokenInfo | None:
        key = hash_token(token)
        now = time.monotonic()
        if self.ttl > 0:
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None and hit[1] > now:
                return hit[0]
        info = ledger.find_token(token)
        if info is None:
            with self._lock:
                self._entries.pop(key, None)
            return None
        wall = int(time.time() * 1_000_000)
        if info.last_used_at is None or wall - info.last_used_at >= _TOUCH_EVERY:
            ledger.touch_token(info.id, wall)
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) > 10_000:  # bounded: valid tokens are few
                    self._entries.clear()
                self._entries[key] = (info, now + self.ttl)
        return info


def require_scope(scope: str) -> Callable[..., TokenInfo | None]:
    """A dependency that admits only a valid, unrevoked token granting `scope`.

    Missing or unknown token: 401 (with `WWW-Authenticate: Bearer`); a valid token
    without the scope: 403. With `--no-auth` it admits everyone and returns None. Without
    an Authorization header, a `read` GET also accepts the dashboard's session cookie.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> TokenInfo | None:
        if request.app.state.settings.no_auth:
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
        info = request.app.state.tokens.lookup(request.app.state.ledger, token)
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
