"""Hand-computed reports: window edge, pending, late, orphans, groups, periods, filters."""

from datetime import UTC, datetime, timedelta
from statistics import median

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate.errors import InvalidOption
from rollback_rate.store import open_database
from tests.helpers import deploy, load, overall, report, rollback


def test_rollback_exactly_at_the_window_edge_counts(db):
    load(
        db,
        [
            deploy("m", "1", "2026-01-01T00:00:00Z"),
            deploy("m", "2", "2026-01-02T00:00:00Z"),
            rollback("m", "2026-01-09T00:00:00Z"),
        ],
    )  # exactly 7 days after v2
    got = overall(db, "2026-02-01T00:00:00Z")
    assert (got["deployments"], got["settled"], got["rollbacks"], got["late_rollbacks"]) == (
        2,
        2,
        1,
        0,
    )
    assert got["median_hours_to_rollback"] == 168.0


def test_one_microsecond_past_the_window_is_late(db):
    load(
        db,
        [
            deploy("m", "1", "2026-01-01T00:00:00Z"),
            deploy("m", "2", "2026-01-02T00:00:00Z"),
            rollback("m", "2026-01-09T00:00:00.000001Z"),
        ],
    )
    got = overall(db, "2026-02-01T00:00:00Z")
    assert (got["rollbacks"], got["late_rollbacks"], got["rollback_rate"]) == (0, 1, 0.0)


def test_open_windows_are_pending_not_successes(db):
    load(db, [deploy("m", "1", "2026-01-01T00:00:00Z"), deploy("m", "2", "2026-01-05T00:00:00Z")])
    got = overall(db, "2026-01-08T12:00:00Z")  # v1 window closed, v2 still open
    assert (got["deployments"], got["settled"], got["pending"]) == (2, 1, 1)
    assert got["rollback_rate"] == 0.0
    assert got["band"] == "excellent"


def test_a_deployment_rolled_back_early_is_settled_before_its_window_closes(db):
    load(
        db,
        [
            deploy("m", "1", "2026-01-01T00:00:00Z"),
            deploy("m", "2", "2026-01-05T00:00:00Z"),
            rollback("m", "2026-01-05T03:00:00Z", automated=True, cause="latency"),
        ],
    )
    got = overall(db, "2026-01-06T00:00:00Z")
    # v1: window open, not rolled back -> pending; v2: rolled back -> settled.
    assert (got["settled"], got["pending"], got["rollbacks"], got["rollback_rate"]) == (
        1,
        1,
        1,
        100.0,
    )
    assert got["automated_share"] == 100.0
    assert got["root_causes"] == [{"cause": "latency", "count": 1}]


def test_events_after_as_of_are_ignored(db):
    load(
        db,
        [
            deploy("m", "1", "2026-01-01T00:00:00Z"),
            deploy("m", "2", "2026-01-02T00:00:00Z"),
            rollback("m", "2026-01-03T00:00:00Z"),
            deploy("m", "3", "2026-01-20T00:00:00Z"),
        ],
    )
    got = overall(db, "2026-01-02T12:00:00Z")
    assert (got["deployments"], got["settled"], got["rollbacks"]) == (2, 0, 0)
    assert got["rollback_rate"] is None and got["ci95"] is None and got["band"] is None


def test_empty_database_gives_nulls_not_errors(db):
    got = overall(db, "2026-01-01T00:00:00Z")
    assert got["deployments"] == 0
    assert got["rollback_rate"] is None
    assert got["automated_share"] is None
    assert got["median_hours_to_rollback"] is None
    assert got["root_causes"] == []


def _two_teams(db):
    load(
        db,
        [
            deploy("ranker", "1", "2026-01-05T00:00:00Z", team="search"),
            deploy("ranker", "2", "2026-01-06T00:00:00Z", team="search"),
            rollback("ranker", "2026-01-06T02:00:00Z", cause="data_drift"),
            deploy("ranker", "1", "2026-01-06T00:00:00Z", team="search", environment="staging"),
            deploy("fraud", "a", "2026-02-02T00:00:00Z", team="risk"),
            deploy("fraud", "b", "2026-02-03T00:00:00Z", team="risk"),
            deploy("fraud", "a", "2026-02-03T06:00:00Z", automated=True),  # inferred rollback
        ],
    )


