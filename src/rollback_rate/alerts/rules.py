"""Alert rules and the alerts they produce: the pure half of issue 10's alerts.

A rule (`[[alerts.rule]]` in the config file) fires on one kind of change:
- `rollback`: a counted rollback was recorded;
- `band_worsened`: a scope's band moved to a worse one (excellent < acceptable <
  concerning < high_risk);
- `rate_threshold`: a scope's rate went from at or below `max_rate` to above it: once on
  crossing, not on every evaluation while it stays above;
- `readiness_dropped`: a stream's readiness verdict got worse (ready < at_risk < not_ready).

This module decides whether a rule applies and whether its condition holds, builds the
alert and its body (JSON, or Slack's `{"text": ...}`) and signs the exact body bytes;
sending and remembering the previous state belong to the caller.

Names are data: model, team, environment, version and cause strings are quoted in the
human `text` with control characters escaped (a newline in a model name cannot start a
forged line), and the Slack body escapes &, < and > as Slack's formatting docs require
and turns mrkdwn off, so `*`, `_` and backticks show as typed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase
from typing import Any

from rollback_rate.errors import InvalidOption
from rollback_rate.metrics.readiness import Reason, verdict_rank
from rollback_rate.metrics.stats import BANDS
from rollback_rate.timeutil import MICROS_PER_HOUR

ALERT_KINDS = ("rollback", "band_worsened", "rate_threshold", "readiness_dropped")
FORMATS = ("json", "slack")
BAND_BY = ("model", "team")
BAND_ORDER = (*(name for name, _, _ in BANDS), "high_risk")
SIGNATURE_HEADER = "X-Rollback-Rate-Signature"
_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TEXT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "'": "\\'", "\\": "\\\\"}


@dataclass(frozen=True)
class AlertRule:
    """One `[[alerts.rule]]`; filters left None match anything."""

    name: str
    on: str  # one of ALERT_KINDS
    url: str
    format: str = "json"  # one of FORMATS
    model: str | None = None  # fnmatch globs, case-sensitive
    team: str | None = None
    environment: str | None = None
    automated: bool | None = None  # rollback rules only
    secret: str | None = None
    secret_env: str | None = None  # read when sending, never stored in the config
    max_rate: float | None = None  # rate_threshold only, percent
    window_micros: int | None = None  # rate_threshold only
    by: str | None = None  # band_worsened only: model or team


@dataclass(frozen=True)
class Alert:
    """The generic alert object: what the JSON format sends as it is."""

    rule: str
    kind: str
    model: str | None
    team: str | None
    environment: str | None
    figures: Mapping[str, Any]
    event_ids: tuple[str, ...]
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "model": self.model,
            "team": self.team,
            "environment": self.environment,
            "figures": dict(self.figures),
            "event_ids": list(self.event_ids),
            "text": self.text,
        }


@dataclass(frozen=True)
class Subject:
    """What an alert is about: a stream, a model, a team or everything (all None)."""

    model: str | None = None
    team: str | None = None
    environment: str | None = None
    event_ids: tuple[str, ...] = ()


# ---- conditions ---------------------------------------------------------------------


def rule_matches(
    rule: AlertRule,
    *,
    model: str | None,
    team: str | None,
    environment: str | None,
    automated: bool | None = None,
) -> bool:
    """Every filter the rule has matches; a value the subject lacks (None) matches no filter."""
    globs = ((rule.model, model), (rule.team, team), (rule.environment, environment))
    if any(g is not None and (v is None or not fnmatchcase(v, g)) for g, v in globs):
        return False
    return rule.automated is None or rule.automated == automated


def band_worsened(previous: str | None, current: str | None) -> bool:
    """The band moved to a worse one; None (no meaningful band yet) never worsens."""
    if previous is None or current is None:
        return False
    return BAND_ORDER.index(current) > BAND_ORDER.index(previous)


def rate_threshold_crossed(
    previous_rate: float | None, current_rate: float | None, max_rate: float
) -> bool:
    """At or below max before (or no rate yet), above it now: fires once per crossing."""
    if current_rate is None or current_rate <= max_rate:
        return False
    return previous_rate is None or previous_rate <= max_rate


def readiness_dropped(previous: str | None, current: str | None) -> bool:
    """The verdict got worse; a stream seen for the first time (None) has not dropped."""
    if previous is None or current is None:
        return False
    return verdict_rank(current) > verdict_rank(previous)


# ---- alerts -------------------------------------------------------------------------


def rollback_alert(
    rule: AlertRule,
    subject: Subject,
    *,
    version: str | None,
    automated: bool,
    cause: str | None,
    hours_to_rollback: float | None,
) -> Alert:
    """A counted rollback, for an `on = "rollback"` rule."""
    how = "automatically" if automated else "manually"
    after = "" if hours_to_rollback is None else f" {_num(hours_to_rollback)} h after deployment"
    cause_text = "no cause recorded" if cause is None else f"cause {_show(cause)}"
    rolled = "a deployment" if version is None else f"version {_show(version)}"
    text = f"{_about(subject)}: {rolled} was rolled back {how}{after}; {cause_text}"
    figures = {
        "version": version,
        "automated": automated,
        "cause": cause,
        "hours_to_rollback": hours_to_rollback,
    }
    return _alert(rule, "rollback", subject, figures, text)


def band_worsened_alert(
    rule: AlertRule,
    subject: Subject,
    *,
    previous_band: str,
    band: str,
    rollback_rate: float,
    settled: int,
) -> Alert:
    """A scope's band got worse, for an `on = "band_worsened"` rule."""
    text = (
        f"{_about(subject)}: band worsened from {previous_band} to {band} "
        f"(rollback rate {_num(rollback_rate)}% of {settled} settled deployments)"
    )
    figures = {
        "previous_band": previous_band,
        "band": band,
        "rollback_rate": rollback_rate,
        "settled": settled,
    }
    return _alert(rule, "band_worsened", subject, figures, text)


