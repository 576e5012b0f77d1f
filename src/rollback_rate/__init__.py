"""rollback-rate: measure how often deployed ML models are rolled back, and why."""

from rollback_rate.aggregation import ReportQuery, parse_query
from rollback_rate.errors import (
    DatabaseUnavailable,
    InvalidEvent,
    InvalidInput,
    InvalidOption,
    InvalidPayload,
    Problem,
    RollbackRateError,
    SignatureMismatch,
    UnknownSource,
)
from rollback_rate.events import Event, EventRecord, parse_event
from rollback_rate.ingest import IngestResult, record_event, record_events
from rollback_rate.metrics import Report, Summary, build_report
from rollback_rate.store import Database, open_database

__version__ = "0.1.0"

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "Event",
    "EventRecord",
    "IngestResult",
    "InvalidEvent",
    "InvalidInput",
    "InvalidOption",
    "InvalidPayload",
    "Problem",
    "Report",
    "ReportQuery",
    "RollbackRateError",
    "SignatureMismatch",
    "Summary",
    "UnknownSource",
    "__version__",
    "build_report",
    "open_database",
    "parse_event",
    "parse_query",
    "record_event",
    "record_events",
]
