"""Properties of corrections and export (issue 9), on small random histories.

Histories of two streams mix deployments (some unplanned), rollbacks (some with a
version, some drills), failed rollbacks, attributes, events without ids, timestamp ties,
and corrections of earlier events: voids of anything (voids included) and amends of
rollbacks and deployments. They are recorded in random batches, so the incremental,
replay and correction paths all run.
"""

from __future__ import annotations

import io
import itertools
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate import AuditQuery, Ledger, parse_query
from rollback_rate.store import open_database, schema
from tests.conftest import PG_ENV

STREAMS = [("m", "production"), ("n", "staging")]
CAUSES = ["latency", "data_drift", "safety"]
OPTIONS: list[dict[str, Any]] = [  # the overall figures come with each
    {"by": "model,environment,team", "period": "week"},
    {"window": "1d", "period": "month", "model": "m"},
]
AS_OF = "2026-01-20T00:00:00Z"
SETTINGS = settings(
    max_examples=12,  # per backend: about 20 s in all, with PostgreSQL's commits
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Events in arrival order; a correction only targets an event before it."""
    events: list[dict[str, Any]] = []
    for index in range(draw(st.integers(2, 14))):
        model, environment = draw(st.sampled_from(STREAMS))
        when = (
            f"2026-01-{draw(st.integers(1, 9)):02d}T{draw(st.sampled_from([0, 6, 12])):02d}:00:00Z"
        )
        event: dict[str, Any] = {"timestamp": when, "id": f"e{index}"}
        named = [e for e in events if "id" in e]
        amendable = [e["id"] for e in named if e["type"] in ("deployment", "rollback")]
        kinds = ["deployment", "deployment", "rollback", "rollback_failed"]
        kinds += ["void"] * bool(named) + ["amend"] * bool(amendable)
        kind = draw(st.sampled_from(kinds)) if index else "deployment"
        if kind == "void":
            event |= {"target": draw(st.sampled_from([e["id"] for e in named])), "reason": "r"}
        elif kind == "amend":
            event["target"] = draw(st.sampled_from(amendable))
            event |= draw(st.fixed_dictionaries({}, optional={
                "cause": st.sampled_from(CAUSES), "automated": st.booleans(), "note": st.just("pm")
            }))  # fmt: skip
        else:
            event |= {"model": model, "environment": environment}
            version = draw(st.sampled_from(["1", "2", "3"]))
            if kind == "deployment":
                event |= {"version": version, "team": draw(st.sampled_from(["a", "b"]))}
                event["unplanned"] = draw(st.booleans()) and draw(st.booleans())
            elif kind == "rollback":
                if draw(st.booleans()):
                    event["version"] = version
                event |= {"automated": draw(st.booleans()), "cause": draw(st.sampled_from(CAUSES))}
                event["drill"] = draw(st.integers(0, 5)) == 0
            if draw(st.booleans()):
                event["region"] = draw(st.sampled_from(["eu", "us", 7, [1, {"x": None}]]))
            if index and draw(st.integers(0, 3)) == 0:
                del event["id"]  # derived from the content (a tie may then be a duplicate)
        events.append({"type": kind, **event})
    return events


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request, fresh_sqlite_url):  # type: ignore[no-untyped-def]
    """A factory of empty databases: `make(0)` on the backend, `make(1)` on the other one
    (SQLite again when no PostgreSQL is configured, so SQLite runs everything anyway)."""
    server = None
    if request.param == "postgresql" or os.environ.get(PG_ENV):
        server = request.getfixturevalue("pg_server_url")  # skips without PostgreSQL
    other = "postgresql" if request.param == "sqlite" and server else "sqlite"
    backends = [request.param, other]

    def make(which: int) -> str:
        if backends[which] == "sqlite":
            return str(fresh_sqlite_url())
        assert server is not None
        _empty(server)
        return str(server)

    return make


def _empty(url: str) -> None:
    """Every table emptied: DELETE, which is twenty times quicker than TRUNCATE on tables
    this small (seqs go on counting, which nothing here compares)."""
    database = open_database(url)
    with database.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
    database.dispose()


def record(ledger: Ledger, events: list[dict[str, Any]], cuts: list[int] = ()) -> None:  # type: ignore[assignment]
    """Record `events` in batches cut at `cuts`."""
    bounds = [0, *sorted(set(cuts)), len(events)]
    for start, end in itertools.pairwise(bounds):
        if start < end:
            ledger.record_batch(events[start:end])


def reports(ledger: Ledger) -> list[dict[str, Any]]:
    return [
        ledger.report(parse_query(as_of=AS_OF, **{"window": "7d", **o})).as_dict() for o in OPTIONS
    ]


@SETTINGS
@given(events=histories(), cuts=st.lists(st.integers(1, 13), max_size=3), data=st.data())
def test_voiding_then_voiding_the_void_restores_the_report(fresh, events, cuts, data):
    with Ledger(fresh(0), group_commit=False) as ledger:
        record(ledger, events, cuts)
        before = reports(ledger)
        target = data.draw(st.sampled_from([e["id"] for e in events if "id" in e]))
        at = {"timestamp": "2026-01-15T00:00:00Z"}
        record(ledger, [{"type": "void", "target": target, "reason": "x", "id": "x1", **at}])
        record(ledger, [{"type": "void", "target": "x1", "reason": "y", "id": "x2", **at}])
        assert reports(ledger) == before
        amendable = [e["id"] for e in events
                     if e["type"] in ("deployment", "rollback") and "id" in e]  # fmt: skip
        if amendable:  # and an amend, voided, leaves nothing behind
            amend = {"type": "amend", "target": data.draw(st.sampled_from(amendable)),
                     "cause": "other", "automated": True, "id": "x3", **at}  # fmt: skip
            record(ledger, [amend, {"type": "void", "target": "x3", "id": "x4", **at}])
            assert reports(ledger) == before


def _kept(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("seq", "recorded_at")} for e in items]


@SETTINGS
@given(events=histories(), cuts=st.lists(st.integers(1, 13), max_size=3))
def test_export_then_import_is_the_identity(fresh, events, cuts):
    with Ledger(fresh(0), group_commit=False) as source:
        record(source, events, cuts)
        exported = b"".join(source.export())
        audit = source.events(AuditQuery(limit=1000)).events
        expected = reports(source)
    with Ledger(fresh(1), group_commit=False) as target:
        result = target.import_file(io.BytesIO(exported))
        assert (result.stored, result.invalid) == (len(audit), 0)
        assert b"".join(target.export()) == exported
        assert _kept(target.events(AuditQuery(limit=1000)).events) == _kept(audit)  # ids, order
        assert reports(target) == expected