def rate_threshold_alert(
    rule: AlertRule,
    subject: Subject,
    *,
    previous_rate: float | None,
    rollback_rate: float,
    settled: int,
) -> Alert:
    """A scope's rate crossed the rule's `max_rate`, for an `on = "rate_threshold"` rule."""
    if rule.max_rate is None or rule.window_micros is None:
        raise ValueError(f"rule {rule.name!r} has no max_rate and window")
    was = "no rate" if previous_rate is None else f"{_num(previous_rate)}%"
    text = (
        f"{_about(subject)}: rollback rate {_num(rollback_rate)}% of {settled} settled "
        f"deployments ({_window(rule.window_micros)} window) is above {_num(rule.max_rate)}% "
        f"(was {was})"
    )
    figures = {
        "previous_rate": previous_rate,
        "rollback_rate": rollback_rate,
        "max_rate": rule.max_rate,
        "window_hours": rule.window_micros / MICROS_PER_HOUR,
        "settled": settled,
    }
    return _alert(rule, "rate_threshold", subject, figures, text)


def readiness_dropped_alert(
    rule: AlertRule,
    subject: Subject,
    *,
    previous_verdict: str,
    verdict: str,
    reasons: Sequence[Reason],
) -> Alert:
    """A stream's readiness got worse, for an `on = "readiness_dropped"` rule."""
    codes = [reason.code for reason in reasons]
    why = f": {', '.join(codes)}" if codes else ""
    dropped = f"rollback readiness dropped from {previous_verdict} to {verdict}"
    text = f"{_about(subject)}: {dropped}{why}"
    figures = {
        "previous_verdict": previous_verdict,
        "verdict": verdict,
        "reasons": [{"code": r.code, "text": r.text} for r in reasons],
    }
    return _alert(rule, "readiness_dropped", subject, figures, text)


def _alert(
    rule: AlertRule, kind: str, subject: Subject, figures: dict[str, Any], text: str
) -> Alert:
    if rule.on != kind:
        raise ValueError(f"rule {rule.name!r} is on {rule.on}, not {kind}")
    return Alert(
        rule=rule.name,
        kind=kind,
        model=subject.model,
        team=subject.team,
        environment=subject.environment,
        figures=figures,
        event_ids=subject.event_ids,
        text=f"rollback-rate alert {_show(rule.name)}: {text}",
    )


# ---- bodies and signatures ----------------------------------------------------------


def json_body(alert: Alert) -> bytes:
    """The generic alert object as compact UTF-8 JSON: the bytes that are signed and sent."""
    return _dump(alert.as_dict())


def slack_body(alert: Alert) -> bytes:
    """Slack's incoming-webhook body: the text, escaped, with mrkdwn off."""
    return _dump({"text": slack_escape(alert.text), "mrkdwn": False})


def body_for(rule: AlertRule, alert: Alert) -> bytes:
    """The body in the rule's format."""
    return slack_body(alert) if rule.format == "slack" else json_body(alert)


def slack_escape(text: str) -> str:
    """&, < and > as HTML entities, so no text can form a link or a mention in Slack."""
    return text.translate(_SLACK_ESCAPES)


def signature(body: bytes, secret: str) -> str:
    """The `X-Rollback-Rate-Signature` value: sha256= and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def resolve_secret(rule: AlertRule, environ: Mapping[str, str]) -> str | None:
    """The rule's signing secret at send time: `secret`, or `secret_env` read from environ."""
    if rule.secret_env is None:
        return rule.secret
    value = environ.get(rule.secret_env)
    if not value:
        raise InvalidOption(
            f"alert rule {rule.name!r}: environment variable {rule.secret_env} (its "
            "secret_env) is not set; set it, or remove secret_env to send unsigned"
        )
    return value


def _dump(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---- text ---------------------------------------------------------------------------


def _about(subject: Subject) -> str:
    parts = []
    if subject.model is not None:
        parts.append(f"model {_show(subject.model)}")
    if subject.environment is not None:
        parts.append(f"in {_show(subject.environment)}")
    if subject.team is not None:
        parts.append(f"(team {_show(subject.team)})" if parts else f"team {_show(subject.team)}")
    return " ".join(parts) or "all models"


def _show(value: str) -> str:
    """Quoted, with quotes, backslashes and invisible or line-breaking characters escaped."""
    return "'" + "".join(_escape(ch) for ch in value) + "'"


def _escape(ch: str) -> str:
    if ch in _TEXT_ESCAPES:
        return _TEXT_ESCAPES[ch]
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch


def _num(value: float) -> str:
    """One decimal at most, half up as written: 5.25 h is 5.3 h, 10.0% is 10%."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(rounded).removesuffix(".0")


def _window(micros: int) -> str:
    hours = micros / MICROS_PER_HOUR
    return f"{_num(hours / 24)}d" if hours % 24 == 0 else f"{_num(hours)}h"
