"""Rollback readiness: every reason and every verdict, by hand."""

from dataclasses import replace

import pytest

from rollback_rate.metrics.readiness import (
    VERDICTS,
    ReadinessFacts,
    assess_readiness,
    is_at_least,
    verdict_rank,
)
from rollback_rate.timeutil import MICROS_PER_DAY, parse_timestamp

NOW = parse_timestamp("2026-03-01T00:00:00Z", "now")
READY = ReadinessFacts(
    model="fraud-scorer",
    environment="production",
    team="risk",
    live_version="2.4.0",
    target_version="2.3.1",
    target_artifact="s3://models/fraud-scorer/2.3.1",
    target_digest="sha256:ab12",
    target_rolled_back_before=False,
    last_exercised_at=NOW - 10 * MICROS_PER_DAY,
    median_hours_to_rollback=0.5,
    now=NOW,
)


def codes(readiness):
    return [reason.code for reason in readiness.reasons]


def test_a_known_immutable_good_target_exercised_lately_is_ready():
    readiness = assess_readiness(READY)
    assert readiness.verdict == "ready"
    assert readiness.reasons == ()
    assert readiness.days_since_exercised == 10.0


def test_no_previous_version_is_not_ready():
    readiness = assess_readiness(replace(READY, target_version=None))
    assert readiness.verdict == "not_ready"
    assert [(r.code, r.text) for r in readiness.reasons] == [
        (
            "no_previous_version",
            "live version '2.4.0' has no counted version below it to roll back to: "
            "a rollback would have nothing to restore",
        )
    ]


def test_nothing_live_is_not_ready():
    readiness = assess_readiness(replace(READY, live_version=None, target_version=None))
    assert readiness.verdict == "not_ready"
    assert readiness.reasons[0].text == "nothing is live, so there is no version to roll back to"


def test_a_target_without_a_known_artefact_is_not_ready_and_its_digest_is_not_also_blamed():
    readiness = assess_readiness(replace(READY, target_artifact=None, target_digest=None))
    assert readiness.verdict == "not_ready"
    assert [(r.code, r.text) for r in readiness.reasons] == [
        (
            "target_artifact_unknown",
            "the artefact of rollback target '2.3.1' is unknown, so it cannot be redeployed "
            "as it ran; record the artifact URI with its deployment",
        )
    ]


def test_a_target_without_a_digest_is_at_risk():
    readiness = assess_readiness(replace(READY, target_digest=None))
    assert readiness.verdict == "at_risk"
    assert [(r.code, r.text) for r in readiness.reasons] == [
        (
            "target_digest_missing",
            "rollback target '2.3.1' (s3://models/fraud-scorer/2.3.1) has no digest, so its "
            "artefact is mutable and may no longer be what ran; record an immutable digest "
            "(e.g. sha256:...) with its deployment",
        )
    ]


def test_a_target_rolled_back_from_earlier_is_at_risk():
    readiness = assess_readiness(replace(READY, target_rolled_back_before=True))
    assert readiness.verdict == "at_risk"
    assert [(r.code, r.text) for r in readiness.reasons] == [
        (
            "bad_target",
            "rollback target '2.3.1' was itself rolled back earlier: rolling back would "
            "restore a version that already failed; deploy a known-good version",
        )
    ]


def test_never_exercised_is_at_risk():
    readiness = assess_readiness(replace(READY, last_exercised_at=None))
    assert readiness.verdict == "at_risk"
    assert readiness.days_since_exercised is None
    assert [(r.code, r.text) for r in readiness.reasons] == [
        (
            "not_exercised",
            "rolling back has never been exercised on this stream; run a rollback drill",
        )
    ]


def test_exercised_longer_ago_than_the_limit_is_at_risk():
    readiness = assess_readiness(replace(READY, last_exercised_at=NOW - 120 * MICROS_PER_DAY))
    assert readiness.verdict == "at_risk"
    assert readiness.days_since_exercised == 120.0
    assert readiness.reasons[0].text == (
        "rolling back was last exercised 120 days ago, more than [readiness] "
        "max_days_since_exercised (90); run a rollback drill"
    )


def test_exercised_exactly_the_limit_ago_is_still_ready():
    exactly = replace(READY, last_exercised_at=NOW - 90 * MICROS_PER_DAY)
    assert assess_readiness(exactly).verdict == "ready"
    # Twelve hours more is 90.5 days: over the limit.
    half_day_more = replace(READY, last_exercised_at=NOW - 181 * MICROS_PER_DAY // 2)
    assert "last exercised 90.5 days ago" in assess_readiness(half_day_more).reasons[0].text


def test_the_limit_is_a_parameter():
    stale = replace(READY, last_exercised_at=NOW - 45 * MICROS_PER_DAY)
    assert assess_readiness(stale).verdict == "ready"
    readiness = assess_readiness(stale, max_days_since_exercised=30)
    assert codes(readiness) == ["not_exercised"]
    assert "(30); run a rollback drill" in readiness.reasons[0].text


def test_every_reason_is_listed_worst_first_and_the_worst_decides():
    facts = replace(
        READY, target_artifact=None, target_rolled_back_before=True, last_exercised_at=None
    )
    readiness = assess_readiness(facts)
    assert readiness.verdict == "not_ready"
    assert codes(readiness) == ["target_artifact_unknown", "bad_target", "not_exercised"]
    at_risk = assess_readiness(replace(facts, target_artifact="s3://x", target_digest=None))
    assert at_risk.verdict == "at_risk"
    assert codes(at_risk) == ["target_digest_missing", "bad_target", "not_exercised"]


def test_verdicts_order_from_ready_to_not_ready():
    assert VERDICTS == ("ready", "at_risk", "not_ready")
    assert [verdict_rank(v) for v in VERDICTS] == [0, 1, 2]
    assert is_at_least("at_risk", "at_risk")
    assert is_at_least("not_ready", "at_risk")
    assert not is_at_least("ready", "at_risk")
    assert is_at_least("ready", "ready")
    with pytest.raises(ValueError, match="'broken' is not one of ready, at_risk, not_ready"):
        verdict_rank("broken")


def test_as_dict_names_the_stream_the_target_and_when_it_was_last_exercised():
    assert assess_readiness(replace(READY, target_digest=None)).as_dict() == {
        "model": "fraud-scorer",
        "environment": "production",
        "team": "risk",
        "verdict": "at_risk",
        "reasons": [
            {
                "code": "target_digest_missing",
                "text": "rollback target '2.3.1' (s3://models/fraud-scorer/2.3.1) has no digest, "
                "so its artefact is mutable and may no longer be what ran; record an immutable "
                "digest (e.g. sha256:...) with its deployment",
            }
        ],
        "live_version": "2.4.0",
        "target_version": "2.3.1",
        "target_artifact": "s3://models/fraud-scorer/2.3.1",
        "target_digest": None,
        "last_exercised": "2026-02-19T00:00:00Z",
        "days_since_exercised": 10.0,
        "median_hours_to_rollback": 0.5,
    }
