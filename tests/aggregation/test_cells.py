"""The rollup of cells gives exactly what counting every deployment gives (issue 14).

Reports count every deployment from `deployment_counts` (whole cells) plus raw rows in
the cells a bound cuts. Held here to a plain count over the projection's rows, on random
histories across week and month edges and random bounds, groupings and filters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate import Ledger
from rollback_rate.aggregation import ReportQuery
from rollback_rate.aggregation.cells import cell_bounds, cell_of, count_deployments
from rollback_rate.timeutil import iso_utc, to_micros
from tests.helpers import clear_history

START = datetime(2025, 12, 20, tzinfo=UTC)  # histories cross a year, months and weeks
HOUR = 3_600_000_000


def test_a_cell_is_the_days_a_week_and_a_month_share():
    # 2026-W05 runs Monday 26 January to Sunday 1 February: two cells.
    jan = cell_of(to_micros(datetime(2026, 1, 27, 12, tzinfo=UTC)))
    feb = cell_of(to_micros(datetime(2026, 2, 1, 23, tzinfo=UTC)))
    assert (jan, feb) == (("2026-W05", "2026-01"), ("2026-W05", "2026-02"))
    assert [iso_utc(b) for b in cell_bounds(jan)] == [
        "2026-01-26T00:00:00Z",
        "2026-02-01T00:00:00Z",
    ]
    assert [iso_utc(b) for b in cell_bounds(feb)] == [
        "2026-02-01T00:00:00Z",
        "2026-02-02T00:00:00Z",
    ]
    # ISO 2026-W01 starts Monday 29 December 2025: its December cell belongs to 2026-W01
    assert cell_of(to_micros(datetime(2025, 12, 30, tzinfo=UTC))) == ("2026-W01", "2025-12")


_DEPLOY = st.tuples(
    st.sampled_from(["a", "b", "c"]),  # model
    st.sampled_from(["production", "staging"]),
    st.sampled_from([None, "risk", "search"]),  # team
    st.integers(0, 60 * 24),  # hours after START
)
_BOUND = st.one_of(st.none(), st.integers(-48, 60 * 24 + 48))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    deploys=st.lists(_DEPLOY, min_size=1, max_size=40),
    as_of=st.integers(0, 70 * 24),
    window=st.integers(1, 24 * 20),
    since=_BOUND,
    until=_BOUND,
    dims=st.sampled_from([(), ("model",), ("team",), ("week",), ("month",),
                          ("model", "environment"), ("team", "month"), ("stream_id",)]),
    model=st.sampled_from([None, "a"]),
    team=st.sampled_from([None, "risk"]),
)  # fmt: skip
def test_cells_count_what_every_row_counts(
    db, deploys, as_of, window, since, until, dims, model, team
):
    if since is not None and until is not None and since > until:
        return  # refused as an option (tested with the query)
    ledger = Ledger(db)
    clear_history(db)
    ledger.record_batch(
        [
            {"type": "deployment", "model": m, "environment": e, "version": f"v{i}",
             "timestamp": iso_utc(to_micros(START + timedelta(hours=h))),
             **({"team": t} if t else {})}
            for i, (m, e, t, h) in enumerate(deploys)
        ]
    )  # fmt: skip
    at = lambda hours: to_micros(START) + hours * HOUR  # noqa: E731
    query = ReportQuery(
        as_of=at(as_of), window=window * HOUR, model=model, team=team,
        since=None if since is None else at(since), until=None if until is None else at(until),
    )  # fmt: skip
    with db.snapshot() as conn:
        got = {key: (n, s) for key, n, s in count_deployments(conn, query, dims) if n}
        rows = conn.exec_driver_sql(
            "SELECT d.stream_id, d.model, d.environment, d.team, d.week, d.month, d.deployed_at "
            "FROM deployments d"
        ).all()
    expected: dict[tuple[object, ...], list[int]] = {}
    for stream_id, m, e, t, week, month, deployed_at in rows:
        values = {"stream_id": stream_id, "model": m, "environment": e, "team": t,
                  "week": week, "month": month}  # fmt: skip
        inside = (
            deployed_at <= query.as_of
            and (query.since is None or deployed_at >= query.since)
            and (query.until is None or deployed_at <= query.until)
        )
        if not inside or (model and m != model) or (team and t != team):
            continue
        tally = expected.setdefault(tuple(values[d] for d in dims), [0, 0])
        tally[0] += 1
        tally[1] += deployed_at <= query.as_of - query.window
    assert got == {key: tuple(tally) for key, tally in expected.items()}


def test_a_deployment_in_year_one_is_counted_once(db):
    # With no `since`, the lower bound is the first instant of year 1, and its cell is cut
    # (counted from raw rows): the streams' totals must not count it a second time.
    Ledger(db).record_batch(
        [
            {"type": "deployment", "model": "a", "version": "v1",
             "timestamp": "0001-01-01T12:00:00Z"},
            {"type": "deployment", "model": "a", "version": "v2",
             "timestamp": "2026-01-05T00:00:00Z"},
            {"type": "deployment", "model": "b", "version": "v1",
             "timestamp": "2026-01-06T00:00:00Z"},
        ]
    )  # fmt: skip
    query = ReportQuery(as_of=to_micros(datetime(2026, 2, 1, tzinfo=UTC)), window=7 * 24 * HOUR)
    with db.snapshot() as conn:
        assert sorted(count_deployments(conn, query, ("model",))) == [
            (("a",), 2, 2),
            (("b",), 1, 1),
        ]
        assert count_deployments(conn, query, ()) == [((), 3, 3)]
