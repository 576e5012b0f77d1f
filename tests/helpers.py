"""Builders of test data: canonical event dicts, loading them, and a one-call report."""

from __future__ import annotations

from typing import Any

from rollback_rate import Ledger, parse_query
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


def located(events: list[Any], prefix: str = "event {}") -> list[tuple[str, Any]]:
    return [(prefix.format(i), e) for i, e in enumerate(events)]


def ledger_of(database: Database | Ledger) -> Ledger:
    """A ledger over a test database (the ledger leaves a given database open)."""
    return database if isinstance(database, Ledger) else Ledger(database, group_commit=False)


def clear_history(database: Database) -> None:
    """Empty the log and the projection: a clean slate for each example of a property."""
    with database.begin() as conn:
        for table in ("deployments", "deployment_counts", "orphan_rollbacks", "events",
                      "stream_stacks", "streams"):  # fmt: skip
            conn.exec_driver_sql(f"DELETE FROM {table}")


def load(database: Database | Ledger, events: list[dict[str, Any]]) -> None:
    ledger_of(database).record_stream(located(events))


def overall(
    database: Database | Ledger, as_of: str, window: str = "7d", **options: Any
) -> dict[str, Any]:
    return report(database, as_of, window, **options)["overall"]


def report(
    database: Database | Ledger, as_of: str, window: str = "7d", **options: Any
) -> dict[str, Any]:
    query = parse_query(window=window, as_of=as_of, **options)
    return ledger_of(database).report(query).as_dict()
