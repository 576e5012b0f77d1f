"""`POST /api/v1/events` (ingest) and `GET /api/v1/events` (audit, cursor-paginated).

Thin: the ledger decodes, validates, groups concurrent small requests into one
transaction, retries and records, exactly as for `rollback-rate import`; this module only
reads the body and the query, and renders the answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from rollback_rate.aggregation import AuditQuery
from rollback_rate.events import Event
from rollback_rate.ledger import Committed, Ledger
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES, ErrorEnvelope
from rollback_rate.service.schema import CURSOR, NAME, TIMESTAMP, event_schema, reject_unknown_query
from rollback_rate.service.state import get_ledger
from rollback_rate.timeutil import parse_timestamp

router = APIRouter(prefix="/api/v1", tags=["events"], dependencies=[Depends(reject_unknown_query)])

_EVENT_SCHEMA = event_schema()


class RecordWarning(BaseModel):
    code: str
    event_id: str
    model: str
    environment: str
    message: str


class IngestResponse(BaseModel):
    received: int
    stored: int
    duplicates: int
    changes: Committed | None = Field(
        None,
        description="Only when the request held corrections (void, amend): what they changed "
        "in each stream they touched, as the after-commit hook tells it.",
    )
    warnings: list[RecordWarning] | None = Field(
        None,
        description="Only when the request's events did something to look at: a rollback "
        "onto a version rolled back before (`bad_target_rollback`).",
    )


class StoredEvent(Event):
    """An event as the log holds it: the contract's fields (one definition, `Event`),
    its arrival order, when it was recorded, and the fields outside the contract."""

    seq: int
    recorded_at: str
    attributes: dict[str, Any] | None = None


class EventsPage(BaseModel):
    events: list[StoredEvent]
    next_cursor: str | None


async def read_body(request: Request) -> bytes:
    """The raw body, read on the event loop (the size limit applies while it streams)."""
    return await request.body()


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


@router.post(
    "/events",
    summary="Record one event or a batch of up to 10,000",
    response_model=IngestResponse,
    responses={
        **ERROR_RESPONSES,
        413: {"model": ErrorEnvelope, "description": "Body or batch too large"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _EVENT_SCHEMA,
                            {"type": "array", "items": _EVENT_SCHEMA, "maxItems": 10_000},
                        ]
                    }
                }
            },
        }
    },
)
async def post_events(
    request: Request,
    _token: Annotated[Any, Depends(require_scope("ingest"))],  # first: no body read without
    body: Annotated[bytes, Depends(read_body)],
    ledger: Annotated[Ledger, Depends(get_ledger)],
) -> Response:
    """Validate and store events; an invalid batch stores nothing (422, every problem
    located by array index and field); an event whose id is already stored is counted as
    a duplicate, not stored twice. A request holding corrections is also answered with
    what they changed (`changes`); a rollback onto a version that had been rolled back
    before is stored and answered with a warning."""
    max_events = request.app.state.settings.max_batch
    received, result = await ledger.record_json_async(body, max_events=max_events)
    answer: dict[str, Any] = {
        "received": received, "stored": result.stored, "duplicates": result.duplicates
    }  # fmt: skip
    if result.changes is not None:
        answer["changes"] = result.changes.as_dict()
    if result.warnings:
        answer["warnings"] = [warning.as_dict() for warning in result.warnings]
    return json_response(answer)


@router.get(
    "/events", summary="Audit the event log", response_model=EventsPage, responses=ERROR_RESPONSES
)
def list_events(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    model: Annotated[str | None, Query(json_schema_extra=NAME)] = None,
    environment: Annotated[str | None, Query(json_schema_extra=NAME)] = None,
    type: Literal["deployment", "rollback", "rollback_failed", "void", "amend"] | None = None,
    since: Annotated[
        str | None, Query(description="Events at or after.", json_schema_extra=TIMESTAMP)
    ] = None,
    until: Annotated[
        str | None, Query(description="Events at or before.", json_schema_extra=TIMESTAMP)
    ] = None,
    cursor: Annotated[str | None, Query(json_schema_extra=CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Stored events in arrival order (oldest first), filtered; follow `next_cursor`
    until it is null. Pages are stable while new events arrive: they only append."""
    page = ledger.events(
        AuditQuery(
            model=model,
            environment=environment,
            type=type,
            since=parse_timestamp(since, "since") if since is not None else None,
            until=parse_timestamp(until, "until") if until is not None else None,
            cursor=cursor,
            limit=limit,
        )
    )
    return json_response({"events": page.events, "next_cursor": page.next_cursor})
