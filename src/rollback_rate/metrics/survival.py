"""Time to rollback as a survival curve (issue 12, "Beyond one rate").

Each counted deployment is one observation `(hours, rolled_back)`: a rolled-back deployment
is an event at its delay (rollback time minus deployment time, late rollbacks included); any
other is censored at `as_of` minus its deployment time. The rate in the summary only says
*whether* deployments were rolled back within the window; the curve says *when*, and uses
the deployments still in their window instead of leaving them out as pending.

Why a small implementation here and not lifelines: lifelines imports pandas and scipy and
requires matplotlib (with numpy about 270 MB installed; `import lifelines` took 1.3 s on the
development machine), while the CLI must start in under 0.5 s with a short list of runtime
dependencies. The estimator itself is a product over event times, about thirty lines.
lifelines stays in the `dev` extra, where the tests compare this module with it on
generated data.

Survival is computed exactly as a ratio of integers and then rounded once, so quantiles
compare exactly: a curve that reaches 1/2 through 5/6 x 4/5 x 3/4 has reached its median
(lifelines' floating point makes that 0.5000000000000001). The exact product grows by the
size of the risk set at every event time, which made a curve of a million deployments cost
quadratic time (36 s), so past `_EXACT_BITS` the product goes on in floating point (after a
million steps its relative error is below 1e-9), and a quantile whose level lies that close
to such a value is decided from the integer counts, multiplied out once by a product tree.

An observation is `(hours, rolled_back)` or `(hours, rolled_back, count)`: `count` equal
observations at once, so that a read model can hand over a million deployments as a few
thousand tallies (ties counted in SQL) and get the same curve.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from rollback_rate.metrics.stats import Z_95

__all__ = [
    "Observation",
    "SurvivalPoint",
    "TimeToRollback",
    "catching_window_hours",
    "delay_quantile_hours",
    "delay_quantiles_hours",
    "describe_time_to_rollback",
    "kaplan_meier",
    "late_share_pct",
    "survival_at",
    "survival_quantile_hours",
]


# (hours, rolled back) or (hours, rolled back, how many such deployments)
Observation = tuple[float, bool] | tuple[float, bool, int]
_EXACT_BITS = 4096  # beyond this the survival product goes on in floating point
_NEAR = 1e-9  # a float survival this close (relative) to a quantile's level is checked exactly


@dataclass(frozen=True)
class SurvivalPoint:
    """The Kaplan-Meier curve just after one event time."""

    hours: float
    survival: float  # share of deployments not yet rolled back after `hours`
    at_risk: int  # deployments with duration >= hours (those censored at `hours` included)
    events: int  # rollbacks at exactly `hours`
    variance: float | None  # Greenwood's; None once survival is 0 (undefined there)
    ci95: list[float] | None  # log-log ("exponential Greenwood") 95% interval; None at 0


@dataclass(frozen=True)
class TimeToRollback:
    """Everything issue 12 asks about the timing of rollbacks, from one set of observations."""

    curve: list[SurvivalPoint]
    median_hours: float | None  # survival_quantile_hours(curve, 0.5)
    p90_hours: float | None  # survival_quantile_hours(curve, 0.9)
    rollback_median_hours: float | None  # delay_quantile_hours(observations, 0.5)
    rollback_p90_hours: float | None  # delay_quantile_hours(observations, 0.9)
    late_share_pct: float | None
    window_for_95pct_hours: float | None  # catching_window_hours(observations, 0.95)


def kaplan_meier(observations: Iterable[Observation]) -> list[SurvivalPoint]:
    """The Kaplan-Meier curve of `(hours, rolled_back[, count])` observations, one point per
    event time.

    S(t) = product over event times t_i <= t of (n_i - d_i) / n_i, where d_i is the number of
    rollbacks at t_i and n_i the number at risk, i.e. with hours >= t_i: at a tie, events
    come first and deployments censored at t_i still count as at risk there (the standard
    convention, as in lifelines and R's survival). Greenwood: Var S(t) = S(t)^2 x sum of
    d_i / (n_i (n_i - d_i)); the interval is exp(-exp(log(-log S) +- z x se)) with
    se = sqrt(sum) / |log S|, which stays within [0, 1]. An empty input gives an empty curve.
    """
    events: dict[float, int] = {}
    exits: dict[float, int] = {}  # every observation leaves the risk set after its time
    for hours, rolled_back, count in _checked(observations):
        exits[hours] = exits.get(hours, 0) + count
        if rolled_back:
            events[hours] = events.get(hours, 0) + count
    at_risk = sum(exits.values())
    product = _Product()
    greenwood_sum = 0.0
    curve = []
    for hours in sorted(exits):
        d = events.get(hours)
        if d:
            survival = product.times(at_risk - d, at_risk)
            if survival > 0:
                greenwood_sum += d / (at_risk * (at_risk - d))
                curve.append(
                    SurvivalPoint(
                        hours=hours,
                        survival=survival,
                        at_risk=at_risk,
                        events=d,
                        variance=survival * survival * greenwood_sum,
                        ci95=_log_log_interval(survival, greenwood_sum),
                    )
                )
            else:
                curve.append(SurvivalPoint(hours, 0.0, at_risk, d, None, None))
        at_risk -= exits[hours]
    return curve


def survival_at(curve: Sequence[SurvivalPoint], hours: float) -> float:
    """S(hours): the share of deployments not yet rolled back that long after deployment
    (the curve is a step function: 1 before its first event time)."""
    survival = 1.0
    for point in curve:
        if point.hours > hours:
            break
        survival = point.survival
    return survival


def survival_quantile_hours(curve: Sequence[SurvivalPoint], q: float) -> float | None:
    """The smallest event time t with S(t) <= 1 - q: when a share q of all deployments had
    been rolled back, censoring accounted for (unconditional). None if the curve never gets
    that low, the usual case for q = 0.5 when most deployments are never rolled back.

    The comparison is exact: q is read as the decimal it prints as (0.9 is 9/10), and where
    S(t) is within rounding of that level it is recomputed from the points' integer counts.
    """
    level = 1 - _share(q)
    rounded = float(level)
    for index, point in enumerate(curve):
        if abs(point.survival - rounded) > _NEAR * rounded:
            if point.survival < rounded:
                return point.hours
            continue
        numerator = _product_of([p.at_risk - p.events for p in curve[: index + 1]])
        denominator = _product_of([p.at_risk for p in curve[: index + 1]])
        if numerator * level.denominator <= level.numerator * denominator:
            return point.hours
    return None


def delay_quantile_hours(observations: Iterable[Observation], q: float) -> float | None:
    """The q-quantile of the delays of the rolled-back deployments (conditional on rolling back).

    With the m delays sorted, x_(1) <= ... <= x_(m), it is x_(k) for k = ceil(q x m): the
    smallest observed delay such that at least a share q of the delays are <= it (the
    inverse of the empirical distribution function, Hyndman and Fan's type 1; no averaging,
    so it is always an observed delay). None when nothing was rolled back. Only rollbacks
    seen by `as_of` are counted, so when recent deployments dominate this leans short.
    """
    [quantile] = delay_quantiles_hours(observations, [q])
    return quantile


def delay_quantiles_hours(
    observations: Iterable[Observation], qs: Sequence[float]
) -> list[float | None]:
    """`delay_quantile_hours` for each of `qs`, from one pass over the observations."""
    shares = [_share(q) for q in qs]
    delays = _delays(observations)
    if not delays:
        return [None] * len(shares)
    total = sum(delays.values())
    ordered = sorted(delays.items())
    found: list[float | None] = []
    for share in shares:
        k = math.ceil(share * total)  # exact: share is a Fraction
        seen = 0
        for hours, count in ordered:
            seen += count
            if seen >= k:
                found.append(hours)
                break
    return found


def catching_window_hours(observations: Iterable[Observation], share: float = 0.95) -> float | None:
    """The window that would have caught a `share` of the observed rollbacks.

    The smallest observed delay W such that at least `share` of the rolled-back deployments
    have delay <= W (rule 5: a rollback exactly at the window's end counts); equal to
    `delay_quantile_hours(observations, share)`. None when nothing was rolled back.
    """
    return delay_quantile_hours(observations, share)


def late_share_pct(observations: Iterable[Observation], window_hours: float) -> float | None:
    """Percentage of the rolled-back deployments whose delay is > window_hours (late ones).

    Delay exactly equal to the window is not late (rule 5). None when nothing was rolled back.
    """
    delays = _delays(observations)
    if not delays:
        return None
    late = sum(count for hours, count in delays.items() if hours > window_hours)
    return late / sum(delays.values()) * 100


def describe_time_to_rollback(
    observations: Iterable[Observation], window_hours: float
) -> TimeToRollback:
    """The curve, its median and p90, the same for rolled-back delays, late share, 95% window."""
    observed = list(observations)
    curve = kaplan_meier(observed)
    return TimeToRollback(
        curve=curve,
        median_hours=survival_quantile_hours(curve, 0.5),
        p90_hours=survival_quantile_hours(curve, 0.9),
        rollback_median_hours=delay_quantile_hours(observed, 0.5),
        rollback_p90_hours=delay_quantile_hours(observed, 0.9),
        late_share_pct=late_share_pct(observed, window_hours),
        window_for_95pct_hours=catching_window_hours(observed, 0.95),
    )


def _checked(observations: Iterable[Observation]) -> Iterable[tuple[float, bool, int]]:
    for observation in observations:
        hours, rolled_back = observation[0], observation[1]
        count = observation[2] if len(observation) > 2 else 1  # type: ignore[misc]
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(
                f"duration {hours!r} hours is not a finite number >= 0; pass rollback time "
                "(or as_of) minus deployment time"
            )
        if type(count) is not int or count < 1:
            raise ValueError(f"count {count!r} is not a whole number >= 1 of deployments")
        yield hours, bool(rolled_back), count


def _delays(observations: Iterable[Observation]) -> Counter[float]:
    """How many rolled-back deployments at each delay."""
    delays: Counter[float] = Counter()
    for hours, rolled_back, count in _checked(observations):
        if rolled_back:
            delays[hours] += count
    return delays


class _Product:
    """A running product of ratios: exact (one rounding) while its integers stay small,
    then in floating point."""

    def __init__(self) -> None:
        self.numerator: int | None = 1
        self.denominator = 1
        self.value = 1.0

    def times(self, numerator: int, denominator: int) -> float:
        """Multiply by numerator / denominator; the product so far."""
        if self.numerator is None:
            self.value *= numerator / denominator
        else:
            self.numerator *= numerator
            self.denominator *= denominator
            self.value = self.numerator / self.denominator  # exact ratio, rounded once
            if self.denominator.bit_length() > _EXACT_BITS:
                self.numerator = None
        return self.value


def _product_of(factors: Sequence[int]) -> int:
    """The exact product, by halves (a product tree: fast for many large factors)."""
    if len(factors) <= 8:
        return math.prod(factors)
    middle = len(factors) // 2
    return _product_of(factors[:middle]) * _product_of(factors[middle:])


def _share(q: float) -> Fraction:
    share = Fraction(str(q))  # the decimal as written: 0.95 is 19/20, not 0.9499999...
    if not 0 < share <= 1:
        raise ValueError(f"quantile {q!r} is outside (0, 1]; write the median as 0.5")
    return share


def _log_log_interval(survival: float, greenwood_sum: float) -> list[float]:
    log_s = math.log(survival)
    centre = math.log(-log_s)
    half = Z_95 * math.sqrt(greenwood_sum) / -log_s
    return [math.exp(-math.exp(centre + half)), math.exp(-math.exp(centre - half))]
