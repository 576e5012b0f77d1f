import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.significance import compare_rates, fisher_exact_p


def test_hand_computed_symmetric_table():
    # [[3, 1], [1, 3]]: rows 4 and 4, first column 4, N = 8. The top-left cell x runs 0..4
    # with weights C(4, x) C(4, 4 - x) = 1, 16, 36, 16, 1 (total C(8, 4) = 70). Observed
    # x = 3 has weight 16; as or less likely: x = 0, 1, 3, 4 -> 1 + 16 + 16 + 1 = 34.
    # p = 34 / 70 = 17 / 35 = 0.48571428571428571...
    assert fisher_exact_p(((3, 1), (1, 3))) == 17 / 35


def test_hand_computed_table_with_an_exact_tie():
    # [[1, 9], [11, 3]]: rows 10 and 14, first column 12, N = 24, x runs 0..10 with weights
    # C(10, x) C(14, 12 - x). Observed x = 1: 10 x C(14, 11) = 10 x 364 = 3640.
    # x = 0: C(14, 12) = 91;  x = 10: C(14, 2) = 91;  x = 9: 10 x C(14, 3) = 3640 (a tie);
    # x = 2 and x = 8: 45 x 1001 = 45045, more likely. Total C(24, 12) = 2704156.
    # p = (91 + 3640 + 3640 + 91) / 2704156 = 7462 / 2704156
    assert fisher_exact_p(((1, 9), (11, 3))) == 7462 / 2704156


def test_compare_rates_hand_computed():
    # Current 8 of 10 settled rolled back (80%), previous 1 of 6 (16.67%): table
    # [[8, 2], [1, 5]], rows 10 and 6, first column 9, N = 16, x runs 3..9 with weights
    # C(10, x) C(6, 9 - x) = 120, 1260, 3780, 4200, 1800, 270, 10 (total C(16, 9) = 11440).
    # Observed x = 8 (270); as or less likely: x = 3, 8, 9 -> 120 + 270 + 10 = 400.
    # p = 400 / 11440 = 5 / 143 = 0.03497 < 0.05.
    change = compare_rates(8, 10, 1, 6)
    assert change.current_rate_pct == 80.0
    assert change.previous_rate_pct == pytest.approx(100 / 6)
    assert change.change_pp == pytest.approx(80 - 100 / 6)
    assert change.p_value == 5 / 143
    assert change.significant is True
    assert change.alpha == 0.05
    # The same p-value is not significant at alpha = 0.01.
    assert compare_rates(8, 10, 1, 6, alpha=0.01).significant is False


def test_no_change_is_not_significant():
    # [[2, 8], [2, 8]]: observed x = 2 is the mode (weight C(10,2)^2 = 2025, the largest),
    # so every table is as or less likely: p = 1.
    change = compare_rates(2, 10, 2, 10)
    assert change.change_pp == 0.0
    assert change.p_value == 1.0
    assert change.significant is False


def test_empty_period_gives_p_one_and_no_change():
    change = compare_rates(0, 0, 3, 10)
    assert change.current_rate_pct is None
    assert change.previous_rate_pct == 30.0
    assert change.change_pp is None
    assert change.p_value == 1.0
    assert change.significant is False


@pytest.mark.parametrize(
    "table",
    [
        ((0, 0), (3, 7)),  # empty row
        ((0, 5), (0, 7)),  # no rollbacks in either period: empty column
        ((4, 0), (6, 0)),  # everything rolled back: empty column
        ((0, 0), (0, 0)),
    ],
)
def test_empty_row_or_column_gives_p_one(table):
    assert fisher_exact_p(table) == 1.0


def test_thousands_of_deployments():
    # 4.0% of 10000 against 4.8% of 10000. The weights have thousands of digits; a float
    # C(20000, 880) overflows, the exact integers do not. Reference: scipy 1.17's
    # fisher_exact gives 0.006426216957543771; we agree to 1e-12 relative.
    assert fisher_exact_p(((400, 9600), (480, 9520))) == pytest.approx(
        0.006426216957543771, rel=1e-12
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((5, 4, 0, 1), "5 rollbacks out of 4 settled"),
        ((0, 1, -1, 3), "-1 rollbacks out of 3 settled"),
    ],
)
def test_compare_rates_rejects_impossible_counts(args, message):
    with pytest.raises(ValueError, match=message):
        compare_rates(*args)


def test_fisher_rejects_negative_counts():
    with pytest.raises(ValueError, match="integers >= 0"):
        fisher_exact_p(((1, -1), (2, 3)))


small = st.integers(0, 40)
large = st.integers(0, 3000)
tables = st.one_of(
    st.tuples(st.tuples(small, small), st.tuples(small, small)),
    st.tuples(st.tuples(small, large), st.tuples(small, large)),  # rollback-like: rare events
)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_matches_scipy(table):
    from scipy.stats import fisher_exact

    expected = fisher_exact(table, alternative="two-sided").pvalue
    assert fisher_exact_p(table) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@given(tables)
def test_p_value_is_a_probability_and_ignores_orientation(table):
    (a, b), (c, d) = table
    p = fisher_exact_p(table)
    assert 0 < p <= 1
    # Swapping the periods, or counting successes instead of rollbacks, is the same test.
    assert fisher_exact_p(((c, d), (a, b))) == p
    assert fisher_exact_p(((b, a), (d, c))) == p
    assert fisher_exact_p(((a, c), (b, d))) == p


def _p_with_exact_up_to(limit, table):
    from rollback_rate.metrics import significance

    saved, significance.EXACT_UP_TO = significance.EXACT_UP_TO, limit
    try:
        return fisher_exact_p(table)
    finally:
        significance.EXACT_UP_TO = saved


@settings(max_examples=300, deadline=None)
@given(tables)
def test_floating_point_agrees_with_the_exact_integers(table):
    """Past EXACT_UP_TO deployments the test runs in floating point; it must give what
    the exact integers give, to about 1e-12, tiny p-values included."""
    exact = _p_with_exact_up_to(10**9, table)
    assert _p_with_exact_up_to(0, table) == pytest.approx(exact, rel=1e-11, abs=1e-300)


def test_a_month_of_30000_deployments_matches_the_exact_integers():
    # Two months of 30,000 deployments, as a report by month over a million makes.
    table = ((1_210, 28_790), (1_318, 28_682))
    assert fisher_exact_p(table) == pytest.approx(_p_with_exact_up_to(10**9, table), rel=1e-11)
