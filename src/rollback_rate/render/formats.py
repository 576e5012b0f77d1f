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
from rollback_rate.render.beyond import band_cell, beyond_cells, beyond_headers, footnote
from rollback_rate.render.rows import COLUMNS, hours, money, pct, printable, report_rows


def render_json(report: Report) -> str:
    return orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"


def render_csv(report: Report) -> str:
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


def _cells(row: dict[str, Any]) -> list[str]:
    ci = "n/a" if row["ci95_low"] is None else f"{row['ci95_low']:.1f}-{row['ci95_high']:.1f}%"
    return [
        printable(str(row["label"])),
        str(row["deployments"]),
        str(row["settled"]),
        str(row["pending"]),
        str(row["rollbacks"]),
        pct(row["rollback_rate"]),
        ci,
        band_cell(row),
        pct(row["automated_share"]),
        str(row["late_rollbacks"]),
        str(row["orphan_rollbacks"]),
        hours(row["median_hours_to_rollback"]),
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


def _tables(rows: list[dict[str, Any]]) -> list[tuple[list[str], Callable[[Any], list[str]]]]:
    """(headers, cells of a row) of each table: the rate, then what lies beyond it."""
    return [(HEADERS, _cells), (beyond_headers(rows), lambda row: beyond_cells(row, rows))]


# Markdown (GFM) gives these meaning in a table cell: a backslash escapes each of them,
# so names read as written, never as a column break, emphasis, code, a link or HTML.
_MARKDOWN_SPECIAL = re.compile(r"([\\|`*_\[\]<>&~])")


def markdown_cell(text: str) -> str:
    """A table cell's text as literal Markdown: one line (see `printable`), with every
    character Markdown would interpret backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: Report) -> str:
    rows = list(report_rows(report))
    lines = [headline(report)]
    for index, (headers, cells) in enumerate(_tables(rows)):
        lines += ["", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for row in rows:
            shown = cells(row)
            # Names and causes are text from outside; the rest is ours and stays readable.
            outside = (0, len(shown) - 1) if index == 0 else (0,)
            for at in outside:
                shown[at] = markdown_cell(shown[at])
            lines.append("| " + " | ".join(shown) + " |")
    note = footnote(rows)
    # Escaped, the footnote's leading flag is not read as a list item.
    return "\n".join([*lines, *(["", "\\" + note] if note else [])]) + "\n"


def render_table(report: Report) -> str:
    rows = list(report_rows(report))
    console = Console(file=io.StringIO(), width=200, record=True, force_terminal=False)
    tables = _tables(rows)
    for index, (headers, cells) in enumerate(tables):
        note = footnote(rows) if index == len(tables) - 1 else None
        table = Table(*headers, title=None if index else headline(report), title_justify="left",
                      caption=Text(note) if note else None, caption_justify="left")  # fmt: skip
        for row in rows:
            # Text, not markup: a model named '[red]x' must print as written.
            table.add_row(
                *(Text(cell) for cell in cells(row)),
                style="bold" if row["scope"] == "overall" else None,
            )
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
