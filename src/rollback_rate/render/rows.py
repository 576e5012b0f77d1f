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
    causes = ";".join(f"{c['cause']}:{c['count']}" for c in data.pop("root_causes"))
    cost = data.pop("cost", None) or {}
    data.update({f"cost_{part}": cost.get(part) for part in
                 ("currency", "total", "degraded", "triage", "fixed")})  # fmt: skip
    row = {column: key.get(column) for column in KEY_COLUMNS}
    row.update(data, ci95_low=low, ci95_high=high, root_causes=causes, label=name)
    return row


def money(currency: str | None, amount: float | None) -> str:
    return "n/a" if currency is None or amount is None else f"{currency} {amount:,.2f}"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"
