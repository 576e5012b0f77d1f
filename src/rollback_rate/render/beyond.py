"""What the people-facing report shows beyond the rate (issue 12): the sufficiency flag
beside the band, and a second table of the summary's other figures.

Kept apart from the main table so that each can change on its own. The second table
shows cost only with a cost model, the change against the period before only where a row
has one, and the shrunk estimate only with groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rollback_rate.render.rows import money, pct, printable

INSUFFICIENT = "*"


def band_cell(row: dict[str, Any]) -> str:
    """The band, flagged when the sample is too small for it to mean anything."""
    band = str(row["band"] or "n/a")
    return band + INSUFFICIENT if _flagged(row) else band


def footnote(rows: Sequence[dict[str, Any]]) -> str | None:
    """What the flag means, when a row carries it."""
    if not any(_flagged(row) for row in rows):
        return None
    return (
        f"{INSUFFICIENT} fewer settled deployments than a band needs ([report] min_settled, "
        "default 20): the band is not yet meaningful."
    )


def _flagged(row: dict[str, Any]) -> bool:
    return bool(row["band"]) and not row["sufficient"]


def beyond_headers(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The second table's headers, for these rows."""
    headers = ["", "prevented", "rate w/o prevented", "bad targets", "repeats",
               "rework rate", "change failure rate"]  # fmt: skip
    if _any(rows, "cost_total"):
        headers.append("est. cost")
    if _any(rows, "change_previous"):
        headers += ["vs previous", "significant"]
    if _any(rows, "shrunk_rate"):
        headers.append("shrunk rate")
    return headers


def beyond_cells(row: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[str]:
    """One row of the second table (columns as `beyond_headers(rows)`)."""
    cells = [
        printable(str(row["label"])),
        str(row["prevented_rollbacks"]),
        pct(row["rollback_rate_excluding_prevented"]),
        str(row["bad_target_rollbacks"]),
        f"{row['repeat_rollbacks']} ({pct(row['repeat_share'])})",
        f"{pct(row['rework_rate'])} ({row['unplanned_deployments']} unplanned)",
        f"{pct(row['change_failure_rate'])} ({row['change_failures']})",
    ]
    if _any(rows, "cost_total"):
        cells.append(money(row["cost_currency"], row["cost_total"]))
    if _any(rows, "change_previous"):
        cells += _change(row)
    if _any(rows, "shrunk_rate"):
        cells.append(pct(row.get("shrunk_rate")) if row["scope"] == "group" else "")
    return cells


def _change(row: dict[str, Any]) -> list[str]:
    previous = row.get("change_previous")
    if not previous:
        return ["", ""]
    # A period names the one before ("2026-W01"); the overall summary, a span of times.
    before = "the span before" if "/" in previous else previous
    if row["change_pp"] is None:
        return [f"n/a ({before})", ""]
    significant = "yes" if row["change_significant"] else "no"
    return [f"{row['change_pp']:+.1f} pp ({before})",
            f"{significant} (p={row['change_p_value']:.3f})"]  # fmt: skip


def _any(rows: Sequence[dict[str, Any]], column: str) -> bool:
    return any(row.get(column) is not None for row in rows)
