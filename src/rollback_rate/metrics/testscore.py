"""Two tests of the ML Test Score, scored per model from what the log shows (issue 12).

Breck, Cai, Nielsen, Salib and Sculley, "The ML Test Score: A Rubric for ML Production
Readiness and Technical Debt Reduction" (IEEE Big Data 2017) scores each test 0 (not
done), 0.5 (done manually, with the results shared) or 1 (done automatically and
repeatedly). The log can show two of its infrastructure tests being done:

- Infra 6, "the full ML pipeline is ... tested through a canary process before serving":
  seen when a deployment went out as a canary (`stage: "canary"`) or a rollback was
  automated (canary analysis, an alerting controller); automated when the rollback, or the
  canary deployment itself, was automated.
- Infra 7, "models can be rolled back quickly and safely": seen when a rollback or a drill
  was recorded; automated when one of them was.

A score says only what the log shows: a team may canary and never record it. Failed
rollbacks are listed under Infra 7 as a caution (the path did not hold); they do not
lower the score, since the rubric asks whether the practice exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollback_rate.aggregation import ModelEvidence, ReportQuery
from rollback_rate.timeutil import iso_utc

TESTS = {
    "infra_6": "Models are tested through a canary process before serving",
    "infra_7": "Models can be rolled back quickly and safely",
}


@dataclass(frozen=True)
class TestResult:
    """One test's score for one model, and the counts and events it rests on."""

    test: str
    score: float
    evidence: dict[str, int]
    events: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "title": TESTS[self.test], "evidence": self.evidence,
                "events": self.events}  # fmt: skip


@dataclass(frozen=True)
class TestScore:
    query: ReportQuery
    models: list[tuple[str, list[TestResult]]]

    def as_dict(self) -> dict[str, Any]:
        """The machine interface of `testscore --format json` and `GET /api/v1/testscore`."""
        q = self.query
        return {
            "as_of": iso_utc(q.as_of),
            "filters": q.echo("model", "environment", "since", "until"),
            "tests": TESTS,
            "models": [
                {"model": model, **{result.test: result.as_dict() for result in results}}
                for model, results in self.models
            ],
        }


def score_tests(query: ReportQuery, evidence: dict[str, ModelEvidence]) -> TestScore:
    """Infra 6 and Infra 7 for every model, by name."""
    return TestScore(query, [(model, score_model(found)) for model, found in evidence.items()])


def score_model(found: ModelEvidence) -> list[TestResult]:
    """0 (not seen), 0.5 (seen, only manual) or 1 (seen, automated) for each test."""
    n = found.counts
    canary, automated_canary = _both(n, "canary_deployment")
    rollbacks, automated_rollbacks = _both(n, "rollback")
    drills, automated_drills = _both(n, "drill")
    infra_6 = _score(canary + automated_rollbacks, automated_canary + automated_rollbacks)
    infra_7 = _score(rollbacks + drills, automated_rollbacks + automated_drills)
    return [
        TestResult(
            "infra_6",
            infra_6,
            {"canary_deployments": canary, "automated_canary_deployments": automated_canary,
             "automated_rollbacks": automated_rollbacks},
            _events(found, [("canary_deployment", True), ("canary_deployment", False),
                            ("rollback", True)]),
        ),
        TestResult(
            "infra_7",
            infra_7,
            {"rollbacks": rollbacks, "automated_rollbacks": automated_rollbacks,
             "drills": drills, "automated_drills": automated_drills,
             "failed_rollbacks": _both(n, "failed_rollback")[0]},
            _events(found, [(kind, automated) for kind in ("rollback", "drill", "failed_rollback")
                            for automated in (True, False)]),
        ),
    ]  # fmt: skip


def _both(counts: Any, kind: str) -> tuple[int, int]:
    """(all, automated) of one kind."""
    automated = counts[kind, True]
    return counts[kind, False] + automated, automated


def _score(seen: int, automated: int) -> float:
    return 1.0 if automated else 0.5 if seen else 0.0


def _events(found: ModelEvidence, kinds: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """The latest events of these (kind, automated), newest first."""
    listed = [event for kind in kinds for event in found.latest.get(kind, [])]
    listed.sort(key=lambda event: -event.ts)
    return [
        {"id": e.event_id, "kind": e.kind, "timestamp": iso_utc(e.ts), "automated": e.automated}
        for e in listed
    ]
