"""A report flattened to rows: the shared shape of the CSV, Markdown and table renderers."""

from __future__ import annotations

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


def report_rows(report: Report) -> Iterator[dict[str, Any]]:
    """Overall first, then each group, then each period."""
    yield _row({"scope": "overall"}, report.overall)
    for key, summary in report.groups:
        yield _row({"scope": "group", **key}, summary)
    for period, summary in report.periods:
        yield _row({"scope": "period", "period": period}, summary)


def _row(key: dict[str, Any], summary: Summary) -> dict[str, Any]:
    data = summary.as_dict()
    low, high = data.pop("ci95") or (None, None)
    causes = ";".join(f"{c['cause']}:{c['count']}" for c in data.pop("root_causes"))
    row = {column: key.get(column) for column in KEY_COLUMNS}
    row.update(data, ci95_low=low, ci95_high=high, root_causes=causes)
    return row


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"


def label(row: dict[str, Any]) -> str:
    """A human name for a row: 'overall', 'fraud-scorer / production', '2026-W03'."""
    if row["scope"] == "overall":
        return "overall"
    parts = [
        str(row[c]) if row[c] is not None else "(none)"
        for c in ("model", "environment", "team", "period")
        if c in row and (row[c] is not None or row["scope"] == "group")
    ]
    return " / ".join(parts) or "(none)"
