"""ML Test Score Infra 6 and Infra 7 per model (issue 12), hand-scored on both backends.

canaried:  c1 v1; c2 v2 as a canary; manual rollback rc (pops c2); c3 v3; c4 v1 again
           (an inferred rollback of c3, manual). Infra 6: a canary, none automated: 0.5.
           Infra 7: two manual rollbacks: 0.5.
automated: a1 v1; a2 v2; automated rollback ra; a failed rollback af; a manual drill ad.
           Infra 6: an automated rollback: 1. Infra 7: 1; the failure is listed.
drilled:   d1 v1; a manual drill dd; an automated drill dv, voided. Infra 6: 0.
           Infra 7: the manual drill only (the voided one is out): 0.5.
orphaned:  an automated rollback ro with nothing live (an orphan). Both tests: 1.
plain:     p1 v1. Both tests: 0.
"""

from __future__ import annotations

import pytest

from rollback_rate import Ledger, parse_query
from tests.helpers import deploy, rollback

EVENTS = [
    deploy("canaried", "1", "2026-01-01T00:00:00Z", id="c1"),
    deploy("canaried", "2", "2026-01-02T00:00:00Z", id="c2", stage="canary"),
    rollback("canaried", "2026-01-02T01:00:00Z", id="rc"),
    deploy("canaried", "3", "2026-01-03T00:00:00Z", id="c3"),
    deploy("canaried", "1", "2026-01-04T00:00:00Z", id="c4"),
    deploy("automated", "1", "2026-01-01T00:00:00Z", id="a1"),
    deploy("automated", "2", "2026-01-02T00:00:00Z", id="a2"),
    rollback("automated", "2026-01-02T02:00:00Z", id="ra", automated=True),
    {"type": "rollback_failed", "model": "automated", "timestamp": "2026-01-03T00:00:00Z",
     "id": "af", "automated": True},
    rollback("automated", "2026-01-05T00:00:00Z", id="ad", drill=True),
    deploy("drilled", "1", "2026-01-01T00:00:00Z", id="d1"),
    rollback("drilled", "2026-01-05T00:00:00Z", id="dd", drill=True),
    rollback("drilled", "2026-01-06T00:00:00Z", id="dv", drill=True, automated=True),
    rollback("orphaned", "2026-01-01T00:00:00Z", id="ro", automated=True),
    deploy("plain", "1", "2026-01-01T00:00:00Z", id="p1"),
]  # fmt: skip
VOID = {"type": "void", "target": "dv", "reason": "not a drill", "id": "vv",
        "timestamp": "2026-01-07T00:00:00Z"}  # fmt: skip
AS_OF = "2026-02-01T00:00:00Z"


@pytest.fixture
def ledger(db):  # type: ignore[no-untyped-def]
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(EVENTS)
    ledger.record(VOID)
    yield ledger
    ledger.close()


def scores(ledger: Ledger, **options: str) -> dict[str, dict]:
    options.setdefault("as_of", AS_OF)
    got = ledger.testscore(parse_query(window="7d", **options)).as_dict()  # type: ignore[arg-type]
    return {model.pop("model"): model for model in got["models"]}


def test_each_model_is_scored_from_what_the_log_shows(ledger):
    got = scores(ledger)
    assert {m: (s["infra_6"]["score"], s["infra_7"]["score"]) for m, s in got.items()} == {
        "automated": (1, 1),
        "canaried": (0.5, 0.5),
        "drilled": (0, 0.5),
        "orphaned": (1, 1),
        "plain": (0, 0),
    }
    assert list(got) == sorted(got)


def test_the_evidence_is_counted_and_named(ledger):
    got = scores(ledger)
    canaried = got["canaried"]
    assert canaried["infra_6"]["evidence"] == {
        "canary_deployments": 1, "automated_canary_deployments": 0, "automated_rollbacks": 0
    }  # fmt: skip
    assert [e["id"] for e in canaried["infra_6"]["events"]] == ["c2"]
    assert canaried["infra_7"]["evidence"] == {
        "rollbacks": 2, "automated_rollbacks": 0, "drills": 0, "automated_drills": 0,
        "failed_rollbacks": 0,
    }  # fmt: skip
    assert [(e["id"], e["kind"]) for e in canaried["infra_7"]["events"]] == [
        ("c4", "rollback"), ("rc", "rollback")
    ]  # fmt: skip
    automated = got["automated"]["infra_7"]
    assert (automated["evidence"]["failed_rollbacks"], automated["evidence"]["drills"]) == (1, 1)
    assert [e["id"] for e in automated["events"]] == ["ad", "af", "ra"]
    assert [e["id"] for e in got["automated"]["infra_6"]["events"]] == ["ra"]
    drilled = got["drilled"]["infra_7"]
    assert (drilled["evidence"]["drills"], drilled["evidence"]["automated_drills"]) == (1, 0)
    assert [e["id"] for e in drilled["events"]] == ["dd"]
    assert got["plain"]["infra_7"]["title"] == "Models can be rolled back quickly and safely"


def test_as_of_and_filters_bound_the_evidence(ledger):
    # As of Jan 2 01:30 only rc had happened: automated has nothing yet.
    early = scores(ledger, as_of="2026-01-02T01:30:00Z")
    assert (early["automated"]["infra_6"]["score"], early["canaried"]["infra_7"]["score"]) == (
        0, 0.5
    )  # fmt: skip
    late = scores(ledger, since="2026-01-04T12:00:00Z")
    assert {m: s["infra_7"]["score"] for m, s in late.items()}["drilled"] == 0.5
    assert late["canaried"]["infra_7"]["evidence"]["rollbacks"] == 0
    assert list(scores(ledger, model="plain")) == ["plain"]
