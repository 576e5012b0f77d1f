"""Group commit: concurrent small POSTs share transactions, each answered on its own.

The commits are real (SQLite file and PostgreSQL); tests only wrap `write_groups` to
watch the groups, to hold the first commit until others have queued behind it (so the
batching under test does happen), or to make one grouped commit fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rollback_rate.attribution import ChangeLog
from rollback_rate.events.model import EventRecord
from rollback_rate.ledger import IngestResult
from rollback_rate.ledger import writes as writes_module
from rollback_rate.ledger.group_commit import MAX_GROUPED_EVENTS, GroupCommitter
from rollback_rate.ledger.writes import write_groups
from rollback_rate.service import Settings, create_app
from rollback_rate.store import Database
from tests.service.conftest import TestClient
from tests.service.helpers import Tokens, assert_error, event, make_tokens, running_server

Groups = Sequence[Sequence[EventRecord]]


@pytest.fixture
def app_client(db_url: str, db: Database) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=db_url, token_cache_seconds=60, access_log=False))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Spy:
    """Wraps the real `write_groups`: records group sizes; can hold the first commit until
    the rest of `hold_for` requests are queued behind it, and fail chosen calls."""

    def __init__(
        self,
        committer: GroupCommitter,
        hold_for: int = 0,
        fail: Callable[[int, Groups], bool] = lambda call, groups: False,
    ) -> None:
        self.committer = committer
        self.hold_for = hold_for
        self.fail = fail
        self.calls: list[list[int]] = []
        self.lock = threading.Lock()

    def __call__(
        self, database: Database, groups: Groups, changes: ChangeLog | None = None
    ) -> tuple[list[IngestResult], Any]:
        with self.lock:
            call = len(self.calls)
            self.calls.append([len(group) for group in groups])
        if call == 0 and self.hold_for:
            deadline = time.monotonic() + 20
            rest = self.hold_for - len(groups)
            while self.committer.queued() < rest and time.monotonic() < deadline:
                time.sleep(0.005)
        if self.fail(call, groups):
            raise RuntimeError("injected failure of a grouped commit")
        return write_groups(database, groups, changes)


def _committer(app: Any) -> GroupCommitter:
    committer: GroupCommitter = app.state.ledger._committer
    return committer


def _install(monkeypatch: pytest.MonkeyPatch, client: TestClient, **kwargs: Any) -> Spy:
    spy = Spy(_committer(client.app), **kwargs)
    monkeypatch.setattr(writes_module, "write_groups", spy)  # the façade imports it per call
    return spy


def _post_all(
    client: TestClient, token: str, bodies: list[Any], threads: int = 16
) -> list[tuple[int, Any]]:
    def post(body: Any) -> tuple[int, Any]:
        response = client.post("/api/v1/events", json=body, headers=Tokens.header(token))
        return response.status_code, response.json()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(post, bodies))


def _stored_ids(database: Database) -> list[str]:
    with database.snapshot() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT event_id FROM events")]


def test_concurrent_requests_are_grouped_and_answered_each_on_its_own(app_client, db, monkeypatch):
    tokens = make_tokens(db)
    first = app_client.post("/api/v1/events", json=event(0), headers=Tokens.header(tokens.ingest))
    assert first.json() == {"received": 1, "stored": 1, "duplicates": 0}
    spy = _install(monkeypatch, app_client, hold_for=23)
    # 1..20 new, each once; evt-0 again (already stored); evt-5 twice more; a small batch
    # whose own events repeat; a request over the group limit takes the direct path.
    bodies: list[Any] = [event(n) for n in range(1, 21)]
    bodies += [event(0), event(5), [event(5), event(30), event(30)]]
    results = _post_all(app_client, tokens.ingest, bodies, threads=len(bodies))
    assert all(status == 200 for status, _ in results), results
    answers = [body for _, body in results]
    # each id is stored by exactly one request; all others count it as a duplicate
    assert sum(a["stored"] for a in answers) == 21
    assert all(a["stored"] + a["duplicates"] == a["received"] for a in answers)
    assert answers[20] == {"received": 1, "stored": 0, "duplicates": 1}
    # evt-5 is sent by three requests (alone twice, and first in a batch with evt-30
    # twice): whichever commits first stores it, the others count it a duplicate.
    alone, again, batch = answers[4], answers[21], answers[22]
    assert batch["received"] == 3 and batch["stored"] in (1, 2)
    assert alone["stored"] + again["stored"] + (batch["stored"] - 1) == 1
    assert sorted(_stored_ids(db)) == sorted({f"evt-{n}" for n in [*range(21), 30]})
    # The first commit held until the others queued; they were grouped after it (under
    # heavy load a straggler may arrive after the second commit began: a third one).
    assert sum(len(call) for call in spy.calls) == 23
    assert max(len(call) for call in spy.calls[1:]) > 1

    big = [event(n) for n in range(100, 100 + MAX_GROUPED_EVENTS + 1)]
    calls = len(spy.calls)
    response = app_client.post("/api/v1/events", json=big, headers=Tokens.header(tokens.ingest))
    assert response.json() == {"received": len(big), "stored": len(big), "duplicates": 0}
    assert len(spy.calls) == calls  # the direct path

    invalid = app_client.post(
        "/api/v1/events", json=event(200, automated="yes"), headers=Tokens.header(tokens.ingest)
    )
    error = assert_error(invalid, 422, "invalid_events")
    assert error["details"] == [
        {"location": "body", "field": "automated", "reason": "must be true or false (got 'yes')"}
    ]
    assert len(spy.calls) == calls  # never queued


def test_a_failed_group_is_committed_request_by_request(app_client, db, monkeypatch):
    tokens = make_tokens(db)
    failed: list[int] = []

    def first_real_group(call: int, groups: Groups) -> bool:
        # Which call first holds several requests depends on thread timing (the writer
        # may find most of them queued at its first look), so fail that one, whichever.
        if failed or len(groups) < 2:
            return False
        failed.append(call)
        return True

    spy = _install(monkeypatch, app_client, hold_for=11, fail=first_real_group)
    bodies = [event(n) for n in range(10)] + [event(3)]
    results = _post_all(app_client, tokens.ingest, bodies, threads=len(bodies))
    assert [status for status, _ in results] == [200] * 11, results
    answers = [body for _, body in results]
    assert sum(a["stored"] for a in answers) == 10
    assert sorted([answers[3]["stored"], answers[10]["stored"]]) == [0, 1]
    assert sorted(_stored_ids(db)) == sorted(f"evt-{n}" for n in range(10))
    # one group of several requests failed, then each of its requests was committed alone
    [k] = failed
    size = len(spy.calls[k])
    assert size > 1
    assert spy.calls[k + 1 : k + 1 + size] == [[1]] * size
    others = spy.calls[:k] + spy.calls[k + 1 + size :]
    assert size + sum(len(call) for call in others) == 11


def test_one_failing_request_does_not_fail_the_others(app_client, db, monkeypatch):
    tokens = make_tokens(db)

    def poisoned(call: int, groups: Groups) -> bool:
        return any(record.event_id == "evt-7" for group in groups for record in group)

    _install(monkeypatch, app_client, hold_for=10, fail=poisoned)
    results = _post_all(app_client, tokens.ingest, [event(n) for n in range(10)], threads=10)
    statuses = [status for status, _ in results]
    assert statuses == [200] * 7 + [500] + [200] * 2, results
    assert results[7][1]["error"]["code"] == "internal_error"
    assert sorted(_stored_ids(db)) == sorted(f"evt-{n}" for n in range(10) if n != 7)


def test_a_nul_character_is_refused_alone_while_the_group_stores(db, app_client, monkeypatch):
    """PostgreSQL cannot store NUL characters in text, so validation refuses them (422 in
    the request's own thread); the requests around it are grouped and stored."""
    tokens = make_tokens(db)
    spy = _install(monkeypatch, app_client, hold_for=11)
    bodies = [event(n) for n in range(12)]
    bodies[4] = event(4, note="nul\x00byte")
    results = _post_all(app_client, tokens.ingest, bodies, threads=12)
    assert [status for status, _ in results] == [200] * 4 + [422] + [200] * 7, results
    assert results[4][1]["error"]["details"][0]["reason"] == (
        "must not contain NUL characters (\\u0000)"
    )
    assert sorted(_stored_ids(db)) == sorted(f"evt-{n}" for n in range(12) if n != 4)
    assert max(len(call) for call in spy.calls) > 1


def test_many_clients_against_a_real_server(db_url, db, tmp_path):
    """Single-event POSTs from many threads to `serve` (2 workers on PostgreSQL): every
    event stored once, each request told whether it stored its event."""
    tokens = make_tokens(db)
    workers = ["--workers", "2"] if db_url.startswith("postgresql") else []
    sent = [event(n) for n in range(300)] + [event(n) for n in range(0, 300, 10)]
    with running_server(db_url, tmp_path, *workers) as server:

        def post_slice(start: int) -> list[dict[str, Any]]:
            with server.client(tokens.ingest) as client:
                answers = []
                for body in sent[start::16]:
                    response = client.post("/api/v1/events", json=body)
                    assert response.status_code == 200, response.text
                    answers.append(dict(response.json()))
                return answers

        with ThreadPoolExecutor(16) as pool:
            slices = list(pool.map(post_slice, range(16)))
        logs = "\n".join(server.log_lines())
    stored_by: dict[str, int] = {}
    pairs = [p for i in range(16) for p in zip(sent[i::16], slices[i], strict=True)]
    for body, answer in pairs:
        assert answer["received"] == 1 and answer["stored"] + answer["duplicates"] == 1
        stored_by[body["id"]] = stored_by.get(body["id"], 0) + answer["stored"]
    assert set(stored_by.values()) == {1}
    ids = _stored_ids(db)
    assert len(ids) == len(set(ids)) == 300
    assert "Traceback" not in logs


def test_the_switch_and_the_writer_lifecycle(db_url, db):
    assert Settings.from_env({}).group_commit is True
    assert Settings.from_env({"ROLLBACK_RATE_GROUP_COMMIT": "0"}).group_commit is False
    off = create_app(Settings(db_url=db_url, group_commit=False, access_log=False))
    assert off.state.ledger._committer is None
    tokens = make_tokens(db)
    with TestClient(off) as client:
        response = client.post(
            "/api/v1/events", json=event(1), headers=Tokens.header(tokens.ingest)
        )
        assert response.json() == {"received": 1, "stored": 1, "duplicates": 0}

    app = create_app(Settings(db_url=db_url, access_log=False))
    committer = _committer(app)

    def writers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "rollback-rate-group-commit"]

    before = len(writers())
    answers = (
        {"received": 2, "stored": 1, "duplicates": 1},
        {"received": 2, "stored": 0, "duplicates": 2},
    )
    for expected in answers:  # the writer starts on first use and stops with the app, twice
        with TestClient(app) as client:
            assert len(writers()) == before  # lazily started
            response = client.post(
                "/api/v1/events", json=[event(2), event(1)], headers=Tokens.header(tokens.ingest)
            )
            assert response.json() == expected
            assert len(writers()) == before + 1
        assert len(writers()) == before
    assert committer.queued() == 0
    assert sorted(_stored_ids(db)) == ["evt-1", "evt-2"]
