"""Which version each stream holds live, read from the attribution state.

Reconcilers (``sync mlflow``) compare an external system's idea of "what is deployed now"
with ours.  Ours is the top of each stream's stack in ``streams.stack``: the projection
already keeps it up to date inside every ingest transaction, so reading it is one cheap
query and needs no replay of the event log.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from sqlalchemy import Connection, select

from rollback_rate.store.schema import streams


def live_versions(
    conn: Connection, models: Iterable[str] | None = None
) -> dict[tuple[str, str], str | None]:
    """Map ``(model, environment)`` to the live version, for every known stream.

    ``models`` limits the answer to those model names (None: all).  A stream whose stack
    is empty (only rollbacks were ever recorded, or everything was rolled back) maps to
    None rather than being left out, so a caller can tell "known stream, nothing live"
    from "never heard of it".
    """
    query = select(streams.c.model, streams.c.environment, streams.c.stack)
    if models is not None:
        wanted = sorted(set(models))
        if not wanted:
            return {}
        query = query.where(streams.c.model.in_(wanted))
    result: dict[tuple[str, str], str | None] = {}
    for model, environment, stack in conn.execute(query):
        entries = orjson.loads(stack) if stack else []
        result[(model, environment)] = str(entries[-1][0]) if entries else None
    return result
