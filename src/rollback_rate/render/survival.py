"""JSON, CSV, Markdown and terminal-table renderings of a survival report.

JSON holds everything. CSV has one row per curve point (a group without rollbacks, one row
with the point's columns empty), each carrying its group's figures, so a spreadsheet can
filter a group and plot hours against survival. The table and Markdown show each group's
figures and the curve read at a few landmark times (1 h, 6 h, 1 d, the window, 30 d).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from rollback_rate.metrics import GroupSurvival, SurvivalReport
from rollback_rate.metrics.survival import survival_at
from rollback_rate.render.rows import hours, pct
from rollback_rate.render.tables import dispatch, markdown_table, pretty_json, text_table
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc

KEY_COLUMNS = ("scope", "model", "environment", "team")
GROUP_COLUMNS = (
    "deployments",
    "rolled_back",
    "late_rollbacks",
    "censored",
    "late_share",
    "window_for_95pct_hours",
    "delay_p50_hours",
    "delay_p75_hours",
    "delay_p90_hours",
    "delay_p95_hours",
    "survival_p5_hours",
    "survival_p10_hours",
    "survival_p25_hours",
    "survival_p50_hours",
)
POINT_COLUMNS = ("hours", "survival", "at_risk", "events", "ci95_low", "ci95_high")
COLUMNS = KEY_COLUMNS + GROUP_COLUMNS + POINT_COLUMNS


def render_survival(report: SurvivalReport, fmt: str) -> str:
    """The report in `fmt`: table, json, csv or markdown."""
    return dispatch(_FORMATS, report, fmt)


def _json(report: SurvivalReport) -> str:
    return pretty_json(report.as_dict())


def _scopes(report: SurvivalReport) -> Iterator[tuple[dict[str, Any], str, GroupSurvival]]:
    """(key columns, label, group): overall first, then each group."""
    yield {"scope": "overall"}, "overall", report.overall
    for key, group in report.groups:
        label = " / ".join("(none)" if value is None else str(value) for value in key.values())
        yield {"scope": "group", **key}, label, group


def _group_figures(group: GroupSurvival) -> dict[str, Any]:
    figures: dict[str, Any] = {
        name: getattr(group, name) for name in GROUP_COLUMNS if hasattr(group, name)
    }
    for label, value in group.delay_quantiles_hours.items():
        figures[f"delay_{label}_hours"] = value
    for label, value in group.survival_quantiles_hours.items():
        figures[f"survival_{label}_hours"] = value
    return figures


def _csv(report: SurvivalReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for key, _, group in _scopes(report):
        row = {column: key.get(column) for column in KEY_COLUMNS} | _group_figures(group)
        if not group.curve:
            writer.writerow(row)
        for point in group.curve:
            low, high = point.ci95 or (None, None)
            writer.writerow(
                row | {"hours": point.hours, "survival": point.survival,
                       "at_risk": point.at_risk, "events": point.events,
                       "ci95_low": low, "ci95_high": high}
            )  # fmt: skip
    return buffer.getvalue()


def _landmarks(report: SurvivalReport) -> list[tuple[str, float]]:
    window = report.query.window / MICROS_PER_HOUR
    marks = {1.0: "1 h", 6.0: "6 h", 24.0: "1 d", 720.0: "30 d"}
    marks[window] = "window"
    return [(f"S({label})", at) for at, label in sorted(marks.items())]


def _headers(report: SurvivalReport) -> list[str]:
    return ["", "deployed", "rolled back", "late", "late share", "95% window",
            "median delay", "p90 delay", *(name for name, _ in _landmarks(report))]  # fmt: skip


def _cells(report: SurvivalReport) -> Iterator[list[str]]:
    for _, label, group in _scopes(report):
        delays = group.delay_quantiles_hours
        yield [
            label,
            str(group.deployments),
            str(group.rolled_back),
            str(group.late_rollbacks),
            pct(group.late_share),
            hours(group.window_for_95pct_hours),
            hours(delays["p50"]),
            hours(delays["p90"]),
            *(f"{survival_at(group.curve, at) * 100:.1f}%" for _, at in _landmarks(report)),
        ]


def headline(report: SurvivalReport) -> str:
    """What the curve says overall, in one sentence."""
    s, window = report.overall, report.query.window / MICROS_PER_HOUR
    start = f"Time to rollback as of {iso_utc(report.query.as_of)} ({window:g} h window): "
    if not s.rolled_back:
        return start + f"none of {s.deployments} deployments rolled back."
    return start + (
        f"{s.rolled_back} of {s.deployments} deployments rolled back, {s.late_rollbacks} "
        f"after the window ({pct(s.late_share)}); a {hours(s.window_for_95pct_hours)} window "
        "would have caught 95% of them."
    )


_FOOT = "S(t): share of deployments not rolled back t after deployment. Full curve: json, csv."


def _markdown(report: SurvivalReport) -> str:
    table = markdown_table(_headers(report), _cells(report))
    return "\n".join([headline(report), "", *table, "", _FOOT]) + "\n"


def _table(report: SurvivalReport) -> str:
    return text_table(_headers(report), _cells(report), title=headline(report), caption=_FOOT,
                      bold_first=True)  # fmt: skip


_FORMATS: dict[str, Callable[[SurvivalReport], str]] = {
    "table": _table,
    "json": _json,
    "csv": _csv,
    "markdown": _markdown,
}
