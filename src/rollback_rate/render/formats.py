"""JSON, CSV, Markdown and terminal-table renderings of one report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import orjson

from rollback_rate.aggregation.periods import zone
from rollback_rate.errors import InvalidOption
from rollback_rate.metrics import Report
from rollback_rate.render import table
from rollback_rate.render.rows import COLUMNS, markdown_cell, money, report_rows
from rollback_rate.render.tables import pretty_json
from rollback_rate.timeutil import from_micros

__all__ = ["FORMATS", "headline", "markdown_cell", "render"]


def render_json(report: Report, width: int | None = None) -> str:
    return pretty_json(report.as_dict())


def render_csv(report: Report, width: int | None = None) -> str:
    """One row per summary; names exactly as stored; `root_causes` as JSON text
    (`[{"cause": ..., "count": ...}]`, largest first) in one cell. Lines end in CRLF
    (RFC 4180), so a name holding a lone carriage return is quoted too."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=COLUMNS, lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow({**row, "root_causes": orjson.dumps(row["root_causes"]).decode()})
    return buffer.getvalue()


def as_of(report: Report) -> str:
    """The report's moment in its time zone (`--tz`), e.g. `2026-03-01 01:00 CET`."""
    moment = from_micros(report.query.as_of).astimezone(zone(report.query.tz))
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def headline(report: Report) -> str:
    """One sentence that never shows a rate without its volume and uncertainty."""
    s = report.overall
    window = f"{report.query.window / 3_600_000_000:g} h window"
    when = f" As of {as_of(report)}."
    if s.rollback_rate is None:
        return (
            f"No settled deployments yet ({s.deployments} deployed, {s.pending} pending, {window})."
            + (
                f" {report.failed_rollbacks.count} rollback(s) FAILED."
                if report.failed_rollbacks.count
                else ""
            )
            + when
        )
    low, high = s.ci95 or (0.0, 0.0)
    failed = report.failed_rollbacks.count
    warning = f" {failed} rollback(s) FAILED: those models could not be restored." if failed else ""
    cost = "" if s.cost is None else (
        f" Estimated cost of those rollbacks: {money(s.cost['currency'], s.cost['total'])}."
    )  # fmt: skip
    return (
        f"Model Rollback Rate {s.rollback_rate:.1f}% ({s.band}; 95% CI {low:.1f}-{high:.1f}%): "
        f"{s.rollbacks} of {s.settled} settled deployments rolled back within the "
        f"{window}; {s.pending} pending, {s.deployments} deployed.{cost}{warning}{when}"
    )


def render_markdown(report: Report, width: int | None = None) -> str:
    return table.render_markdown(report, headline(report))


def render_table(report: Report, width: int | None = None) -> str:
    """The table for a terminal `width` columns wide (None: as wide as it needs)."""
    return table.render_table(report, headline(report), width)


FORMATS: dict[str, Callable[[Report, int | None], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}


def render(report: Report, fmt: str, width: int | None = None) -> str:
    """The report in `fmt`; `width` is the terminal's, for the table."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        known = ", ".join(FORMATS)
        raise InvalidOption(f"format {fmt!r} is not one of {known}", "format") from None
    return renderer(report, width)
