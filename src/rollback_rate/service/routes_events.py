"""`POST /api/v1/events` (ingest) and `GET /api/v1/events` (audit, cursor-paginated).

Ingest goes through `record_events`, the same validation, idempotency and attribution as
`rollback-rate import`; this module only turns HTTP bodies into located raw events. Small
requests (up to MAX_REQUEST_EVENTS) share transactions through the app's group committer
(`group_commit.py`) unless ROLLBACK_RATE_GROUP_COMMIT=0.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from rollback_rate.events.fast import fast_record, fast_records
from rollback_rate.events.model import Event, EventRecord
from rollback_rate.ingest import record_events, validate_events
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES, ApiError, ErrorEnvelope
from rollback_rate.service.group_commit import MAX_REQUEST_EVENTS, GroupCommitter
from rollback_rate.service.retry import with_retries
from rollback_rate.service.state import get_database
from rollback_rate.store import Database
from rollback_rate.store.schema import events, streams
from rollback_rate.timeutil import iso_utc, parse_timestamp

router = APIRouter(prefix="/api/v1", tags=["events"])

_EVENT_SCHEMA = Event.model_json_schema()
_CURSOR = re.compile(r"^s(\d{1,19})$")


class IngestResponse(BaseModel):
    received: int
    stored: int
    duplicates: int


class StoredEvent(BaseModel):
    seq: int
    id: str
    type: str
    model: str
    environment: str
    version: str | None
    timestamp: str
    automated: bool
    cause: str | None
    team: str | None
    note: str | None
    attributes: dict[str, Any] | None = None
    recorded_at: str


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
def post_events(
    request: Request,
    _token: Annotated[Any, Depends(require_scope("ingest"))],  # first: no body read without
    body: Annotated[bytes, Depends(read_body)],
    database: Annotated[Database, Depends(get_database)],
) -> Response:
    """Validate and store events; an invalid batch stores nothing (422, every problem
    located by array index and field); an event whose id is already stored is counted as
    a duplicate, not stored twice."""
    limit = request.app.state.settings.max_batch
    raws = _fast_raws(body, limit)
    if raws is None:
        raws = _raws(body, limit)
    committer: GroupCommitter | None = request.app.state.committer
    if committer is not None and len(raws) <= MAX_REQUEST_EVENTS:
        # Validated here (an invalid request never waits for others), stored in the
        # writer's next group commit together with other small requests.
        result = committer.submit(validate_events(raws))
    else:
        result = with_retries(lambda: record_events(database, raws))
    return json_response(
        {"received": len(raws), "stored": result.stored, "duplicates": result.duplicates}
    )


def _fast_raws(body: bytes, limit: int) -> list[tuple[str, Any]] | None:
    """A body of events the fast path vouches for, all of them; None otherwise."""
    start = body.lstrip()[:1]
    if start == b"{":
        record = fast_record(body)
        return None if record is None else [("body", record)]
    if start == b"[":
        records = fast_records(body)
        if records is None:
            return None
        _check_size(len(records), limit)
        return [(f"[{index}]", record) for index, record in enumerate(records)]
    return None


def _raws(body: bytes, limit: int) -> list[tuple[str, Any]]:
    """The body's events, located, for the reference path to validate."""
    payload = _parse_json(body)
    if isinstance(payload, dict):
        raws: list[tuple[str, Any]] = [("body", payload)]
    elif isinstance(payload, list):
        _check_size(len(payload), limit)
        raws = [(f"[{index}]", raw) for index, raw in enumerate(payload)]
    else:
        raise ApiError(
            422,
            "invalid_json",
            "the body must be a JSON object (one event) or an array of events",
            [{"location": "body", "field": None, "reason": f"got {type(payload).__name__}"}],
        )
    return raws


def _check_size(events: int, limit: int) -> None:
    if events > limit:
        raise ApiError(
            413, "too_many_events", f"a batch holds at most {limit} events, got {events}"
        )


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(
            422,
            "invalid_json",
            "the body is empty; send a JSON event or array of events",
            [{"location": "body", "field": None, "reason": "is empty"}],
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            422,
            "invalid_json",
            "the body is not valid JSON",
            [{"location": "body", "field": None, "reason": str(exc)}],
        ) from None


@router.get(
    "/events", summary="Audit the event log", response_model=EventsPage, responses=ERROR_RESPONSES
)
def list_events(
    _token: Annotated[Any, Depends(require_scope("read"))],
    database: Annotated[Database, Depends(get_database)],
    model: str | None = None,
    environment: str | None = None,
    type: Literal["deployment", "rollback", "rollback_failed"] | None = None,
    since: Annotated[str | None, Query(description="Events at or after (ISO 8601).")] = None,
    until: Annotated[str | None, Query(description="Events at or before (ISO 8601).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the last page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Stored events in arrival order (oldest first), filtered; follow `next_cursor`
    until it is null. Pages are stable while new events arrive: they only append."""
    statement = (
        select(
            events.c.seq,
            events.c.event_id,
            events.c.type,
            streams.c.model,
            streams.c.environment,
            events.c.version,
            events.c.ts,
            events.c.automated,
            events.c.cause,
            events.c.team,
            events.c.note,
            events.c.attributes,
            events.c.recorded_at,
        )
        .select_from(events.join(streams, streams.c.id == events.c.stream_id))
        .order_by(events.c.seq)
        .limit(limit + 1)
    )
    if cursor is not None:
        statement = statement.where(events.c.seq > decode_cursor(cursor))
    if model is not None:
        statement = statement.where(streams.c.model == model)
    if environment is not None:
        statement = statement.where(streams.c.environment == environment)
    if type is not None:
        statement = statement.where(events.c.type == type)
    if since is not None:
        statement = statement.where(events.c.ts >= parse_timestamp(since, "since"))
    if until is not None:
        statement = statement.where(events.c.ts <= parse_timestamp(until, "until"))
    with database.read() as conn:
        rows = conn.execute(statement).all()
    page = rows[:limit]
    items = []
    for row in page:
        record = EventRecord(*row[1:12])
        items.append({"seq": row.seq, **record.as_dict(), "recorded_at": iso_utc(row.recorded_at)})
    more = len(rows) > limit
    return json_response(
        {"events": items, "next_cursor": encode_cursor(page[-1].seq) if more else None}
    )


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _CURSOR.match(text)
    if not match:
        raise ApiError(
            422,
            "invalid_cursor",
            "cursor is not one this API returned",
            [{"location": "query.cursor", "field": "cursor", "reason": "is not a valid cursor"}],
        )
    return int(match.group(1))
