"""The cost of rollbacks, every figure computed by hand."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.metrics.cost import (
    Cost,
    CostFigures,
    CostModel,
    CostOverride,
    CostTally,
    estimate_cost,
    exposure_hours,
    tally_cost,
)
from rollback_rate.timeutil import MICROS_PER_HOUR

# [cost]: 200/h degraded, triage 6 h manual or 2 h automated at 120/h, 50 per rollback.
BASE = CostFigures(
    degraded_per_hour=200,
    triage_hours_manual=6,
    triage_hours_automated=2,
    engineer_hourly_rate=120,
    per_rollback=50,
)
MODEL = CostModel(
    currency="USD",
    figures=BASE,
    overrides=(
        CostOverride(model="fraud-*", environment="production", degraded_per_hour=1000),
        CostOverride(team="risk", degraded_per_hour=500, per_rollback=0),
    ),
)
SEVEN_DAYS = 7 * 24 * MICROS_PER_HOUR


def tally(model="ranker", environment="production", team="search", automated=False, n=1, h=0.0):
    return CostTally(model, environment, team, automated, rollbacks=n, exposure_hours=h)


def test_exposure_is_rollback_time_minus_deployment_time_in_hours():
    deployed = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
    assert exposure_hours(deployed, deployed) == 0.0
    assert exposure_hours(deployed, deployed + 90 * 60_000_000) == 1.5
    assert exposure_hours(deployed, deployed + SEVEN_DAYS) == 168.0


def test_a_rollback_at_its_deployment_time_costs_only_triage_and_the_fixed_part():
    # 0 h x 200 = 0; 1 x 6 h x 120 = 720; 1 x 50 = 50.
    cost = tally_cost(tally(h=0.0), MODEL)
    assert (cost.degraded, cost.triage, cost.fixed, cost.total) == (0.0, 720.0, 50.0, 770.0)


def test_a_rollback_exactly_at_the_window_edge_is_priced_for_the_whole_week():
    # 168 h x 200 = 33,600; automated: 1 x 2 h x 120 = 240; 50. Total 33,890.
    cost = tally_cost(tally(automated=True, h=exposure_hours(0, SEVEN_DAYS)), MODEL)
    assert cost.as_dict() == {
        "currency": "USD",
        "total": 33890.0,
        "degraded": 33600.0,
        "triage": 240.0,
        "fixed": 50.0,
    }


def test_automated_and_manual_rollbacks_take_their_own_triage_hours():
    # 3 rollbacks: manual 3 x 6 x 120 = 2,160; automated 3 x 2 x 120 = 720.
    assert tally_cost(tally(n=3, h=4.5), MODEL).triage == 2160.0
    assert tally_cost(tally(n=3, h=4.5, automated=True), MODEL).triage == 720.0
    # Exposure is already summed over the three: 4.5 h x 200 = 900; 3 x 50 = 150.
    assert tally_cost(tally(n=3, h=4.5), MODEL).degraded == 900.0
    assert tally_cost(tally(n=3, h=4.5), MODEL).fixed == 150.0


def test_the_first_matching_override_wins_and_its_missing_figures_come_from_cost():
    # fraud-scorer/risk/production matches both overrides; the first sets 1000/h only,
    # so per_rollback stays [cost]'s 50 (the second override's 0 does not apply).
    cost = tally_cost(tally("fraud-scorer", "production", "risk", h=3.0), MODEL)
    assert (cost.degraded, cost.triage, cost.fixed) == (3000.0, 720.0, 50.0)


def test_the_second_override_applies_where_the_first_does_not_match():
    # staging: not the first override's environment; team risk: 3 x 500 = 1,500, fixed 0.
    cost = tally_cost(tally("fraud-scorer", "staging", "risk", h=3.0), MODEL)
    assert (cost.degraded, cost.triage, cost.fixed) == (1500.0, 720.0, 0.0)


def test_a_team_glob_never_matches_a_rollback_without_a_team():
    assert MODEL.figures_for("ranker", None, "staging") == BASE
    assert not CostOverride(team="*").matches("ranker", None, "staging")
    assert CostOverride(team="*").matches("ranker", "search", "staging")


def test_globs_are_case_sensitive_fnmatch_patterns():
    override = CostOverride(model="fraud-?corer", environment="prod*")
    assert override.matches("fraud-scorer", None, "production")
    assert not override.matches("Fraud-scorer", None, "production")
    assert not override.matches("fraud-scorer", None, "staging")


def test_an_estimate_sums_its_tallies_in_the_model_currency():
    eur = CostModel(currency="EUR", figures=BASE)
    # 770 (0 h manual) + 33,890 (168 h automated) = 34,660.
    cost = estimate_cost([tally(h=0.0), tally(automated=True, h=168.0)], eur)
    assert cost.currency == "EUR"
    assert cost.as_dict() == {
        "currency": "EUR",
        "total": 34660.0,
        "degraded": 33600.0,
        "triage": 960.0,
        "fixed": 100.0,
    }
    assert estimate_cost([], eur) == Cost("EUR", 0.0, 0.0, 0.0)


def test_costs_in_different_currencies_do_not_add():
    with pytest.raises(ValueError, match="cannot add EUR to USD"):
        _ = Cost("USD", 1.0) + Cost("EUR", 1.0)


def test_as_dict_rounds_each_part_half_up_and_totals_the_rounded_parts():
    # 20 minutes at 200/h = 66.666...: 66.67. The printed parts add up to the printed total.
    cost = tally_cost(tally(h=exposure_hours(0, 20 * 60_000_000)), MODEL)
    assert cost.as_dict() == {
        "currency": "USD",
        "total": 836.67,
        "degraded": 66.67,
        "triage": 720.0,
        "fixed": 50.0,
    }
    assert list(cost.as_dict()) == ["currency", "total", "degraded", "triage", "fixed"]
    # 2.675 is printed 2.68 (Python's round() would give 2.67 on the binary float).
    assert Cost("USD", degraded=2.675).as_dict()["degraded"] == 2.68
    # Three half cents print as 0.01 each and total 0.03, though the exact total is 0.015.
    half_cents = Cost("USD", 0.005, 0.005, 0.005)
    assert half_cents.as_dict()["total"] == 0.03
    assert half_cents.total == pytest.approx(0.015)


def test_the_cost_keeps_full_precision_inside():
    cost = Cost("USD", 0.1, 0.2)
    assert cost.total == 0.1 + 0.2 != 0.3
    assert cost.as_dict()["total"] == 0.3


def test_a_negative_tally_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        tally(h=-1.0)
    with pytest.raises(ValueError, match="cannot be negative"):
        tally(n=-1)


# ---- invariants ---------------------------------------------------------------------

exposures = st.lists(st.floats(min_value=0, max_value=168), min_size=1, max_size=20)


@given(exposures=exposures, automated=st.booleans())
@settings(max_examples=200, deadline=None)
def test_the_cost_is_linear_so_tallies_can_be_summed_in_any_grouping(exposures, automated):
    one_each = [tally("fraud-scorer", "staging", "risk", automated, 1, h) for h in exposures]
    merged = tally("fraud-scorer", "staging", "risk", automated, len(exposures), sum(exposures))
    split, whole = estimate_cost(one_each, MODEL), tally_cost(merged, MODEL)
    assert split.degraded == pytest.approx(whole.degraded, rel=1e-9, abs=1e-9)
    assert (split.triage, split.fixed) == (whole.triage, whole.fixed)
    assert estimate_cost(reversed(one_each), MODEL).total == pytest.approx(split.total)


@given(parts=st.lists(st.floats(min_value=0, max_value=1e9), min_size=3, max_size=3))
@settings(max_examples=200, deadline=None)
def test_the_printed_parts_add_up_to_the_printed_total(parts):
    printed = Cost("USD", *parts).as_dict()
    cents = round(printed["degraded"] * 100) + round(printed["triage"] * 100)
    assert round(printed["total"] * 100) == cents + round(printed["fixed"] * 100)
    assert abs(printed["total"] - sum(parts)) <= 0.015 + 1e-6
