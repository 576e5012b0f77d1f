"""Alerts end to end: rules from the config, evaluated from the ledger's after-commit hook
and on demand, claimed in the database and sent to a real HTTP receiver on loopback.
Every figure hand-computed; both backends (issue 10)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from rollback_rate import Ledger
from rollback_rate.alerts.alerter import Alerter
from rollback_rate.alerts.send import Sender
from rollback_rate.config import load_config
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc, parse_timestamp
from tests.alerts.receiver import receiver
from tests.helpers import deploy, rollback

NOW = parse_timestamp("2026-03-31T00:00:00Z", "now")
FAST = (0.01, 0.01, 0.01)  # the default backoff is 1, 2, 4 s


def rule(name: str, on: str, url: str, extra: str = "") -> str:
    return f'[[alerts.rule]]\nname = "{name}"\non = "{on}"\nurl = "{url}"\n{extra}\n'


def alerting(db, tmp_path: Path, text: str, clock: int = NOW) -> tuple[Ledger, Alerter]:  # type: ignore[no-untyped-def]
    path = tmp_path / "ops.toml"
    path.write_text("[report]\nmin_settled = 2\n" + text)
    ledger = Ledger(db, group_commit=False, config=load_config(path))
    alerter = Alerter(ledger, sender=Sender(backoff=FAST), clock=lambda: clock)
    ledger.subscribe(alerter.notice)
    return ledger, alerter


def hours_before_now(hours: float) -> str:
    return iso_utc(NOW - int(hours * MICROS_PER_HOUR))


# ---- rollback ------------------------------------------------------------------------


def test_a_counted_rollback_is_alerted_once_signed_with_its_figures(db, tmp_path):
    with receiver() as hook:
        extra = 'model = "fraud-*"\nsecret = "s3cret"'
        ledger, _ = alerting(db, tmp_path, rule("fraud", "rollback", hook.url, extra))
        ledger.record(deploy("fraud-scorer", "1", hours_before_now(48), id="d1", team="risk"))
        ledger.record(deploy("fraud-scorer", "2", hours_before_now(5), id="d2", team="risk"))
        ledger.record(deploy("ranker", "1", hours_before_now(5), id="x1"))
        ledger.record(rollback("ranker", hours_before_now(4), id="x-rb"))  # no rule matches
        event = rollback("fraud-scorer", hours_before_now(2.5), id="r1", automated=True,
                         cause="data_drift")  # fmt: skip
        ledger.record(event)
        ledger.record(event)  # a duplicate: nothing new, no second alert
    [got] = hook.requests
    assert got.path == "/hook" and got.headers["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(b"s3cret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Rollback-Rate-Signature"] == expected
    assert got.json() == {
        "rule": "fraud",
        "kind": "rollback",
        "model": "fraud-scorer",
        "team": "risk",
        "environment": "production",
        "figures": {"version": "2", "automated": True, "cause": "data_drift",
                    "hours_to_rollback": 2.5},
        "event_ids": ["r1", "d2"],
        "text": "rollback-rate alert 'fraud': model 'fraud-scorer' in 'production' (team "
        "'risk'): version '2' was rolled back automatically 2.5 h after deployment; cause "
        "'data_drift'",
    }  # fmt: skip
    [delivery] = ledger.alert_log.deliveries()
    assert (delivery.rule, delivery.key, delivery.status, delivery.attempts) == (
        "fraud", '["r1","d2"]', "sent", 1
    )  # fmt: skip


def test_filters_automated_and_max_age(db, tmp_path):
    with receiver() as hook:
        text = (rule("manual", "rollback", hook.url, "automated = false")
                + '[alerts]\nmax_age = "6h"\n')  # fmt: skip
        ledger, _ = alerting(db, tmp_path, text)
        ledger.record_batch([
            deploy("m", "1", hours_before_now(100)), deploy("m", "2", hours_before_now(90)),
            rollback("m", hours_before_now(80), id="old"),  # more than 6 h before it is told
            deploy("m", "3", hours_before_now(5)),
            rollback("m", hours_before_now(4), id="auto", automated=True),  # automated
            deploy("m", "4", hours_before_now(3)),
            rollback("m", hours_before_now(1), id="manual"),
        ])  # fmt: skip
    assert [r.json()["event_ids"][0] for r in hook.requests] == ["manual"]


def test_slack_format_is_text_with_mrkdwn_off(db, tmp_path):
    with receiver() as hook:
        ledger, _ = alerting(db, tmp_path, rule("s", "rollback", hook.url, 'format = "slack"'))
        ledger.record_batch([deploy("<m>", "1", hours_before_now(3)),
                             deploy("<m>", "2", hours_before_now(2)),
                             rollback("<m>", hours_before_now(1))])  # fmt: skip
    [got] = hook.requests
    assert got.json() == {
        "text": "rollback-rate alert 's': model '&lt;m&gt;' in 'production': version '2' was "
        "rolled back manually 1 h after deployment; no cause recorded",
        "mrkdwn": False,
    }


# ---- retries and delivery state -------------------------------------------------------


def test_a_receiver_that_fails_twice_then_accepts_gets_the_alert_once(db, tmp_path):
    with receiver([500, 503]) as hook:
        ledger, _ = alerting(db, tmp_path, rule("r", "rollback", hook.url))
        ledger.record_batch([deploy("m", "1", hours_before_now(3)),
                             deploy("m", "2", hours_before_now(2)),
                             rollback("m", hours_before_now(1), id="rb")])  # fmt: skip
    assert [r.status for r in hook.requests] == [500, 503, 200]
    assert len(hook.accepted) == 1
    assert len({r.body for r in hook.requests}) == 1  # the same alert each time
    [delivery] = ledger.alert_log.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, None)


def test_a_failed_round_is_retried_on_schedule_and_a_refusal_is_final(db, tmp_path):
    with receiver([500] * 4) as hook:
        ledger, alerter = alerting(db, tmp_path, rule("r", "rollback", hook.url))
        ledger.record_batch([deploy("m", "1", hours_before_now(3)),
                             deploy("m", "2", hours_before_now(2)),
                             rollback("m", hours_before_now(1), id="rb")])  # fmt: skip
        [pending] = ledger.alert_log.deliveries()
        assert (pending.status, pending.attempts) == ("pending", 4)
        assert pending.last_error == f"HTTP 500 from {hook.url}"
        alerter.retry_due(NOW + 4 * 60_000_000)  # before [alerts] interval (5 min): not due
        assert len(hook.requests) == 4
        alerter.retry_due(NOW + 5 * 60_000_000)
        alerter.retry_due(NOW + 10 * 60_000_000)  # sent: nothing more to do
        assert [r.status for r in hook.requests] == [500] * 4 + [200]
        assert [(d.status, d.attempts) for d in ledger.alert_log.deliveries()] == [("sent", 5)]
    with receiver([404]) as gone:
        ledger, alerter = alerting(db, tmp_path, rule("r2", "rollback", gone.url))
        ledger.record_batch([deploy("n", "1", hours_before_now(3)),
                             deploy("n", "2", hours_before_now(2)),
                             rollback("n", hours_before_now(1), id="rb2")])  # fmt: skip
        alerter.retry_due(NOW + 60 * 60_000_000)
    assert [r.status for r in gone.requests] == [404]  # a refusal is not retried
    [failed] = ledger.alert_log.deliveries("r2")
    assert (failed.status, failed.attempts) == ("failed", 1)


# ---- rate_threshold, band_worsened, readiness_dropped -----------------------------------

# As of Mar 31 00:00, the 30-day window is (Mar 1, Mar 31]. d1-d3 (Mar 1-3) are successes
# known on Mar 8-10; d4 (Mar 20) and d5 (Mar 21) are rolled back 3 h later: failures.
SUCCESSES = [deploy("m", str(n), f"2026-03-0{n}T09:00:00Z", id=f"d{n}", team="risk")
             for n in (1, 2, 3)]  # fmt: skip


def failure(n: int, day: int) -> list[dict]:  # type: ignore[type-arg]
    return [
        deploy("m", str(n), f"2026-03-{day}T09:00:00Z", id=f"d{n}", team="risk"),
        rollback("m", f"2026-03-{day}T12:00:00Z", id=f"r{n}"),
    ]


def test_rate_threshold_fires_once_on_crossing(db, tmp_path):
    with receiver() as hook:
        extra = 'max_rate = 30\nwindow = "30d"\nteam = "risk"'
        ledger, alerter = alerting(db, tmp_path, rule("over-30", "rate_threshold", hook.url, extra))
        ledger.record_batch(SUCCESSES)  # 0 of 3: at or below 30%
        ledger.record_batch(failure(4, 20))  # 1 of 4 = 25%
        assert hook.requests == []
        ledger.record_batch(failure(5, 21))  # 2 of 5 = 40%: crossed
        ledger.record_batch(failure(6, 22))  # 3 of 6 = 50%: still above, told once
        alerter.evaluate()
    [got] = hook.requests
    body = got.json()
    assert (body["kind"], body["model"], body["environment"], body["team"]) == (
        "rate_threshold", "m", "production", "risk"
    )  # fmt: skip
    assert body["figures"] == {"previous_rate": 25.0, "rollback_rate": 40.0, "max_rate": 30.0,
                               "window_hours": 720.0, "settled": 5}  # fmt: skip
    assert body["event_ids"] == ["r4", "r5"]
    assert body["text"].endswith(
        "rollback rate 40% of 5 settled deployments (30d window) is above 30% (was 25%)"
    )


def test_band_worsened_compares_this_month_with_last(db, tmp_path):
    with receiver() as hook:
        text = rule("band", "band_worsened", hook.url, 'by = "team"')
        ledger, alerter = alerting(db, tmp_path, text)
        # February: d01-d04 (Feb 1-4) known as successes on Feb 8-11: 0%, excellent
        ledger.record_batch([deploy("m", f"f{n}", f"2026-02-0{n}T09:00:00Z", team="risk")
                             for n in (1, 2, 3, 4)])  # fmt: skip
        ledger.record_batch(SUCCESSES)  # March so far: 0 of 3, still excellent
        assert hook.requests == []
        ledger.record_batch(failure(4, 20))  # 1 of 4 = 25%: high_risk
        ledger.record_batch(failure(5, 21))  # 2 of 5, still high_risk: told once a month
        alerter.evaluate()
    [got] = hook.requests
    body = got.json()
    assert (body["kind"], body["model"], body["team"], body["environment"]) == (
        "band_worsened", None, "risk", None
    )  # fmt: skip
    assert body["figures"] == {"previous_band": "excellent", "band": "high_risk",
                               "rollback_rate": 25.0, "settled": 4}  # fmt: skip
    assert body["event_ids"] == ["r4"]
    [delivery] = ledger.alert_log.deliveries()
    assert delivery.key == '["team","risk","2026-03","high_risk"]'


def test_readiness_dropped_names_the_reasons(db, tmp_path):
    art = {"artifact": "registry/m:1", "digest": "sha256:" + "ab" * 32}
    with receiver() as hook:
        ledger, alerter = alerting(db, tmp_path, rule("ready", "readiness_dropped", hook.url))
        ledger.record_batch([
            deploy("m", "1", "2026-03-01T09:00:00Z", id="v1", **art),
            deploy("m", "2", "2026-03-02T09:00:00Z", id="v2"),  # no artefact
            rollback("m", "2026-03-20T09:00:00Z", id="drill", drill=True),
        ])  # fmt: skip
        assert hook.requests == []  # first seen: ready (target v1), nothing dropped
        ledger.record(deploy("m", "3", "2026-03-25T09:00:00Z", id="v3"))  # target v2 now
        alerter.evaluate()
    [got] = hook.requests
    body = got.json()
    assert body["figures"]["previous_verdict"] == "ready"
    assert body["figures"]["verdict"] == "not_ready"
    assert [r["code"] for r in body["figures"]["reasons"]] == ["target_artifact_unknown"]
    assert body["event_ids"] == ["v3", "v2"]
    assert body["text"].endswith("rollback readiness dropped from ready to not_ready: "
                                 "target_artifact_unknown")  # fmt: skip
