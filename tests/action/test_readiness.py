"""Rollback readiness from the read model, every reason and verdict hand-computed, on
both backends (issue 10). As of 2026-06-01; production unless said.

  ready-model  v1 (artefact, digest) May 1, v2 May 10, a drill May 20 (12 days ago):
               ready (target v1)
  lonely       v1 only: no previous version, never exercised: not_ready
  no-artifact  v1 (no artefact) May 1; v2 May 2 06:00 rolled back 3 h later;
               v3 May 3: target v1 has no artefact: not_ready
  mutable      v1 (artefact, no digest), v2, a drill May 30: at_risk
  bad-target   v1, v2 rolled back, v2 again (a new attempt, artefact and digest), v3:
               the target v2 was rolled back before: at_risk
  stale        v1 (artefact, digest) Jan 1, v2 Jan 1 12:00 rolled back Jan 2 00:00 (12 h),
               v3 Jan 5: last exercised 150 days ago, over 90: at_risk
  restored     v1, then a rollback to 0.9, a version never deployed here (restored, no
               deployment event), then v2: target 0.9 has no artefact: not_ready
  gone         v1 rolled back: nothing live, so not listed
"""

from __future__ import annotations

import pytest

from rollback_rate import Ledger
from rollback_rate.aggregation import ReadinessQuery
from rollback_rate.config import load_config
from rollback_rate.timeutil import parse_timestamp
from tests.helpers import deploy, rollback

NOW = parse_timestamp("2026-06-01T00:00:00Z", "now")
ART = {"artifact": "registry.example/m@sha256", "digest": "sha256:" + "ab" * 32}


def _at(day: str, time: str = "09:00:00") -> str:
    return f"2026-{day}T{time}Z"


HISTORY = [
    deploy("ready-model", "1", _at("05-01"), id="rm1", team="search", **ART),
    deploy("ready-model", "2", _at("05-10"), id="rm2", team="search"),
    rollback("ready-model", _at("05-20"), id="rm-drill", drill=True),
    deploy("lonely", "1", _at("05-01"), id="l1"),
    deploy("no-artifact", "1", _at("05-01"), id="na1"),
    deploy("no-artifact", "2", _at("05-02", "06:00:00"), id="na2", artifact="registry/na:2"),
    rollback("no-artifact", _at("05-02"), id="na-rb"),
    deploy("no-artifact", "3", _at("05-03"), id="na3"),
    deploy("mutable", "1", _at("05-01"), id="mu1", artifact="s3://models/mutable/latest"),
    deploy("mutable", "2", _at("05-02"), id="mu2"),
    rollback("mutable", _at("05-30"), id="mu-drill", drill=True),
    deploy("bad-target", "1", _at("05-01"), id="bt1", **ART),
    deploy("bad-target", "2", _at("05-02"), id="bt2", **ART),
    rollback("bad-target", _at("05-02", "10:00:00"), id="bt-rb"),
    deploy("bad-target", "2", _at("05-03"), id="bt2-again", **ART),
    deploy("bad-target", "3", _at("05-04"), id="bt3"),
    deploy("stale", "1", "2026-01-01T00:00:00Z", id="st1", **ART),
    deploy("stale", "2", "2026-01-01T12:00:00Z", id="st2"),
    rollback("stale", "2026-01-02T00:00:00Z", id="st-rb"),
    deploy("stale", "3", "2026-01-05T00:00:00Z", id="st3"),
    deploy("restored", "1", _at("05-01"), id="rs1", **ART),
    rollback("restored", _at("05-01", "10:00:00"), id="rs-rb", version="0.9"),
    deploy("restored", "2", _at("05-05"), id="rs2"),
    deploy("gone", "1", _at("05-01"), id="g1"),
    rollback("gone", _at("05-01", "10:00:00"), id="g-rb"),
]


