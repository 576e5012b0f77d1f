"""JSON, CSV, Markdown and terminal-table renderings of one report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rollback_rate.errors import InvalidOption
from rollback_rate.metrics import Report
from rollback_rate.render.rows import columns, hours, money, pct, printable, report_rows


def render_json(report: Report) -> str:
    return orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"


def render_csv(report: Report) -> str:
    """One row per summary; names exactly as stored; `root_causes` as JSON text
    (`[{"cause": ..., "count": ...}]`, largest first) in one cell. Lines end in CRLF
    (RFC 4180), so a name holding a lone carriage return is quoted too."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns(report), lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow({**row, "root_causes": orjson.dumps(row["root_causes"]).decode()})
    return buffer.getvalue()


def _cells(row: dict[str, Any], costed: bool) -> list[str]:
    ci = "n/a" if row["ci95_low"] is None else f"{row['ci95_low']:.1f}-{row['ci95_high']:.1f}%"
    cost = [money(row["cost_currency"], row["cost_total"])] if costed else []
    return [
        printable(str(row["label"])),
        str(row["deployments"]),
        str(row["settled"]),
        str(row["pending"]),
        str(row["rollbacks"]),
        pct(row["rollback_rate"]),
        ci,
        str(row["band"] or "n/a"),
        pct(row["automated_share"]),
        str(row["late_rollbacks"]),
        str(row["orphan_rollbacks"]),
        hours(row["median_hours_to_rollback"]),
        *cost,
        _top_causes(row["root_causes"]),
    ]


def _top_causes(causes: list[dict[str, Any]], top: int = 3) -> str:
    parts = [f"{printable(str(c['cause']))} {c['count']}" for c in causes]
    more = f", +{len(parts) - top} more" if len(parts) > top else ""
    return (", ".join(parts[:top]) + more) or "-"


HEADERS = [
    "",
    "deployed",
    "settled",
    "pending",
    "rolled back",
    "rate",
    "95% CI",
    "band",
    "automated",
    "late",
    "orphan",
    "median to rollback",
    "root causes",
]
COST_HEADER = "est. cost"  # before root causes, with a cost model only


def _headers(report: Report) -> list[str]:
    if report.overall.cost is None:
        return HEADERS
    return [*HEADERS[:-1], COST_HEADER, HEADERS[-1]]


def headline(report: Report) -> str:
    """One sentence that never shows a rate without its volume and uncertainty."""
    s = report.overall
    window = f"{report.query.window / 3_600_000_000:g} h window"
    if s.rollback_rate is None:
        return (
            f"No settled deployments yet ({s.deployments} deployed, {s.pending} pending, {window})."
            + (
                f" {report.failed_rollbacks.count} rollback(s) FAILED."
                if report.failed_rollbacks.count
                else ""
            )
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
        f"{window}; {s.pending} pending, {s.deployments} deployed.{cost}{warning}"
    )


# Markdown (GFM) gives these meaning in a table cell: a backslash escapes each of them,
# so names read as written, never as a column break, emphasis, code, a link or HTML.
_MARKDOWN_SPECIAL = re.compile(r"([\\|`*_\[\]<>&~])")


def markdown_cell(text: str) -> str:
    """A table cell's text as literal Markdown: one line (see `printable`), with every
    character Markdown would interpret backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: Report) -> str:
    headers = _headers(report)
    lines = [headline(report), "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in report_rows(report):
        cells = _cells(row, len(headers) > len(HEADERS))  # names, causes: text from outside
        cells[0], cells[-1] = markdown_cell(cells[0]), markdown_cell(cells[-1])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_table(report: Report) -> str:
    headers = _headers(report)
    table = Table(*headers, title=headline(report), title_justify="left")
    for row in report_rows(report):
        # Text, not markup: a model named '[red]x' must print as written.
        table.add_row(
            *(Text(cell) for cell in _cells(row, len(headers) > len(HEADERS))),
            style="bold" if row["scope"] == "overall" else None,
        )
    console = Console(file=io.StringIO(), width=200, record=True, force_terminal=False)
    console.print(table)
    return console.export_text()


FORMATS: dict[str, Callable[[Report], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}


def render(report: Report, fmt: str) -> str:
    try:
        return FORMATS[fmt](report)
    except KeyError:
        raise InvalidOption(f"format {fmt!r} is not one of {', '.join(FORMATS)}") from None
