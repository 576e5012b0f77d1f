"""`POST /api/v1/events` answers `warnings` when the request made a bad-target rollback."""

from rollback_rate import Ledger
from tests.helpers import deploy, rollback
from tests.ledger.test_warnings import BEFORE, LATER
from tests.service.helpers import Tokens


def test_the_api_answers_warnings_only_when_there_are_some(client, tokens, db):
    Ledger(db, group_commit=False).record_batch(BEFORE)
    ingest = Tokens.header(tokens.ingest)
    good = client.post("/api/v1/events", json=deploy("m", "4", LATER, id="d7"), headers=ingest)
    assert good.json() == {"received": 1, "stored": 1, "duplicates": 0}
    bad = client.post(
        "/api/v1/events",
        json=[rollback("m", "2026-01-04T03:00:00Z", id="r6", version="2")],
        headers=ingest,
    )
    assert bad.status_code == 200, bad.text
    body = bad.json()
    assert (body["stored"], [w["event_id"] for w in body["warnings"]]) == (1, ["r6"])
    assert body["warnings"][0]["code"] == "bad_target_rollback"
    assert (
        "back from 4, 3 to version 2 that was itself rolled back before"
        in (body["warnings"][0]["message"])
    )