@pytest.fixture
def ledger(db):  # type: ignore[no-untyped-def]
    ledger = Ledger(db, group_commit=False)
    ledger.record_batch(HISTORY)
    return ledger


def by_model(report) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {s["model"]: s for s in report.as_dict()["streams"]}


def codes(stream: dict) -> list[str]:  # type: ignore[type-arg]
    return [reason["code"] for reason in stream["reasons"]]


def test_every_reason_and_verdict(ledger):
    report = ledger.readiness(now=NOW)
    got = by_model(report)
    assert {m: (s["verdict"], codes(s)) for m, s in got.items()} == {
        "ready-model": ("ready", []),
        "lonely": ("not_ready", ["no_previous_version", "not_exercised"]),
        "no-artifact": ("not_ready", ["target_artifact_unknown"]),
        "mutable": ("at_risk", ["target_digest_missing"]),
        "bad-target": ("at_risk", ["bad_target"]),
        "stale": ("at_risk", ["not_exercised"]),
        "restored": ("not_ready", ["target_artifact_unknown"]),
    }
    # worst first, then by model
    assert [s["model"] for s in report.as_dict()["streams"]] == [
        "lonely", "no-artifact", "restored", "bad-target", "mutable", "stale", "ready-model"
    ]  # fmt: skip
    assert report.counts() == {"ready": 1, "at_risk": 3, "not_ready": 3}
    assert got["stale"]["reasons"][0]["text"] == (
        "rolling back was last exercised 150 days ago, more than [readiness] "
        "max_days_since_exercised (90); run a rollback drill"
    )


def test_the_facts_behind_each_verdict(ledger):
    got = by_model(ledger.readiness(now=NOW))
    ready = got["ready-model"]
    assert {k: ready[k] for k in ("live_version", "target_version", "target_artifact",
                                  "target_digest", "live_event_id", "target_event_id",
                                  "team", "environment")} == {
        "live_version": "2", "target_version": "1", "target_artifact": ART["artifact"],
        "target_digest": ART["digest"], "live_event_id": "rm2", "target_event_id": "rm1",
        "team": "search", "environment": "production",
    }  # fmt: skip
    assert (ready["last_exercised"], ready["days_since_exercised"]) == ("2026-05-20T09:00:00Z",
                                                                        11.625)  # fmt: skip
    assert ready["median_hours_to_rollback"] is None  # a drill is no rollback
    assert got["no-artifact"]["median_hours_to_rollback"] == 3.0
    assert got["no-artifact"]["days_since_exercised"] == 29.625  # May 2 09:00 to Jun 1
    assert got["stale"]["median_hours_to_rollback"] == 12.0
    bad = got["bad-target"]
    assert (bad["target_version"], bad["target_event_id"]) == ("2", "bt2-again")
    restored = got["restored"]
    assert (restored["target_version"], restored["target_event_id"]) == ("0.9", None)
    assert got["lonely"]["target_version"] is None


def test_filters_and_the_configured_limit(db, tmp_path):
    path = tmp_path / "ops.toml"
    path.write_text("[readiness]\nmax_days_since_exercised = 10\n")
    ledger = Ledger(db, group_commit=False, config=load_config(path))
    ledger.record_batch(
        [*HISTORY, deploy("ready-model", "9", _at("05-01"), environment="staging", team="search")]
    )
    # 11.6 days since the drill is more than 10
    [stream] = ledger.readiness(ReadinessQuery(model="ready-model", environment="production"),
                                now=NOW).streams  # fmt: skip
    assert (stream.verdict, [r.code for r in stream.readiness.reasons]) == (
        "at_risk", ["not_exercised"]
    )  # fmt: skip
    assert [s.readiness.facts.model for s in
            ledger.readiness(ReadinessQuery(team="search"), now=NOW).streams] == [
        "ready-model", "ready-model"
    ]  # fmt: skip
    assert ledger.readiness(ReadinessQuery(model="gone"), now=NOW).streams == []
