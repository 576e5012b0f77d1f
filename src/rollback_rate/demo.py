"""Realistic sample history for `rollback-rate demo`: a year of ML deployments.

Five teams, ten models with different risk profiles, a staging and a production stream
each, explicit and inferred rollbacks with their root causes, automated canary aborts, a
few late rollbacks and redeploys. Deployments carry their artefact (a container image or
a model URI) and, where the team pins it, its digest; some teams drill rolling back on a
schedule. So `advise` has causes to rank and `readiness` streams of every verdict: pinned
and drilled (ready), mutable artefacts or no drills (at risk), artefacts never recorded
(not ready). Seeded, so the same seed tells the same story.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc

HOUR = MICROS_PER_HOUR
DAY = 24 * HOUR


@dataclass(frozen=True)
class Profile:
    team: str
    model: str
    deploys_per_week: float
    rollback_chance: float
    automated_share: float
    causes: tuple[tuple[str, int], ...]


# Most models pin an image by digest; these point at a moving URI or record none. Some
# drill rolling back in production every so many days.
ARTIFACTS = {"spell-corrector": "none", "demand-forecast": "mutable", "similar-items": "mutable"}
DRILLS = {"fraud-scorer": 30, "chargeback-predictor": 30, "query-ranker": 45,
          "toxicity-classifier": 60}  # fmt: skip


PROFILES = (
    Profile(
        "search",
        "query-ranker",
        2.0,
        0.06,
        0.7,
        (("performance_regression", 5), ("latency", 3), ("edge_case_regression", 2)),
    ),
    Profile(
        "search",
        "spell-corrector",
        0.7,
        0.03,
        0.2,
        (("edge_case_regression", 3), ("unexpected_behaviour", 1)),
    ),
    Profile(
        "fraud",
        "fraud-scorer",
        1.5,
        0.12,
        0.8,
        (("data_schema_change", 5), ("data_drift", 3), ("downstream_failure", 2)),
    ),
    Profile(
        "fraud",
        "chargeback-predictor",
        0.5,
        0.08,
        0.3,
        (("data_schema_change", 2), ("dependency_change", 2)),
    ),
    Profile(
        "recsys",
        "home-recommender",
        3.0,
        0.09,
        0.6,
        (("performance_regression", 4), ("staging_mismatch", 3), ("latency", 2)),
    ),
    Profile(
        "recsys",
        "similar-items",
        1.0,
        0.04,
        0.5,
        (("infrastructure", 2), ("performance_regression", 1)),
    ),
    Profile(
        "pricing",
        "dynamic-pricing",
        1.2,
        0.22,
        0.4,
        (("data_schema_change", 3), ("unexpected_behaviour", 3), ("staging_mismatch", 2)),
    ),
    Profile(
        "pricing", "demand-forecast", 0.6, 0.05, 0.1, (("data_drift", 3), ("dependency_change", 1))
    ),
    Profile(
        "trust-safety",
        "toxicity-classifier",
        0.8,
        0.10,
        0.5,
        (("safety", 3), ("edge_case_regression", 3)),
    ),
    Profile(
        "trust-safety",
        "llm-guardrail",
        2.5,
        0.15,
        0.6,
        (("safety", 4), ("dependency_change", 3), ("latency", 2), ("other", 1)),
    ),
)


def demo_events(now: int, seed: int = 7, days: int = 365) -> Iterator[dict[str, Any]]:
    """Canonical events for every profile, ending at `now` (UTC microseconds)."""
    rng = random.Random(seed)
    for profile in PROFILES:
        yield from _model_history(rng, profile, now - days * DAY, now)
        every = DRILLS.get(profile.model)
        if every is not None:
            yield from _drills(rng, profile, every, now - days * DAY, now)


def _artefact(p: Profile, version: str) -> dict[str, str]:
    """Where the version lives, as the team records it."""
    kind = ARTIFACTS.get(p.model, "pinned")
    if kind == "none":
        return {}
    if kind == "mutable":
        return {"artifact": f"s3://ml-models/{p.team}/{p.model}/latest"}
    pin = hashlib.sha256(f"{p.model}:{version}".encode()).hexdigest()
    return {"artifact": f"registry.example.com/{p.team}/{p.model}:{version}",
            "digest": f"sha256:{pin}"}  # fmt: skip


def _drills(
    rng: random.Random, p: Profile, every: int, start: int, end: int
) -> Iterator[dict[str, Any]]:
    """A production rollback drill every `every` days or so: it counts as no rollback."""
    t = start + int(rng.uniform(0, every) * DAY)
    while t < end:
        yield {"type": "rollback", "model": p.model, "team": p.team, "timestamp": iso_utc(t),
               "drill": True, "automated": True, "note": "scheduled rollback drill"}  # fmt: skip
        t += int(rng.uniform(0.8, 1.2) * every * DAY)


def _model_history(
    rng: random.Random, p: Profile, start: int, end: int
) -> Iterator[dict[str, Any]]:
    t = start + int(rng.uniform(0, 3) * DAY)
    minor = 0
    live: list[str] = []
    while t < end:
        minor += 1
        version = f"1.{minor}.0"
        base = {"model": p.model, "team": p.team, **_artefact(p, version)}
        # Staging first: sometimes it catches the problem, which is what staging is for.
        yield {
            **base,
            "type": "deployment",
            "version": version,
            "environment": "staging",
            "timestamp": iso_utc(t),
        }
        if rng.random() < 0.05:
            at = t + _rollback_delay(rng) // 4
            yield {**_rollback(rng, p, None, at), "environment": "staging"}
        prod = t + int(rng.uniform(4, 30) * HOUR)
        if prod >= end:
            return
        event_id = f"demo-{p.model}-{version}" if rng.random() < 0.5 else None
        yield {
            **base,
            "type": "deployment",
            "version": version,
            "timestamp": iso_utc(prod),
            **({"id": event_id} if event_id else {}),
        }
        if rng.random() < 0.04:  # a config-only redeploy of the live version: not counted
            yield {
                **base,
                "type": "deployment",
                "version": version,
                "timestamp": iso_utc(prod + 6 * HOUR),
                "note": "config redeploy",
            }
        next_t = prod + int(rng.expovariate(p.deploys_per_week / 7) * DAY) + HOUR
        if rng.random() < p.rollback_chance and live:
            delay = _rollback_delay(rng)
            at = prod + delay
            if at < end:
                yield _rollback(rng, p, live[-1], at)
                next_t = max(next_t, at + DAY)
                t = next_t
                continue
        live.append(version)
        t = next_t


def _rollback_delay(rng: random.Random) -> int:
    if rng.random() < 0.07:  # found late: after the observation window closed
        return int(rng.uniform(8, 20) * DAY)
    return int(min(rng.lognormvariate(1.3, 1.1), 160) * HOUR)


def _rollback(rng: random.Random, p: Profile, previous: str | None, at: int) -> dict[str, Any]:
    automated = rng.random() < p.automated_share
    causes, weights = zip(*p.causes, strict=True)
    cause = rng.choices(causes, weights)[0] if rng.random() < 0.9 else None
    event: dict[str, Any] = {
        "model": p.model,
        "team": p.team,
        "timestamp": iso_utc(at),
        "automated": automated,
    }
    if cause:
        event["cause"] = cause
    if previous is None:
        return {**event, "type": "rollback"}
    if rng.random() < 0.35:  # re-deploying the previous version: an inferred rollback
        return {**event, "type": "deployment", "version": previous, **_artefact(p, previous)}
    return {**event, "type": "rollback", "version": previous}


def sample_events(now: int) -> list[str]:
    """A model of one's own, three events as JSON Lines: the shape of an import file, for
    the demo's next steps (ids, so importing it twice stores nothing twice)."""
    events = [
        {"type": "deployment", "model": "my-model", "version": "1.2.0", "team": "my-team",
         "timestamp": iso_utc(now - 20 * DAY), "id": "sample-1"},
        {"type": "deployment", "model": "my-model", "version": "1.3.0", "team": "my-team",
         "timestamp": iso_utc(now - 10 * DAY), "id": "sample-2"},
        {"type": "rollback", "model": "my-model", "timestamp": iso_utc(now - 10 * DAY + 3 * HOUR),
         "automated": True, "cause": "latency", "id": "sample-3"},
    ]  # fmt: skip
    return [json.dumps(event) for event in events]
