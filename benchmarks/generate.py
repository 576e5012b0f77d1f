"""Synthetic event files for benchmarks: many streams, ~7% rollbacks, in time order."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from rollback_rate.timeutil import iso_utc

START = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
MINUTE = 60_000_000


def write_events(
    path: Path, count: int, models: int = 500, seed: int = 1, start: int = START, prefix: str = ""
) -> Path:
    """Write `count` canonical events as JSONL; streams are model x {staging, production}.

    Events are one or two minutes apart from `start`; `prefix` keeps the ids and versions
    of a second file apart from the first's (a later batch into the same database)."""
    rng = random.Random(seed)
    versions = [0] * (models * 2)
    t = start
    with path.open("wb") as out:
        for i in range(count):
            t += rng.randint(1, 2) * MINUTE
            stream = rng.randrange(models * 2)
            model, environment = f"model-{stream // 2:04d}", ("staging", "production")[stream % 2]
            if rng.random() < 0.07 and versions[stream]:
                event = {
                    "type": "rollback",
                    "model": model,
                    "environment": environment,
                    "timestamp": iso_utc(t),
                    "automated": rng.random() < 0.6,
                    "cause": rng.choice(("data_drift", "latency", "data_schema_change")),
                }
            else:
                versions[stream] += 1
                event = {
                    "type": "deployment",
                    "model": model,
                    "environment": environment,
                    "version": f"{prefix}v{versions[stream]}",
                    "timestamp": iso_utc(t),
                    "team": f"team-{stream % 17}",
                    "id": f"bench-{prefix}{i}",
                }
            out.write(orjson.dumps(event) + b"\n")
    return path


def after(count: int) -> int:
    """A start later than every event of a file of `count` events from START."""
    return START + (count * 2 + 1) * MINUTE
