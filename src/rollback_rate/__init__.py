"""rollback-rate: measure how often deployed ML models are rolled back, and why.

The library's one entry point is `Ledger`::

    from rollback_rate import Ledger, parse_query

    with Ledger("sqlite:///rollbacks.db") as ledger:
        ledger.record({"type": "deployment", "model": "fraud-scorer", "version": "2.4.0",
                       "timestamp": "2026-03-02T09:00:00Z"})
        report = ledger.report(parse_query(window="7d", as_of=None, by="model"))

The names below are imported on first use (PEP 562), not with the package: the command
line imports `rollback_rate.cli`, and `rollback-rate --help` must not pay for SQLAlchemy,
Pydantic and the rest (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.compiled import prefer_source, pure_requested

if pure_requested():  # before any compiled module is imported (compiled.py)
    prefer_source()

from rollback_rate.errors import (
    DatabaseError,
    DatabaseUnavailable,
    InvalidCursor,
    InvalidEvent,
    InvalidInput,
    InvalidJson,
    InvalidOption,
    InvalidPayload,
    NoWebhookSecret,
    Problem,
    RollbackRateError,
    SignatureMismatch,
    TooManyEvents,
    UnknownSource,
)
from rollback_rate.lazy import lazy_exports, where

if TYPE_CHECKING:
    from rollback_rate.aggregation import (
        AuditPage,
        AuditQuery,
        ExportQuery,
        ReportQuery,
        parse_query,
    )
    from rollback_rate.events import EventRecord, parse_event
    from rollback_rate.ledger import (
        Committed,
        Delivery,
        DeploymentChange,
        ImportResult,
        IngestResult,
        Ledger,
        OrphanChange,
        ReclassifiedChange,
        RollbackChange,
        StreamChange,
    )
    from rollback_rate.metrics import Report, Summary
    from rollback_rate.store import Database

__version__ = "0.1.0"

# Public name -> the module it lives in, imported when the name is first asked for.
_LAZY = {
    **where(
        "rollback_rate.aggregation",
        "AuditPage",
        "AuditQuery",
        "ExportQuery",
        "ReportQuery",
        "parse_query",
    ),
    **where("rollback_rate.events", "EventRecord", "parse_event"),
    **where(
        "rollback_rate.ledger",
        "Committed",
        "Delivery",
        "DeploymentChange",
        "ImportResult",
        "IngestResult",
        "Ledger",
        "OrphanChange",
        "ReclassifiedChange",
        "RollbackChange",
        "StreamChange",
    ),
    **where("rollback_rate.metrics", "Report", "Summary"),
    **where("rollback_rate.store", "Database"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AuditPage",
    "AuditQuery",
    "Committed",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "Delivery",
    "DeploymentChange",
    "EventRecord",
    "ExportQuery",
    "ImportResult",
    "IngestResult",
    "InvalidCursor",
    "InvalidEvent",
    "InvalidInput",
    "InvalidJson",
    "InvalidOption",
    "InvalidPayload",
    "Ledger",
    "NoWebhookSecret",
    "OrphanChange",
    "Problem",
    "ReclassifiedChange",
    "Report",
    "ReportQuery",
    "RollbackChange",
    "RollbackRateError",
    "SignatureMismatch",
    "StreamChange",
    "Summary",
    "TooManyEvents",
    "UnknownSource",
    "__version__",
    "parse_event",
    "parse_query",
]
