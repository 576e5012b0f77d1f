"""Which alerts the rules call for, from what the ledger read: pure (issue 10).

- `rollback`: each counted rollback of an after-commit notice that the rule's filters
  match, unless it happened more than `[alerts] max_age` before it was recorded (a history
  import is not news). Key: the rollback event and the deployment it rolled back.
- `band_worsened`: per model or team (`by`), the band of the outcomes known this calendar
  month (UTC) against last month's; either with fewer than `[report] min_settled`
  outcomes has no band yet. Key: the subject, the month and the new band, so each
  worsening is told once a month.
- `rate_threshold`: per stream (model + environment), the rate of the outcomes known in
  the last `window`; with fewer than min_settled outcomes there is no rate to watch. The
  previous rate is the stream's stored state: an alert on crossing above `max_rate`.
- `readiness_dropped`: per live stream, the readiness verdict against the stored one.

An outcome is known when a deployment is rolled back within the 7-day observation window
(a failure, then) or its window closes (a success, then): aggregation/outcomes.py.
Stateless alerts come out as `Planned`; stateful ones as `Observation`s whose `fire`
turns the previous value into an alert, decided where the state is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rollback_rate.aggregation import OutcomeTally
from rollback_rate.alerts.rules import (
    Alert,
    AlertRule,
    Subject,
    band_worsened,
    band_worsened_alert,
    rate_threshold_alert,
    rate_threshold_crossed,
    readiness_dropped,
    readiness_dropped_alert,
    rollback_alert,
    rule_matches,
)
from rollback_rate.ledger import Committed
from rollback_rate.metrics import StreamReadiness, band, rate_pct
from rollback_rate.timeutil import from_micros, parse_timestamp, parse_window, to_micros

OBSERVATION_WINDOW = parse_window("7d")  # the report's default window
MAX_EVENT_IDS = 100  # per alert: the most recent rollback events behind a rate or band


@dataclass(frozen=True)
class Planned:
    """An alert to claim under `key` and send."""

    rule: AlertRule
    key: str
    alert: Alert


@dataclass(frozen=True)
class Observation:
    """A stateful rule's current value for one subject; `fire(previous)` (None when never
    observed) is the alert the change calls for, or None."""

    rule: AlertRule
    subject: str  # the state's key: the subject as JSON
    value: Any  # JSON-able
    fire: Callable[[Any], Alert | None]


def month_spans(now: int) -> tuple[tuple[int, int], tuple[int, int], str]:
    """This calendar month up to `now` and the whole month before it, as (start, end]
    spans, and this month's label (2026-03)."""
    moment = from_micros(now)
    first = to_micros(datetime(moment.year, moment.month, 1, tzinfo=moment.tzinfo))
    before = from_micros(first - 1)
    previous = to_micros(datetime(before.year, before.month, 1, tzinfo=moment.tzinfo))
    return (first - 1, now), (previous - 1, first - 1), moment.strftime("%Y-%m")


def rollback_alerts(
    rules: Iterable[AlertRule], committed: Committed, now: int, max_age: int
) -> list[Planned]:
    """An alert per counted rollback in the notice, per `rollback` rule that matches it."""
    planned = []
    rules = [rule for rule in rules if rule.on == "rollback"]
    for stream in committed.streams if rules else ():
        for change in stream.rolled_back:
            if parse_timestamp(change.at, "at") < now - max_age:
                continue
            team = change.deployment.team
            for rule in rules:
                if not rule_matches(
                    rule,
                    model=stream.model,
                    team=team,
                    environment=stream.environment,
                    automated=change.automated,
                ):
                    continue  # fmt: skip
                subject = Subject(stream.model, team, stream.environment,
                                  (change.event_id, change.deployment.event_id))  # fmt: skip
                alert = rollback_alert(rule, subject, version=change.deployment.version,
                                       automated=change.automated, cause=change.cause,
                                       hours_to_rollback=change.hours_after_deployment)  # fmt: skip
                planned.append(Planned(rule, _key(change.event_id, change.deployment.event_id),
                                       alert))  # fmt: skip
    return planned


def band_alerts(
    rule: AlertRule,
    current: Sequence[OutcomeTally],
    previous: Sequence[OutcomeTally],
    month: str,
    min_settled: int,
) -> list[Planned]:
    """Per model or team, an alert when this month's band is worse than last month's."""
    before = _scopes(rule, previous, (rule.by or "model",))
    planned = []
    for key, now in _scopes(rule, current, (rule.by or "model",)).items():
        was = before.get(key)
        band_now = _band(now, min_settled)
        band_before = None if was is None else _band(was, min_settled)
        if band_now is None or not band_worsened(band_before, band_now):
            continue
        assert band_before is not None and now.rate is not None
        subject = Subject(**{rule.by or "model": key[0]}, event_ids=now.event_ids)
        alert = band_worsened_alert(rule, subject, previous_band=band_before, band=band_now,
                                    rollback_rate=now.rate, settled=now.settled)  # fmt: skip
        planned.append(Planned(rule, _key(rule.by or "model", key[0], month, band_now), alert))
    return planned


