"""The one error shape of the API, and the handlers that guarantee it.

Every failure, from a missing token to an unexpected bug, answers
`{"error": {"code", "message", "details": [...]}}`: clients branch on `code` (stable),
show `message` (human), and point at `details` (located problems). Never a traceback.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import fastapi.routing
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from rollback_rate.errors import (
    DatabaseError,
    DatabaseUnavailable,
    InvalidCursor,
    InvalidEvent,
    InvalidInput,
    InvalidJson,
    InvalidOption,
    InvalidPayload,
    NoWebhookSecret,
    Problem,
    RollbackRateError,
    SignatureMismatch,
    TooManyEvents,
    UnknownSource,
    UnknownStream,
)

log = logging.getLogger("rollback_rate.service")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}

# Domain errors: (status, code). Order matters: the first matching class wins.
_DOMAIN: list[tuple[type[RollbackRateError], int, str]] = [
    (InvalidInput, 422, "invalid_events"),
    (InvalidEvent, 422, "invalid_events"),
    (InvalidJson, 422, "invalid_json"),
    (TooManyEvents, 413, "too_many_events"),
    (InvalidCursor, 422, "invalid_cursor"),
    (UnknownStream, 404, "not_found"),
    (InvalidOption, 422, "invalid_option"),
    (InvalidPayload, 422, "invalid_payload"),
    (NoWebhookSecret, 401, "unauthorized"),
    (SignatureMismatch, 401, "signature_mismatch"),
    (UnknownSource, 404, "unknown_source"),
    (DatabaseUnavailable, 503, "database_unavailable"),
    (DatabaseError, 500, "internal_error"),
]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class ErrorDetail(BaseModel):
    location: str
    field: str | None = None
    reason: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorEnvelope(BaseModel):
    """The documented shape of every error response."""

    error: ErrorBody


class ApiError(Exception):
    """Raised by endpoints and dependencies for a deliberate error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Iterable[Problem | Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = list(details)
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    details: Iterable[Problem | Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error envelope as a response; reusable by routers outside this package."""
    body = {"error": {"code": code, "message": message, "details": [_detail(d) for d in details]}}
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def domain_status(exc: RollbackRateError) -> tuple[int, str]:
    for cls, status, code in _DOMAIN:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def _detail(item: Problem | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item, Problem):
        return {"location": item.location, "field": item.field, "reason": item.reason}
    return dict(item)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path: Starlette's 405 names only the
    first route that matched the path (`POST` where `GET` is served too; issue 9)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in _flat_routes(request.app.routes):
        template = getattr(route, "path", None)
        if template and _compiled(template).match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _flat_routes(routes: Any) -> Iterable[Any]:
    """The app's routes, included routers flattened (FastAPI's own iterator when it has
    one: recent versions keep included routers as nodes of their own)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return flatten(routes) if flatten is not None else routes


@functools.lru_cache(maxsize=256)
def _compiled(template: str) -> re.Pattern[str]:
    return compile_path(template)[0]


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type to the envelope (the catch-all last, as a 500)."""

    async def api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(exc.headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return error_response(exc.status_code, code, str(exc.detail), (), headers)

    async def validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {
                "location": ".".join(str(part) for part in err.get("loc", ())),
                "field": str(err["loc"][-1]) if err.get("loc") else None,
                "reason": str(err.get("msg", "is invalid")),
            }
            for err in exc.errors()
        ]
        # The message names each parameter as `details` does (`query.limit: ...`).
        message = "; ".join(f"{d['location']}: {d['reason']}" for d in details)
        return error_response(422, "invalid_request", message or "the request is invalid", details)

    async def domain_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RollbackRateError)
        status, code = domain_status(exc)
        if isinstance(exc, DatabaseError):
            # Driver text can name hosts and users: the server log has it, clients don't.
            log.warning("%s", exc)
            headers = {"Retry-After": "1"} if exc.transient else None
            message = "database error; retry later" if exc.transient else "internal server error"
            return error_response(status, code, message, (), headers)
        problems = list(getattr(exc, "problems", []))
        message = str(exc)
        if isinstance(exc, InvalidInput) and exc.total_invalid > len(problems):
            message += f" (first {len(problems)} problems listed)"
        if isinstance(exc, InvalidOption) and exc.option and not problems:
            problems = [Problem(f"query.{exc.option}", exc.option, message)]
        headers = _CHALLENGE if isinstance(exc, NoWebhookSecret) else None
        return error_response(status, code, message, problems, headers)

    async def unexpected(_: Request, exc: Exception) -> Response:
        # Starlette re-raises after this response, so the server logs the traceback once.
        return error_response(500, "internal_error", "internal server error; see the server log")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(RollbackRateError, domain_error)
    app.add_exception_handler(Exception, unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in (
        (401, "Missing or invalid token"),
        (403, "Token lacks the required scope"),
        (422, "Invalid input; every problem located in `details`"),
        (503, "Database unavailable"),
    )
}
