"""Canonical events: the contract every source maps to (issue 2)."""

from rollback_rate.events.model import EVENT_TYPES, Event, EventRecord, parse_event
from rollback_rate.events.readers import detect_format, read_events

__all__ = ["EVENT_TYPES", "Event", "EventRecord", "detect_format", "parse_event", "read_events"]
