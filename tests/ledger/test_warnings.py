"""A bad-target rollback is warned about to whoever recorded it (issue 12,
argoproj/argo-rollouts#3039), through the group commit and the direct path alike.

d1 v1, d2 v2, r1 rolls v2 back (v1 live), d3 v2 again (a new attempt), d4 v3: the stack is
v1, v2, v3. Going back to v2 now restores a version that was rolled back before.
"""

from __future__ import annotations

import pytest

from rollback_rate import Ledger
from tests.helpers import deploy, rollback

BEFORE = [
    deploy("m", "1", "2026-01-01T00:00:00Z", id="d1"),
    deploy("m", "2", "2026-01-02T00:00:00Z", id="d2"),
    rollback("m", "2026-01-02T01:00:00Z", id="r1"),
    deploy("m", "2", "2026-01-03T00:00:00Z", id="d3"),
    deploy("m", "3", "2026-01-04T00:00:00Z", id="d4"),
]
LATER = "2026-01-04T02:00:00Z"


@pytest.fixture(params=[True, False], ids=["group-commit", "direct"])
def ledger(request, db):  # type: ignore[no-untyped-def]
    ledger = Ledger(db, group_commit=request.param)
    ledger.record_batch(BEFORE)
    yield ledger
    ledger.close()


def test_a_rollback_onto_a_version_rolled_back_before_is_warned_about(ledger):
    result = ledger.record(rollback("m", LATER, id="r2", version="2"))
    [warning] = result.warnings
    assert warning.as_dict() == {
        "code": "bad_target_rollback",
        "event_id": "r2",
        "model": "m",
        "environment": "production",
        "message": "r2 rolled m (production) back from 3 to version 2 that was itself rolled "
        "back before; check that it is safe to serve (a bad-target rollback, "
        "argoproj/argo-rollouts#3039)",
    }


def test_an_inferred_rollback_and_one_without_a_version_are_warned_about_too(ledger):
    [inferred] = ledger.record(deploy("m", "2", LATER, id="d5")).warnings
    assert inferred.message.startswith("d5 rolled m (production) back from 3 to version 2 ")


def test_a_rollback_naming_no_version_says_a_version(db):
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(BEFORE)
    [warning] = ledger.record(rollback("m", LATER, id="r3")).warnings
    assert "back from 3 to a version that was itself rolled back before" in warning.message


def test_good_rollbacks_and_duplicates_are_not_warned_about(ledger):
    assert ledger.record(rollback("m", LATER, id="r4", version="1")).warnings == []
    assert ledger.record(rollback("m", LATER, id="r4", version="1")).warnings == []
    assert ledger.record(deploy("m", "9", "2026-01-05T00:00:00Z")).warnings == []


def test_subscribers_still_get_every_change(ledger):
    seen = []
    ledger.subscribe(seen.append)
    result = ledger.record_batch([deploy("m", "4", LATER, id="d6"), rollback(
        "m", "2026-01-04T03:00:00Z", id="r5", version="2")])  # fmt: skip
    assert [w.event_id for w in result.warnings] == ["r5"]
    [stream] = seen[-1].streams
    assert [d.event_id for d in stream.deployed] == ["d6"]
    assert [(r.event_id, r.bad_target) for r in stream.rolled_back] == [("r5", True), ("r5", True)]
