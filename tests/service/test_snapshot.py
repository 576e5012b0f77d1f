"""A report file carries exactly what the API answers to the dashboard's requests."""

from __future__ import annotations

import json

from rollback_rate.ledger import SnapshotOptions
from rollback_rate.ledger.snapshot import MAX_DRILL_MODELS, request_key
from tests.aggregation.test_rollbacks import HISTORY
from tests.helpers import deploy, ledger_of, load, rollback
from tests.service.helpers import Tokens

HOSTILE = '<script>alert("x")</script>\n"model" | *md*'
AS_OF = "2026-02-01T00:00:00Z"


def test_every_document_is_the_api_answer_to_its_request(client, tokens, db):
    load(db, [*HISTORY, deploy(HOSTILE, "1", "2026-01-10T00:00:00Z", team="<t>"),
              deploy(HOSTILE, "2", "2026-01-11T00:00:00Z"),
              rollback(HOSTILE, "2026-01-11T05:00:00Z", cause="<img src=x>")])  # fmt: skip
    snapshot = ledger_of(db).dashboard_snapshot(SnapshotOptions(as_of=AS_OF, period="week"))
    assert snapshot["filters"] == {"window": "7d", "as_of": AS_OF, "period": "week", "by": "model"}
    assert sorted(snapshot["drill_models"]) == sorted(["m", "n", "k", HOSTILE])
    read = Tokens.header(tokens.read)
    for key, document in snapshot["documents"].items():
        path, pairs = json.loads(key)
        response = client.get(path, params=pairs, headers=read)
        assert response.status_code == 200, (key, response.text)
        answer = response.json()
        if path == "/api/v1/models":  # as of now, by definition: not pinned
            answer.pop("as_of"), document.pop("as_of")
        assert answer == document, key
    base = {"window": "7d", "as_of": AS_OF}
    expected = {
        request_key("/api/v1/report", {**base, "period": "week"}),
        *(request_key("/api/v1/report", {**base, "by": by})
          for by in ("model", "team", "environment", "model,environment")),
        request_key("/api/v1/time-to-rollback", base),
        request_key("/api/v1/rollbacks", {**base, "limit": "20"}),
    }  # fmt: skip
    assert expected <= set(snapshot["documents"])
    drill = {**base, "model": HOSTILE}
    # 90 days before the model's last event (its rollback on 2026-01-11 at 05:00).
    events = request_key("/api/v1/events", {"model": HOSTILE, "since": "2025-10-13T05:00:00Z",
                                            "until": AS_OF, "limit": "1000"})  # fmt: skip
    assert events in snapshot["documents"]
    assert [e["version"] for e in snapshot["documents"][events]["events"]] == ["1", "2", None]
    assert request_key("/api/v1/report", {**drill, "by": "environment"}) in snapshot["documents"]
    models = request_key("/api/v1/models", {"model": HOSTILE, "window": "7d"})
    assert models in snapshot["documents"]


def test_the_key_is_compact_sorted_json_without_empty_values():
    key = request_key("/p", {"b": "2", "a": 'x"é\n', "c": ""})
    assert key == '["/p",[["a","x\\"é\\n"],["b","2"]]]'


def test_only_the_most_deployed_models_get_a_drill_down(db):
    events = [deploy(f"m{i:03d}", str(v), f"2026-01-{1 + v:02d}T00:00:00Z")
              for i in range(MAX_DRILL_MODELS + 2) for v in range(1 + (i == 7))]  # fmt: skip
    load(db, events)
    snapshot = ledger_of(db).dashboard_snapshot(SnapshotOptions(as_of=AS_OF))
    assert len(snapshot["drill_models"]) == MAX_DRILL_MODELS
    assert snapshot["drill_models"][0] == "m007"  # two deployments, the rest one each
    assert snapshot["drill_models"][1:4] == ["m000", "m001", "m002"]
