"""The events of one stream up to a moment, and just after it: what `history` replays."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from rollback_rate.attribution.correction_log import read_corrections
from rollback_rate.attribution.corrections import Corrections
from rollback_rate.attribution.moment import LoggedEvent
from rollback_rate.attribution.stack import StreamEvent
from rollback_rate.events.model import CORRECTIONS
from rollback_rate.store.schema import events, streams

_COLUMNS = (*(events.c[name] for name in StreamEvent._fields), events.c.event_id,
            events.c.actor, events.c.note, events.c.attributes)  # fmt: skip


@dataclass(frozen=True)
class StreamHistory:
    """A stream's events in its order (timestamp, then arrival), corrections left out:
    every one at or before the moment, and enough after it to show `after` of them
    whatever the corrections void; and the corrections, resolved."""

    events: list[LoggedEvent]
    corrections: Corrections


def stream_history(
    conn: Connection, model: str, environment: str, at: int, after: int
) -> StreamHistory | None:
    """The history of the stream (model, environment) around `at`; None when there is no
    such stream."""

    stream_id = conn.execute(
        select(streams.c.id).where(streams.c.model == model, streams.c.environment == environment)
    ).scalar()
    if stream_id is None:
        return None
    corrections = read_corrections(conn, [stream_id])[stream_id]
    # Voided events after the moment are skipped, so read as many more.
    later = after + len(corrections.voided)
    query = select(*_COLUMNS).where(
        events.c.stream_id == stream_id, events.c.type.not_in(CORRECTIONS)
    )
    order = (events.c.ts, events.c.seq)
    rows = [
        *conn.execute(query.where(events.c.ts <= at).order_by(*order)),
        *conn.execute(query.where(events.c.ts > at).order_by(*order).limit(later)),
    ]
    width = len(StreamEvent._fields)
    logged = [LoggedEvent(StreamEvent._make(row[:width]), *row[width:]) for row in rows]
    return StreamHistory(logged, corrections)


def environments_of(conn: Connection, model: str) -> list[str]:
    """The environments `model` has events in, by name."""
    query = select(streams.c.environment).where(streams.c.model == model)
    return sorted(conn.execute(query).scalars())
