"""Histories for the fault tests: many streams, rollbacks, a share out of time order.

Every event has an id, so a test can tell which were acknowledged and which stored.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from rollback_rate import Ledger, parse_query
from rollback_rate.timeutil import iso_utc

START = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000_000
AS_OF = "2026-12-31T00:00:00Z"
CAUSES = ("data_drift", "latency", "data_schema_change", "odd:cause;slug")


def history(
    count: int, streams: int = 40, seed: int = 1, late: float = 0.05
) -> list[dict[str, Any]]:
    """`count` events over `streams` streams, ~10% rollbacks (with and without a version),
    redeploys of older versions (inferred rollbacks), and a share `late` moved later in
    the list than their time (arrivals from the past)."""
    rng = random.Random(seed)
    versions = [0] * streams
    t = START
    events: list[dict[str, Any]] = []
    for n in range(count):
        t += rng.randint(1, 3) * MINUTE
        stream = rng.randrange(streams)
        base = {
            "id": f"h{seed}-{n}",
            "model": f"model-{stream // 2:03d}",
            "environment": ("staging", "production")[stream % 2],
            "timestamp": iso_utc(t),
        }
        roll = rng.random()
        if roll < 0.07 and versions[stream]:
            event = {**base, "type": "rollback", "automated": rng.random() < 0.5,
                     "cause": rng.choice(CAUSES)}  # fmt: skip
        elif roll < 0.10 and versions[stream] > 2:
            older = rng.randint(1, versions[stream] - 1)
            event = {**base, "type": "deployment", "version": f"v{older}"}
        else:
            versions[stream] += 1
            event = {**base, "type": "deployment", "version": f"v{versions[stream]}",
                     "team": f"team-{stream % 7}"}  # fmt: skip
        events.append(event)
    for _ in range(int(count * late)):  # some arrive after later events: replays
        source = rng.randrange(len(events))
        events.insert(rng.randrange(source, len(events)), events.pop(source))
    return events


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
    return path


def full_report(url: str) -> dict[str, Any]:
    """The JSON report by model and team, per month, as of the end of the history."""
    query = parse_query(window="7d", as_of=AS_OF, by="model,team", period="month")
    with Ledger(url, group_commit=False) as ledger:
        return ledger.report(query).as_dict()


def stored_counts(url: str) -> dict[str, int]:
    """Rows of every table of the log and the projection (tests may read the store)."""
    from rollback_rate.store import open_database

    database = open_database(url)
    try:
        with database.snapshot() as conn:
            return {
                table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("events", "streams", "deployments", "orphan_rollbacks")
            }
    finally:
        database.dispose()
