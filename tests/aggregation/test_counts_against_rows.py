"""Every figure of a report's tallies, held to a plain computation over the rows (issue 14).

Reports count deployments from the rollup of cells, the rolled-back few per group and
root cause in one pass, and fold a grouping that a finer one refines (overall beside by
model) from the finer one's groups. Here random histories (deployments and rollbacks,
named and inferred, across week and month edges) and random queries (as_of, window,
since/until, model and team filters, groupings and periods) go through
`aggregate_many`, and each group's figures must be what the projection's rows give
when counted one by one in Python, by the report's rules (docs/semantics.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate import Ledger
from rollback_rate.aggregation import ReportQuery
from rollback_rate.aggregation.sql import Counts, aggregate_many
from rollback_rate.timeutil import iso_utc, to_micros
from tests.helpers import clear_history

START = datetime(2025, 12, 20, tzinfo=UTC)  # histories cross a year, months and weeks
HOUR = 3_600_000_000

_EVENT = st.tuples(
    st.sampled_from(["deploy", "deploy", "redeploy", "rollback", "rollback"]),
    st.sampled_from(["a", "b", "c"]),  # model
    st.sampled_from(["production", "staging"]),
    st.sampled_from([None, "risk", "search"]),  # team
    st.integers(0, 60 * 24),  # hours after START
    st.booleans(),  # automated (rollbacks)
    st.sampled_from([None, "unspecified", "schema_change", "data_drift"]),  # cause (rollbacks)
)
_BOUND = st.one_of(st.none(), st.integers(-48, 60 * 24 + 48))
_GROUPINGS = st.sampled_from([(), ("model",), ("team",), ("environment",), ("stream_id",),
                              ("model", "environment")])  # fmt: skip


def _events(drawn: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    events = []
    for i, (kind, model, environment, team, hours, automated, cause) in enumerate(drawn):
        at = iso_utc(to_micros(START + timedelta(hours=hours)))
        base = {"model": model, "environment": environment, "timestamp": at}
        if kind == "rollback":
            events.append({"type": "rollback", **base, "automated": automated,
                           **({"cause": cause} if cause else {})})  # fmt: skip
        else:  # a redeploy of v0 after others is an inferred rollback to it
            version = "v0" if kind == "redeploy" else f"v{i + 1}"
            events.append({"type": "deployment", **base, "version": version,
                           **({"team": team} if team else {})})  # fmt: skip
    return events


def _expected(rows: list[Any], query: ReportQuery, dims: tuple[str, ...]) -> dict[Any, dict]:
    """The figures of each group, from the projection's rows one by one."""
    closed_by = query.as_of - query.window
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        values = dict(row._mapping)
        inside = (
            values["deployed_at"] <= query.as_of
            and (query.since is None or values["deployed_at"] >= query.since)
            and (query.until is None or values["deployed_at"] <= query.until)
            and (query.model is None or values["model"] == query.model)
            and (query.team is None or values["team"] == query.team)
        )
        if not inside:
            continue
        group = groups.setdefault(
            tuple(values[d] for d in dims),
            {"deployments": 0, "settled": 0, "rollbacks": 0, "automated": 0, "late": 0,
             "causes": {}, "delays": [], "bad_targets": 0, "repeats": 0},
        )  # fmt: skip
        rolled_back_at = values["rolled_back_at"]
        delay = None if rolled_back_at is None else rolled_back_at - values["deployed_at"]
        known = rolled_back_at is not None and rolled_back_at <= query.as_of
        within = known and delay <= query.window
        group["deployments"] += 1
        group["settled"] += values["deployed_at"] <= closed_by or within
        group["late"] += known and delay > query.window
        if within:
            group["rollbacks"] += 1
            group["automated"] += bool(values["rollback_automated"])
            cause = values["rollback_cause"] or "unspecified"
            group["causes"][cause] = group["causes"].get(cause, 0) + 1
            group["delays"].append(delay)
            group["bad_targets"] += bool(values["rollback_bad_target"])
            gap = values["rollback_gap"]
            group["repeats"] += gap is not None and gap <= query.repeat_within
    return {
        key: {
            "deployments": g["deployments"], "settled": g["settled"],
            "rollbacks": g["rollbacks"], "automated": g["automated"], "late": g["late"],
            "causes": sorted(g["causes"].items(), key=lambda item: (-item[1], item[0])),
            "median": float(median(g["delays"])) if g["delays"] else None,
            "bad_targets": g["bad_targets"], "repeats": g["repeats"],
        }
        for key, g in groups.items()
    }  # fmt: skip


