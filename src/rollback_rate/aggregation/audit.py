"""The audit page: the event log in arrival order, filtered, with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Select, select

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
    after = decode_cursor(query.cursor) if query.cursor is not None else None
    rows = conn.execute(log_statement(query, after, query.limit + 1)).all()
    page = rows[: query.limit]
    items = [
        {"seq": row.seq, **record_of(row[2:]).as_dict(), "recorded_at": iso_utc(row.recorded_at)}
        for row in page
    ]
    more = len(rows) > query.limit
    return AuditPage(items, encode_cursor(page[-1].seq) if more else None)


class LogFilters(Protocol):
    """Which stored events a read of the log wants (times in UTC microseconds)."""

    @property
    def model(self) -> str | None: ...
    @property
    def environment(self) -> str | None: ...
    @property
    def type(self) -> str | None: ...
    @property
    def since(self) -> int | None: ...
    @property
    def until(self) -> int | None: ...


def log_statement(filters: LogFilters, after: int | None, limit: int) -> Select[Any]:
    """The next `limit` stored events after seq `after` that pass the filters, in arrival
    order (a keyset page: the primary key finds where it starts): seq, recorded_at, then
    RECORD_COLUMNS."""
    statement = (
        select(events.c.seq, events.c.recorded_at, *RECORD_COLUMNS)
        .select_from(events.join(streams, streams.c.id == events.c.stream_id))
        .order_by(events.c.seq)
        .limit(limit)
    )  # fmt: skip
    if after is not None:
        statement = statement.where(events.c.seq > after)
    if filters.model is not None:
        statement = statement.where(streams.c.model == filters.model)
    if filters.environment is not None:
        statement = statement.where(streams.c.environment == filters.environment)
    if filters.type is not None:
        statement = statement.where(events.c.type == filters.type)
    if filters.since is not None:
        statement = statement.where(events.c.ts >= filters.since)
    if filters.until is not None:
        statement = statement.where(events.c.ts <= filters.until)
    return statement


# The log's columns in EventRecord's order (model and environment from the stream).
RECORD_COLUMNS = tuple(
    streams.c[name] if name in ("model", "environment") else events.c[name]
    for name in EventRecord._fields
)
_FLAGS = tuple(EventRecord._fields.index(name) for name in ("drill", "unplanned"))


def record_of(values: Sequence[Any]) -> EventRecord:
    """An EventRecord from RECORD_COLUMNS' values (flags are stored NULL when false)."""
    fields = list(values)
    for index in _FLAGS:
        fields[index] = bool(fields[index])
    return EventRecord._make(fields)


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
