"""The cost of rollbacks: "rollbacks have real business cost beyond engineering time" (issue 10).

One counted rollback costs

    exposure_hours x degraded_per_hour       degraded: users were served the bad model
  + triage_hours x engineer_hourly_rate      triage: engineers on it, not on forward work
  + per_rollback                             fixed: anything else a rollback costs

where exposure is the rollback's time minus its deployment's time, and triage_hours is
`triage_hours_automated` or `triage_hours_manual` by the rollback's `automated`. The
figures come from the first `[[cost.override]]` whose globs match the rollback's model,
team and environment, else from `[cost]`; an override's missing figures fall back to
`[cost]`.

DORA's ROI calculator (the 2016 State of DevOps Report and DORA's ROI white papers,
2017 and 2020) prices downtime as deployment frequency x change failure rate x mean time
to restore (hours) x hourly cost of an outage: an average failure lasting an average time.
This differs in three ways. Exposure is measured per rollback (deployment to rollback),
not an average restore time applied to a failure count, so one slow rollback weighs what
it cost. Triage is a separate term priced in engineer time, not folded into the outage
rate. And automated rollbacks, which usually need less triage, are priced apart from
manual ones.

Because the cost is linear in rollbacks and exposure hours, its input is tallies per
model, environment, team and `automated`; any grouping's cost is the sum of its tallies'.

Rounding: every figure keeps full float precision inside (`Cost` adds exactly what it is
given); only `Cost.as_dict` rounds, each part to cents (half up on the part's shortest
decimal form, so 2.675 is 2.68), and its `total` is the sum of those rounded parts, so a
reader adding degraded + triage + fixed gets the printed total exactly. That printed total
is within 0.01 of the exact total rounded on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase
from typing import Any

from rollback_rate.timeutil import MICROS_PER_HOUR

FIGURES = (
    "degraded_per_hour",
    "triage_hours_manual",
    "triage_hours_automated",
    "engineer_hourly_rate",
    "per_rollback",
)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class CostFigures:
    """The `[cost]` figures, all >= 0 (the config loader checks)."""

    degraded_per_hour: float
    triage_hours_manual: float
    triage_hours_automated: float
    engineer_hourly_rate: float
    per_rollback: float = 0.0


@dataclass(frozen=True)
class CostOverride:
    """A `[[cost.override]]`: globs (None: any) and the figures it sets (None: from [cost])."""

    model: str | None = None
    team: str | None = None
    environment: str | None = None
    degraded_per_hour: float | None = None
    triage_hours_manual: float | None = None
    triage_hours_automated: float | None = None
    engineer_hourly_rate: float | None = None
    per_rollback: float | None = None

    def matches(self, model: str, team: str | None, environment: str) -> bool:
        """Every glob it has matches (case-sensitive); a team glob never matches no team."""
        return all(
            glob is None or (value is not None and fnmatchcase(value, glob))
            for glob, value in (
                (self.model, model),
                (self.team, team),
                (self.environment, environment),
            )
        )


@dataclass(frozen=True)
class CostModel:
    """`[cost]` and its overrides: the figures that price each rollback."""

    currency: str
    figures: CostFigures
    overrides: tuple[CostOverride, ...] = ()

    def figures_for(self, model: str, team: str | None, environment: str) -> CostFigures:
        """The first matching override's figures, each missing one taken from [cost]."""
        for override in self.overrides:
            if override.matches(model, team, environment):
                values = {
                    name: getattr(self.figures, name)
                    if getattr(override, name) is None
                    else getattr(override, name)
                    for name in FIGURES
                }
                return CostFigures(**values)
        return self.figures


@dataclass(frozen=True)
class CostTally:
    """Counted rollbacks of one model/environment/team that share `automated`."""

    model: str
    environment: str
    team: str | None
    automated: bool
    rollbacks: int
    exposure_hours: float  # summed over those rollbacks

    def __post_init__(self) -> None:
        if self.rollbacks < 0 or self.exposure_hours < 0:
            raise ValueError(f"a tally cannot be negative: {self}")


@dataclass(frozen=True)
class Cost:
    """Estimated cost in one currency, full precision; `total` is the sum of the parts."""

    currency: str
    degraded: float = 0.0
    triage: float = 0.0
    fixed: float = 0.0

    @property
    def total(self) -> float:
        return self.degraded + self.triage + self.fixed

    def __add__(self, other: Cost) -> Cost:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Cost(
            self.currency,
            self.degraded + other.degraded,
            self.triage + other.triage,
            self.fixed + other.fixed,
        )

    def as_dict(self) -> dict[str, Any]:
        """Rounded to cents; `total` is the sum of the rounded parts (see the module doc)."""
        parts = {name: _cents(getattr(self, name)) for name in ("degraded", "triage", "fixed")}
        return {
            "currency": self.currency,
            "total": float(sum(parts.values(), Decimal(0))),
            **{name: float(value) for name, value in parts.items()},
        }


def _cents(amount: float) -> Decimal:
    # str() is the shortest decimal that round-trips, so 2.675 rounds as written, to 2.68.
    return Decimal(str(amount)).quantize(_CENT, rounding=ROUND_HALF_UP)


def exposure_hours(deployed_at: int, rolled_back_at: int) -> float:
    """Hours a deployment was live before its rollback (both UTC microseconds)."""
    return (rolled_back_at - deployed_at) / MICROS_PER_HOUR


def tally_cost(tally: CostTally, model: CostModel) -> Cost:
    """The cost of one tally's rollbacks under the figures that apply to it."""
    figures = model.figures_for(tally.model, tally.team, tally.environment)
    triage = figures.triage_hours_automated if tally.automated else figures.triage_hours_manual
    return Cost(
        currency=model.currency,
        degraded=tally.exposure_hours * figures.degraded_per_hour,
        triage=tally.rollbacks * triage * figures.engineer_hourly_rate,
        fixed=tally.rollbacks * figures.per_rollback,
    )


def estimate_cost(tallies: Iterable[CostTally], model: CostModel) -> Cost:
    """The summed cost of every tally (zero in the model's currency when there are none)."""
    total = Cost(model.currency)
    for tally in tallies:
        total += tally_cost(tally, model)
    return total
