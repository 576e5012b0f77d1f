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
    }
    assert_error(
        client.get("/api/v1/models", headers={"Authorization": "Bearer x"}), 401, "unauthorized"
    )
