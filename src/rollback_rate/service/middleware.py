"""Pure ASGI middleware: request body limit, access log and request metrics, in one layer.

Pure ASGI (not BaseHTTPMiddleware) because it is cheaper per request and because the body
limit must wrap `receive` itself: it counts bytes as they stream in, so it holds whether
the client sent an honest Content-Length, a false one, or none (chunked encoding).
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rollback_rate.service.errors import ApiError, error_response
from rollback_rate.service.observability import RequestMetrics

access_log = logging.getLogger("rollback_rate.access")


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            "payload_too_large",
            f"request body exceeds {limit} bytes (ROLLBACK_RATE_MAX_BODY); "
            "split the batch or raise the limit",
        )


class RequestMiddleware:
    """Every HTTP request's body limit, access log line and metrics, in one layer.

    One layer, not one per concern: each message of a request then passes one wrapper in
    each direction instead of two (issue 14: a single-event POST spent a quarter of its
    CPU in middleware and routing).

    The body limit answers 413 as soon as a body is known to exceed `limit` bytes.
    Clients such as urllib, requests and httpx send the whole body before they read the
    answer. Closing the connection while their bytes still arrive makes the kernel reset
    it, and they see the reset instead of the 413 (issue 9). So the rest of the body is
    read and discarded first, up to `DRAIN_LIMIT` bytes in all; only a body declared or
    found larger than that gets the 413 at once and the connection closed. A client that
    waits for `100 Continue` has sent nothing yet: it gets its answer without one.

    The access log is one JSON line per request on stderr; metrics count requests and
    time them. Routes are labelled by their template (`/api/v1/events`), never the raw
    path, so label cardinality stays bounded whatever clients request. Both see every
    response, the middleware's own 413s included.
    """

    def __init__(
        self, app: ASGIApp, *, limit: int, metrics: RequestMetrics, log_enabled: bool
    ) -> None:
        self.app, self.limit, self.metrics, self.log_enabled = app, limit, metrics, log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        limit = self.limit
        status = 500
        received = 0
        started = False

        async def recording_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
            await send(message)

        async def app_send(message: Message) -> None:  # recording_send, one call less
            nonlocal status, started
            if message["type"] == "http.response.start":
                if received > limit:  # a 413 from the app's own handlers: close too
                    message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
                status, started = message["status"], True
            await send(message)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if message.get("more_body", False):
                        await _drain(receive, received)
                    raise BodyTooLarge(limit)
            return message

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                drainable = declared.isdigit() and int(declared) <= DRAIN_LIMIT
                if drainable and _header(scope, b"expect") != "100-continue":
                    await _drain(receive, 0)
                await _send(error_response_for(BodyTooLarge(limit)), scope, receive, recording_send)
                return
            try:
                await self.app(scope, limited_receive, app_send)
            except BodyTooLarge as exc:  # read outside a route's exception handling
                if started:
                    raise
                await _send(error_response_for(exc), scope, receive, recording_send)
        finally:
            self._observe(scope, status, time.perf_counter() - start)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        self.metrics.observe(template, scope["method"], status, elapsed)
        if self.log_enabled:
            client = scope.get("client")
            access_log.info(
                orjson.dumps(
                    {
                        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "client": client[0] if client else None,
                    }
                ).decode()
            )


DRAIN_LIMIT = 64 * 1024 * 1024  # bytes of an oversized body read and discarded, at most
_CLOSE = (b"connection", b"close")


async def _drain(receive: Receive, received: int) -> None:
    """Read and discard the rest of a request body, until it ends, the client goes, or
    `DRAIN_LIMIT` bytes have come in all."""
    while received <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def configure_access_log() -> None:
    """JSON lines to stderr, once per process, unless the host already configured it."""
    if access_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def error_response_for(exc: ApiError) -> Any:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _send(response: Any, scope: Scope, receive: Receive, send: Send) -> None:
    response.raw_headers.append(_CLOSE)
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1").strip())
    return None
