"""Time in one representation: integer microseconds since the Unix epoch, UTC.

Integers keep window arithmetic exact and identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import lru_cache

from rollback_rate.errors import InvalidOption

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_HOUR = 3_600_000_000


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


# Option times (as_of, since, until): a date (midnight UTC) or an RFC 3339 date-time. On
# the first day of year 1 a positive offset, and on the last day of year 9999 a negative
# one, could leave the calendar once converted to UTC: those are refused (write them in
# UTC). The OpenAPI schema carries this very pattern (issue 9: schema and behaviour agree).
_SHAPE = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
)
_EDGES = r"(?!0001-01-01[Tt][^+]*[+](?!00:00$))(?!9999-12-31[Tt][^-]*-(?!00:00$))"
TIMESTAMP_PATTERN = "^" + _EDGES + _SHAPE
# The same, a date-time only (an event's timestamp has a time and an offset).
DATETIME_PATTERN = "^" + _EDGES + _SHAPE.replace(")?$", ")$")
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)
_RFC3339 = re.compile("^" + _SHAPE)
_LOCAL_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?$"
)


def parse_timestamp(text: str, option: str) -> int:
    """An option's timestamp: an RFC 3339 date-time (with an offset) or a date
    (midnight UTC), within years 1 to 9999 in UTC."""
    if _TIMESTAMP.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            moment = None
        if moment is not None:
            return to_micros(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    elif _LOCAL_TIME.fullmatch(text):
        raise InvalidOption(f"{option} {text!r} has no UTC offset; add 'Z' or '+00:00'", option)
    elif _RFC3339.fullmatch(text):  # the shape is right: only the calendar's edge is not
        raise InvalidOption(
            f"{option} {text!r} is at the edge of the calendar; on {text[:10]} write the "
            "time in UTC, with 'Z', so that it stays within years 1 to 9999",
            option,
        )
    raise InvalidOption(
        f"{option} {text!r} is not an RFC 3339 time or a date; use e.g. "
        "2026-01-31T09:00:00Z or 2026-01-31",
        option,
    )


# A window: a number of minutes, hours, days or weeks; at most 7 digits before the point
# and 6 after, and not zero, so that every window is at least a microsecond and any time
# plus or minus any window stays within 64-bit microseconds. The OpenAPI schema carries
# this very pattern.
WINDOW_PATTERN = (
    "^(0*[1-9][0-9]{0,6}([.][0-9]{1,6})?"
    "|0*[.]([1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}"
    "|0000[1-9][0-9]?|00000[1-9]))[wdhm]$"
)
_WINDOW = re.compile(WINDOW_PATTERN)
_NUMBER_AND_UNIT = re.compile(r"^([0-9]*[.]?[0-9]*)([wdhm])$")
_UNIT_MICROS = {"w": 168 * MICROS_PER_HOUR, "d": 24 * MICROS_PER_HOUR, "h": MICROS_PER_HOUR,
                "m": MICROS_PER_HOUR // 60}  # fmt: skip


def parse_window(text: str) -> int:
    """A window such as 7d, 36h, 1w or 90m, in microseconds."""
    if _WINDOW.fullmatch(text):
        number, unit = text[:-1], text[-1]
        return round(Fraction(number) * _UNIT_MICROS[unit])
    lax = _NUMBER_AND_UNIT.fullmatch(text)
    if lax and lax.group(1) not in ("", "."):
        if not lax.group(1).strip("0."):
            raise InvalidOption(f"window {text!r} must be longer than zero", "window")
        raise InvalidOption(
            f"window {text!r} is out of range: at most 7 digits before the point and 6 after "
            "(e.g. 9999999d, 0.5h)",
            "window",
        )
    raise InvalidOption(f"window {text!r} is not understood; use e.g. 7d, 36h, 1w", "window")


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
