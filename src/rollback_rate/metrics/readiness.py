"""Rollback readiness of a live stream: could it roll back safely now? (issue 10)

"Rollback capability is a safety net that must be maintained ... A team that deploys fast
but cannot roll back safely has created risk without a recovery mechanism." Kleppmann's
principles (immutable, versioned artefacts) give the checks: is there a version to roll
back to, is its artefact known and immutable, is it a version that already failed, and has
rolling back been exercised lately.

Verdicts, worst reason first:
- `not_ready`: no previous version (`no_previous_version`), or the target's artefact is
  unknown (`target_artifact_unknown`): a rollback has nothing it can restore.
- `at_risk`: any other reason: `target_digest_missing` (the artefact is mutable),
  `bad_target` (the target was itself rolled back earlier), `not_exercised` (never, or
  longer ago than `max_days_since_exercised`).
- `ready`: no reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rollback_rate.timeutil import MICROS_PER_DAY, iso_utc

Verdict = Literal["ready", "at_risk", "not_ready"]
# Best to worst, so a `--fail-on` gate and "readiness dropped" alerts can compare verdicts.
VERDICTS: tuple[Verdict, ...] = ("ready", "at_risk", "not_ready")
DEFAULT_MAX_DAYS_SINCE_EXERCISED = 90.0
_RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
_BLOCKING = frozenset({"no_previous_version", "target_artifact_unknown"})


@dataclass(frozen=True)
class ReadinessFacts:
    """What is known about one live stream (model + environment) at `now`."""

    model: str
    environment: str
    team: str | None
    live_version: str | None
    target_version: str | None  # the counted version below the live one, None if none
    target_artifact: str | None  # the target's artefact URI
    target_digest: str | None  # its immutable digest (e.g. sha256:...)
    target_rolled_back_before: bool  # the target was itself rolled back from earlier
    last_exercised_at: int | None  # UTC microseconds of the last real rollback or drill
    median_hours_to_rollback: float | None
    now: int  # UTC microseconds


@dataclass(frozen=True)
class Reason:
    """Why a stream is not ready: a stable code and a sentence that says what to do."""

    code: str
    text: str


@dataclass(frozen=True)
class Readiness:
    facts: ReadinessFacts
    verdict: Verdict
    reasons: tuple[Reason, ...]
    days_since_exercised: float | None

    def as_dict(self) -> dict[str, Any]:
        facts = self.facts
        last = facts.last_exercised_at
        return {
            "model": facts.model,
            "environment": facts.environment,
            "team": facts.team,
            "verdict": self.verdict,
            "reasons": [{"code": r.code, "text": r.text} for r in self.reasons],
            "live_version": facts.live_version,
            "target_version": facts.target_version,
            "target_artifact": facts.target_artifact,
            "target_digest": facts.target_digest,
            "last_exercised": None if last is None else iso_utc(last),
            "days_since_exercised": self.days_since_exercised,
            "median_hours_to_rollback": facts.median_hours_to_rollback,
        }


def verdict_rank(verdict: str) -> int:
    """0 for ready, 1 for at_risk, 2 for not_ready; ValueError for anything else."""
    if verdict not in _RANK:
        raise ValueError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    return _RANK[verdict]


def is_at_least(verdict: str, threshold: str) -> bool:
    """True when `verdict` is as bad as `threshold` or worse (`--fail-on at_risk`)."""
    return verdict_rank(verdict) >= verdict_rank(threshold)


def assess_readiness(
    facts: ReadinessFacts, max_days_since_exercised: float = DEFAULT_MAX_DAYS_SINCE_EXERCISED
) -> Readiness:
    """The verdict and every reason for it; reasons in a fixed order, worst first."""
    reasons = _target_reasons(facts)
    days = None
    if facts.last_exercised_at is not None:
        days = (facts.now - facts.last_exercised_at) / MICROS_PER_DAY
    exercised = _exercise_reason(days, max_days_since_exercised)
    if exercised:
        reasons.append(exercised)
    if any(r.code in _BLOCKING for r in reasons):
        verdict: Verdict = "not_ready"
    else:
        verdict = "at_risk" if reasons else "ready"
    return Readiness(facts, verdict, tuple(reasons), days)


def _target_reasons(facts: ReadinessFacts) -> list[Reason]:
    target = facts.target_version
    if target is None:
        if facts.live_version is None:
            text = "nothing is live, so there is no version to roll back to"
        else:
            text = (
                f"live version {facts.live_version!r} has no counted version below it to "
                "roll back to: a rollback would have nothing to restore"
            )
        return [Reason("no_previous_version", text)]
    reasons = []
    if facts.target_artifact is None:
        reasons.append(
            Reason(
                "target_artifact_unknown",
                f"the artefact of rollback target {target!r} is unknown, so it cannot be "
                "redeployed as it ran; record the artifact URI with its deployment",
            )
        )
    elif facts.target_digest is None:
        reasons.append(
            Reason(
                "target_digest_missing",
                f"rollback target {target!r} ({facts.target_artifact}) has no digest, so its "
                "artefact is mutable and may no longer be what ran; record an immutable "
                "digest (e.g. sha256:...) with its deployment",
            )
        )
    if facts.target_rolled_back_before:
        reasons.append(
            Reason(
                "bad_target",
                f"rollback target {target!r} was itself rolled back earlier: rolling back "
                "would restore a version that already failed; deploy a known-good version",
            )
        )
    return reasons


def _exercise_reason(days: float | None, max_days: float) -> Reason | None:
    if days is None:
        return Reason(
            "not_exercised",
            "rolling back has never been exercised on this stream; run a rollback drill",
        )
    if days > max_days:
        return Reason(
            "not_exercised",
            f"rolling back was last exercised {_days(days)} days ago, more than "
            f"[readiness] max_days_since_exercised ({_days(max_days)}); run a rollback drill",
        )
    return None


def _days(days: float) -> str:
    """One decimal at most: 120, 90.5."""
    return f"{days:.1f}".removesuffix(".0")
