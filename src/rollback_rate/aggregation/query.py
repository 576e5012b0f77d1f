"""What a report asks for, independent of how it is rendered."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import permutations
from typing import Any

from rollback_rate.aggregation.periods import UTC_NAME, parse_local_timestamp, zone
from rollback_rate.errors import InvalidOption
from rollback_rate.timeutil import MIN_MICROS, iso_utc, now_micros, parse_window

DIMENSIONS = ("model", "environment", "team")
PERIODS = ("week", "month")
ORDERS = ("name", "rate", "shrunk")  # how groups are listed
# `by`: one to three distinct dimensions, comma-separated, nothing else (the OpenAPI
# schema carries this very pattern; issue 9).
BY_PATTERN = (
    "^("
    + "|".join(",".join(names) for size in (1, 2, 3) for names in permutations(DIMENSIONS, size))
    + ")$"
)
# A name filter: what the event contract accepts as a name (1 to 200 characters, no NUL).
NAME_PATTERN = "^[^\\x00]+$"
NAME_MAX = 200


@dataclass(frozen=True)
class ReportQuery:
    """A report's options; times and the window in UTC microseconds."""

    as_of: int
    window: int
    by: tuple[str, ...] = ()
    period: str | None = None
    model: str | None = None
    environment: str | None = None
    team: str | None = None
    since: int | None = None
    until: int | None = None
    repeat_within: int = 3  # counted deployments: a rollback this soon after one repeats
    order: str = "name"
    # IANA zone of the period boundaries and displayed times; stored periods are UTC.
    tz: str = UTC_NAME

    def __post_init__(self) -> None:
        zone(self.tz)
        unknown = [name for name in self.by if name not in DIMENSIONS]
        if unknown:
            raise InvalidOption(
                f"by {', '.join(map(repr, unknown))} is not one of {', '.join(DIMENSIONS)}", "by"
            )
        if len(set(self.by)) != len(self.by):
            raise InvalidOption("by names a dimension twice", "by")
        if self.period is not None and self.period not in PERIODS:
            raise InvalidOption(
                f"period {self.period!r} is not one of {', '.join(PERIODS)}", "period"
            )
        if self.window <= 0:
            raise InvalidOption("window must be longer than zero", "window")
        if self.order not in ORDERS:
            raise InvalidOption(f"order {self.order!r} is not one of {', '.join(ORDERS)}", "order")
        for option in ("model", "environment", "team"):
            check_name(getattr(self, option), option)

    def echo(self, *names: str) -> dict[str, Any]:
        """The named options as a JSON document's `filters` echo them: times in ISO 8601
        UTC, `by` as a list."""
        echoed: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            if name in ("since", "until") and value is not None:
                value = iso_utc(value)
            echoed[name] = list(value) if name == "by" else value
        return echoed

    def previous(self) -> ReportQuery | None:
        """The period of equal length just before [since, until or as_of] (None without
        since): what the overall rate is compared with."""
        end = self.until if self.until is not None else self.as_of
        if self.since is None or self.since > end:
            return None  # no since, or nothing to compare (a since after as_of)
        length = end - self.since + 1
        if self.since - length < MIN_MICROS:
            return None  # a period that long before would start before year 1
        return replace(self, by=(), period=None, since=self.since - length,
                       until=self.since - 1)  # fmt: skip


def check_name(value: str | None, option: str) -> None:
    """A name filter the database can compare: 1 to 200 characters, no NUL."""
    if value is None:
        return
    if not 1 <= len(value) <= NAME_MAX or "\x00" in value:
        raise InvalidOption(
            f"{option} {value[:40]!r} is not a name: 1 to {NAME_MAX} characters, no NUL", option
        )


def parse_by(text: str) -> tuple[str, ...]:
    """`model`, `model,team`: distinct dimensions, comma-separated, no spaces."""
    parts = tuple(text.split(","))
    unknown = [part for part in parts if part not in DIMENSIONS]
    if unknown:
        raise InvalidOption(
            f"by {', '.join(map(repr, unknown))} is not one of {', '.join(DIMENSIONS)} "
            "(comma-separated, e.g. model,team)",
            "by",
        )
    return parts


def parse_query(
    *,
    window: str,
    as_of: str | None,
    by: str | None = None,
    period: str | None = None,
    model: str | None = None,
    environment: str | None = None,
    team: str | None = None,
    since: str | None = None,
    until: str | None = None,
    order: str = "name",
    repeat_within: int = 3,
    tz: str | None = None,
) -> ReportQuery:
    """Option text (CLI flags, HTTP query parameters) to a query; one parser for both.
    A bare date (`2026-03-01`) is midnight in `tz` (default UTC)."""
    zone_name = tz if tz is not None else UTC_NAME
    zone(zone_name)  # an unknown zone is named before the times it would read

    def moment(text: str, option: str) -> int:
        return parse_local_timestamp(text, option, zone_name)

    return ReportQuery(
        as_of=moment(as_of, "as_of") if as_of is not None else now_micros(),
        window=parse_window(window),
        by=parse_by(by) if by is not None else (),
        period=period,
        model=model,
        environment=environment,
        team=team,
        since=moment(since, "since") if since is not None else None,
        until=moment(until, "until") if until is not None else None,
        order=order,
        repeat_within=repeat_within,
        tz=zone_name,
    )
