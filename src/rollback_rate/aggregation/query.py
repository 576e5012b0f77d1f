"""What a report asks for, independent of how it is rendered."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rollback_rate.errors import InvalidOption
from rollback_rate.timeutil import iso_utc, now_micros, parse_timestamp, parse_window

DIMENSIONS = ("model", "environment", "team")
PERIODS = ("week", "month")
ORDERS = ("name", "rate", "shrunk")  # how groups are listed


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

    def __post_init__(self) -> None:
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
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidOption("since is after until; swap them", "since")

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
        if self.since is None:
            return None
        end = self.until if self.until is not None else self.as_of
        length = end - self.since + 1
        return replace(self, by=(), period=None, since=self.since - length,
                       until=self.since - 1)  # fmt: skip


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
) -> ReportQuery:
    """Option text (CLI flags, HTTP query parameters) to a query; one parser for both."""
    return ReportQuery(
        as_of=parse_timestamp(as_of, "as_of") if as_of else now_micros(),
        window=parse_window(window),
        by=tuple(part.strip() for part in by.split(",") if part.strip()) if by else (),
        period=period,
        model=model,
        environment=environment,
        team=team,
        since=parse_timestamp(since, "since") if since else None,
        until=parse_timestamp(until, "until") if until else None,
        order=order,
        repeat_within=repeat_within,
    )
