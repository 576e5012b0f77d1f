"""A report flattened to rows: the shared shape of the CSV, Markdown and table renderers.

Rows keep every value as data: names as given, root causes as a list of
`{"cause", "count"}` (never flattened into a text that would have to be parsed back, so a
cause holding `:` or `;` survives; issue 8). Renderers for people show names through
`printable`, so no name can break a line or turn text around (issue 9).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from rollback_rate.metrics import Report, Summary

KEY_COLUMNS = ("scope", "model", "environment", "team", "period")
METRIC_COLUMNS = (
    "deployments",
    "settled",
    "pending",
    "rollbacks",
    "rollback_rate",
    "ci95_low",
    "ci95_high",
    "band",
    "automated_rollbacks",
    "automated_share",
    "late_rollbacks",
    "orphan_rollbacks",
    "median_hours_to_rollback",
    "root_causes",
)
# What the summary holds beyond the rate (issue 12), cost and change flattened, and a
# group's shrunk estimate. Always present, so a CSV's header does not depend on the
# config or the query: a cell is empty where a row has no such figure (no cost model,
# no period before, not a group).
BEYOND_COLUMNS = (
    "sufficient",
    "prevented_rollbacks",
    "rollback_rate_excluding_prevented",
    "bad_target_rollbacks",
    "repeat_rollbacks",
    "repeat_share",
    "unplanned_deployments",
    "rework_rate",
    "change_failures",
    "change_failure_rate",
    "cost_currency",
    "cost_total",
    "cost_degraded",
    "cost_triage",
    "cost_fixed",
    "change_previous",
    "change_previous_rate",
    "change_pp",
    "change_p_value",
    "change_significant",
    "shrunk_rate",
    "shrunk_ci95_low",
    "shrunk_ci95_high",
)
COLUMNS = KEY_COLUMNS + METRIC_COLUMNS + BEYOND_COLUMNS


def report_rows(report: Report) -> Iterator[dict[str, Any]]:
    """Overall first, then each group, then each period; `label` names the row for people."""
    yield _row({"scope": "overall"}, report.overall, "overall")
    for (key, summary), shrunk in zip(report.groups, report.shrunk, strict=True):
        name = " / ".join("(none)" if value is None else str(value) for value in key.values())
        low, high = shrunk.ci95
        yield _row({"scope": "group", **key}, summary, name) | {
            "shrunk_rate": shrunk.rate_pct, "shrunk_ci95_low": low, "shrunk_ci95_high": high
        }  # fmt: skip
    for period, summary in report.periods:
        yield _row({"scope": "period", "period": period}, summary, period)


def _row(key: dict[str, Any], summary: Summary, name: str) -> dict[str, Any]:
    data = summary.as_dict()
    low, high = data.pop("ci95") or (None, None)
    row = {column: key.get(column) for column in KEY_COLUMNS}
    nested = {name: data.pop(name, None) for name in ("cost", "change")}
    row.update(data, ci95_low=low, ci95_high=high, label=name)
    for prefix, figures in nested.items():
        row.update(_flattened(figures, prefix))
    return row


_NESTED = {
    "cost": ("currency", "total", "degraded", "triage", "fixed"),
    "change": ("previous", "previous_rate", "pp", "p_value", "significant"),
}


def _flattened(figures: dict[str, Any] | None, prefix: str) -> dict[str, Any]:
    """A summary's nested figures (cost, change) as `prefix_name` columns, each present
    (None when the summary has none); change's `change_pp` keeps its name."""
    figures = figures or {}
    return {
        f"{prefix}_{part}": figures.get(part, figures.get(f"{prefix}_{part}"))
        for part in _NESTED[prefix]
    }


def money(currency: str | None, amount: float | None) -> str:
    return "n/a" if currency is None or amount is None else f"{currency} {amount:,.2f}"


# Characters that move text rather than show it: controls (newlines, tabs, escape
# sequences), format characters (bidirectional overrides, zero-width joiners) and the
# line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def printable(text: str) -> str:
    """`text` with every character that would move or hide text written as its escape
    (`\\n`, `\\u202e`): one line, shown in the order it is stored."""
    if text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _INVISIBLE else ch for ch in text)


def _escape(ch: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
    if named:
        return named
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


# Markdown (GFM) gives these meaning in a table cell: a backslash escapes each of them,
# so names read as written, never as a column break, emphasis, code, a link or HTML.
_MARKDOWN_SPECIAL = re.compile(r"([\\|`*_\[\]<>&~])")


def markdown_cell(text: str) -> str:
    """A table cell's text as literal Markdown: one line (see `printable`), with every
    character Markdown would interpret backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"