def test_groups_by_model_and_team(db):
    _two_teams(db)
    got = report(db, "2026-03-01T00:00:00Z", by="team")
    assert [(g["key"], g["deployments"], g["rollbacks"]) for g in got["groups"]] == [
        ({"team": "risk"}, 2, 1),
        ({"team": "search"}, 3, 1),
    ]
    risk = got["groups"][0]
    assert risk["automated_rollbacks"] == 1
    assert risk["median_hours_to_rollback"] == 6.0
    assert got["overall"]["median_hours_to_rollback"] == 4.0  # median of 2 h and 6 h


def test_group_by_two_dimensions(db):
    _two_teams(db)
    got = report(db, "2026-03-01T00:00:00Z", by="model,environment")
    keys = [g["key"] for g in got["groups"]]
    assert keys == [
        {"model": "fraud", "environment": "production"},
        {"model": "ranker", "environment": "production"},
        {"model": "ranker", "environment": "staging"},
    ]


def test_periods_by_iso_week_and_month(db):
    _two_teams(db)
    weeks = report(db, "2026-03-01T00:00:00Z", period="week")["periods"]
    assert [(p["period"], p["deployments"]) for p in weeks] == [("2026-W02", 3), ("2026-W06", 2)]
    months = report(db, "2026-03-01T00:00:00Z", period="month")["periods"]
    assert [(p["period"], p["rollbacks"]) for p in months] == [("2026-01", 1), ("2026-02", 1)]


def test_filters_by_model_environment_team_and_deployment_time(db):
    _two_teams(db)
    assert overall(db, "2026-03-01T00:00:00Z", model="fraud")["deployments"] == 2
    assert overall(db, "2026-03-01T00:00:00Z", environment="staging")["deployments"] == 1
    assert overall(db, "2026-03-01T00:00:00Z", team="search")["rollbacks"] == 1
    since = overall(db, "2026-03-01T00:00:00Z", since="2026-02-01")
    assert since["deployments"] == 2
    until = overall(db, "2026-03-01T00:00:00Z", until="2026-01-06T00:00:00Z")
    assert until["deployments"] == 3


def test_rollback_inherits_the_team_of_what_it_rolls_back(db):
    _two_teams(db)  # the fraud inferred rollback event names no team
    assert overall(db, "2026-03-01T00:00:00Z", team="risk")["rollbacks"] == 1


def test_orphans_are_reported_and_attributed_to_nothing(db):
    load(db, [rollback("m", "2026-01-01T00:00:00Z", team="search")])
    got = overall(db, "2026-02-01T00:00:00Z")
    assert (got["orphan_rollbacks"], got["rollbacks"], got["deployments"]) == (1, 0, 0)
    assert report(db, "2026-02-01T00:00:00Z", by="team")["groups"][0]["key"] == {"team": "search"}


def test_json_shape_is_stable(db):
    got = report(db, "2026-01-01T00:00:00Z", window="36h")
    assert set(got) == {
        "as_of",
        "window_hours",
        "tz",
        "filters",
        "overall",
        "groups",
        "prior",
        "periods",
        "failed_rollbacks",
    }
    assert got["window_hours"] == 36.0
    assert got["as_of"] == "2026-01-01T00:00:00Z"
    assert list(got["overall"]) == [
        "deployments",
        "settled",
        "pending",
        "rollbacks",
        "rollback_rate",
        "ci95",
        "band",
        "sufficient",
        "automated_rollbacks",
        "automated_share",
        "late_rollbacks",
        "orphan_rollbacks",
        "median_hours_to_rollback",
        "root_causes",
        "prevented_rollbacks",
        "rollback_rate_excluding_prevented",
        "bad_target_rollbacks",
        "repeat_rollbacks",
        "repeat_share",
        "unplanned_deployments",
        "rework_rate",
        "change_failures",
        "change_failure_rate",
    ]
    assert got["groups"] == [] and got["periods"] == [] and got["prior"] is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"by": "region"}, "by 'region' is not one of model, environment, team"),
        ({"period": "day"}, "period 'day' is not one of week, month"),
        ({"window": "7x"}, "window '7x' is not understood"),
        ({"as_of": "2026-01-01T00:00"}, "has no UTC offset"),
    ],
)
def test_bad_options_are_explained(sqlite_db, options, message):
    kwargs = {"as_of": "2026-01-01T00:00:00Z", "window": "7d", **options}
    with pytest.raises(InvalidOption, match=message):
        report(sqlite_db, **kwargs)


