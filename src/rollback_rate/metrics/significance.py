"""Is a change in the rollback rate more than chance? (issue 12, "Beyond one rate")

Two periods' rates, rollbacks / settled, form a 2x2 table:

    [[current rollbacks,  current settled - current rollbacks],
     [previous rollbacks, previous settled - previous rollbacks]]

Fisher's exact test conditions on the table's margins; the top-left cell then follows the
hypergeometric distribution, whose weights are integers, C(K, x) x C(N - K, n - x). They
are computed exactly with Python's integers (one multiplication and one exact division per
table) up to EXACT_UP_TO deployments, and in log space past that (within about 1e-13 of
the exact value, tested against it), so the test needs no scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from math import comb

from rollback_rate.metrics.stats import rate_pct

__all__ = ["ALPHA", "RateChange", "compare_rates", "fisher_exact_p"]

ALPHA = 0.05

# scipy.stats.fisher_exact counts a table as "as likely" when its probability is within
# this relative distance of the observed one's (it guards its floating point against lost
# ties). Applying the same tolerance to exact weights gives scipy's definition, minus its
# rounding.
RELATIVE_TOLERANCE = Fraction(1, 10**14)

# Past this many deployments in the two periods, the exact integers (thousands of digits)
# cost tens of milliseconds a table, and a report by month over a million deployments
# makes dozens: the test runs in floating point instead, about 1e-12 from the exact
# value, with ties judged within FLOAT_TOLERANCE (as scipy does, in floating point too).
EXACT_UP_TO = 2_000
FLOAT_TOLERANCE = 1e-9
# Tables this many nats (a factor of e^60, about 1e26) below the least likely table that
# counts change no sum: even ten million of them move the p-value by under 1e-18.
NEGLIGIBLE = 60.0


@dataclass(frozen=True)
class RateChange:
    """The current period's rate against the previous one's."""

    current_rate_pct: float | None
    previous_rate_pct: float | None
    change_pp: float | None  # current minus previous, in percentage points; None without both
    p_value: float  # Fisher's exact test, two-sided
    significant: bool  # p_value < alpha
    alpha: float


def fisher_exact_p(table: tuple[tuple[int, int], tuple[int, int]]) -> float:
    """Two-sided p-value of Fisher's exact test on a 2x2 table of counts >= 0.

    The sum of the hypergeometric probabilities (margins fixed) of every table whose
    probability is <= the observed table's x (1 + 1e-14), as scipy.stats.fisher_exact
    defines it, computed exactly and rounded once. A table with an empty row or column has
    only one possible arrangement: p = 1.
    """
    (a, b), (c, d) = table
    for count in (a, b, c, d):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"table {table!r} must hold counts (integers >= 0)")
    row1, col1, total = a + b, a + c, a + b + c + d
    if 0 in (row1, c + d, col1, b + d):
        return 1.0
    # The top-left cell x ranges over [low, high]; weight(x) = C(row1, x) C(total-row1, col1-x).
    low, high = max(0, col1 - (total - row1)), min(row1, col1)
    if total > EXACT_UP_TO:
        # One orientation of the eight the test cannot tell apart, so that floating point
        # gives every one of them the same p-value, as the exact integers do.
        canonical = min(_orientations(table))
        if canonical != table:
            return fisher_exact_p(canonical)
        return _fisher_float(a, row1, total - row1, col1, low, high)
    weights = _hypergeometric_weights(row1, total - row1, col1, low, high)
    observed = weights[a - low]
    # weight <= observed x (1 + tol), in integers: weight x 10^14 <= observed x (10^14 + 1)
    scale = RELATIVE_TOLERANCE.denominator
    bound = observed * (scale + RELATIVE_TOLERANCE.numerator)
    as_extreme = sum(w for w in weights if w * scale <= bound)
    return min(1.0, as_extreme / sum(weights))  # int / int is rounded once, correctly


def compare_rates(
    current_rollbacks: int,
    current_settled: int,
    previous_rollbacks: int,
    previous_settled: int,
    alpha: float = ALPHA,
) -> RateChange:
    """The change from the previous period's rate to the current one's, and whether it is
    significant: Fisher's exact two-sided p < alpha (a period with nothing settled gives p = 1).
    """
    periods = ((current_rollbacks, current_settled), (previous_rollbacks, previous_settled))
    for rollbacks, settled in periods:
        if not 0 <= rollbacks <= settled:
            raise ValueError(
                f"{rollbacks} rollbacks out of {settled} settled: rollbacks must be between 0 "
                "and the settled count (pending deployments are not in either)"
            )
    current = rate_pct(current_rollbacks, current_settled)
    previous = rate_pct(previous_rollbacks, previous_settled)
    p_value = fisher_exact_p(
        (
            (current_rollbacks, current_settled - current_rollbacks),
            (previous_rollbacks, previous_settled - previous_rollbacks),
        )
    )
    return RateChange(
        current_rate_pct=current,
        previous_rate_pct=previous,
        change_pp=None if current is None or previous is None else current - previous,
        p_value=p_value,
        significant=p_value < alpha,
        alpha=alpha,
    )


def _fisher_float(a: int, successes: int, failures: int, draws: int, low: int, high: int) -> float:
    """The same p-value in floating point, for tables past EXACT_UP_TO: each table's log
    weight relative to the most likely table's, by the same recurrence, summed with
    log-sum-exp so that p-values far below any weight's float range stay exact to about
    1e-12.

    The weights rise to the most likely table and fall after it (the distribution is
    log-concave), so the walk starts there and goes out each way only until the weights
    are NEGLIGIBLE nats below the observed table's: a month of 30,000 deployments has some
    thousand tables that count, not the 30,000 possible ones. The observed table's side
    is walked first, since its weight says how far the other side must go.
    """
    mode = min(max((draws + 1) * (successes + 1) // (successes + failures + 2), low), high)

    def rise(x: int) -> float:  # log weight(x + 1) - log weight(x)
        return math.log((successes - x) * (draws - x) / ((x + 1) * (failures - draws + x + 1)))

    tolerance = math.log1p(FLOAT_TOLERANCE)
    logs = [0.0]  # the mode's
    bound = tolerance if a == mode else None  # ties with the observed table count
    for direction in (1, -1) if a >= mode else (-1, 1):
        x, value = mode, 0.0
        while low < x if direction < 0 else x < high:
            value = value + rise(x) if direction > 0 else value - rise(x - 1)
            x += direction
            logs.append(value)
            if x == a:
                bound = value + tolerance
            if bound is not None and value < bound - NEGLIGIBLE:
                break
    assert bound is not None  # the walk passed the observed table
    as_extreme = _log_sum_exp([value for value in logs if value <= bound])
    return min(1.0, math.exp(as_extreme - _log_sum_exp(logs)))


def _log_sum_exp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(math.fsum(math.exp(value - top) for value in values))


def _orientations(
    table: tuple[tuple[int, int], tuple[int, int]],
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The table with its rows swapped, its columns swapped, or transposed, in any
    combination (the p-value is the same for each)."""
    (a, b), (c, d) = table
    flips = [((a, b), (c, d)), ((c, d), (a, b)), ((b, a), (d, c)), ((d, c), (b, a))]
    return flips + [((p, r), (q, s)) for (p, q), (r, s) in flips]


def _hypergeometric_weights(
    successes: int, failures: int, draws: int, low: int, high: int
) -> list[int]:
    """C(successes, x) x C(failures, draws - x) for x from low to high, exactly."""
    weight = comb(successes, low) * comb(failures, draws - low)
    weights = [weight]
    for x in range(low, high):
        # weight(x + 1) = weight(x) (successes - x)(draws - x) / (x + 1)(failures - draws + x + 1),
        # an exact division because weight(x + 1) is an integer.
        weight = weight * (successes - x) * (draws - x) // ((x + 1) * (failures - draws + x + 1))
        weights.append(weight)
    return weights
