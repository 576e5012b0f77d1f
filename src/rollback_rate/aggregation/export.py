"""The event log read whole, for export: every stored event that passes the filters, in
arrival order, in keyset pages, so memory holds one page whatever the log's size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection

from rollback_rate.aggregation.audit import log_statement, record_of
from rollback_rate.errors import InvalidOption
from rollback_rate.events import EventRecord
from rollback_rate.events.model import EVENT_TYPES

PAGE = 5_000


@dataclass(frozen=True)
class ExportQuery:
    """Which events to export (all by default): by model, environment, type, and event
    time (`since`, `until`: UTC microseconds, inclusive)."""

    model: str | None = None
    environment: str | None = None
    type: str | None = None
    since: int | None = None
    until: int | None = None

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in EVENT_TYPES:
            raise InvalidOption(
                f"type {self.type!r} is not one of {', '.join(EVENT_TYPES)}", "type"
            )


def exported_records(
    conn: Connection, query: ExportQuery, page: int | None = None
) -> Iterator[EventRecord]:
    """Every stored event the query wants, oldest first, read a page (`PAGE` events
    unless told) at a time."""
    page = page or PAGE
    after: int | None = None
    while True:
        rows = conn.execute(log_statement(query, after, page)).all()
        for row in rows:
            yield record_of(row[2:])
        if len(rows) < page:
            return
        after = rows[-1].seq
