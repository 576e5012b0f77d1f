"""Root-cause advice over the read model, hand-computed, on both backends (issue 10).

History (production; `as_of` 2026-03-01, the period February, so the period before is
the 28 days and a microsecond before it):
  fraud (team risk)
    d0 v1 Jan 10  d1 v2 Jan 11, rolled back by r0 (data_schema_change) an hour later:
                  the period before
    d2 v3 Feb 2   rolled back by r1 2 h later, data_schema_change, manual
    d3 v4 Feb 5   rolled back by r2 1 h later, data_schema_change, automated
    d4 v5, d5 v6 Feb 10 09:00 and 10:00; r3 at 12:00 rolls back to v1: one event, two
                  counted rollbacks (v6 after 2 h, v5 after 3 h), latency, manual
  ranker (team search)
    e1 v1 Feb 1, e2 v2 Feb 3 rolled back by s1 4 h later, no cause, manual
    e3 v3 Feb 10 rolled back by s2 10 days later: late, not counted
Counted: data_schema_change 2 (was 1), latency 2, unspecified 1; 5 in all.
Cost (degraded 100/h, 1000/h for ranker; triage 2 h manual, 1 h automated, at 50/h;
10 per rollback): data_schema_change 2x100 + 100 + 10, 1x100 + 50 + 10 = 470;
latency 5x100 + 2x100 + 20 = 720; unspecified 4x1000 + 100 + 10 = 4110.
"""

from __future__ import annotations

import pytest

from rollback_rate import Ledger, parse_query
from rollback_rate.config import load_config
from tests.helpers import deploy, rollback

AS_OF = "2026-03-01T00:00:00Z"
SINCE = "2026-02-01T00:00:00Z"
RISK = {"team": "risk"}
HISTORY = [
    deploy("fraud", "1", "2026-01-10T09:00:00Z", id="d0", **RISK),
    deploy("fraud", "2", "2026-01-11T09:00:00Z", id="d1", **RISK),
    rollback("fraud", "2026-01-11T10:00:00Z", id="r0", cause="data_schema_change"),
    deploy("fraud", "3", "2026-02-02T09:00:00Z", id="d2", **RISK),
    rollback("fraud", "2026-02-02T11:00:00Z", id="r1", cause="data_schema_change"),
    deploy("fraud", "4", "2026-02-05T09:00:00Z", id="d3", **RISK),
    rollback("fraud", "2026-02-05T10:00:00Z", id="r2", cause="data_schema_change", automated=True),
    deploy("fraud", "5", "2026-02-10T09:00:00Z", id="d4", **RISK),
    deploy("fraud", "6", "2026-02-10T10:00:00Z", id="d5", **RISK),
    rollback("fraud", "2026-02-10T12:00:00Z", id="r3", version="1", cause="latency"),
    deploy("ranker", "1", "2026-02-01T09:00:00Z", id="e1", team="search"),
    deploy("ranker", "2", "2026-02-03T09:00:00Z", id="e2", team="search"),
    rollback("ranker", "2026-02-03T13:00:00Z", id="s1"),
    deploy("ranker", "3", "2026-02-10T09:00:00Z", id="e3", team="search"),
    rollback("ranker", "2026-02-20T09:00:00Z", id="s2", cause="latency"),
]
CONFIG = """
[advice]
min_rollbacks = 3
"""
COST = """
[cost]
currency = "EUR"
degraded_per_hour = 100
triage_hours_manual = 2
triage_hours_automated = 1
engineer_hourly_rate = 50
per_rollback = 10

[[cost.override]]
model = "ranker"
degraded_per_hour = 1000
"""


def ledger_with(db, tmp_path, text: str) -> Ledger:  # type: ignore[no-untyped-def]
    path = tmp_path / "ops.toml"
    path.write_text(text)
    ledger = Ledger(db, group_commit=False, config=load_config(path))
    ledger.record_batch(HISTORY)
    return ledger


def advice(ledger: Ledger, **options: str) -> dict:  # type: ignore[type-arg]
    options = {"since": SINCE, **options}
    return ledger.advice(parse_query(window="7d", as_of=AS_OF, **options)).as_dict()


def ranked(scope: dict) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (r["cause"], r["count"], r["previous_count"], r["change"], r["event_ids"])
        for r in scope["recommendations"]
    ]


