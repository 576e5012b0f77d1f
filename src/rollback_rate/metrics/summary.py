"""From raw counts to the SUMMARY of the JSON report.

Issue 2's metric names first, then what a rate alone hides (issue 12: whether the sample
is large enough for its band, prevented incidents, bad-target and repeat rollbacks,
rework and change failures) and, with a cost model, what the rollbacks cost (issue 10).
Every figure is a function of the counts the read model gave; README "What the numbers
mean" defines each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from rollback_rate.aggregation import Counts
from rollback_rate.metrics.cost import Cost, CostModel, CostTally, estimate_cost
from rollback_rate.metrics.significance import compare_rates
from rollback_rate.metrics.stats import band, rate_pct, wilson_interval_pct
from rollback_rate.timeutil import MICROS_PER_HOUR

MIN_SETTLED = 20  # below this many settled deployments a band is not yet meaningful


@dataclass(frozen=True)
class SummarySettings:
    """What a summary needs besides counts: the sample size a band needs, the cost model
    (None: no cost), and the streams' names (cost overrides match them)."""

    min_settled: int = MIN_SETTLED
    cost: CostModel | None = None
    stream_names: Mapping[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    deployments: int
    settled: int
    pending: int
    rollbacks: int
    rollback_rate: float | None
    ci95: list[float] | None
    band: str | None
    sufficient: bool
    automated_rollbacks: int
    automated_share: float | None
    late_rollbacks: int
    orphan_rollbacks: int
    median_hours_to_rollback: float | None
    root_causes: list[dict[str, Any]]
    prevented_rollbacks: int
    rollback_rate_excluding_prevented: float | None
    bad_target_rollbacks: int
    repeat_rollbacks: int
    repeat_share: float | None
    unplanned_deployments: int
    rework_rate: float | None
    change_failures: int
    change_failure_rate: float | None
    cost: dict[str, Any] | None = None  # only with a cost model
    change: dict[str, Any] | None = None  # periods and overall: against the one before

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("cost", "change"):
            if data[optional] is None:
                del data[optional]
        return data


def summarise(counts: Counts, settings: SummarySettings | None = None) -> Summary:
    """Rates over settled deployments only: pending ones are neither successes nor failures."""
    settings = settings or SummarySettings()
    rate = rate_pct(counts.rollbacks, counts.settled)
    median = counts.median_rollback_micros
    failures = counts.rollbacks + counts.fixed_forward
    return Summary(
        deployments=counts.deployments,
        settled=counts.settled,
        pending=counts.deployments - counts.settled,
        rollbacks=counts.rollbacks,
        rollback_rate=rate,
        ci95=wilson_interval_pct(counts.rollbacks, counts.settled),
        band=band(rate),
        sufficient=counts.settled >= settings.min_settled,
        automated_rollbacks=counts.automated_rollbacks,
        automated_share=rate_pct(counts.automated_rollbacks, counts.rollbacks),
        late_rollbacks=counts.late_rollbacks,
        orphan_rollbacks=counts.orphan_rollbacks,
        median_hours_to_rollback=None if median is None else median / MICROS_PER_HOUR,
        root_causes=[{"cause": cause, "count": n} for cause, n in counts.root_causes],
        prevented_rollbacks=counts.prevented,
        rollback_rate_excluding_prevented=rate_pct(
            counts.rollbacks - counts.prevented, counts.settled - counts.prevented
        ),
        bad_target_rollbacks=counts.bad_targets,
        repeat_rollbacks=counts.repeats,
        repeat_share=rate_pct(counts.repeats, counts.rollbacks),
        unplanned_deployments=counts.unplanned,
        rework_rate=rate_pct(counts.unplanned, counts.deployments),
        change_failures=failures,
        change_failure_rate=rate_pct(failures, counts.settled + counts.fixed_forward_open),
        cost=None if settings.cost is None else _cost(counts, settings).as_dict(),
    )


def with_change(summary: Summary, previous: Summary | None, label: str | None) -> Summary:
    """The summary with its change against `previous` (the period before, named `label`):
    in percentage points, and whether it is significant (Fisher's exact test, 5%)."""
    if previous is None:
        change: dict[str, Any] = {"previous": label, "previous_rate": None, "change_pp": None,
                                  "p_value": None, "significant": False}  # fmt: skip
    else:
        compared = compare_rates(
            summary.rollbacks, summary.settled, previous.rollbacks, previous.settled
        )
        change = {
            "previous": label,
            "previous_rate": compared.previous_rate_pct,
            "change_pp": compared.change_pp,
            "p_value": compared.p_value,
            "significant": compared.significant,
        }
    return Summary(**{**asdict(summary), "change": change})


def _cost(counts: Counts, settings: SummarySettings) -> Cost:
    assert settings.cost is not None
    tallies = []
    for (stream_id, team, automated), (rollbacks, micros) in counts.exposure.items():
        model, environment = settings.stream_names[stream_id]
        tallies.append(
            CostTally(model, environment, team, automated, rollbacks, micros / MICROS_PER_HOUR)
        )
    return estimate_cost(tallies, settings.cost)
