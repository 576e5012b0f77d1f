import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.survival import (
    catching_window_hours,
    delay_quantile_hours,
    describe_time_to_rollback,
    kaplan_meier,
    late_share_pct,
    survival_at,
    survival_quantile_hours,
)

# Ten deployments: (hours until rollback, or until as_of when not rolled back; rolled back?)
TEN = [
    (1, True),
    (2, False),
    (3, True),
    (3, True),
    (3, False),  # censored at an event time: still at risk at 3
    (5, False),
    (6, True),
    (8, False),
    (10, True),
    (10, False),  # likewise at 10
]


def test_hand_computed_curve():
    # t=1:  at risk 10, 1 event:  S = 9/10                 = 0.9
    # t=2:  a censoring; 8 remain
    # t=3:  at risk 8 (the one censored at 3 included), 2 events: S = 0.9 x 6/8 = 0.675
    # t=5:  a censoring; after t=3 five remained, now 4
    # t=6:  at risk 4, 1 event:   S = 0.675 x 3/4          = 0.50625
    # t=8:  a censoring; 2 remain
    # t=10: at risk 2 (one event, one censored), 1 event:  S = 0.50625 x 1/2 = 0.253125
    curve = kaplan_meier(TEN)
    assert [(p.hours, p.survival, p.at_risk, p.events) for p in curve] == [
        (1, 0.9, 10, 1),
        (3, 0.675, 8, 2),
        (6, 0.50625, 4, 1),
        (10, 0.253125, 2, 1),
    ]


def test_hand_computed_greenwood_variance_and_interval():
    # Greenwood sums d / (n (n - d)): 1/90; + 2/48 = 19/360; + 1/12 = 49/360; + 1/2 = 229/360.
    # Var = S^2 x sum: 0.81/90 = 0.009; 0.455625 x 19/360 = 0.024046875;
    # 0.2562890625 x 49/360 = 0.0348837890625; 0.064072265625 x 229/360 = 0.0407570800781...
    curve = kaplan_meier(TEN)
    assert [p.variance for p in curve] == pytest.approx(
        [0.009, 0.024046875, 0.0348837890625, 0.064072265625 * 229 / 360], rel=1e-12
    )
    # At t=1: log S = ln 0.9 = -0.1053605157; se = sqrt(1/90) / 0.1053605157 = 1.0004626;
    # centre = ln(0.1053605157) = -2.2503673; z x se = 1.9599640 x 1.0004626 = 1.9608707;
    # low = exp(-exp(-2.2503673 + 1.9608707)) = exp(-0.7486525) = 0.4730093;
    # high = exp(-exp(-2.2503673 - 1.9608707)) = exp(-0.0148361) = 0.9852814.
    assert curve[0].ci95 == pytest.approx([0.4730093, 0.9852814], abs=1e-7)


def test_survival_zero_has_no_variance():
    # t=1: at risk 3, 1 event: S = 2/3; t=2: at risk 2, both roll back: S = 2/3 x 0/2 = 0.
    curve = kaplan_meier([(1, True), (2, True), (2, True)])
    assert [(p.hours, p.survival) for p in curve] == [(1, 2 / 3), (2, 0.0)]
    assert curve[-1].variance is None
    assert curve[-1].ci95 is None


def test_empty_and_all_censored_give_an_empty_curve():
    assert kaplan_meier([]) == []
    assert kaplan_meier([(5, False), (1, False)]) == []
    assert survival_quantile_hours([], 0.5) is None


def test_survival_at_reads_the_step_function():
    curve = kaplan_meier(TEN)
    # 1 before the first event time; each value holds from its event time to the next.
    assert [survival_at(curve, h) for h in (0, 0.99, 1, 2.5, 3, 9.99, 10, 1e6)] == [
        1.0, 1.0, 0.9, 0.9, 0.675, 0.50625, 0.253125, 0.253125
    ]  # fmt: skip
    assert survival_at([], 5) == 1.0


def test_survival_quantiles_hand_computed():
    curve = kaplan_meier(TEN)
    # S <= 1 - q: q=0.1 -> first S <= 0.9 is 0.9 itself at t=1 (exact tie counts);
    # q=0.25 -> first S <= 0.75 is 0.675 at t=3; median -> 0.50625 > 0.5, so 0.253125 at t=10;
    # q=0.9 -> S never gets to 0.1.
    assert survival_quantile_hours(curve, 0.1) == 1
    assert survival_quantile_hours(curve, 0.25) == 3
    assert survival_quantile_hours(curve, 0.5) == 10
    assert survival_quantile_hours(curve, 0.9) is None


