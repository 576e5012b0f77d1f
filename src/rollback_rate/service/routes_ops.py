"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rollback_rate.errors import RollbackRateError
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES, ErrorEnvelope, error_response
from rollback_rate.service.routes_events import json_response
from rollback_rate.service.schema import reject_unknown_query

router = APIRouter(tags=["operations"], dependencies=[Depends(reject_unknown_query)])
log = logging.getLogger("rollback_rate.service")
_RETRY = {"Retry-After": "1"}


@router.get("/healthz", summary="Liveness: the process serves requests")
def healthz() -> Response:
    """Never touches the database: a database outage must not get processes restarted."""
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: the database is reachable",
    responses={503: {"model": ErrorEnvelope, "description": "Database unreachable"}},
)
def readyz(request: Request) -> Response:
    """Unauthenticated, so the answer says whether, never why (the server log says why)."""
    try:
        request.app.state.ledger.ping()
    except RollbackRateError as exc:
        log.warning("readyz: %s", exc)
        return error_response(
            503, "database_unavailable", "the database is not reachable", (), _RETRY
        )
    return json_response({"status": "ready"})


@router.get(
    "/metrics",
    summary="Prometheus exposition",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **ERROR_RESPONSES,
    },
)
def metrics(request: Request, _token: Annotated[Any, Depends(require_scope("read"))]) -> Response:
    """Domain gauges and counters (queried at scrape time) and request metrics."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
