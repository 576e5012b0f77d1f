"""Is a change in the rollback rate more than chance? (issue 12, "Beyond one rate")

Two periods' rates, rollbacks / settled, form a 2x2 table:

    [[current rollbacks,  current settled - current rollbacks],
     [previous rollbacks, previous settled - previous rollbacks]]

Fisher's exact test conditions on the table's margins; the top-left cell then follows the
hypergeometric distribution, whose weights are integers, C(K, x) x C(N - K, n - x). They
are computed exactly with Python's integers (one multiplication and one exact division per
table), so the test is exact for tens of thousands of deployments and needs no scipy.
"""

from __future__ import annotations

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
