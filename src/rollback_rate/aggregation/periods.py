"""Periods in a time zone (`--tz`, issue 13): where local weeks and months begin, in UTC.

The projection stores each deployment's ISO week and month in UTC, which is all a UTC
report needs. A report in another zone groups by local periods instead: this module lists
the instants at which they begin (local midnight of each Monday or each first of the
month, in UTC microseconds, through zoneinfo, so daylight saving is the zone's own) over
the span of the data, and the read model sorts deployments into them in SQL. Pure: no
database.
"""

from __future__ import annotations

import difflib
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from rollback_rate.errors import InvalidOption
from rollback_rate.timeutil import from_micros, parse_timestamp, to_micros

UTC_NAME = "UTC"


def time_zone_names() -> list[str]:
    """Every IANA name this machine's time zone database knows (the tzdata package is a
    dependency, so the list is the same everywhere), for the HTTP schema."""
    return sorted(zoneinfo.available_timezones())


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone `name`; InvalidOption (`tz`) naming the nearest known ones."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    nearest = difflib.get_close_matches(name, time_zone_names(), n=2)
    hint = f" (did you mean {' or '.join(map(repr, nearest))}?)" if nearest else ""
    raise InvalidOption(
        f"tz {name!r} is not an IANA time zone name{hint}; use e.g. Europe/Berlin, "
        "America/New_York or UTC",
        "tz",
    ) from None


def parse_local_timestamp(text: str, option: str, tz: str) -> int:
    """An option's timestamp: ISO 8601 with an offset, or a bare date meaning midnight in
    the zone `tz` (UTC by default)."""
    if tz == UTC_NAME or len(text.strip()) != 10:
        return parse_timestamp(text, option)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return parse_timestamp(text, option)  # its message says what is wrong
    return _midnight(day, zone(tz))


@dataclass(frozen=True)
class LocalPeriods:
    """Consecutive local periods: period i runs from `starts[i]` (UTC microseconds) to
    `starts[i + 1]`, and is named `labels[i]` (`2026-W14`, `2026-04`)."""

    period: str
    starts: tuple[int, ...]
    labels: tuple[str, ...]


def local_periods(period: str, tz: str, first: int, last: int) -> LocalPeriods:
    """The local weeks (ISO, from Monday) or months of zone `tz` from the one holding
    `first` to the one holding `last` (UTC microseconds)."""
    where = zone(tz)
    day = from_micros(first).astimezone(where).date()
    day = date(day.year, day.month, 1) if period == "month" else day - timedelta(day.weekday())
    starts: list[int] = []
    labels: list[str] = []
    while not starts or starts[-1] <= last:
        starts.append(_midnight(day, where))
        labels.append(_label(period, day))
        day = _next(period, day)
    if len(starts) > 1 and starts[-1] > last:  # the loop ran one period past `last`
        starts.pop()
        labels.pop()
    return LocalPeriods(period, tuple(starts), tuple(labels))


def _midnight(day: date, where: zoneinfo.ZoneInfo) -> int:
    # A midnight that a daylight-saving change skips resolves (fold=0) to the moment the
    # day begins, so periods stay contiguous and ordered.
    return to_micros(datetime.combine(day, time(0), tzinfo=where))


def _label(period: str, day: date) -> str:
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _next(period: str, day: date) -> date:
    if period == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(weeks=1)
