"""Time to rollback as Kaplan-Meier curves (issue 12), hand-computed, on both backends.

History (hours after 2026-01-01T00:00Z; as of hour 720, 2026-01-31T00:00Z; window 7 days):
  model a: a1 v1 h0, a2 v2 h10, rollback h12 (a2, 2 h), rollback h20 (a1, 20 h: superseded
           at h10 and still at risk), a3 v3 h24 (never rolled back: censored at 696 h),
           a4 v4 h216, rollback h456 (a4, 240 h: late), a5 v5 h696 (censored at 24 h)
  model b: b1 v1 h0 (censored at 720 h), b2 v2 h100, rollback h102 (b2, 2 h),
           b3 v3 h200 (censored at 520 h)

Overall, 8 deployments: events at 2 h (two), 20 h, 240 h; censored at 24, 520, 696, 720 h.
  t=2:   at risk 8, 2 events: S = 6/8          = 0.75
  t=20:  at risk 6 (20, 24, 240, 520, 696, 720), 1 event: S = 0.75 x 5/6 = 0.625
  t=240: at risk 4 (240, 520, 696, 720), 1 event:          S = 0.625 x 3/4 = 0.46875
Delays 2, 2, 20, 240 (m = 4), x_(ceil(q m)): p50 x_(2) = 2, p75 x_(3) = 20, p90 and p95
x_(4) = 240 (so a 240-hour window would have caught 95%). Late: 240 h > 168 h, 1 of 4 = 25%.
Survival quantiles, the first t with S <= 1 - q: p5, p10 and p25 (0.75 exactly) at 2 h,
p50 at 240 h.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rollback_rate import Ledger, parse_query
from rollback_rate.store.schema import deployments
from tests.helpers import deploy, rollback

START = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = "2026-01-31T00:00:00Z"


def at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


HISTORY = [
    deploy("a", "1", at(0), id="a1"),
    deploy("a", "2", at(10), id="a2"),
    rollback("a", at(12)),
    rollback("a", at(20)),
    deploy("a", "3", at(24), id="a3"),
    deploy("a", "4", at(216), id="a4"),
    rollback("a", at(456)),
    deploy("a", "5", at(696), id="a5"),
    deploy("b", "1", at(0), id="b1"),
    deploy("b", "2", at(100), id="b2"),
    rollback("b", at(102)),
    deploy("b", "3", at(200), id="b3"),
]


@pytest.fixture
def ledger(db):  # type: ignore[no-untyped-def]
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(HISTORY)
    yield ledger
    ledger.close()


def survival(ledger: Ledger, **options: object) -> dict:
    options.setdefault("window", "7d")
    return ledger.survival(parse_query(as_of=AS_OF, **options)).as_dict()  # type: ignore[arg-type]


def points(group: dict) -> list[tuple]:
    return [(p["hours"], p["survival"], p["at_risk"], p["events"]) for p in group["curve"]]


def test_the_overall_curve_and_its_figures(ledger):
    got = survival(ledger)
    overall = got["overall"]
    assert points(overall) == [(2, 0.75, 8, 2), (20, 0.625, 6, 1), (240, 0.46875, 4, 1)]
    assert (overall["deployments"], overall["rolled_back"], overall["censored"]) == (8, 4, 4)
    assert (overall["late_rollbacks"], overall["late_share"]) == (1, 25.0)
    assert overall["window_for_95pct_hours"] == 240
    assert overall["delay_quantiles_hours"] == {"p50": 2, "p75": 20, "p90": 240, "p95": 240}
    assert overall["survival_quantiles_hours"] == {"p5": 2, "p10": 2, "p25": 2, "p50": 240}
    assert got["groups"] == []
    assert (got["as_of"], got["window_hours"]) == (AS_OF, 168.0)


def test_each_model_has_its_own_curve(ledger):
    # a: 5 deployments; t=2: 1 of 5, S = 0.8; t=20: at risk 20, 24, 240, 696: S = 0.8 x 3/4
    # = 0.6; t=240: at risk 240, 696: S = 0.3.   b: 3 deployments; t=2: S = 2/3.
    got = survival(ledger, by="model")
    assert [group["key"] for group in got["groups"]] == [{"model": "a"}, {"model": "b"}]
    a, b = got["groups"]
    assert points(a) == [(2, 0.8, 5, 1), (20, 0.6, 4, 1), (240, 0.3, 2, 1)]
    assert points(b) == [(2, 2 / 3, 3, 1)]
    assert (a["late_share"], b["late_share"]) == (1 / 3 * 100, 0.0)
    assert b["survival_quantiles_hours"] == {"p5": 2, "p10": 2, "p25": 2, "p50": None}
    assert points(got["overall"]) == points(survival(ledger)["overall"])


def test_the_report_filters_apply(ledger):
    assert points(survival(ledger, model="b")["overall"]) == [(2, 2 / 3, 3, 1)]
    # Deployed by hour 24: a1, a2, a3, b1. Events 2 h (a2) and 20 h (a1); censored 696, 720.
    # t=2: 1 of 4, S = 0.75; t=20: at risk 3, S = 0.5.
    until = survival(ledger, until=at(24))["overall"]
    assert points(until) == [(2, 0.75, 4, 1), (20, 0.5, 3, 1)]
    assert until["survival_quantiles_hours"]["p50"] == 20


def test_as_of_censors_what_came_later(ledger):
    # As of hour 300 the late rollback of a4 (h456) has not happened: a4 is censored at 84 h,
    # a5 not yet deployed. Events 2, 2, 20; censored 84 (a4), 276 (a3), 300 (b1), 100 (b3).
    # t=2: at risk 7, 2 events: S = 5/7; t=20: at risk 20, 84, 100, 276, 300: S = 5/7 x 4/5.
    got = ledger.survival(parse_query(window="7d", as_of=at(300))).as_dict()["overall"]
    assert points(got) == [(2, 5 / 7, 7, 2), (20, 4 / 7, 5, 1)]
    assert (got["late_rollbacks"], got["censored"]) == (0, 4)


def test_a_window_of_a_day_makes_more_rollbacks_late(ledger):
    got = survival(ledger, window="12h")["overall"]
    assert (got["late_rollbacks"], got["late_share"]) == (2, 50.0)  # 20 h and 240 h


def test_nothing_recorded_is_an_empty_curve(db):
    got = Ledger(db, group_commit=False).survival(parse_query(window="7d", as_of=AS_OF))
    overall = got.as_dict()["overall"]
    assert (overall["deployments"], overall["curve"], overall["late_share"]) == (0, [], None)


def test_the_curve_agrees_with_lifelines_on_generated_history(db):
    from lifelines import KaplanMeierFitter

    # Random streams of deployments, redeploys, inferred and explicit rollbacks, minutes
    # apart, some rolled back after the 6-hour window; the reference reads every counted
    # deployment's own (duration, rolled back) from the projection, with no tallying.
    rng = random.Random(12)
    events, clock = [], START
    for n in range(400):
        clock += timedelta(minutes=rng.choice((7, 30, 90, 240)))
        model = f"m{rng.randrange(4)}"
        if rng.random() < 0.2:
            events.append(rollback(model, clock.isoformat(), id=f"r{n}"))
        else:
            events.append(deploy(model, str(rng.randrange(12)), clock.isoformat(), id=f"d{n}"))
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(events)
    as_of = clock - timedelta(days=3)  # later deployments and rollbacks out
    query = parse_query(window="6h", as_of=as_of.isoformat(), by="model")
    got = ledger.survival(query)
    hour = 3_600_000_000
    with db.snapshot() as conn:
        rows = conn.execute(
            select(deployments.c.model, deployments.c.deployed_at, deployments.c.rolled_back_at)
        ).all()
    assert got.groups, "the generated history has groups"
    for key, group in [({}, got.overall), *got.groups]:
        model = key.get("model")
        mine = [r for r in rows if r.deployed_at <= query.as_of and model in (None, r.model)]
        rolled = [r.rolled_back_at is not None and r.rolled_back_at <= query.as_of for r in mine]
        durations = [
            ((r.rolled_back_at if done else query.as_of) - r.deployed_at) / hour
            for r, done in zip(mine, rolled, strict=True)
        ]
        fitter = KaplanMeierFitter().fit(durations, rolled)
        table = fitter.event_table
        assert [p.hours for p in group.curve] == sorted(table.index[table["observed"] > 0])
        for point in group.curve:
            assert point.at_risk == table.loc[point.hours, "at_risk"]
            assert point.events == table.loc[point.hours, "observed"]
            expected = fitter.survival_function_.loc[point.hours].iloc[0]
            assert point.survival == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert group.deployments == len(mine)
        assert group.late_rollbacks == sum(
            1 for d, done in zip(durations, rolled, strict=True) if done and d > 6
        )


def test_each_group_is_the_curve_its_filters_give(db):
    # Teams split model a: a1-a3 team x, a4-a5 team y; b is team y. By team, by model and
    # team: every group's curve is the overall curve of the same filters.
    teams = {"a1": "x", "a2": "x", "a3": "x", "a4": "y", "a5": "y", "b1": "y", "b2": "y",
             "b3": "y"}  # fmt: skip
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch([{**e, "team": teams[e["id"]]} if "id" in e else e for e in HISTORY])
    for by in ("team", "model,team", "team,environment"):
        got = ledger.survival(parse_query(window="7d", as_of=AS_OF, by=by))
        assert sum(group.deployments for _, group in got.groups) == 8
        for key, group in got.groups:
            alone = ledger.survival(parse_query(window="7d", as_of=AS_OF, **key)).overall
            assert group == alone, (by, key)
    x = ledger.survival(parse_query(window="7d", as_of=AS_OF, by="team")).groups[0][1]
    # Team x: a1 (20 h), a2 (2 h), a3 (censored 696 h): t=2: S = 2/3; t=20: S = 1/3.
    assert [(p.hours, p.survival) for p in x.curve] == [(2, 2 / 3), (20, 1 / 3)]
