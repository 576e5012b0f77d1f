"""What served when (issue 12), hand-worked on both backends.

Stream m / production (2026-01; corrections recorded last):
  d1  v1  Jan 1 09:00  actor alice, note "first"
  d2  v2  Jan 2 09:00  from the argo-rollouts adapter (attribute source), actor argo
  d2b v2  Jan 2 10:00  the live version again: a redeploy, nothing moves
  r1  rollback Jan 2 12:00, automated, cause latency, actor bot: pops v2, v1 live again
  d3  v3  Jan 3 09:00
  dx  v4  Jan 3 10:00  voided later (recorded in error): out of the replay
  d4  v1  Jan 4 09:00  v1 is in the stack: an inferred rollback of d3
  amend of r1: cause data_drift
"""

from __future__ import annotations

import pytest

from rollback_rate import InvalidOption, Ledger
from rollback_rate.errors import UnknownStream
from rollback_rate.timeutil import parse_timestamp
from tests.helpers import deploy, rollback

HISTORY = [
    deploy("m", "1", "2026-01-01T09:00:00Z", id="d1", actor="alice", note="first"),
    deploy("m", "2", "2026-01-02T09:00:00Z", id="d2", actor="argo", source="argo-rollouts"),
    deploy("m", "2", "2026-01-02T10:00:00Z", id="d2b"),
    rollback("m", "2026-01-02T12:00:00Z", id="r1", automated=True, cause="latency", actor="bot"),
    deploy("m", "3", "2026-01-03T09:00:00Z", id="d3"),
    deploy("m", "4", "2026-01-03T10:00:00Z", id="dx"),
    deploy("m", "1", "2026-01-04T09:00:00Z", id="d4"),
    deploy("m", "1", "2026-01-01T09:00:00Z", id="s1", environment="staging"),
]
CORRECTIONS = [
    {"type": "void", "target": "dx", "reason": "recorded in error",
     "timestamp": "2026-01-05T00:00:00Z", "id": "v1"},
    {"type": "amend", "target": "r1", "cause": "data_drift",
     "timestamp": "2026-01-05T00:00:00Z", "id": "a1"},
]  # fmt: skip


@pytest.fixture
def ledger(db):  # type: ignore[no-untyped-def]
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(HISTORY)
    ledger.record_batch(CORRECTIONS)
    yield ledger
    ledger.close()


def history(ledger: Ledger, at: str, context: int = 3) -> dict:
    return ledger.history("m", "production", parse_timestamp(at, "at"), context=context).as_dict()


def ids(changes: list[dict]) -> list[str]:
    return [change["id"] for change in changes]


def test_what_served_between_a_deployment_and_its_rollback(ledger):
    got = history(ledger, "2026-01-02T11:00:00Z")
    live = got["live"]
    assert (live["version"], live["since"]) == ("2", "2026-01-02T09:00:00Z")
    made = live["made_live_by"]
    assert (made["id"], made["effect"], made["actor"], made["source"]) == (
        "d2", "deployed", "argo", "argo-rollouts"
    )  # fmt: skip
    assert live["deployed_by"] == made
    assert ids(got["before"]) == ["d1", "d2", "d2b"]
    assert got["before"][2]["effect"] == "redeployed"
    assert ids(got["after"]) == ["r1", "d3", "d4"]  # dx is voided: out
    assert got["after"][0]["rolled_back"] == ["2"]


def test_a_rollback_makes_the_version_below_live_again(ledger):
    # At exactly r1's time, r1 has happened: v1 is live since it, deployed by d1.
    got = history(ledger, "2026-01-02T12:00:00Z")
    live = got["live"]
    assert (live["version"], live["since"]) == ("1", "2026-01-02T12:00:00Z")
    made = live["made_live_by"]
    assert made == {
        "id": "r1", "type": "rollback", "timestamp": "2026-01-02T12:00:00Z", "version": None,
        "effect": "rolled_back", "rolled_back": ["2"], "live_after": "1", "automated": True,
        "cause": "data_drift",  # as amended
        "actor": "bot", "source": None, "note": None,
    }  # fmt: skip
    deployed = live["deployed_by"]
    assert (deployed["id"], deployed["actor"], deployed["note"]) == ("d1", "alice", "first")
    assert ids(got["before"]) == ["d2", "d2b", "r1"]


def test_a_voided_deployment_never_served(ledger):
    got = history(ledger, "2026-01-03T11:00:00Z")
    assert (got["live"]["version"], got["live"]["made_live_by"]["id"]) == ("3", "d3")
    assert "dx" not in ids(got["before"]) + ids(got["after"])


def test_an_inferred_rollback_made_the_older_version_live(ledger):
    got = history(ledger, "2026-01-10T00:00:00Z", context=2)
    live = got["live"]
    assert (live["version"], live["since"]) == ("1", "2026-01-04T09:00:00Z")
    assert (live["made_live_by"]["effect"], live["made_live_by"]["rolled_back"]) == (
        "rolled_back", ["3"]
    )  # fmt: skip
    assert live["deployed_by"]["id"] == "d1"
    assert (ids(got["before"]), got["after"]) == (["d3", "d4"], [])


def test_before_the_first_event_nothing_was_live(ledger):
    got = history(ledger, "2025-12-31T00:00:00Z", context=1)
    assert (got["live"], got["before"], ids(got["after"])) == (None, [], ["d1"])


def test_unknown_streams_and_options_are_named(ledger):
    with pytest.raises(UnknownStream, match="no events were recorded for model 'n'") as caught:
        ledger.history("n", "production")
    assert caught.value.option == "model"
    with pytest.raises(UnknownStream, match="it has events in production, staging") as caught:
        ledger.history("m", "prod")
    assert caught.value.option == "environment"
    with pytest.raises(InvalidOption, match="context must be 0 to 100"):
        ledger.history("m", "production", context=101)
