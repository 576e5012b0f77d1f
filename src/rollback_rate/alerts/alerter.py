"""`Alerter`: alert rules evaluated against the ledger, alerts claimed once and sent.

Called from the ledger's after-commit hook (`notice`, with what a commit changed: its
counted rollbacks, and the models whose rates and readiness it may have moved) and on a
schedule (`evaluate` every rule over every subject, `retry_due` the alerts whose sending
failed). Claiming goes through the ledger's `AlertLog`, so with several processes on one
database each alert is sent by one of them (store/alerts.py says how).

Sending: one round of attempts with backoff (alerts/send.py). A round that fails leaves
the alert pending until the next scheduled evaluation (`[alerts] interval`), up to
MAX_ATTEMPTS attempts in all; an alert the receiver refuses (a 4xx), or still undelivered
after those, is marked failed and logged.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rollback_rate.aggregation import ReadinessQuery
from rollback_rate.alerts.evaluate import (
    OBSERVATION_WINDOW,
    Observation,
    Planned,
    alert_from_payload,
    band_alerts,
    month_spans,
    payload_of,
    rate_observations,
    readiness_observations,
    rollback_alerts,
)
from rollback_rate.alerts.rules import Alert, AlertRule
from rollback_rate.alerts.send import Sender, SendResult
from rollback_rate.ledger import Committed, Ledger
from rollback_rate.timeutil import MICROS_PER_HOUR, now_micros

log = logging.getLogger("rollback_rate.alerts")

LEASE = MICROS_PER_HOUR // 12  # 5 minutes: far longer than a round of attempts
MAX_ATTEMPTS = 20
STREAM_KINDS = ("band_worsened", "rate_threshold", "readiness_dropped")


class Alerter:
    """The ledger's config's alert rules, evaluated and sent from this process."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        sender: Sender | None = None,
        owner: str | None = None,
        clock: Callable[[], int] = now_micros,
    ) -> None:
        config = ledger.config
        self.ledger, self.rules = ledger, config.alert_rules
        self.settings, self.min_settled = config.alerts, config.report.min_settled
        self.sender = sender or Sender()
        self.owner = owner or f"rollback-rate-{uuid.uuid4().hex[:12]}"
        self.clock = clock
        self._by_name = {rule.name: rule for rule in self.rules}

    def notice(self, committed: Committed) -> None:
        """The after-commit subscriber: alerts for the commit's counted rollbacks, then the
        stream rules over the models it touched."""
        self.notices([committed])

    def notices(self, notices: Sequence[Committed]) -> None:
        """Several commits at once (a worker drains its queue): one evaluation of the stream
        rules over every model they touched."""
        now = self.clock()
        for committed in notices:
            self._send_planned(rollback_alerts(self.rules, committed, now,
                                               self.settings.max_age_micros), now)  # fmt: skip
        models = {stream.model for committed in notices for stream in committed.streams}
        if models:
            self.evaluate(models=models, now=now)

    def evaluate(self, *, models: Iterable[str] | None = None, now: int | None = None) -> None:
        """The band, rate and readiness rules over every subject (of `models`, None: all),
        as of `now`; alerts claimed and sent."""
        rules = [rule for rule in self.rules if rule.on in STREAM_KINDS]
        if not rules:
            return
        now = self.clock() if now is None else now
        wanted = None if models is None else sorted(set(models))
        planned, observations = self._plan(rules, wanted, now)
        self._send_planned(planned, now)
        for observation in observations:
            fired: list[str] = []  # the payload `decide` made, if the change fired one
            key = self.ledger.alert_log.observe(
                observation.rule.name, observation.subject, json.dumps(observation.value), now,
                _decide(observation, fired), owner=self.owner, lease=LEASE,
            )  # fmt: skip
            if key is not None:
                self._deliver(observation.rule.name, key, fired[-1], 0)

    def retry_due(self, now: int | None = None) -> None:
        """Send again the pending alerts whose last round failed and whose time has come."""
        now = self.clock() if now is None else now
        for rule, key in self.ledger.alert_log.due(now):
            pending = self.ledger.alert_log.claim(rule, key, owner=self.owner, lease=LEASE,
                                                  now=now)  # fmt: skip
            if pending is not None:
                self._deliver(rule, key, pending.payload, pending.attempts)

    def tick(self) -> None:
        """What the schedule runs: every rule over every subject, then the retries."""
        now = self.clock()
        self.evaluate(now=now)
        self.retry_due(now)

    def send_sample(self, rule: AlertRule, alert: Alert) -> SendResult:
        """Send `alert` for `rule` now, one round, no delivery state (`alerts test`)."""
        return self.sender.send(rule, alert)

    # ---- inside ---------------------------------------------------------------------

    def _plan(
        self, rules: Sequence[AlertRule], models: Sequence[str] | None, now: int
    ) -> tuple[list[Planned], list[Observation]]:
        this_month, last_month, label = month_spans(now)
        windows = sorted({r.window_micros for r in rules if r.on == "rate_threshold"
                          and r.window_micros is not None})  # fmt: skip
        spans = [this_month, last_month, *((now - window, now) for window in windows)]
        current, previous, *rolling = self.ledger.outcomes(spans, OBSERVATION_WINDOW, models)
        by_window = dict(zip(windows, rolling, strict=True))
        readiness = []
        if any(rule.on == "readiness_dropped" for rule in rules):
            streams = self.ledger.readiness(ReadinessQuery(), now=now).streams
            readiness = [s for s in streams if models is None or s.readiness.facts.model in models]
        planned: list[Planned] = []
        observations: list[Observation] = []
        for rule in rules:
            if rule.on == "band_worsened":
                planned += band_alerts(rule, current, previous, label, self.min_settled)
            elif rule.on == "rate_threshold" and rule.window_micros is not None:
                tallies = by_window[rule.window_micros]
                observations += rate_observations(rule, tallies, self.min_settled)
            elif rule.on == "readiness_dropped":
                observations += readiness_observations(rule, readiness)
        return planned, observations

    def _send_planned(self, planned: Iterable[Planned], now: int) -> None:
        for item in planned:
            payload = payload_of(item.alert)
            if self.ledger.alert_log.enqueue(item.rule.name, item.key, payload,
                                             owner=self.owner, lease=LEASE, now=now):  # fmt: skip
                self._deliver(item.rule.name, item.key, payload, 0)

    def _deliver(self, rule_name: str, key: str, payload: str, attempts_before: int) -> None:
        rule = self._by_name.get(rule_name)
        if rule is None:  # the rule left the config since the alert was noticed
            gone = "no rule of this name any more"
            self.ledger.alert_log.settle(rule_name, key, owner=self.owner, attempts=0,
                                         sent=False, error=gone)  # fmt: skip
            return
        result = self.sender.send(rule, alert_from_payload(payload))
        attempts = attempts_before + result.attempts
        retry_at = None
        if not result.delivered and not result.permanent and attempts < MAX_ATTEMPTS:
            retry_at = self.clock() + self.settings.interval_micros
        if not result.delivered:
            level = logging.WARNING if retry_at is not None else logging.ERROR
            log.log(level, "alert %s %s: %s (%d attempts%s)", rule_name, key, result.error,
                    attempts, "; will retry" if retry_at is not None else "; gave up")  # fmt: skip
        self.ledger.alert_log.settle(rule_name, key, owner=self.owner, attempts=result.attempts,
                                     sent=result.delivered, error=result.error,
                                     retry_at=retry_at)  # fmt: skip


def _decide(observation: Observation, fired: list[str]) -> Callable[[str | None], str | None]:
    def decide(previous: str | None) -> str | None:
        value: Any = None if previous is None else json.loads(previous)
        alert = observation.fire(value)
        if alert is None:
            return None
        fired.append(payload_of(alert))
        return fired[-1]

    return decide
