"""From raw counts to the SUMMARY of the JSON report (issue 2's metric names)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rollback_rate.aggregation import Counts
from rollback_rate.metrics.stats import band, rate_pct, wilson_interval_pct
from rollback_rate.timeutil import MICROS_PER_HOUR


@dataclass(frozen=True)
class Summary:
    deployments: int
    settled: int
    pending: int
    rollbacks: int
    rollback_rate: float | None
    ci95: list[float] | None
    band: str | None
    automated_rollbacks: int
    automated_share: float | None
    late_rollbacks: int
    orphan_rollbacks: int
    median_hours_to_rollback: float | None
    root_causes: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(counts: Counts) -> Summary:
    """Rates over settled deployments only: pending ones are neither successes nor failures."""
    rate = rate_pct(counts.rollbacks, counts.settled)
    median = counts.median_rollback_micros
    return Summary(
        deployments=counts.deployments,
        settled=counts.settled,
        pending=counts.deployments - counts.settled,
        rollbacks=counts.rollbacks,
        rollback_rate=rate,
        ci95=wilson_interval_pct(counts.rollbacks, counts.settled),
        band=band(rate),
        automated_rollbacks=counts.automated_rollbacks,
        automated_share=rate_pct(counts.automated_rollbacks, counts.rollbacks),
        late_rollbacks=counts.late_rollbacks,
        orphan_rollbacks=counts.orphan_rollbacks,
        median_hours_to_rollback=None if median is None else median / MICROS_PER_HOUR,
        root_causes=[{"cause": cause, "count": n} for cause, n in counts.root_causes],
    )