def rate_observations(
    rule: AlertRule, tallies: Sequence[OutcomeTally], min_settled: int
) -> list[Observation]:
    """Per stream with enough outcomes, its rate over the rule's window."""
    assert rule.max_rate is not None
    observations = []
    for (model, environment), scope in _scopes(rule, tallies, ("model", "environment")).items():
        if scope.settled < min_settled or scope.rate is None:
            continue
        subject = Subject(model, scope.team, environment, scope.event_ids)
        observations.append(Observation(rule, _key(model, environment), scope.rate,
                                        _rate_fire(rule, subject, scope)))  # fmt: skip
    return observations


def readiness_observations(
    rule: AlertRule, streams: Iterable[StreamReadiness]
) -> list[Observation]:
    """Per live stream the rule's filters match, its verdict."""
    observations = []
    for stream in streams:
        facts = stream.readiness.facts
        if not rule_matches(
            rule, model=facts.model, team=facts.team, environment=facts.environment
        ):
            continue  # fmt: skip
        ids = tuple(i for i in (stream.live_event_id, stream.target_event_id) if i is not None)
        subject = Subject(facts.model, facts.team, facts.environment, ids)
        fire = _verdict_fire(rule, subject, stream)
        observations.append(
            Observation(rule, _key(facts.model, facts.environment), stream.verdict, fire)
        )
    return observations


def sample_alert(rule: AlertRule) -> Alert:
    """An alert of the rule's kind with made-up figures, for `rollback-rate alerts test`."""
    subject = Subject(_sample(rule.model, "example-model"), _sample(rule.team, "example-team"),
                      _sample(rule.environment, "production"), ("sample-event",))  # fmt: skip
    if rule.on == "rollback":
        alert = rollback_alert(rule, subject, version="1.2.0", automated=True,
                               cause="data_schema_change", hours_to_rollback=2.5)  # fmt: skip
    elif rule.on == "band_worsened":
        alert = band_worsened_alert(rule, subject, previous_band="acceptable", band="concerning",
                                    rollback_rate=12.5, settled=40)  # fmt: skip
    elif rule.on == "rate_threshold":
        rate = min(100.0, (rule.max_rate or 0.0) + 5.0)
        alert = rate_threshold_alert(rule, subject, previous_rate=rule.max_rate,
                                     rollback_rate=rate, settled=40)  # fmt: skip
    else:
        alert = readiness_dropped_alert(rule, subject, previous_verdict="ready",
                                        verdict="at_risk", reasons=())  # fmt: skip
    return replace(alert, text=f"{alert.text} (a sample sent by `rollback-rate alerts test`)")


def alert_from_payload(payload: str) -> Alert:
    """The alert an outbox row holds."""
    data = json.loads(payload)
    return Alert(**{**data, "event_ids": tuple(data["event_ids"])})


def payload_of(alert: Alert) -> str:
    return json.dumps(alert.as_dict(), ensure_ascii=False, separators=(",", ":"))


# ---- inside -------------------------------------------------------------------------


@dataclass
class _Scope:
    settled: int = 0
    rollbacks: int = 0
    teams: set[str | None] | None = None
    ids: list[str] | None = None

    @property
    def rate(self) -> float | None:
        return rate_pct(self.rollbacks, self.settled)

    @property
    def team(self) -> str | None:
        return next(iter(self.teams)) if self.teams and len(self.teams) == 1 else None

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.ids or []))[-MAX_EVENT_IDS:]


def _scopes(
    rule: AlertRule, tallies: Iterable[OutcomeTally], by: Sequence[str]
) -> dict[tuple[Any, ...], _Scope]:
    """The tallies the rule's filters match, summed per `by` (a subject without a team
    is none of any team's)."""
    scopes: dict[tuple[Any, ...], _Scope] = {}
    for tally in tallies:
        if not rule_matches(
            rule, model=tally.model, team=tally.team, environment=tally.environment
        ):
            continue  # fmt: skip
        key = tuple(getattr(tally, name) for name in by)
        if None in key:
            continue
        scope = scopes.setdefault(key, _Scope(teams=set(), ids=[]))
        scope.settled += tally.settled
        scope.rollbacks += tally.rollbacks
        assert scope.teams is not None and scope.ids is not None
        scope.teams.add(tally.team)
        scope.ids.extend(tally.rollback_event_ids)
    return scopes


def _band(scope: _Scope, min_settled: int) -> str | None:
    return band(scope.rate) if scope.settled >= min_settled else None


def _rate_fire(rule: AlertRule, subject: Subject, scope: _Scope) -> Callable[[Any], Alert | None]:
    def fire(previous: Any) -> Alert | None:
        assert rule.max_rate is not None and scope.rate is not None
        if not rate_threshold_crossed(previous, scope.rate, rule.max_rate):
            return None
        return rate_threshold_alert(rule, subject, previous_rate=previous,
                                    rollback_rate=scope.rate, settled=scope.settled)  # fmt: skip

    return fire


def _verdict_fire(
    rule: AlertRule, subject: Subject, stream: StreamReadiness
) -> Callable[[Any], Alert | None]:
    def fire(previous: Any) -> Alert | None:
        if not readiness_dropped(previous, stream.verdict):
            return None
        return readiness_dropped_alert(rule, subject, previous_verdict=previous,
                                       verdict=stream.verdict,
                                       reasons=stream.readiness.reasons)  # fmt: skip

    return fire


def _key(*parts: Any) -> str:
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _sample(glob: str | None, default: str) -> str:
    """The rule's filter when it names one value, else a made-up name."""
    return glob if glob is not None and not any(ch in glob for ch in "*?[") else default