def _figures(counts: Counts) -> dict[str, Any]:
    return {
        "deployments": counts.deployments, "settled": counts.settled,
        "rollbacks": counts.rollbacks, "automated": counts.automated_rollbacks,
        "late": counts.late_rollbacks, "causes": counts.root_causes,
        "median": counts.median_rollback_micros, "bad_targets": counts.bad_targets,
        "repeats": counts.repeats,
    }  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drawn=st.lists(_EVENT, min_size=15, max_size=60),
    as_of=st.integers(0, 70 * 24),
    window=st.integers(1, 24 * 20),
    since=_BOUND,
    until=_BOUND,
    by=_GROUPINGS,
    period=st.sampled_from([None, "week", "month"]),
    model=st.sampled_from([None, "a"]),
    team=st.sampled_from([None, "risk"]),
    parallel=st.booleans(),
)
def test_every_figure_is_what_the_rows_give(
    db, drawn, as_of, window, since, until, by, period, model, team, parallel
):
    if since is not None and until is not None and since > until:
        return  # refused as an option (tested with the query)
    clear_history(db)
    Ledger(db).record_batch(_events(drawn))
    at = lambda hours: to_micros(START) + hours * HOUR  # noqa: E731
    query = ReportQuery(
        as_of=at(as_of), window=window * HOUR, model=model, team=team,
        since=None if since is None else at(since), until=None if until is None else at(until),
    )  # fmt: skip
    # As a report asks: overall, by a dimension, by a period (each folded or counted).
    groupings = list(dict.fromkeys([(), by, *([(period,)] if period else [])]))
    with db.snapshot() as conn:
        # In parallel, PostgreSQL's medians come from a second connection in this snapshot.
        alongside = db.alongside(conn) if parallel else None
        found = aggregate_many(conn, query, groupings, alongside=alongside)
        rows = conn.exec_driver_sql(
            "SELECT d.stream_id, s.model, s.environment, d.team, d.week, d.month, "
            "d.deployed_at, d.rolled_back_at, d.rollback_automated, d.rollback_cause, "
            "d.rollback_bad_target, d.rollback_gap "
            "FROM deployments d JOIN streams s ON s.id = d.stream_id"
        ).all()
    for dims, groups in zip(groupings, found, strict=True):
        got = {key: _figures(counts) for key, counts in groups.items() if counts.deployments}
        assert got == _expected(rows, query, dims), dims


def test_the_overall_median_beside_a_grouping_is_the_middle_of_all_delays(db):
    # Model a is rolled back 1 h and 10 h after its deployments, model b 2 h after: the
    # overall median is the middle of (1, 2, 10) = 2 h, not of a's delays followed by b's
    # (1, 10, 2). By model: a (1 + 10) / 2 = 5.5 h, b 2 h.
    events = []
    for model, delays in (("a", (1, 10)), ("b", (2,))):
        for day, delay in enumerate(delays):
            deployed = START + timedelta(days=day)
            events += [
                {"type": "deployment", "model": model, "version": f"v{day}a",
                 "timestamp": iso_utc(to_micros(deployed))},
                {"type": "deployment", "model": model, "version": f"v{day}b",
                 "timestamp": iso_utc(to_micros(deployed + timedelta(minutes=1)))},
                {"type": "rollback", "model": model,
                 "timestamp": iso_utc(to_micros(deployed + timedelta(minutes=1, hours=delay)))},
            ]  # fmt: skip
    Ledger(db).record_batch(events)
    query = ReportQuery(as_of=to_micros(START + timedelta(days=30)), window=7 * 24 * HOUR)
    with db.snapshot() as conn:
        overall, by_model = aggregate_many(conn, query, [(), ("model",)])
    assert overall[()].median_rollback_micros == 2 * HOUR
    assert {key: c.median_rollback_micros for key, c in by_model.items()} == {
        ("a",): 5.5 * HOUR,
        ("b",): 2 * HOUR,
    }


def test_medians_of_delays_past_two_to_the_53_microseconds_are_double_precision(db):
    # Delays reach the median as floats on both backends (SQLite's through Python, which
    # sorts floats faster; PostgreSQL's percentile_cont), the same integers below 2^53
    # microseconds (285 years). Two rollbacks about 9,000 years after their deployments:
    # the median is their mean within double precision.
    events = [
        {"type": "deployment", "model": "a", "version": "1", "timestamp": "0001-01-01T00:00:00Z"},
        {"type": "deployment", "model": "a", "version": "2", "timestamp": "0001-01-02T00:00:00Z"},
        {"type": "rollback", "model": "a", "timestamp": "9000-01-01T00:00:00.000005Z"},
        {"type": "deployment", "model": "a", "version": "3", "timestamp": "9000-01-02T00:00:00Z"},
        {"type": "rollback", "model": "a", "timestamp": "9999-01-01T00:00:00.000008Z"},
    ]
    Ledger(db).record_batch(events)
    as_of = to_micros(datetime(9999, 12, 31, tzinfo=UTC))
    delays = [
        to_micros(datetime(9000, 1, 1, tzinfo=UTC)) + 5 - to_micros(datetime(1, 1, 2, tzinfo=UTC)),
        to_micros(datetime(9999, 1, 1, tzinfo=UTC))
        + 8
        - to_micros(datetime(9000, 1, 2, tzinfo=UTC)),
    ]
    assert min(delays) > 2**53
    query = ReportQuery(as_of=as_of, window=as_of - to_micros(datetime(1, 1, 1, tzinfo=UTC)))
    with db.snapshot() as conn:
        overall, by_model = aggregate_many(conn, query, [(), ("model",)])
    assert (overall[()].rollbacks, by_model[("a",)].rollbacks) == (2, 2)
    found = [overall[()].median_rollback_micros, by_model[("a",)].median_rollback_micros]
    assert found == [pytest.approx(sum(delays) / 2, rel=1e-15)] * 2
