"""Table, JSON, CSV and Markdown renderings of rollback readiness (`rollback-rate readiness`).

Each renders `ReadinessReport.as_dict()`: the renderers compute nothing it does not hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rollback_rate.metrics import ReadinessReport
from rollback_rate.render.tables import dispatch, pretty_json

HEADERS = [
    *("model", "environment", "team", "verdict", "live", "rollback target", "target artefact"),
    *("digest", "last exercised", "median to rollback", "reasons"),
]
CSV_COLUMNS = (
    "model", "environment", "team", "verdict", "reasons", "live_version", "live_event_id",
    "target_version", "target_event_id", "target_artifact", "target_digest",
    "last_exercised", "days_since_exercised", "median_hours_to_rollback",
)  # fmt: skip


def render_readiness(report: ReadinessReport, fmt: str) -> str:
    """The readiness report in `fmt`: table, json, csv or markdown."""
    return dispatch(_FORMATS, report.as_dict(), fmt)


def headline(data: dict[str, Any]) -> str:
    """How many live streams, and how many of each verdict."""
    counts = data["counts"]
    total = sum(counts.values())
    verdicts = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    return (
        f"Rollback readiness of {total} live stream{'' if total == 1 else 's'} as of "
        f"{data['as_of']}: {verdicts} (exercised within "
        f"{data['max_days_since_exercised']:g} days counts as exercised)."
    )


def _csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n",
                            extrasaction="ignore")  # fmt: skip
    writer.writeheader()
    for stream in data["streams"]:
        writer.writerow({**stream, "reasons": ";".join(r["code"] for r in stream["reasons"])})
    return buffer.getvalue()


def _markdown(data: dict[str, Any]) -> str:
    lines = [headline(data), "", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for stream in data["streams"]:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(stream)) + " |")
    lines += ["", *_reasons(data, "- ")]
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(data: dict[str, Any]) -> str:
    table = Table(title=headline(data), title_justify="left")
    for header in HEADERS:  # fold, not cut: an artefact URI is one long word
        table.add_column(header, overflow="fold")
    for stream in data["streams"]:
        table.add_row(*(Text(cell) for cell in _cells(stream)))
    console = Console(file=io.StringIO(), width=200, record=True, force_terminal=False)
    console.print(table)
    for line in _reasons(data, ""):
        console.print(Text(line))
    return console.export_text()


def _cells(stream: dict[str, Any]) -> list[str]:
    days, median = stream["days_since_exercised"], stream["median_hours_to_rollback"]
    return [
        stream["model"],
        stream["environment"],
        stream["team"] or "-",
        stream["verdict"],
        stream["live_version"] or "-",
        stream["target_version"] or "-",
        stream["target_artifact"] or "-",
        "yes" if stream["target_digest"] else "no",
        "never" if days is None else f"{days:.0f} days ago",
        "n/a" if median is None else f"{median:.1f} h",
        ", ".join(r["code"] for r in stream["reasons"]) or "-",
    ]


def _reasons(data: dict[str, Any], bullet: str) -> list[str]:
    return [
        f"{bullet}{stream['model']} / {stream['environment']} ({stream['verdict']}): {r['text']}"
        for stream in data["streams"]
        for r in stream["reasons"]
    ]


_FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "table": _table,
    "json": pretty_json,
    "csv": _csv,
    "markdown": _markdown,
}