def test_survival_quantile_is_exact_where_floating_point_is_not():
    # Six deployments rolled back at 1..6 hours: S(3) = 5/6 x 4/5 x 3/4 = 1/2 exactly, so the
    # median is 3. exp(sum of logs), as lifelines computes it, gives 0.5000000000000001.
    curve = kaplan_meier([(h, True) for h in range(1, 7)])
    assert math.exp(sum(math.log((k - 1) / k) for k in (6, 5, 4))) > 0.5
    assert curve[2].survival == 0.5
    assert survival_quantile_hours(curve, 0.5) == 3


def test_delay_quantiles_hand_computed():
    # Rolled-back delays of TEN, sorted: 1, 3, 3, 6, 10 (m = 5). x_(ceil(q m)):
    # median: ceil(2.5) = 3 -> 3; p90: ceil(4.5) = 5 -> 10; q = 0.4: ceil(2) = 2 -> 3;
    # q = 0.2: ceil(1) = 1 -> 1; q = 1: the largest, 10.
    assert delay_quantile_hours(TEN, 0.5) == 3
    assert delay_quantile_hours(TEN, 0.9) == 10
    assert delay_quantile_hours(TEN, 0.4) == 3
    assert delay_quantile_hours(TEN, 0.2) == 1
    assert delay_quantile_hours(TEN, 1) == 10
    assert delay_quantile_hours([(4, False)], 0.5) is None


def test_delay_quantile_index_is_exact():
    # m = 100 delays 1..100, q = 0.07: ceil(7) = 7 -> 7. In floating point 0.07 x 100 is
    # 7.000000000000001, whose ceiling would pick 8.
    assert math.ceil(0.07 * 100) == 8
    assert delay_quantile_hours([(h, True) for h in range(1, 101)], 0.07) == 7


def test_catching_window_hand_computed():
    # 20 rollbacks at 1..20 hours: 95% of 20 is 19, so the window must reach x_(19) = 19;
    # a 19-hour window catches 19/20 = 95% (exactly at the edge counts).
    twenty = [(h, True) for h in range(1, 21)]
    assert catching_window_hours(twenty) == 19
    # 21 rollbacks: 0.95 x 21 = 19.95 -> x_(20); 19 of 21 would be only 90.5%.
    assert catching_window_hours([*twenty, (21, True)]) == 20
    assert catching_window_hours([(3, False)]) is None


def test_late_share_hand_computed():
    # Delays 1, 3, 3, 6, 10. Window 6: only 10 is late (6 is exactly at the edge) -> 1/5 = 20%.
    # Window 5.99: 6 and 10 are late -> 2/5 = 40%.
    assert late_share_pct(TEN, 6) == 20.0
    assert late_share_pct(TEN, 5.99) == 40.0
    assert late_share_pct([(1, False)], 6) is None


def test_describe_time_to_rollback_combines_the_parts():
    described = describe_time_to_rollback(iter(TEN), window_hours=6)
    assert len(described.curve) == 4
    assert described.median_hours == 10
    assert described.p90_hours is None
    assert described.rollback_median_hours == 3
    assert described.rollback_p90_hours == 10
    assert described.late_share_pct == 20.0
    assert described.window_for_95pct_hours == 10


def test_counted_observations_are_that_many_deployments():
    # TEN with its ties counted: (3, True) twice becomes (3, True, 2). Hand-computed as above,
    # and the same again with every count doubled: at risk doubles, the ratios do not change.
    counted = [(1, True), (2, False), (3, True, 2), (3, False, 1), (5, False), (6, True),
               (8, False), (10, True), (10, False)]  # fmt: skip
    assert kaplan_meier(counted) == kaplan_meier(TEN)
    doubled = [(h, e, 2 * (rest[0] if rest else 1)) for h, e, *rest in counted]
    assert [(p.hours, p.survival, p.at_risk, p.events) for p in kaplan_meier(doubled)] == [
        (1, 0.9, 20, 2),
        (3, 0.675, 16, 4),
        (6, 0.50625, 8, 2),
        (10, 0.253125, 4, 2),
    ]
    # Delays 1, 3, 3, 6, 10, each twice (m = 10): median x_(5) = 3, p90 x_(9) = 10; late
    # beyond 6 h: 2 of 10.
    assert delay_quantile_hours(doubled, 0.5) == 3
    assert delay_quantile_hours(doubled, 0.9) == 10
    assert late_share_pct(doubled, 6) == 20.0


@pytest.mark.parametrize("count", [0, -2, 1.5, True])
def test_rejects_counts_that_are_not_deployments(count):
    with pytest.raises(ValueError, match="whole number >= 1"):
        kaplan_meier([(1.0, True, count)])


