"""Invariants of the write path across chunk boundaries, on both backends (issue 9).

The write path's batch sizes (CHUNK of 5,000 events, the small-batch INSERT of 500,
projection flushes of 10,000 rows, stream pages) are shrunk to a few events, so that
small Hypothesis histories cross every boundary many times: the order of arrival does
not change the result, importing in pieces equals importing at once, and importing
again changes nothing.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate import Ledger, parse_query
from rollback_rate.aggregation import AuditQuery
from rollback_rate.store import open_database
from tests.conftest import _truncate_all

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MODELS = st.sampled_from(["m1", "m2"])
ENVIRONMENTS = st.sampled_from(["production", "staging"])
VERSIONS = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def histories(draw: Any) -> list[dict[str, Any]]:
    """Deployments and rollbacks (with and without versions, ids and causes) over a few
    streams, each at its own minute: no same-time ties, which arrival order may break."""
    minutes = draw(st.lists(st.integers(0, 60 * 24 * 20), min_size=1, max_size=40, unique=True))
    events = []
    for n, minute in enumerate(minutes):
        day, rest = divmod(minute, 60 * 24)
        stamp = f"2026-01-{1 + day:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"
        base = {"model": draw(MODELS), "environment": draw(ENVIRONMENTS), "timestamp": stamp}
        if draw(st.booleans()):
            base["id"] = f"e{n}"
        if draw(st.integers(0, 3)) == 0:
            event = {**base, "type": "rollback", "automated": draw(st.booleans()),
                     "cause": draw(st.sampled_from(["latency", "a:b;c"]))}  # fmt: skip
            if draw(st.booleans()):
                event["version"] = draw(VERSIONS)
        else:
            event = {**base, "type": "deployment", "version": draw(VERSIONS),
                     "team": draw(st.sampled_from(["t1", "t2"]))}  # fmt: skip
        events.append(event)
    return events


@pytest.fixture
def small_batches(monkeypatch):
    import rollback_rate.attribution.projection as projection
    import rollback_rate.attribution.writer as writer
    import rollback_rate.ledger.writes as writes
    import rollback_rate.store.log as log

    monkeypatch.setattr(writes, "CHUNK", 3)
    monkeypatch.setattr(log, "SMALL_BATCH", 2)
    monkeypatch.setattr(writer, "_FLUSH_AT", 4)
    monkeypatch.setattr(projection, "_STREAMS_AT_ONCE", 1)
    monkeypatch.setattr(projection, "_SAVED_AT_ONCE", 1)


@pytest.fixture
def empty(db_url, fresh_sqlite_url):
    """A function giving a ledger over an empty, migrated database on the test's backend
    (PostgreSQL: the session's database, truncated; SQLite: a fresh file)."""
    opened: list[Ledger] = []
    shared = None if db_url.startswith("sqlite") else open_database(db_url)

    def make() -> Ledger:
        if shared is None:
            ledger = Ledger(fresh_sqlite_url(), group_commit=False)
        else:
            _truncate_all(shared)
            ledger = Ledger(shared, group_commit=False)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()
    if shared is not None:
        shared.dispose()


def _import(ledger: Ledger, events: list[dict[str, Any]]) -> tuple[int, int]:
    result = ledger.record_stream(iter([(f"[{i}]", e) for i, e in enumerate(events)]))
    return result.stored, result.duplicates


def _state(ledger: Ledger) -> list[dict[str, Any]]:
    """Reports at three moments (inside and after the windows), by stream and team, and
    the log without arrival order and time, which are each import's own."""
    reports: list[dict[str, Any]] = []
    for as_of in ("2026-01-05T00:00:00Z", "2026-01-15T12:00:00Z", "2026-03-01T00:00:00Z"):
        query = parse_query(window="2d", as_of=as_of, by="model,environment,team")
        reports.append(ledger.report(query).as_dict())
    log = ledger.events(AuditQuery(limit=1000)).events
    for event in log:
        event.pop("seq"), event.pop("recorded_at")
    reports.append({"log": sorted(log, key=lambda event: event["id"])})
    return reports


@SETTINGS
@given(events=histories(), seed=st.integers(0, 10_000))
def test_arrival_order_does_not_matter(small_batches, empty, events, seed):
    in_order = empty()
    _import(in_order, sorted(events, key=lambda e: e["timestamp"]))
    expected = _state(in_order)
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    other = empty()
    _import(other, shuffled)
    assert _state(other) == expected


@SETTINGS
@given(events=histories(), cuts=st.lists(st.integers(0, 40), max_size=4))
def test_importing_in_pieces_equals_importing_at_once(small_batches, empty, events, cuts):
    whole = empty()
    _import(whole, events)
    expected = _state(whole)
    pieces = empty()
    bounds = [0, *sorted(min(cut, len(events)) for cut in cuts), len(events)]
    for start, end in itertools.pairwise(bounds):
        _import(pieces, events[start:end])
    assert _state(pieces) == expected


@SETTINGS
@given(events=histories())
def test_importing_again_changes_nothing(small_batches, empty, events):
    url = empty()
    stored, duplicates = _import(url, events)
    before = _state(url)
    assert _import(url, events) == (0, stored + duplicates)
    assert _state(url) == before
