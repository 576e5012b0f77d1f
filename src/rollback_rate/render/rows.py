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
    causes = ";".join(f"{c['cause']}:{c['count']}" for c in data.pop("root_causes"))
    row = {column: key.get(column) for column in KEY_COLUMNS}
    row.update(data, ci95_low=low, ci95_high=high, root_causes=causes, label=name)
    return row


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"