def test_failed_rollbacks_are_counted_and_listed_but_move_nothing(db):
    load(
        db,
        [
            deploy("ep", "cfg-1", "2026-01-01T00:00:00Z"),
            deploy("ep", "cfg-2", "2026-01-02T00:00:00Z"),
            {
                "type": "rollback_failed",
                "model": "ep",
                "version": "cfg-1",
                "timestamp": "2026-01-02T01:00:00Z",
            },
            {"type": "rollback_failed", "model": "other", "timestamp": "2026-01-03T00:00:00Z"},
        ],
    )
    got = report(db, "2026-02-01T00:00:00Z")
    assert got["overall"]["rollbacks"] == 0  # the stack did not move: cfg-2 is still live
    assert got["failed_rollbacks"]["count"] == 2
    assert got["failed_rollbacks"]["latest"][1] == {
        "model": "ep",
        "environment": "production",
        "version": "cfg-1",
        "timestamp": "2026-01-02T01:00:00Z",
    }
    assert report(db, "2026-02-01T00:00:00Z", model="ep")["failed_rollbacks"]["count"] == 1
    assert report(db, "2026-01-02T12:00:00Z")["failed_rollbacks"]["count"] == 1  # as_of


def test_a_voided_failed_rollback_is_not_counted_and_voiding_the_void_restores_it(db):
    # f1 (Jan 2) and f2 (Jan 3) failed on ep. Void f2: one left, f1 the latest. Void the
    # void: both again. A void of a deployment elsewhere in the stream changes neither.
    failed = [{"type": "rollback_failed", "model": "ep", "timestamp": f"2026-01-0{day}T00:00:00Z",
               "id": f"f{day - 1}"} for day in (2, 3)]  # fmt: skip
    load(db, [deploy("ep", "cfg-1", "2026-01-01T00:00:00Z", id="d1"), *failed])

    def void(target: str, id: str) -> dict:  # type: ignore[type-arg]
        return {"type": "void", "target": target, "id": id, "timestamp": "2026-01-10T00:00:00Z"}

    def failures() -> tuple[int, list[str]]:
        got = report(db, "2026-02-01T00:00:00Z")["failed_rollbacks"]
        return got["count"], [f["timestamp"][:10] for f in got["latest"]]

    assert failures() == (2, ["2026-01-03", "2026-01-02"])
    load(db, [void("f2", "v1"), void("d1", "v-d1")])
    assert failures() == (1, ["2026-01-02"])
    load(db, [void("v1", "v2")])
    assert failures() == (2, ["2026-01-03", "2026-01-02"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(delays=st.lists(st.tuples(st.sampled_from("abc"), st.integers(1, 200)), max_size=12))
def test_medians_are_the_middle_delay_or_the_mean_of_the_middle_two(fresh_sqlite_url, delays):
    # Deployments ten days apart, each rolled back `hours` later (within the 9-day
    # window): the report's medians, overall and per model, are statistics.median's.
    events, start = [], datetime(2026, 1, 1, tzinfo=UTC)
    for day, (model, hours) in enumerate(delays):
        at = start + timedelta(days=10 * day)
        events.append(deploy(model, f"v{day}", at.isoformat()))
        events.append(rollback(model, (at + timedelta(hours=hours)).isoformat()))
    database = open_database(fresh_sqlite_url())
    try:
        load(database, events)
        got = report(database, "2027-01-01T00:00:00Z", "9d", by="model")
    finally:
        database.dispose()
    hours = [h for _, h in delays]
    assert got["overall"]["median_hours_to_rollback"] == (median(hours) if hours else None)
    assert len(got["groups"]) == len({m for m, _ in delays})
    for group in got["groups"]:
        mine = [h for m, h in delays if m == group["key"]["model"]]
        assert group["median_hours_to_rollback"] == median(mine)