def test_without_costs_causes_rank_by_count_with_change_and_evidence(db, tmp_path):
    got = advice(ledger_with(db, tmp_path, CONFIG))
    assert got["period"] == {"since": SINCE, "until": AS_OF}
    assert got["previous_period"] == {
        "since": "2026-01-03T23:59:59.999999Z",
        "until": "2026-01-31T23:59:59.999999Z",
    }
    overall = got["overall"]
    assert (overall["rollbacks"], overall["sufficient"], overall["ranked_by"]) == (5, True, "count")
    assert overall["message"] == "5 rollbacks in the period, ranked by count"
    assert ranked(overall) == [
        ("data_schema_change", 2, 1, 1, ["r1", "r2"]),
        ("latency", 2, 0, 2, ["r3"]),  # one event rolled back two deployments
        ("unspecified", 1, 0, 1, ["s1"]),
    ]
    first = overall["recommendations"][0]
    assert (first["category"], first["investment"]) == (
        "data",
        "schema validation gate and data contracts",
    )
    assert first["why"].startswith("A change in the shape or meaning of input data")
    assert first["share_pct"] == 40.0
    # Wilson 95% for 2 of 5, by hand: centre 0.44345, half-width 0.32583
    assert first["share_ci95"] == pytest.approx([11.76, 76.93], abs=0.01)
    assert first["cost"] is None
    assert overall["findings"] == []  # 20% unspecified is under the 30% finding


def test_with_a_cost_model_causes_rank_by_estimated_cost(db, tmp_path):
    overall = advice(ledger_with(db, tmp_path, CONFIG + COST))["overall"]
    assert overall["ranked_by"] == "cost"
    assert [(r["cause"], r["cost"]) for r in overall["recommendations"]] == [
        (
            "unspecified",
            {
                "currency": "EUR",
                "total": 4110.0,
                "degraded": 4000.0,
                "triage": 100.0,
                "fixed": 10.0,
            },
        ),
        (
            "latency",
            {"currency": "EUR", "total": 720.0, "degraded": 500.0, "triage": 200.0, "fixed": 20.0},
        ),
        (
            "data_schema_change",
            {"currency": "EUR", "total": 470.0, "degraded": 300.0, "triage": 150.0, "fixed": 20.0},
        ),
    ]


def test_by_team_each_team_is_advised_or_told_it_has_too_few_rollbacks(db, tmp_path):
    got = advice(ledger_with(db, tmp_path, CONFIG), by="team")
    risk, search = got["groups"]
    assert (risk["scope"], risk["rollbacks"]) == ({"team": "risk"}, 4)
    assert ranked(risk) == [
        ("data_schema_change", 2, 1, 1, ["r1", "r2"]),
        ("latency", 2, 0, 2, ["r3"]),
    ]
    assert risk["recommendations"][0]["share_pct"] == 50.0
    assert (search["scope"], search["sufficient"], search["recommendations"]) == (
        {"team": "search"},
        False,
        [],
    )
    assert search["message"] == (
        "1 rollback in the period; advice needs at least 3, so 2 more before causes are ranked"
    )
    assert got["overall"]["rollbacks"] == 5


def test_fewer_rollbacks_than_min_rollbacks_is_not_enough_evidence(db, tmp_path):
    overall = advice(ledger_with(db, tmp_path, "[advice]\nmin_rollbacks = 6\n"))["overall"]
    assert (overall["sufficient"], overall["ranked_by"], overall["recommendations"]) == (
        False,
        None,
        [],
    )
    assert overall["message"] == (
        "5 rollbacks in the period; advice needs at least 6, so 1 more before causes are ranked"
    )


def test_filters_scope_the_rollbacks_and_the_taxonomy_comes_from_the_config(db, tmp_path):
    text = CONFIG + '[taxonomy.latency]\ninvestment = "a latency budget in CI"\n'
    overall = advice(ledger_with(db, tmp_path, text), model="fraud")["overall"]
    assert ranked(overall) == [
        ("data_schema_change", 2, 1, 1, ["r1", "r2"]),
        ("latency", 2, 0, 2, ["r3"]),
    ]
    assert overall["recommendations"][1]["investment"] == "a latency budget in CI"


def test_without_since_advice_covers_the_90_days_before(db, tmp_path):
    ledger = ledger_with(db, tmp_path, CONFIG)
    got = ledger.advice(parse_query(window="7d", as_of=AS_OF)).as_dict()
    assert got["period"] == {"since": "2025-12-01T00:00:00Z", "until": AS_OF}
    assert got["previous_period"]["until"] == "2025-11-30T23:59:59.999999Z"
    # r0 is inside the 90 days now: data_schema_change 3
    assert [(r["cause"], r["count"]) for r in got["overall"]["recommendations"]] == [
        ("data_schema_change", 3),
        ("latency", 2),
        ("unspecified", 1),
    ]
