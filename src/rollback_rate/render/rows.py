"""A report flattened to rows: the shared shape of the CSV, Markdown and table renderers.

Rows keep every value as data: names as given, root causes as a list of
`{"cause", "count"}` (never flattened into a text that would have to be parsed back, so a
cause holding `:` or `;` survives; issue 8). Renderers for people show names through
`printable`, so no name can break a line or turn text around (issue 9).
"""

from __future__ import annotations

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
COLUMNS = KEY_COLUMNS + METRIC_COLUMNS
# Only with a cost model (issue 10): without one the CSV keeps exactly COLUMNS.
COST_COLUMNS = ("cost_currency", "cost_total", "cost_degraded", "cost_triage", "cost_fixed")


def columns(report: Report) -> tuple[str, ...]:
    """The CSV columns of this report: COLUMNS, and COST_COLUMNS when it is costed."""
    return COLUMNS + (COST_COLUMNS if report.overall.cost is not None else ())


def report_rows(report: Report) -> Iterator[dict[str, Any]]:
    """Overall first, then each group, then each period; `label` names the row for people."""
    yield _row({"scope": "overall"}, report.overall, "overall")
    for key, summary in report.groups:
        name = " / ".join("(none)" if value is None else str(value) for value in key.values())
        yield _row({"scope": "group", **key}, summary, name)
    for period, summary in report.periods:
        yield _row({"scope": "period", "period": period}, summary, period)


def _row(key: dict[str, Any], summary: Summary, name: str) -> dict[str, Any]:
    data = summary.as_dict()
    low, high = data.pop("ci95") or (None, None)
    cost = data.pop("cost", None) or {}
    data.update({f"cost_{part}": cost.get(part) for part in
                 ("currency", "total", "degraded", "triage", "fixed")})  # fmt: skip
    row = {column: key.get(column) for column in KEY_COLUMNS}
    row.update(data, ci95_low=low, ci95_high=high, label=name)
    return row


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


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"
