"""POST /api/v1/events with corrections: answered with what they changed (issue 9).

History (model m, production): d1 v1 day 1; d2 v2 day 2; r1 day 2 +6h rolls d2 back.
"""

from __future__ import annotations

from tests.helpers import deploy, rollback
from tests.service.helpers import Tokens, assert_error

HISTORY = [
    deploy("m", "1", "2026-02-01T09:00:00Z", id="d1", team="risk"),
    deploy("m", "2", "2026-02-02T09:00:00Z", id="d2", team="risk"),
    rollback("m", "2026-02-02T15:00:00Z", id="r1", cause="latency"),
]
VOID = {"type": "void", "target": "r1", "reason": "a test of the pager", "id": "v-1",
        "timestamp": "2026-02-10T00:00:00Z"}  # fmt: skip
UNCHANGED = {"deployed": [], "rolled_back": [], "orphaned": [], "fixed_forward": [],
             "no_longer_rolled_back": [], "no_longer_counted": [], "reclassified": [],
             "no_longer_orphaned": []}  # fmt: skip
D2 = {"event_id": "d2", "version": "2", "deployed_at": "2026-02-02T09:00:00Z", "team": "risk"}


def test_a_void_is_answered_with_what_it_changed(client, tokens):
    auth = Tokens.header(tokens.ingest)
    plain = client.post("/api/v1/events", json=HISTORY, headers=auth)
    assert plain.json() == {"received": 3, "stored": 3, "duplicates": 0}  # no `changes`
    response = client.post("/api/v1/events", json=VOID, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "received": 1, "stored": 1, "duplicates": 0,
        "changes": {"streams": [{"model": "m", "environment": "production", **UNCHANGED,
                                 "no_longer_rolled_back": [D2], "replayed": True}],
                    "truncated": False},
    }  # fmt: skip
    again = client.post("/api/v1/events", json=[VOID], headers=auth)  # a duplicate
    assert again.json() == {"received": 1, "stored": 0, "duplicates": 1,
                            "changes": {"streams": [], "truncated": False}}  # fmt: skip


def test_an_amend_in_a_batch_is_answered_with_the_rollback_reclassified(client, tokens):
    auth = Tokens.header(tokens.ingest)
    amend = {"type": "amend", "target": "r1", "cause": "data_schema_change", "automated": True,
             "timestamp": "2026-02-11T00:00:00Z", "id": "a-1"}  # fmt: skip
    response = client.post("/api/v1/events", json=[*HISTORY, amend], headers=auth)
    [stream] = response.json()["changes"]["streams"]
    # One transaction: the history and its amend arrive together, so d1 and d2 are new
    # and r1 rolls d2 back already classified as amended.
    assert [d["event_id"] for d in stream["deployed"]] == ["d1", "d2"]
    [rolled_back] = stream["rolled_back"]
    assert (rolled_back["event_id"], rolled_back["cause"], rolled_back["automated"]) == (
        "r1", "data_schema_change", True,
    )  # fmt: skip
    amend2 = {**amend, "id": "a-2", "cause": "latency", "automated": None}
    [stream] = client.post("/api/v1/events", json=amend2, headers=auth).json()["changes"]["streams"]
    assert stream["reclassified"] == [{
        "event_id": "r1", "at": "2026-02-02T15:00:00Z", "cause": "latency", "automated": True,
        "was_cause": "data_schema_change", "was_automated": True, "rolled_back": [D2],
    }]  # fmt: skip


def test_a_correction_of_an_unknown_event_is_a_located_422(client, tokens):
    auth = Tokens.header(tokens.ingest)
    error = assert_error(client.post("/api/v1/events", json=VOID, headers=auth), 422,
                         "invalid_events")  # fmt: skip
    assert [(d["location"], d["field"]) for d in error["details"]] == [("body", "target")]


def test_the_audit_log_filters_corrections(client, tokens):
    client.post("/api/v1/events", json=[*HISTORY, VOID], headers=Tokens.header(tokens.ingest))
    page = client.get("/api/v1/events?type=void", headers=Tokens.header(tokens.read)).json()
    assert [(e["id"], e["target"], e["reason"]) for e in page["events"]] == [
        ("v-1", "r1", "a test of the pager")
    ]


def test_openapi_describes_the_changes(client):
    schema = client.get("/openapi.json").json()
    answer = schema["components"]["schemas"]["IngestResponse"]
    assert "changes" in answer["properties"] and "changes" not in answer["required"]
    stream = schema["components"]["schemas"]["StreamChange"]["properties"]
    assert {"no_longer_rolled_back", "no_longer_counted", "reclassified"} <= set(stream)
