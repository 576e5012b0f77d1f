"""POST /api/v1/events in process: validation, located problems, duplicates, limits."""

from __future__ import annotations

import orjson
from sqlalchemy import func, select

from rollback_rate.service import Settings, create_app
from rollback_rate.store.schema import events
from tests.service.helpers import Tokens, assert_error, event


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with db.snapshot() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def test_single_event_and_batch_are_stored_and_duplicates_counted(client, tokens, db):
    auth = Tokens.header(tokens.ingest)
    first = client.post("/api/v1/events", json=event(1), headers=auth)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "stored": 1, "duplicates": 0}
    batch = client.post("/api/v1/events", json=[event(1), event(2), event(3)], headers=auth)
    assert batch.json() == {"received": 3, "stored": 2, "duplicates": 1}
    again = client.post("/api/v1/events", json=[event(2), event(3)], headers=auth)
    assert again.json() == {"received": 2, "stored": 0, "duplicates": 2}
    assert _count(db) == 3


def test_invalid_batch_locates_every_problem_and_stores_nothing(client, tokens, db):
    batch = [
        event(1),
        event(2, timestamp="yesterday"),
        event(3),
        {"type": "deployment", "model": "m", "timestamp": "2026-01-01T00:00:00"},
        "not an object",
        {"type": "deployment", "model": "m", "timestamp": "2026-01-01T00:00:00Z"},
    ]
    response = client.post("/api/v1/events", json=batch, headers=Tokens.header(tokens.admin))
    error = assert_error(response, 422, "invalid_events")
    located = {(d["location"], d["field"]) for d in error["details"]}
    assert ("[1]", "timestamp") in located
    assert ("[3]", "timestamp") in located  # no UTC offset
    assert ("[4]", None) in located
    assert ("[5]", "version") in located  # a deployment needs a version
    assert not any(d["location"] in ("[0]", "[2]") for d in error["details"])
    assert all(d["reason"] for d in error["details"])
    assert _count(db) == 0


def test_single_invalid_event_is_located_as_body(client, tokens):
    response = client.post(
        "/api/v1/events", json=event(1, type="deploy"), headers=Tokens.header(tokens.ingest)
    )
    error = assert_error(response, 422, "invalid_events")
    assert error["details"][0]["location"] == "body"
    assert error["details"][0]["field"] == "type"


def test_malformed_json_and_wrong_top_level_type(client, tokens):
    auth = Tokens.header(tokens.ingest)
    error = assert_error(
        client.post("/api/v1/events", content=b'[{"type": ', headers=auth), 422, "invalid_json"
    )
    assert error["details"][0]["location"] == "body"
    assert_error(client.post("/api/v1/events", content=b"", headers=auth), 422, "invalid_json")
    assert_error(client.post("/api/v1/events", content=b"42", headers=auth), 422, "invalid_json")


def test_batch_larger_than_the_limit_is_refused_whole(db_url, db, tokens):
    from fastapi.testclient import TestClient

    settings = Settings(db_url=db_url, max_batch=3, access_log=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        batch = [event(n) for n in range(4)]
        response = client.post("/api/v1/events", json=batch, headers=Tokens.header(tokens.ingest))
        assert_error(response, 413, "too_many_events")
    assert _count(db) == 0


def test_body_limit_by_content_length_and_while_streaming(db_url, db, tokens):
    from fastapi.testclient import TestClient

    settings = Settings(db_url=db_url, max_body=1000, access_log=False)
    body = orjson.dumps([event(n) for n in range(20)])
    assert len(body) > 1000
    auth = Tokens.header(tokens.ingest)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        declared = client.post("/api/v1/events", content=body, headers=auth)
        assert_error(declared, 413, "payload_too_large")

        def chunks():  # no Content-Length: chunked transfer
            for start in range(0, len(body), 100):
                yield body[start : start + 100]

        streamed = client.post("/api/v1/events", content=chunks(), headers=auth)
        assert_error(streamed, 413, "payload_too_large")
        small = client.post("/api/v1/events", json=event(1), headers=auth)
        assert small.status_code == 200
    assert _count(db) == 1


def test_fast_and_reference_paths_store_the_same_events(client, tokens, db):
    from rollback_rate.events import parse_event

    auth = Tokens.header(tokens.admin)
    plain = [event(1, team="risk"), event(2, type="rollback", automated=True, cause="latency")]
    # One event the fast path cannot vouch for (an attribute to keep) sends the whole
    # batch the reference way; the plain batch goes the fast way.
    odd = [event(3), event(4, region="eu-west-1"), event(5, team=" padded ")]
    for batch in (plain, odd):
        response = client.post("/api/v1/events", json=batch, headers=auth)
        assert response.json() == {"received": len(batch), "stored": len(batch), "duplicates": 0}
    stored = client.get("/api/v1/events", headers=auth).json()["events"]
    expected = [parse_event(raw, "x").as_dict() for raw in plain + odd]
    assert [{k: v for k, v in e.items() if k not in ("seq", "recorded_at")} for e in stored] == (
        expected
    )
    assert stored[3]["attributes"] == {"region": "eu-west-1"}
    assert stored[4]["team"] == "padded"
