"""Time in one representation: integer microseconds since the Unix epoch, UTC.

Integers keep window arithmetic exact and identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from rollback_rate.errors import InvalidOption

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_HOUR = 3_600_000_000
_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([wdhm])\s*$")
_UNIT_HOURS = {"w": 168.0, "d": 24.0, "h": 1.0, "m": 1 / 60}


def to_micros(moment: datetime) -> int:
    """Exact microseconds since the epoch for an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


MIN_MICROS = to_micros(datetime(1, 1, 1, tzinfo=UTC))
MAX_MICROS = to_micros(datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC))


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def iso_utc(micros: int) -> str:
    """ISO 8601 in UTC with a 'Z', seconds precision unless there are fractions."""
    moment = from_micros(micros)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def now_micros() -> int:
    return to_micros(datetime.now(UTC))


def parse_timestamp(text: str, option: str) -> int:
    """An option's timestamp: ISO 8601 with an offset, or a date (midnight UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidOption(
            f"{option} {text!r} is not ISO 8601; use e.g. 2026-01-31T09:00:00Z or 2026-01-31",
            option,
        ) from None
    if moment.tzinfo is None:
        if len(text.strip()) == 10:  # a bare date means that day, UTC
            moment = moment.replace(tzinfo=UTC)
        else:
            raise InvalidOption(f"{option} {text!r} has no UTC offset; add 'Z' or '+00:00'", option)
    return to_micros(moment)


def parse_window(text: str) -> int:
    """A window such as 7d, 36h, 1w or 90m, in microseconds."""
    match = _WINDOW.match(text)
    if not match:
        raise InvalidOption(f"window {text!r} is not understood; use e.g. 7d, 36h, 1w", "window")
    hours = float(match.group(1)) * _UNIT_HOURS[match.group(2)]
    if hours <= 0:
        raise InvalidOption(f"window {text!r} must be longer than zero", "window")
    return round(hours * MICROS_PER_HOUR)


def iso_week(micros: int) -> str:
    year, week, _ = from_micros(micros).isocalendar()
    return f"{year}-W{week:02d}"


def month(micros: int) -> str:
    return from_micros(micros).strftime("%Y-%m")


MICROS_PER_DAY = 86_400_000_000


def periods(micros: int) -> tuple[str, str]:
    """(ISO week, month) of a moment; cached per day because projections ask millions of times."""
    return periods_of_day(micros // MICROS_PER_DAY)


@lru_cache(maxsize=4096)
def periods_of_day(day: int) -> tuple[str, str]:
    """(ISO week, month) of a day since the epoch; hot loops call this cache directly."""
    moment = day * MICROS_PER_DAY
    return iso_week(moment), month(moment)
