import pytest

from rollback_rate.metrics import band, rate_pct, wilson_interval_pct


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.0, "excellent"),
        (4.999, "excellent"),
        (5.0, "acceptable"),
        (9.999, "acceptable"),
        (10.0, "concerning"),
        (20.0, "concerning"),
        (20.001, "high_risk"),
        (100.0, "high_risk"),
        (None, None),
    ],
)
def test_bands_at_their_edges(rate, expected):
    assert band(rate) == expected


def test_rate_is_null_without_a_denominator():
    assert rate_pct(0, 0) is None
    assert rate_pct(1, 8) == 12.5


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Computed with 40-digit decimals and z = 1.959963984540054, as in the contract examples.
        (1, 3, 6.149194472039621, 79.23403991979522),
        (2, 4, 15.003898915214947, 84.99610108478505),
        (0, 10, 0.0, 27.75327998628892),
        (10, 10, 72.24672001371108, 100.0),
        (5, 100, 2.154367915436797, 11.175046923191914),
    ],
)
def test_wilson_interval_values(successes, trials, low, high):
    assert wilson_interval_pct(successes, trials) == pytest.approx([low, high], abs=1e-9)


def test_wilson_interval_needs_trials():
    assert wilson_interval_pct(0, 0) is None
