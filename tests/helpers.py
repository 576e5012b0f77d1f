"""Builders of test data: canonical event dicts and a one-call report."""

from __future__ import annotations

from typing import Any

from rollback_rate import build_report, parse_query, record_events
from rollback_rate.store import Database

DAY = "T09:00:00Z"


def deploy(model: str, version: str, timestamp: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "deployment",
        "model": model,
        "version": version,
        "timestamp": timestamp,
        **extra,
    }


def rollback(model: str, timestamp: str, **extra: Any) -> dict[str, Any]:
    return {"type": "rollback", "model": model, "timestamp": timestamp, **extra}


def load(database: Database, events: list[dict[str, Any]]) -> None:
    record_events(database, [(f"event {i}", e) for i, e in enumerate(events)])


def overall(database: Database, as_of: str, window: str = "7d", **options: Any) -> dict[str, Any]:
    query = parse_query(window=window, as_of=as_of, **options)
    return build_report(database, query).as_dict()["overall"]


def report(database: Database, as_of: str, window: str = "7d", **options: Any) -> dict[str, Any]:
    return build_report(database, parse_query(window=window, as_of=as_of, **options)).as_dict()
