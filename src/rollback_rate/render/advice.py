"""Table, JSON, CSV and Markdown renderings of root-cause advice (`rollback-rate advise`).

Each renders `AdviceReport.as_dict()`: the renderers compute nothing it does not hold.
The table and Markdown list the first few evidence ids of each cause; JSON and CSV all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rollback_rate.metrics import AdviceReport
from rollback_rate.render.tables import dispatch, pretty_json

SHOWN_IDS = 5  # evidence ids printed per cause by the table and Markdown
HEADERS = ["#", "cause", "category", "rollbacks", "share (95% CI)", "vs before", "est. cost",
           "invest in"]  # fmt: skip
CSV_COLUMNS = (
    "scope", "team", "model", "rank", "cause", "category", "investment", "why", "count",
    "share_pct", "share_ci95_low", "share_ci95_high", "previous_count", "change",
    "cost_currency", "cost_total", "event_ids", "note",
)  # fmt: skip


def render_advice(report: AdviceReport, fmt: str) -> str:
    """The advice in `fmt`: table, json, csv or markdown."""
    return dispatch(_FORMATS, report.as_dict(), fmt)


def _csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for advice in _scopes(data):
        scope = {"scope": "group" if advice["scope"] else "overall", **advice["scope"]}
        if not advice["sufficient"]:
            writer.writerow({**scope, "note": advice["message"]})
        for r in advice["recommendations"]:
            low, high = r["share_ci95"]
            cost = r["cost"] or {}
            writer.writerow({
                **scope, **{k: r[k] for k in ("rank", "cause", "category", "investment", "why",
                                               "count", "share_pct", "previous_count", "change")},
                "share_ci95_low": low, "share_ci95_high": high,
                "cost_currency": cost.get("currency"), "cost_total": cost.get("total"),
                "event_ids": " ".join(r["event_ids"]),
            })  # fmt: skip
    return buffer.getvalue()


def headline(data: dict[str, Any]) -> str:
    """Which rollbacks the advice is about: the period, the window, the period compared."""
    period, before = data["period"], data["previous_period"]
    filters = ", ".join(f"{k} {v}" for k, v in data["filters"].items() if v and k != "by")
    text = (
        f"Advice from the rollbacks of deployments {period['since']} to {period['until']}"
        f"{f' ({filters})' if filters else ''}, {data['window_hours']:g} h window"
    )
    if before is not None:
        text += f"; compared with {before['since']} to {before['until']}"
    return text + "."


def _markdown(data: dict[str, Any]) -> str:
    lines = [headline(data)]
    for advice in _scopes(data):
        lines += ["", f"### {_scope_name(advice)}", "", _summary(advice)]
        if advice["recommendations"]:
            lines += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
            for r in advice["recommendations"]:
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |")
            lines.append("")
            lines += [f"{r['rank']}. **{r['cause']}**: {r['why']} {_evidence(r)}"
                      for r in advice["recommendations"]]  # fmt: skip
        lines += [f"- {finding['text']}" for finding in advice["findings"]]
    return "\n".join(lines) + "\n"


def _table(data: dict[str, Any]) -> str:
    console = Console(file=io.StringIO(), width=200, record=True, force_terminal=False)
    console.print(Text(headline(data)))
    for advice in _scopes(data):
        console.print()
        title = f"{_scope_name(advice)}: {_summary(advice)}"
        if not advice["recommendations"]:
            console.print(Text(title))
            continue
        table = Table(*HEADERS, title=title, title_justify="left")
        for r in advice["recommendations"]:
            table.add_row(*(Text(cell) for cell in _cells(r)))
        console.print(table)
        for r in advice["recommendations"]:
            console.print(Text(f"{r['rank']}. {r['cause']}: {r['why']} {_evidence(r)}"))
        for finding in advice["findings"]:
            console.print(Text(f"Finding: {finding['text']}"))
    return console.export_text()


def _scopes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [data["overall"], *data["groups"]]


def _scope_name(advice: dict[str, Any]) -> str:
    if not advice["scope"]:
        return "All rollbacks"
    return ", ".join(f"{k} {'(none)' if v is None else v}" for k, v in advice["scope"].items())


def _summary(advice: dict[str, Any]) -> str:
    if not advice["sufficient"]:
        return f"not enough evidence: {advice['message']}"
    return advice["message"]


def _cells(r: dict[str, Any]) -> list[str]:
    low, high = r["share_ci95"]
    cost = r["cost"]
    return [
        str(r["rank"]),
        r["cause"],
        r["category"],
        str(r["count"]),
        f"{r['share_pct']:.0f}% ({low:.1f}-{high:.1f}%)",
        f"{r['change']:+d} (was {r['previous_count']})",
        "-" if cost is None else f"{cost['currency']} {cost['total']:,.2f}",
        r["investment"],
    ]


def _evidence(r: dict[str, Any]) -> str:
    ids = r["event_ids"]
    more = f" (+{len(ids) - SHOWN_IDS} more)" if len(ids) > SHOWN_IDS else ""
    return f"Evidence: {', '.join(ids[:SHOWN_IDS])}{more}."


_FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "table": _table,
    "json": pretty_json,
    "csv": _csv,
    "markdown": _markdown,
}
