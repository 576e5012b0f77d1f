"""The response cache of the read endpoints: answers kept while the data version stands,
answers "as of now" for a few seconds only, one computation for concurrent requests."""

from __future__ import annotations

import threading
import uuid

import pytest

from rollback_rate import Ledger, parse_query
from rollback_rate.service.response_cache import ResponseCache
from tests.service.helpers import Tokens, event


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting(answers: list[bytes]):  # type: ignore[no-untyped-def]
    def compute() -> bytes:
        answers.append(b"answer %d" % len(answers))
        return answers[-1]

    return compute


def test_a_pinned_answer_is_kept_until_the_data_version_changes():
    clock, computed = Clock(), []
    cache = ResponseCache(max_age=10, clock=clock)
    compute = counting(computed)
    assert cache.answer("k", "v1", True, compute) == b"answer 0"
    clock.now += 600  # a pinned moment ages only past ten minutes (a rebuild adds no event)
    assert cache.answer("k", "v1", True, compute) == b"answer 0"
    assert cache.answer("k", "v2", True, compute) == b"answer 1"
    assert cache.answer("other", "v2", True, compute) == b"answer 2"
    clock.now += 600.001
    assert cache.answer("other", "v2", True, compute) == b"answer 3"
    assert (cache.hits, cache.misses) == (1, 4)


def test_an_answer_as_of_now_is_kept_for_max_age_seconds():
    clock, computed = Clock(), []
    cache = ResponseCache(max_age=10, clock=clock)
    compute = counting(computed)
    cache.answer("k", "v1", False, compute)
    clock.now += 10
    assert cache.answer("k", "v1", False, compute) == b"answer 0"
    clock.now += 0.001
    assert cache.answer("k", "v1", False, compute) == b"answer 1"


def test_off_errors_and_the_bound():
    computed: list[bytes] = []
    off = ResponseCache(max_age=0)
    off.answer("k", "v", True, counting(computed))
    off.answer("k", "v", True, counting(computed))
    assert len(computed) == 2 and (off.hits, off.misses) == (0, 0)

    cache = ResponseCache(max_age=10, entries=2)

    def failing() -> bytes:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.answer("k", "v", True, failing)
    assert cache.answer("k", "v", True, lambda: b"fine") == b"fine"  # the error was not kept
    cache.answer("a", "v", True, lambda: b"a")
    cache.answer("b", "v", True, lambda: b"b")  # "k" is the least recently used: dropped
    assert cache.answer("k", "v", True, lambda: b"again") == b"again"
    assert cache.answer("b", "v", True, lambda: b"not computed") == b"b"


def test_concurrent_requests_for_one_answer_compute_it_once():
    cache = ResponseCache(max_age=10)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> bytes:
        calls.append(1)
        started.set()
        release.wait(5)
        return b"report"

    answers: list[bytes] = []
    first = threading.Thread(target=lambda: answers.append(cache.answer("k", "v", True, slow)))
    first.start()
    started.wait(5)
    waiters = [
        threading.Thread(target=lambda: answers.append(cache.answer("k", "v", True, slow)))
        for _ in range(4)
    ]
    for waiter in waiters:
        waiter.start()
    release.set()
    for thread in [first, *waiters]:
        thread.join(5)
    assert answers == [b"report"] * 5 and calls == [1]


def test_the_data_version_changes_with_every_commit_and_not_with_reads(db):
    ledger = Ledger(db, group_commit=False)
    before = ledger.data_version()
    ledger.report(parse_query(window="7d", as_of="2026-03-01T00:00:00Z"))
    assert ledger.data_version() == before
    ledger.record(event(1))
    assert ledger.data_version() != before


def test_postgresql_has_no_version_while_another_session_writes(pg_server_url):
    # Seqs come from a sequence: a transaction holding seq n may commit after one holding
    # n + 1, and the last seq would then not change at its commit. So while a writer is
    # in flight there is no version (nothing kept), and after it commits there is a new one.
    from rollback_rate.ledger.writes import validate_events
    from rollback_rate.store import append_events, open_database

    database = open_database(pg_server_url)
    ledger = Ledger(database, group_commit=False)
    tag = uuid.uuid4().hex
    try:
        before = ledger.data_version()
        with database.begin() as early:
            first = append_events(early, validate_events([("a", event(1, id=f"{tag}-1"))]), {})
            with database.begin() as late:
                second = append_events(late, validate_events([("b", event(2, id=f"{tag}-2"))]), {})
            between = ledger.data_version()
        [[(early_seq, _)]] = first.new_events.values()
        [[(late_seq, _)]] = second.new_events.values()
        assert early_seq < late_seq  # the later seq committed first
        after = ledger.data_version()
        assert before is not None and between is None
        assert after == str(late_seq) != before
    finally:
        database.dispose()


def test_an_answer_without_a_version_is_neither_kept_nor_served():
    cache, computed = ResponseCache(max_age=10), []
    compute = counting(computed)
    cache.answer("k", None, True, compute)
    cache.answer("k", None, True, compute)
    assert computed == [b"answer 0", b"answer 1"] and (cache.hits, cache.misses) == (0, 0)


def test_a_report_is_answered_from_the_cache_until_a_write(client, tokens, db):
    read, ingest = Tokens.header(tokens.read), Tokens.header(tokens.ingest)
    client.post("/api/v1/events", json=event(1), headers=ingest)
    cache = client.app.state.response_cache
    params = {"as_of": "2026-03-01T00:00:00Z", "by": "model"}
    first = client.get("/api/v1/report", params=params, headers=read)
    again = client.get("/api/v1/report", params=dict(reversed(params.items())), headers=read)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and (cache.hits, cache.misses) == (1, 1)
    # a write through another ledger (another process, say) is seen at the next request
    Ledger(db, group_commit=False).record(event(2, model=event(1)["model"]))
    later = client.get("/api/v1/report", params=params, headers=read).json()
    assert later["overall"]["deployments"] == first.json()["overall"]["deployments"] + 1
    assert cache.misses == 2
    # a refused query is answered 4xx and never reaches the cache
    bad = client.get("/api/v1/report", params={"as_of": "yesterday"}, headers=read)
    assert bad.status_code == 422 and cache.misses == 2


def test_the_bytes_kept_are_bounded():
    cache = ResponseCache(max_age=10, max_bytes=10)
    cache.answer("a", "v", True, lambda: b"12345")
    cache.answer("b", "v", True, lambda: b"12345")
    assert cache.bytes == 10
    cache.answer("c", "v", True, lambda: b"123")  # "a" goes: the least recently used
    assert cache.bytes == 8
    assert cache.answer("b", "v", True, lambda: b"recomputed") == b"12345"
    assert cache.answer("a", "v", True, lambda: b"again") == b"again"  # 5 more: "c" goes
    cache.answer("huge", "v", True, lambda: b"x" * 11)  # larger than the bound: not kept
    assert cache.bytes <= 10 and cache.answer("huge", "v", True, lambda: b"y") == b"y"
