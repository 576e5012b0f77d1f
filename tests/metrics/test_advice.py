"""Root-cause guidance, by hand: ranking, shares with their intervals, roll-up, findings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.advice import AdviceInput, CauseCount, advise
from rollback_rate.metrics.cost import Cost
from rollback_rate.metrics.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
# Wilson 95% intervals in percent, computed with 40-digit decimals and z = 1.959963984540054.
CI_4_OF_10 = [16.818032970623612, 68.73262302663417]
CI_2_OF_10 = [5.668215145437526, 50.983752846335825]
CI_3_OF_10 = [10.779126740630103, 60.322185253885465]
CI_1_OF_6 = [3.005336974830667, 56.350282218647024]
CI_3_OF_6 = [18.76163064826505, 81.23836935173495]
CI_2_OF_6 = [9.677141110578049, 70.00066848616079]
EVAL = "evaluation dataset coverage and sliced evaluation"
SCHEMA = "schema validation gate and data contracts"
RECORD = "record causes on every rollback"
RANKED = " before causes are ranked"


def ten_by_count():
    return AdviceInput(
        rollbacks=10,
        causes=[
            CauseCount("unspecified", 2, ("e9", "e10"), previous_count=2),
            CauseCount("performance_regression", 2, ("e7", "e8"), previous_count=0),
            CauseCount("data_schema_change", 4, ("e1", "e2", "e3", "e4"), previous_count=1),
            CauseCount("edge_case_regression", 2, ("e5", "e6"), previous_count=3),
        ],
        scope={"team": "risk"},
    )


def test_without_costs_causes_rank_by_count_then_by_slug():
    advice = advise(ten_by_count(), TAXONOMY, min_rollbacks=5)
    assert advice.sufficient
    assert advice.ranked_by == "count"
    assert advice.message == "10 rollbacks in the period, ranked by count"
    ranked = [(r.rank, r.cause, r.count) for r in advice.recommendations]
    assert ranked == [
        (1, "data_schema_change", 4),
        (2, "edge_case_regression", 2),
        (3, "performance_regression", 2),
        (4, "unspecified", 2),
    ]


def test_each_recommendation_carries_its_share_interval_change_and_evidence():
    first, second = advise(ten_by_count(), TAXONOMY).recommendations[:2]
    assert first.as_dict() == {
        "rank": 1,
        "cause": "data_schema_change",
        "category": "data",
        "investment": SCHEMA,
        "why": TAXONOMY.entry("data_schema_change").why,
        "count": 4,
        "share_pct": 40.0,
        "share_ci95": pytest.approx(CI_4_OF_10, rel=1e-12),
        "previous_count": 1,
        "change": 3,
        "cost": None,
        "event_ids": ["e1", "e2", "e3", "e4"],
    }
    assert (second.share_pct, second.previous_count, second.change) == (20.0, 3, -1)
    assert second.share_ci95 == pytest.approx(CI_2_OF_10, rel=1e-12)


def test_causes_sharing_an_investment_are_summed_in_the_roll_up():
    investments = advise(ten_by_count(), TAXONOMY).investments
    # edge_case + performance = 2 + 2 = 4 ties data_schema_change's 4: the name decides.
    assert [(i.rank, i.investment, i.causes, i.count, i.previous_count) for i in investments] == [
        (1, EVAL, ("edge_case_regression", "performance_regression"), 4, 3),
        (2, SCHEMA, ("data_schema_change",), 4, 1),
        (3, RECORD, ("unspecified",), 2, 2),
    ]
    assert investments[0].share_pct == 40.0
    assert investments[0].share_ci95 == pytest.approx(CI_4_OF_10, rel=1e-12)
    assert investments[0].as_dict()["change"] == 1


def test_with_costs_causes_rank_by_estimated_cost():
    data = AdviceInput(
        rollbacks=6,
        causes=[
            CauseCount("data_schema_change", 3, previous_count=2, cost=Cost("USD", 900, 300)),
            CauseCount("latency", 1, cost=Cost("USD", degraded=5000)),
            CauseCount("unspecified", 2, cost=Cost("USD", 500, 200, 100)),
        ],
    )
    advice = advise(data, TAXONOMY)
    assert advice.ranked_by == "cost"
    assert advice.message == "6 rollbacks in the period, ranked by estimated cost"
    assert [(r.cause, r.cost.as_dict()["total"]) for r in advice.recommendations] == [
        ("latency", 5000.0),
        ("data_schema_change", 1200.0),
        ("unspecified", 800.0),
    ]
    shares = [(r.share_pct, r.share_ci95) for r in advice.recommendations]
    assert shares[0][0] == pytest.approx(16.666666666666668, rel=1e-12)  # 1 of 6
    assert shares[0][1] == pytest.approx(CI_1_OF_6, rel=1e-12)
    assert shares[1] == (50.0, pytest.approx(CI_3_OF_6, rel=1e-12))
    assert shares[2][1] == pytest.approx(CI_2_OF_6, rel=1e-12)
    assert advice.recommendations[0].as_dict()["cost"] == {
        "currency": "USD",
        "total": 5000.0,
        "degraded": 5000.0,
        "triage": 0.0,
        "fixed": 0.0,
    }


def test_equal_costs_rank_by_count_then_slug_and_the_roll_up_sums_costs():
    data = AdviceInput(
        rollbacks=6,
        causes=[
            CauseCount("unexpected_behaviour", 1, cost=Cost("USD", 60, 40)),
            CauseCount("safety", 2, cost=Cost("USD", 70, 30)),
            CauseCount("latency", 2, cost=Cost("USD", 10, 80, 10)),
            CauseCount("infrastructure", 1, cost=Cost("USD", 20)),
        ],
    )
    advice = advise(data, TAXONOMY)
    # safety, latency and unexpected_behaviour all cost 100.00: count 2, 2, 1, then slug.
    assert [r.cause for r in advice.recommendations] == [
        "latency",
        "safety",
        "unexpected_behaviour",
        "infrastructure",
    ]
    top = advice.investments[0]
    assert top.investment == "behaviour and safety evaluation gates, canary analysis"
    assert top.causes == ("safety", "unexpected_behaviour")
    assert top.count == 3
    # (70 + 60) degraded, (30 + 40) triage: 200.00.
    assert top.cost.as_dict() == {
        "currency": "USD",
        "total": 200.0,
        "degraded": 130.0,
        "triage": 70.0,
        "fixed": 0.0,
    }
    assert [i.investment for i in advice.investments[1:]] == [
        "load tests before promotion",
        "serving infrastructure",
    ]


@pytest.mark.parametrize(
    ("rollbacks", "message"),
    [
        (0, "0 rollbacks in the period; advice needs at least 5, so 5 more" + RANKED),
        (1, "1 rollback in the period; advice needs at least 5, so 4 more" + RANKED),
        (4, "4 rollbacks in the period; advice needs at least 5, so 1 more" + RANKED),
    ],
)
def test_too_few_rollbacks_rank_nothing_and_say_how_many_more_are_needed(rollbacks, message):
    causes = [CauseCount("unspecified", rollbacks, previous_count=7)] if rollbacks else []
    advice = advise(AdviceInput(rollbacks, causes), TAXONOMY, min_rollbacks=5)
    assert advice.as_dict() == {
        "scope": {},
        "rollbacks": rollbacks,
        "min_rollbacks": 5,
        "sufficient": False,
        "message": message,
        "ranked_by": None,
        "findings": [],
        "recommendations": [],
        "investments": [],
    }


def test_exactly_min_rollbacks_is_enough():
    advice = advise(AdviceInput(5, [CauseCount("latency", 5)]), TAXONOMY, min_rollbacks=5)
    assert advice.sufficient
    assert advice.recommendations[0].share_pct == 100.0
    assert advice.recommendations[0].share_ci95[1] == 100.0


def test_an_unspecified_share_of_30_percent_or_more_is_a_finding():
    data = AdviceInput(10, [CauseCount("unspecified", 3), CauseCount("latency", 7)])
    findings = advise(data, TAXONOMY).as_dict()["findings"]
    assert findings == [
        {
            "code": "unspecified_share_high",
            "text": "30% of rollbacks (3 of 10) recorded no cause, so they point at no "
            "investment; record a cause wherever rollbacks are recorded",
        }
    ]
    unspecified = advise(data, TAXONOMY).recommendations[1]
    assert unspecified.investment == RECORD
    assert unspecified.share_ci95 == pytest.approx(CI_3_OF_10, rel=1e-12)


def test_a_lower_unspecified_share_is_no_finding():
    assert advise(ten_by_count(), TAXONOMY).findings == ()  # 2 of 10
    two_of_seven = AdviceInput(7, [CauseCount("unspecified", 2), CauseCount("latency", 5)])
    assert advise(two_of_seven, TAXONOMY).findings == ()  # 28.6%
    two_of_six = AdviceInput(6, [CauseCount("unspecified", 2), CauseCount("latency", 4)])
    assert advise(two_of_six, TAXONOMY).findings[0].text.startswith("33.3% of rollbacks (2 of 6)")


def test_an_unknown_cause_is_ranked_with_the_generic_entry():
    data = AdviceInput(5, [CauseCount("gpu_oom", 5, ("e1",))])
    recommendation = advise(data, TAXONOMY).recommendations[0]
    assert recommendation.category == "unclassified"
    assert recommendation.investment == "classify this cause in the taxonomy"
    assert "[taxonomy.gpu_oom]" in recommendation.why


def test_a_cause_absent_this_period_is_not_recommended():
    data = AdviceInput(5, [CauseCount("latency", 5), CauseCount("safety", 0, previous_count=4)])
    assert [r.cause for r in advise(data, TAXONOMY).recommendations] == ["latency"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (AdviceInput(6, [CauseCount("latency", 5)]), "do not add up to the 6 rollbacks"),
        (
            AdviceInput(5, [CauseCount("latency", 2), CauseCount("latency", 3)]),
            "a cause is listed twice",
        ),
        (
            AdviceInput(5, [CauseCount("latency", 2, cost=Cost("USD")), CauseCount("safety", 3)]),
            "give every cause a cost or none",
        ),
        (AdviceInput(0, [CauseCount("latency", 0, previous_count=-1)]), "cannot be negative"),
    ],
)
def test_inconsistent_input_is_a_programming_error(data, message):
    with pytest.raises(ValueError, match=message):
        advise(data, TAXONOMY)


def test_min_rollbacks_must_be_at_least_one():
    with pytest.raises(ValueError, match=r"min_rollbacks must be at least 1 \(got 0\)"):
        advise(AdviceInput(0, []), TAXONOMY, min_rollbacks=0)


# ---- invariants ---------------------------------------------------------------------

SLUGS = ["data_schema_change", "latency", "safety", "unspecified", "gpu_oom", "other"]


@given(
    counts=st.lists(st.integers(min_value=0, max_value=40), min_size=6, max_size=6),
    seed=st.randoms(use_true_random=False),
)
@settings(max_examples=200, deadline=None)
def test_advice_does_not_depend_on_input_order_and_shares_sit_in_their_intervals(counts, seed):
    causes = [
        CauseCount(slug, n, previous_count=n // 2) for slug, n in zip(SLUGS, counts, strict=True)
    ]
    shuffled = list(causes)
    seed.shuffle(shuffled)
    total = sum(counts)
    advice = advise(AdviceInput(total, causes), TAXONOMY)
    assert advice == advise(AdviceInput(total, shuffled), TAXONOMY)
    for item in (*advice.recommendations, *advice.investments):
        low, high = item.share_ci95
        assert low <= item.share_pct <= high
    if advice.sufficient:
        assert sum(r.count for r in advice.recommendations) == total
        assert sum(i.count for i in advice.investments) == total
        counts_ranked = [r.count for r in advice.recommendations]
        assert counts_ranked == sorted(counts_ranked, reverse=True)
