"""Exported source payloads (a file) as located canonical events, ready for ingest.

A malformed payload becomes an invalid event at its position, so `import --format SOURCE`
keeps the import contract: atomic by default, every bad payload listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from rollback_rate.errors import InvalidEvent, InvalidPayload, Problem
from rollback_rate.sources.base import Source, SourceOptions
from rollback_rate.sources.payloads import iter_payloads


@dataclass
class IgnoredTally:
    """Payloads that were valid but irrelevant (a 'pending' status), with their reasons."""

    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str) -> None:
        self.count += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def source_events(
    source: Source, stream: IO[Any], options: SourceOptions, ignored: IgnoredTally
) -> Iterator[tuple[str, Any]]:
    """Yield `(location, canonical event or InvalidEvent)` for every payload in `stream`."""
    payloads = iter_payloads(stream, whole_document=source.whole_document)
    for index, payload in enumerate(payloads, start=1):
        location = f"payload {index}"
        try:
            translation = source.translate(payload, {}, options)
        except InvalidPayload as exc:
            yield location, InvalidEvent([Problem(location, None, str(exc))])
            continue
        if translation.ignored:
            ignored.add(translation.ignored)
            continue
        many = len(translation.events) > 1
        for number, event in enumerate(translation.events, start=1):
            yield (f"{location} event {number}" if many else location), event
