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
# What the summary holds beyond the rate (issue 12), cost and change flattened, and a
# group's shrunk estimate; empty where a row has none (no cost model, no period before).
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
    causes = ";".join(f"{c['cause']}:{c['count']}" for c in data.pop("root_causes"))
    row = {column: key.get(column) for column in KEY_COLUMNS}
    nested = {name: data.pop(name, None) for name in ("cost", "change")}
    row.update(data, ci95_low=low, ci95_high=high, root_causes=causes, label=name)
    for name, figures in nested.items():
        row.update(_flattened(figures, name))
    return row


def _flattened(figures: dict[str, Any] | None, prefix: str) -> dict[str, Any]:
    """A summary's nested figures (cost, change) as `prefix_name` columns; change's
    `change_pp` keeps its name."""
    return {
        name if name.startswith(prefix) else f"{prefix}_{name}": value
        for name, value in (figures or {}).items()
    }


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"
