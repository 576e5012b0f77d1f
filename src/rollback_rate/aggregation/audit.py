"""The audit page: the event log in arrival order, filtered, with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from rollback_rate.aggregation.query import check_name
from rollback_rate.errors import InvalidCursor, InvalidOption
from rollback_rate.events import EventRecord
from rollback_rate.store.schema import events, streams
from rollback_rate.timeutil import iso_utc

# A cursor is the seq of the last event of the page before: up to 18 digits, so any
# cursor fits a 64-bit integer (the OpenAPI schema carries this very pattern; issue 9).
CURSOR_PATTERN = "^[0-9]{1,18}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_LEGACY_CURSOR = re.compile(r"^s([0-9]{1,18})$")  # 0.1.0 gave out base64 of "s<seq>"
MAX_LIMIT = 1_000


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit page; times in UTC microseconds; `cursor` as given back."""

    model: str | None = None
    environment: str | None = None
    type: str | None = None
    since: int | None = None
    until: int | None = None
    cursor: str | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidOption(f"limit must be 1 to {MAX_LIMIT} (got {self.limit})", "limit")
        check_name(self.model, "model")
        check_name(self.environment, "environment")


@dataclass(frozen=True)
class AuditPage:
    events: list[dict[str, Any]]
    next_cursor: str | None


def audit_page(conn: Connection, query: AuditQuery) -> AuditPage:
    """Stored events after the cursor, oldest first; `next_cursor` is None on the last page."""
    statement = (
        select(
            events.c.seq, events.c.event_id, events.c.type, streams.c.model,
            streams.c.environment, events.c.version, events.c.ts, events.c.automated,
            events.c.cause, events.c.team, events.c.note, events.c.attributes,
            events.c.recorded_at,
        )
        .select_from(events.join(streams, streams.c.id == events.c.stream_id))
        .order_by(events.c.seq)
        .limit(query.limit + 1)
    )  # fmt: skip
    if query.cursor is not None:
        statement = statement.where(events.c.seq > decode_cursor(query.cursor))
    if query.model is not None:
        statement = statement.where(streams.c.model == query.model)
    if query.environment is not None:
        statement = statement.where(streams.c.environment == query.environment)
    if query.type is not None:
        statement = statement.where(events.c.type == query.type)
    if query.since is not None:
        statement = statement.where(events.c.ts >= query.since)
    if query.until is not None:
        statement = statement.where(events.c.ts <= query.until)
    rows = conn.execute(statement).all()
    page = rows[: query.limit]
    items = [
        {
            "seq": row.seq,
            **EventRecord(*row[1:12]).as_dict(),
            "recorded_at": iso_utc(row.recorded_at),
        }
        for row in page
    ]
    more = len(rows) > query.limit
    return AuditPage(items, encode_cursor(page[-1].seq) if more else None)


def encode_cursor(seq: int) -> str:
    return str(seq)


def decode_cursor(cursor: str) -> int:
    """The seq a cursor names; a cursor of the 0.1.0 form (base64 of `s<seq>`) too."""
    if _CURSOR.fullmatch(cursor):
        return int(cursor)
    if len(cursor) <= 32:  # the longest cursor 0.1.0 could give out is 26 characters
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            text = ""
        legacy = _LEGACY_CURSOR.fullmatch(text)
        if legacy:
            return int(legacy.group(1))
    shown = cursor if len(cursor) <= 40 else cursor[:40] + "..."
    raise InvalidCursor(
        f"cursor {shown!r} is not one this API returned; pass back `next_cursor` as it is",
        "cursor",
    )
