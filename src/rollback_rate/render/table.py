"""The report for people: a terminal table and Markdown that explain themselves (issue 13).

Each table's first column is headed by what its rows are (`team`, `model / environment`,
`month (UTC)`); groups and periods get a table each. Under the tables, a legend says what
settled, pending, late and orphan mean and where the bands begin. A terminal table fits
the width it is given: cells wrap where they have spaces, and when the narrowest layout
is still too wide, whole columns are left out, least needed first (DROP_ORDER), and named
under the table. The rate is never shown without its volume and its interval: those
columns are never dropped. A last table shows what lies beyond the rate (issue 12):
prevented, bad-target and repeat rollbacks, rework, change failures, cost, the change
against the period before and the shrunk rate.

Names and causes are text from outside: shown through `printable` (one line, nothing
that moves text) and, in Markdown, `markdown_cell` (nothing Markdown would interpret).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from rollback_rate.metrics import Report
from rollback_rate.metrics.stats import BANDS
from rollback_rate.render.beyond import band_cell, beyond_cells, beyond_headers, footnote
from rollback_rate.render.rows import hours, markdown_cell, pct, printable, report_rows

# (header, cell of a row, numeric: right-aligned and never wrapped)
COLUMNS: dict[str, tuple[Any, bool]] = {
    "deployed": (lambda r: str(r["deployments"]), True),
    "settled": (lambda r: str(r["settled"]), True),
    "pending": (lambda r: str(r["pending"]), True),
    "rolled back": (lambda r: str(r["rollbacks"]), True),
    "rate": (lambda r: pct(r["rollback_rate"]), True),
    "95% CI": (
        lambda r: "n/a" if r["ci95_low"] is None else f"{r['ci95_low']:.1f}-{r['ci95_high']:.1f}%",
        True,
    ),
    "band": (band_cell, True),
    "automated": (lambda r: pct(r["automated_share"]), True),
    "late": (lambda r: str(r["late_rollbacks"]), True),
    "orphan": (lambda r: str(r["orphan_rollbacks"]), True),
    "median to rollback": (lambda r: hours(r["median_hours_to_rollback"]), True),
    "root causes": (lambda r: _top_causes(r["root_causes"]), False),
}
# Left out first when a table is too wide; the columns not named here always stay.
DROP_ORDER = (
    "root causes",
    "median to rollback",
    "orphan",
    "late",
    "automated",
    "pending",
    "band",
)
UNLIMITED = 1_000  # a table written to a file or pipe is as wide as it needs


def legend() -> str:
    """What the terms mean and where the bands begin, in one sentence."""
    bands, low = [], 0.0
    for name, bound, inclusive in BANDS:
        upper = f"{bound:g}%" if inclusive else f"under {bound:g}%"
        bands.append(f"{name} {f'{low:g}% to ' if low else ''}{upper}")
        low = bound
    bands.append(f"high_risk over {low:g}%")
    return (
        "Settled: its window has closed, or it was rolled back within it. Pending: its "
        "window is still open. Late: rolled back after its window. Orphan: a rollback with "
        f"no counted deployment to roll back. Bands: {', '.join(bands)}."
    )


def sections(report: Report) -> list[tuple[str, list[dict[str, Any]]]]:
    """The tables of a report: (what the rows are, rows). Overall heads the first."""
    rows = list(report_rows(report))
    overall = [row for row in rows if row["scope"] == "overall"]
    groups = [row for row in rows if row["scope"] == "group"]
    periods = [row for row in rows if row["scope"] == "period"]
    query = report.query
    found = []
    if groups or not periods:
        found.append((" / ".join(query.by) or "scope", overall + groups))
    if periods:
        label = f"{'week (ISO)' if query.period == 'week' else query.period} ({query.tz})"
        found.append((label, ([] if groups else overall) + periods))
    return found


def render_table(report: Report, headline: str, width: int | None = None) -> str:
    """The headline, the tables and the legend, fitted to `width` columns (None: as
    wide as the tables need)."""
    shown = list(COLUMNS)
    dropped: list[str] = []
    console = _console(width or UNLIMITED)
    tables = [_table(header, rows, shown) for header, rows in sections(report)]
    while width is not None and _narrowest(console, tables) > width:
        droppable = [name for name in DROP_ORDER if name in shown]
        if not droppable:
            break
        shown.remove(droppable[0])
        dropped.append(droppable[0])
        tables = [_table(header, rows, shown) for header, rows in sections(report)]
    beyond = _beyond_table(list(report_rows(report)))
    if width is None:
        console = _console(max(Measurement.get(console, console.options, t).maximum
                               for t in [*tables, beyond]))  # fmt: skip
    console.print(Text(headline))
    for table in tables:
        console.print()
        console.print(table)
    console.print()
    console.print(beyond)
    console.print()
    if dropped:
        console.print(
            Text(
                f"Not shown at {width} columns: {', '.join(reversed(dropped))}; widen the "
                "terminal, or use --format markdown or json."
            )
        )
    note = footnote(list(report_rows(report)))
    if note:
        console.print(Text(note))
    console.print(Text(legend()))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def render_markdown(report: Report, headline: str) -> str:
    """The headline, one Markdown table per section, and the legend."""
    lines = [headline]
    for header, rows in sections(report):
        names = [header, *COLUMNS]
        lines += ["", "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        for row in rows:
            cells = [_label(row), *(cell(row) for cell, _ in COLUMNS.values())]
            cells[0], cells[-1] = markdown_cell(cells[0]), markdown_cell(cells[-1])
            lines.append("| " + " | ".join(cells) + " |")
    every = list(report_rows(report))
    names = beyond_headers(every)
    lines += ["", "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in every:
        cells = beyond_cells(row, every)
        cells[0] = markdown_cell(cells[0])
        lines.append("| " + " | ".join(cells) + " |")
    note = footnote(every)
    # Escaped, the footnote's leading flag is not read as a list item.
    return "\n".join([*lines, *(["", "\\" + note] if note else []), "", legend()]) + "\n"


def _console(width: int) -> Console:
    return Console(
        file=io.StringIO(), width=width, record=True, force_terminal=False, color_system=None
    )


def _narrowest(console: Console, tables: Sequence[Table]) -> int:
    # Measured without the console's width, which would cap what is measured.
    options = console.options.update_width(UNLIMITED)
    return max(Measurement.get(console, options, table).minimum for table in tables)


def _table(header: str, rows: list[dict[str, Any]], shown: list[str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(header, overflow="fold")
    cells = [[COLUMNS[name][0](row) for name in shown] for row in rows]
    for index, name in enumerate(shown):
        numeric = COLUMNS[name][1]
        # A number is never broken; its header may wrap onto two lines ("rolled / back").
        whole = max((len(line[index]) for line in cells), default=1) if numeric else None
        table.add_column(name, justify="right" if numeric else "left", min_width=whole)
    for row, line in zip(rows, cells, strict=True):
        # Text, not markup: a model named '[red]x' must print as written.
        table.add_row(
            Text(_label(row)),
            *(Text(cell) for cell in line),
            style="bold" if row["scope"] == "overall" else None,
        )
    return table


def _beyond_table(rows: list[dict[str, Any]]) -> Table:
    """What lies beyond the rate, a row per row of the tables above."""
    headers = beyond_headers(rows)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("beyond the rate", overflow="fold")
    for name in headers[1:]:
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*(Text(cell) for cell in beyond_cells(row, rows)),
                      style="bold" if row["scope"] == "overall" else None)  # fmt: skip
    return table


def _label(row: dict[str, Any]) -> str:
    return printable(str(row["label"]))


def _top_causes(causes: list[dict[str, Any]], top: int = 3) -> str:
    parts = [f"{printable(str(c['cause']))} {c['count']}" for c in causes]
    more = f", +{len(parts) - top} more" if len(parts) > top else ""
    return (", ".join(parts[:top]) + more) or "-"