def test_a_long_curve_is_fast_and_its_quantiles_stay_exact():
    # 2,000 deployments, 1,000 rolled back at 1..1,000 hours, the rest censored at 2,000:
    # S(k) = (2000 - k) / 2000 telescopes, so S(1000) = 1/2 exactly. The exact product passes
    # 4,096 bits after a few hundred steps and goes on in floating point; the median is
    # still decided exactly.
    data = [(h, True) for h in range(1, 1001)] + [(2000, False, 1000)]
    curve = kaplan_meier(data)
    assert curve[999].survival == pytest.approx(0.5, rel=1e-12)
    assert curve[499].survival == pytest.approx(0.75, rel=1e-12)
    assert survival_quantile_hours(curve, 0.5) == 1000
    assert survival_quantile_hours(curve, 0.25) == 500
    # Just short of the level: 1/2 is reached at 1,000 hours, not before.
    assert survival_quantile_hours(curve[:999], 0.5) is None


@pytest.mark.parametrize("hours", [-1.0, math.inf, math.nan])
def test_rejects_impossible_durations(hours):
    with pytest.raises(ValueError, match="finite number >= 0"):
        kaplan_meier([(hours, True)])


@pytest.mark.parametrize("q", [0, -0.5, 1.5])
def test_rejects_quantiles_outside_the_unit_interval(q):
    with pytest.raises(ValueError, match=r"outside \(0, 1\]"):
        delay_quantile_hours(TEN, q)
    with pytest.raises(ValueError, match=r"outside \(0, 1\]"):
        survival_quantile_hours(kaplan_meier(TEN), q)


# Durations on a quarter-hour grid, so that ties of events and censorings are common.
observations = st.lists(
    st.tuples(st.integers(0, 40).map(lambda quarters: quarters / 4), st.booleans()),
    min_size=1,
    max_size=60,
)


# percentile() warns that it reads the step curve as it is, which is what we compare with.
@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ApproximationWarning")
@settings(max_examples=150, deadline=None)
@given(observations)
def test_curve_matches_lifelines(data):
    from lifelines import KaplanMeierFitter

    curve = kaplan_meier(data)
    fitter = KaplanMeierFitter().fit([h for h, _ in data], [e for _, e in data])
    table = fitter.event_table
    event_times = sorted(table.index[table["observed"] > 0])
    assert [p.hours for p in curve] == event_times
    for point in curve:
        assert point.at_risk == table.loc[point.hours, "at_risk"]
        assert point.events == table.loc[point.hours, "observed"]
        assert point.survival == pytest.approx(
            fitter.survival_function_.loc[point.hours].iloc[0], rel=1e-9, abs=1e-12
        )
        if point.ci95 is not None:
            low, high = fitter.confidence_interval_.loc[point.hours]
            assert point.ci95 == pytest.approx([low, high], rel=1e-7, abs=1e-12)
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        level = 1 - q
        if any(abs(p.survival - level) < 1e-9 for p in curve):
            continue  # lifelines' floating point may land either side of an exact tie
        expected = fitter.percentile(level)
        assert survival_quantile_hours(curve, q) == (None if expected == math.inf else expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12).map(lambda q: q / 4), st.booleans(),
                          st.integers(1, 4)), min_size=1, max_size=30))  # fmt: skip
def test_counted_observations_equal_the_deployments_written_out(data):
    written_out = [(hours, rolled_back) for hours, rolled_back, n in data for _ in range(n)]
    assert kaplan_meier(data) == kaplan_meier(written_out)
    for q in (0.1, 0.5, 0.95):
        assert delay_quantile_hours(data, q) == delay_quantile_hours(written_out, q)
    assert late_share_pct(data, 1.5) == late_share_pct(written_out, 1.5)


@given(observations, st.floats(0.01, 1))
def test_delay_quantile_definition_holds(data, q):
    delays = sorted(h for h, rolled_back in data if rolled_back)
    result = delay_quantile_hours(data, q)
    if not delays:
        assert result is None
        return
    # At least a share q of the delays are <= the result, and fewer are < it: it is the
    # smallest observed delay with that property.
    share_q = q * len(delays)
    assert sum(1 for d in delays if d <= result) >= share_q - 1e-9
    assert sum(1 for d in delays if d < result) < share_q + 1e-9
    assert result in delays


@given(observations, st.integers(0, 40).map(lambda quarters: quarters / 4))
def test_late_share_and_catching_window_agree(data, window_hours):
    late = late_share_pct(data, window_hours)
    caught = catching_window_hours(data, 0.95)
    if late is None:
        assert caught is None
        return
    # A window at least as long as the 95% window leaves at most 5% of rollbacks late.
    if caught is not None and window_hours >= caught:
        assert late <= 5 + 1e-9
    # And one shorter than it leaves more than 5% late.
    if caught is not None and window_hours < caught:
        assert late > 5
