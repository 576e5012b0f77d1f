"""The survival report: a Kaplan-Meier curve of time to rollback per group (issue 12).

Pure: a function of the query and the tallies the read model counted. README "Time to
rollback" defines each figure and works one example by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollback_rate.aggregation import ReportQuery, SurvivalCounts, SurvivalTallies
from rollback_rate.metrics.report import sortable
from rollback_rate.metrics.stats import rate_pct
from rollback_rate.metrics.survival import (
    Observation,
    SurvivalPoint,
    delay_quantiles_hours,
    kaplan_meier,
    survival_quantile_hours,
)
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc

# Shares of rolled-back deployments (delays) and of all deployments (the curve) whose
# times are reported; the 95% delay is the window that would have caught 95% of rollbacks.
DELAY_QUANTILES = (0.5, 0.75, 0.9, 0.95)
SURVIVAL_QUANTILES = (0.05, 0.1, 0.25, 0.5)


@dataclass(frozen=True)
class GroupSurvival:
    """One group's curve and what it says about the timing of rollbacks."""

    deployments: int
    rolled_back: int  # by as_of, late ones included: the curve's events
    late_rollbacks: int  # of those, after the window
    censored: int  # not rolled back by as_of
    late_share: float | None  # late_rollbacks / rolled_back x 100
    window_for_95pct_hours: float | None  # the shortest window that catches 95% of them
    delay_quantiles_hours: dict[str, float | None]
    survival_quantiles_hours: dict[str, float | None]
    curve: list[SurvivalPoint] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployments": self.deployments,
            "rolled_back": self.rolled_back,
            "late_rollbacks": self.late_rollbacks,
            "censored": self.censored,
            "late_share": self.late_share,
            "window_for_95pct_hours": self.window_for_95pct_hours,
            "delay_quantiles_hours": self.delay_quantiles_hours,
            "survival_quantiles_hours": self.survival_quantiles_hours,
            "curve": [
                {"hours": p.hours, "survival": p.survival, "at_risk": p.at_risk,
                 "events": p.events, "ci95": p.ci95}
                for p in self.curve
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class SurvivalReport:
    query: ReportQuery
    overall: GroupSurvival
    groups: list[tuple[dict[str, Any], GroupSurvival]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `survival --format json` and `GET /api/v1/survival`."""
        q = self.query
        return {
            "as_of": iso_utc(q.as_of),
            "window_hours": q.window / MICROS_PER_HOUR,
            "filters": q.echo("model", "environment", "team", "since", "until", "by"),
            "overall": self.overall.as_dict(),
            "groups": [{"key": key, **group.as_dict()} for key, group in self.groups],
        }


def build_survival(query: ReportQuery, counts: SurvivalCounts) -> SurvivalReport:
    """Each group's curve, quantiles, late share and 95% window, groups by name."""
    groups = [
        (dict(zip(query.by, key, strict=True)), describe_group(tallies, query.window))
        for key, tallies in sorted(counts.groups.items(), key=lambda kv: sortable(kv[0]))
    ]
    return SurvivalReport(query, describe_group(counts.overall, query.window), groups)


def describe_group(tallies: SurvivalTallies, window: int) -> GroupSurvival:
    """The curve of one group's tallies and the figures read from it (`window` in
    microseconds: a rollback exactly at its end is not late, rule 5)."""
    observations: list[Observation] = [
        (micros / MICROS_PER_HOUR, True, n) for micros, n in tallies.rolled_back.items()
    ]
    observations += [(micros / MICROS_PER_HOUR, False, n) for micros, n in tallies.censored.items()]
    curve = kaplan_meier(observations)
    rolled_back = sum(tallies.rolled_back.values())
    censored = sum(tallies.censored.values())
    delays = delay_quantiles_hours(observations, DELAY_QUANTILES)
    late = sum(n for micros, n in tallies.rolled_back.items() if micros > window)
    return GroupSurvival(
        deployments=rolled_back + censored,
        rolled_back=rolled_back,
        late_rollbacks=late,
        censored=censored,
        late_share=rate_pct(late, rolled_back),
        window_for_95pct_hours=delays[DELAY_QUANTILES.index(0.95)],
        delay_quantiles_hours={
            _label(q): delay for q, delay in zip(DELAY_QUANTILES, delays, strict=True)
        },
        survival_quantiles_hours={
            _label(q): survival_quantile_hours(curve, q) for q in SURVIVAL_QUANTILES
        },
        curve=curve,
    )


def _label(q: float) -> str:
    return f"p{q * 100:g}"
