"""GET /api/v1/events (filters, cursor pages) and GET /api/v1/models, in process."""

from __future__ import annotations

from tests.helpers import ledger_of
from tests.service.helpers import Tokens, assert_error, event

ROLLBACK = {"type": "rollback", "model": "ranker", "environment": "production"}


def _history(db) -> None:  # type: ignore[no-untyped-def]
    raws = [
        event(1, model="ranker", environment="production", timestamp="2026-01-01T00:00:00Z"),
        event(2, model="ranker", environment="production", timestamp="2026-01-02T00:00:00Z"),
        {**ROLLBACK, "id": "rb-1", "timestamp": "2026-01-02T06:00:00Z", "cause": "drift"},
        event(3, model="ranker", environment="staging", timestamp="2026-01-03T00:00:00Z"),
        event(4, model="fraud", environment="production", timestamp="2026-01-04T00:00:00Z"),
    ]
    ledger_of(db).record_stream([(str(i), raw) for i, raw in enumerate(raws)])


def test_events_are_filtered_and_paged_by_cursor(client, tokens, db):
    _history(db)
    read = Tokens.header(tokens.read)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/events", params=params, headers=read).json()
        seen += [e["id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["evt-1", "evt-2", "rb-1", "evt-3", "evt-4"]

    def ids(**params: str) -> list[str]:
        response = client.get("/api/v1/events", params=params, headers=read)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["events"]]

    assert ids(model="ranker", environment="production") == ["evt-1", "evt-2", "rb-1"]
    assert ids(type="rollback") == ["rb-1"]
    assert ids(since="2026-01-02T06:00:00Z", until="2026-01-03") == ["rb-1", "evt-3"]
    assert ids(model="nope") == []
    rollback = client.get("/api/v1/events", params={"type": "rollback"}, headers=read).json()
    assert rollback["events"][0]["cause"] == "drift"
    assert rollback["events"][0]["timestamp"] == "2026-01-02T06:00:00Z"


def test_models_show_live_version_last_deployment_rollback_and_rate(client, tokens, db):
    _history(db)
    response = client.get("/api/v1/models", headers=Tokens.header(tokens.read))
    assert response.status_code == 200, response.text
    models = {
        m["model"]: {e["environment"]: e for e in m["environments"]}
        for m in response.json()["models"]
    }
    production = models["ranker"]["production"]
    assert production["live_version"] == "1.1"  # 1.2 was rolled back
    assert production["last_deployment"] == {"version": "1.2", "at": "2026-01-02T00:00:00Z"}
    assert production["last_rollback"]["cause"] == "drift"
    assert production["last_rollback"]["rolled_back_version"] == "1.2"
    assert production["rollback_rate"] == 50.0 and production["settled"] == 2
    assert models["ranker"]["staging"]["last_rollback"] is None
    assert models["fraud"]["production"]["rollback_rate"] == 0.0
    only = client.get("/api/v1/models?model=fraud", headers=Tokens.header(tokens.read)).json()
    assert [m["model"] for m in only["models"]] == ["fraud"]


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/api/v1/events"]["post"]
    assert "oneOf" in post["requestBody"]["content"]["application/json"]["schema"]
    assert "422" in post["responses"] and "401" in post["responses"]
    report = schema["paths"]["/api/v1/report"]["get"]
    names = {p["name"] for p in report["parameters"]}
    assert names == {
        "as_of",
        "window",
        "by",
        "period",
        "model",
        "environment",
        "team",
        "since",
        "until",
        "order",
        "tz",
    }
    assert_error(
        client.get("/api/v1/models", headers={"Authorization": "Bearer x"}), 401, "unauthorized"
    )


HOSTILE = '<script>alert("x")</script>\n| *md* |'


def test_rollbacks_and_time_to_rollback_over_http(client, tokens, db):
    _history(db)
    ledger_of(db).record_stream(
        [
            ("a", event(10, model=HOSTILE, environment="production",
                        timestamp="2026-01-05T00:00:00Z")),
            ("b", event(11, model=HOSTILE, environment="production",
                        timestamp="2026-01-06T00:00:00Z")),
            ("c", {"type": "rollback", "model": HOSTILE, "cause": "<b>x</b>",
                   "timestamp": "2026-01-06T12:00:00Z"}),
        ]
    )  # fmt: skip
    read = Tokens.header(tokens.read)
    params = {"as_of": "2026-02-01T00:00:00Z"}
    response = client.get("/api/v1/rollbacks", params=params, headers=read)
    assert response.status_code == 200, response.text
    rows = response.json()["rollbacks"]
    assert [(r["model"], r["from_version"], r["to_version"], r["cause"]) for r in rows] == [
        (HOSTILE, "1.11", "1.10", "<b>x</b>"),
        ("ranker", "1.2", "1.1", "drift"),
    ]
    assert rows[1]["hours_after_deployment"] == 6.0
    one = client.get("/api/v1/rollbacks", params={**params, "limit": 1, "model": "ranker"},
                     headers=read).json()  # fmt: skip
    assert [r["model"] for r in one["rollbacks"]] == ["ranker"]
    ttr = client.get("/api/v1/time-to-rollback", params=params, headers=read).json()
    assert ttr["rollbacks"] == 2 and ttr["late_rollbacks"] == 0
    assert [(b["to_hours"], b["count"]) for b in ttr["buckets"] if b["count"]] == [
        (8.0, 1),  # ranker: 6 h
        (12.0, 1),  # the hostile model: 12 h
    ]
    error = assert_error(
        client.get("/api/v1/rollbacks", params={"limit": 0}, headers=read), 422, "invalid_request"
    )
    assert error["details"][0]["location"] == "query.limit"
    error = assert_error(
        client.get("/api/v1/time-to-rollback", params={"as_of": "yesterday"}, headers=read),
        422,
        "invalid_option",
    )
    assert error["details"][0]["location"] == "query.as_of"
    assert_error(client.get("/api/v1/time-to-rollback"), 401, "unauthorized")
