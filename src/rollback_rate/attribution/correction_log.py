"""A stream's corrections read from the log: what a replay, and readers that replay
(`history`, `testscore`), resolve voids and amends from.

Apart from the projection so that a read needs only this query and the pure rules, not
the projection's writer (issue 13).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from rollback_rate.attribution.corrections import Correction, Corrections, resolve
from rollback_rate.events.model import CORRECTIONS
from rollback_rate.store.schema import events


def read_corrections(conn: Connection, stream_ids: list[int]) -> dict[int, Corrections]:
    """Each stream's voids and amends, resolved (every stream asked about gets one, most
    of them empty): for a replay, and for readers that replay (`history`)."""
    target = events.alias("target_event")
    found: dict[int, list[Correction]] = {sid: [] for sid in stream_ids}
    rows = conn.execute(
        select(events.c.stream_id, events.c.seq, events.c.type, events.c.ts, target.c.seq,
               events.c.cause, events.c.automated)
        .select_from(events.outerjoin(target, target.c.event_id == events.c.target))
        .where(events.c.stream_id.in_(stream_ids), events.c.type.in_(CORRECTIONS))
    )  # fmt: skip
    for stream_id, seq, kind, ts, target_seq, cause, automated in rows:
        found[stream_id].append(Correction(seq, kind, ts, target_seq, cause, automated))
    return {stream_id: resolve(listed) for stream_id, listed in found.items()}
