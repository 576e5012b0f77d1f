"""`GET /api/v1/survival`: the CLI's JSON over HTTP, its scope and its located errors."""

from rollback_rate import Ledger
from tests.aggregation.test_survival_report import AS_OF, HISTORY
from tests.service.helpers import Tokens, assert_error


def test_survival_is_the_json_of_the_command(client, tokens, db):
    Ledger(db, group_commit=False).record_batch(HISTORY)
    response = client.get(
        "/api/v1/survival",
        params={"as_of": AS_OF, "by": "model", "model": "a"},
        headers=Tokens.header(tokens.read),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(p["hours"], p["survival"], p["at_risk"]) for p in body["overall"]["curve"]] == [
        (2, 0.8, 5), (20, 0.6, 4), (240, 0.3, 2)
    ]  # fmt: skip
    assert body["filters"]["model"] == "a"
    assert [group["key"] for group in body["groups"]] == [{"model": "a"}]


def test_survival_needs_the_read_scope_and_locates_bad_options(client, tokens):
    assert_error(client.get("/api/v1/survival", headers=Tokens.header(tokens.ingest)), 403,
                 "forbidden")  # fmt: skip
    response = client.get(
        "/api/v1/survival", params={"by": "colour"}, headers=Tokens.header(tokens.read)
    )
    error = assert_error(response, 422, "invalid_option")
    assert error["details"][0]["location"] == "query.by"


def test_history_is_the_json_of_the_command(client, tokens, db):
    from tests.ledger.test_history import CORRECTIONS
    from tests.ledger.test_history import HISTORY as STREAM

    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(STREAM)
    ledger.record_batch(CORRECTIONS)
    response = client.get(
        "/api/v1/history",
        params={"model": "m", "at": "2026-01-02T12:00:00Z", "context": 1},
        headers=Tokens.header(tokens.read),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["live"]["version"], body["live"]["made_live_by"]["id"]) == ("1", "r1")
    assert [c["id"] for c in body["before"] + body["after"]] == ["r1", "d3"]


def test_history_of_an_unknown_stream_is_a_located_404(client, tokens, db):
    Ledger(db, group_commit=False).record_batch(HISTORY)
    read = Tokens.header(tokens.read)
    error = assert_error(client.get("/api/v1/history", params={"model": "zz"}, headers=read),
                         404, "not_found")  # fmt: skip
    assert error["details"] == [
        {"location": "query.model", "field": "model",
         "reason": "no events were recorded for model 'zz'"}
    ]  # fmt: skip
    error = assert_error(
        client.get("/api/v1/history", params={"model": "a", "environment": "x"}, headers=read),
        404,
        "not_found",
    )
    assert error["details"][0]["location"] == "query.environment"
    error = assert_error(
        client.get("/api/v1/history", params={"model": "a", "at": "yesterday"}, headers=read),
        422,
        "invalid_option",
    )
    assert error["details"][0]["location"] == "query.at"
    assert_error(client.get("/api/v1/history", headers=read), 422, "invalid_request")


def test_testscore_is_the_json_of_the_command(client, tokens, db):
    from tests.metrics.test_testscore import AS_OF as SCORED_AS_OF
    from tests.metrics.test_testscore import EVENTS, VOID

    Ledger(db, group_commit=False).record_batch([*EVENTS, VOID])
    response = client.get(
        "/api/v1/testscore",
        params={"as_of": SCORED_AS_OF, "model": "drilled"},
        headers=Tokens.header(tokens.read),
    )
    assert response.status_code == 200, response.text
    [drilled] = response.json()["models"]
    assert (drilled["infra_6"]["score"], drilled["infra_7"]["score"]) == (0, 0.5)
    error = assert_error(
        client.get("/api/v1/testscore", params={"until": "x"}, headers=Tokens.header(tokens.read)),
        422,
        "invalid_option",
    )
    assert error["details"][0]["location"] == "query.until"
