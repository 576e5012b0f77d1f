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
