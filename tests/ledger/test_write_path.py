"""Idempotency, atomicity and order independence of recording events."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollback_rate.errors import InvalidInput
from tests.helpers import deploy, ledger_of, load, overall, report, rollback


def located(events):
    return [(f"[{i}]", e) for i, e in enumerate(events)]


def record_events(database, raws, **options):
    return ledger_of(database).record_stream(raws, **options)


def test_same_id_twice_is_a_duplicate_not_a_second_event(db):
    first = record_events(db, located([deploy("m", "1", "2026-01-01T00:00:00Z", id="ci-1")]))
    again = record_events(db, located([deploy("m", "2", "2026-01-02T00:00:00Z", id="ci-1")]))
    assert (first.stored, first.duplicates) == (1, 0)
    assert (again.stored, again.duplicates) == (0, 1)
    assert overall(db, "2026-02-01T00:00:00Z")["deployments"] == 1


def test_duplicates_inside_one_batch_are_recognised(db):
    event = deploy("m", "1", "2026-01-01T00:00:00Z")
    result = record_events(
        db, located([event, dict(event), {**event, "id": "x"}, {**event, "id": "x"}])
    )
    assert (result.stored, result.duplicates) == (2, 2)


def test_reimporting_a_file_without_ids_stores_nothing_new(db):
    events = [deploy("m", "1", "2026-01-01T00:00:00Z"), rollback("m", "2026-01-01T05:00:00Z")]
    record_events(db, located(events))
    again = record_events(db, located(events))
    assert (again.stored, again.duplicates) == (0, 2)


def test_an_invalid_event_stores_nothing_and_lists_every_problem(db):
    events = [
        deploy("m", "1", "2026-01-01T00:00:00Z"),
        deploy("m", "2", "2026-01-02T00:00:00"),
        {"type": "rollback", "model": "", "timestamp": "2026-01-03T00:00:00Z"},
    ]
    with pytest.raises(InvalidInput) as info:
        record_events(db, located(events))
    assert [str(p) for p in info.value.problems] == [
        "[1]: timestamp: timestamp '2026-01-02T00:00:00' has no UTC offset; add 'Z' or '+00:00'",
        "[2]: model: must not be empty",
    ]
    assert overall(db, "2026-02-01T00:00:00Z")["deployments"] == 0


def test_skip_invalid_stores_the_valid_ones(db):
    events = [deploy("m", "1", "2026-01-01T00:00:00Z"), {"type": "deployment"}]
    result = record_events(db, located(events), skip_invalid=True)
    assert (result.stored, result.invalid) == (1, 1)
    assert result.problems[0].location == "[1]"


def test_a_failed_batch_leaves_earlier_data_untouched(db):
    load(db, [deploy("m", "1", "2026-01-01T00:00:00Z")])
    with pytest.raises(InvalidInput):
        record_events(db, located([deploy("m", "2", "2026-01-02T00:00:00Z"), {"type": "x"}]))
    got = overall(db, "2026-02-01T00:00:00Z")
    assert got["deployments"] == 1


def test_a_large_batch_crosses_chunk_and_flush_boundaries(sqlite_db):
    # 12,000 deployments then a deep inferred rollback: exercises chunked inserts,
    # paged replay and batched projection writes.
    events = [
        deploy("m", str(i), f"2026-01-01T00:00:{i // 1000:02d}.{i % 1000:03d}Z")
        for i in range(12_000)
    ]
    events.append(deploy("m", "0", "2026-01-01T00:01:00Z"))
    result = record_events(sqlite_db, located(events))
    assert result.stored == 12_001
    got = overall(sqlite_db, "2026-03-01T00:00:00Z")
    assert (got["deployments"], got["rollbacks"]) == (12_000, 11_999)


_VERSIONS = st.sampled_from(["a", "b", "c", "d"])
_EVENT = st.one_of(
    st.builds(
        lambda v, h: deploy("m", v, f"2026-01-01T{h:02d}:00:00Z"), _VERSIONS, st.integers(0, 23)
    ),
    st.builds(
        lambda v, h: rollback("m", f"2026-01-01T{h:02d}:30:00Z", **({"version": v} if v else {})),
        st.one_of(st.none(), _VERSIONS),
        st.integers(0, 23),
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(_EVENT, min_size=1, max_size=12, unique_by=lambda e: e["timestamp"]),
    seed=st.integers(0, 1000),
)
def test_result_does_not_depend_on_arrival_order(fresh_sqlite_url, events, seed):
    from rollback_rate.store import open_database

    in_order = open_database(fresh_sqlite_url())
    shuffled = open_database(fresh_sqlite_url())
    load(in_order, sorted(events, key=lambda e: e["timestamp"]))
    mixed = list(events)
    random.Random(seed).shuffle(mixed)
    for event in mixed:  # one at a time: forces incremental and replay paths
        load(shuffled, [event])
    for as_of in ("2026-01-01T12:00:00Z", "2026-01-09T00:00:00Z"):
        assert overall(in_order, as_of) == overall(shuffled, as_of)
    settled = overall(in_order, "2026-01-09T00:00:00Z")
    if settled["rollback_rate"] is not None:
        low, high = settled["ci95"]
        assert low <= settled["rollback_rate"] <= high
    in_order.dispose()
    shuffled.dispose()


def test_a_bulk_load_leaves_the_garbage_collector_as_it_found_it(sqlite_db):
    import gc

    from rollback_rate.ledger.writes import CHUNK

    events = [deploy("m", str(i), "2026-01-01T00:00:00Z") for i in range(CHUNK + 1)]
    assert gc.isenabled()
    record_events(sqlite_db, located(events))
    assert gc.isenabled()
    with pytest.raises(InvalidInput):  # paused after the first chunk, then fails
        record_events(sqlite_db, located([*events, {"type": "x"}]))
    assert gc.isenabled()


def test_a_bulk_import_equals_the_same_history_recorded_in_small_batches(
    db, fresh_sqlite_url, tmp_path
):
    # Chunked inline attribution (with a writer thread on PostgreSQL) against the small
    # path's one transaction per batch, on the benchmark's kind of history: deep stacks,
    # rollbacks without a version, ids and derived ids.
    import importlib.util
    from pathlib import Path

    import orjson

    from rollback_rate.events import read_events
    from rollback_rate.store import open_database

    generator = Path(__file__).parents[2] / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("benchmark_generate", generator)
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)

    path = generate.write_events(tmp_path / "history.jsonl", 16_000, models=20)
    with path.open("rb") as stream:
        bulk = record_events(db, ((f"line {n}", raw) for n, raw in read_events(stream, "jsonl")))
    assert (bulk.stored, bulk.duplicates) == (16_000, 0)
    small = open_database(fresh_sqlite_url())
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    for start in range(0, len(lines), 400):
        record_events(small, located(lines[start : start + 400]))
    options = {"as_of": "2025-01-01T00:00:00Z", "by": "model,team", "period": "month"}
    got, expected = report(db, **options), report(small, **options)
    assert got == expected
    assert got["overall"]["rollbacks"] > 500
    small.dispose()
