"""The statistics behind every rate the tool prints."""

from __future__ import annotations

import math

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal

BANDS = (
    # (name, upper bound, bound included): issue 2's interpretation bands.
    ("excellent", 5.0, False),
    ("acceptable", 10.0, False),
    ("concerning", 20.0, True),
)


def rate_pct(part: int, whole: int) -> float | None:
    """part / whole as a percentage; None when there is nothing to divide by."""
    return None if whole == 0 else part / whole * 100


def wilson_interval_pct(successes: int, trials: int, z: float = Z_95) -> list[float] | None:
    """Wilson score interval in percent: honest for small samples and rates near 0 or 100."""
    if trials == 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 or all successes the bound is exactly 0 or 100; floating point would miss it.
    low = 0.0 if successes == 0 else max(0.0, (centre - half) * 100)
    high = 100.0 if successes == trials else min(100.0, (centre + half) * 100)
    return [low, high]


def band(rate: float | None) -> str | None:
    """excellent < 5 <= acceptable < 10 <= concerning <= 20 < high_risk."""
    if rate is None:
        return None
    for name, bound, inclusive in BANDS:
        if rate < bound or (inclusive and rate == bound):
            return name
    return "high_risk"
