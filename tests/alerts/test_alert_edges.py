"""Alerts from the edges: `record` in a pipeline step alerts before it exits, `alerts
test` and `alerts evaluate`, and `serve`'s worker thread told by the hook."""

from __future__ import annotations

import json
import time

from typer.testing import CliRunner

from rollback_rate.alerts.worker import AlertWorker
from rollback_rate.cli import app
from rollback_rate.config import load_config
from rollback_rate.service import Settings, create_app
from rollback_rate.timeutil import iso_utc, now_micros
from tests.alerts.receiver import receiver
from tests.alerts.test_delivery import NOW, alerting, rule
from tests.helpers import deploy, rollback
from tests.service.conftest import TestClient
from tests.service.helpers import make_tokens

runner = CliRunner()


def cli(db_url: str, config, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db_url, "--config", str(config), *args])


def test_a_rollback_recorded_by_the_cli_alerts_before_the_command_ends(db_url, tmp_path):
    config = tmp_path / "ops.toml"
    with receiver() as hook:
        config.write_text(rule("prod", "rollback", hook.url, 'environment = "production"'))
        for args in (
            ["deployment", "--model", "m", "--version", "1"],
            ["deployment", "--model", "m", "--version", "2"],
            ["rollback", "--model", "m", "--cause", "latency", "--id", "rb-1"],
        ):
            assert cli(db_url, config, "record", *args).exit_code == 0  # fmt: skip
        [got] = hook.requests
    body = got.json()
    assert (body["rule"], body["kind"], body["figures"]["cause"], body["event_ids"][0]) == (
        "prod", "rollback", "latency", "rb-1"
    )  # fmt: skip


def test_alerts_test_sends_a_sample_and_says_how_it_went(db_url, tmp_path):
    config = tmp_path / "ops.toml"
    with receiver([404]) as hook:
        config.write_text(
            rule("risk", "rate_threshold", hook.url, 'team = "risk"\nmax_rate = 10\nsecret = "s"')
            + rule("slack", "rollback", hook.url, 'format = "slack"')
        )
        refused = cli(db_url, config, "alerts", "test", "risk")
        assert refused.exit_code == 1
        assert refused.stderr == (
            f"fail: sample alert of rule 'risk' not delivered to {hook.url} after 1 attempt(s): "
            f"HTTP 404 from {hook.url}\n"
        )
        sent = cli(db_url, config, "alerts", "test", "risk")
        assert (sent.exit_code, sent.stdout) == (
            0, f"sent a sample rate_threshold alert of rule 'risk' to {hook.url} (HTTP 200, "
            "json format)\n"
        )  # fmt: skip
        assert cli(db_url, config, "alerts", "test", "slack").exit_code == 0
        unknown = cli(db_url, config, "alerts", "test", "nope")
    assert (unknown.exit_code, unknown.output) == (
        2, f"error: no alert rule named 'nope' in {config}; rules: risk, slack\n"
    )  # fmt: skip
    sample = hook.requests[1].json()
    assert (sample["rule"], sample["kind"], sample["team"]) == ("risk", "rate_threshold", "risk")
    assert sample["figures"]["rollback_rate"] == 15.0
    assert sample["text"].endswith("(a sample sent by `rollback-rate alerts test`)")
    assert "X-Rollback-Rate-Signature" in hook.requests[1].headers
    assert set(hook.requests[2].json()) == {"text", "mrkdwn"}
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    none = cli(db_url, empty, "alerts", "test", "x")
    assert none.output == (
        f"error: no alert rule named 'x' in {empty}; rules: none; add [[alerts.rule]] tables "
        "to the config\n"
    )


def test_alerts_evaluate_runs_the_rules_once(db_url, tmp_path):
    config = tmp_path / "ops.toml"
    with receiver() as hook:
        config.write_text("[report]\nmin_settled = 1\n" + rule("ready", "readiness_dropped",
                                                                hook.url))  # fmt: skip
        assert cli(db_url, config, "record", "deployment", "--model", "m", "--version", "1",
                   "--at", "2026-01-01T00:00:00Z").exit_code == 0  # fmt: skip
        first = cli(db_url, config, "alerts", "evaluate")
        assert (first.exit_code, first.stdout) == (
            0, "evaluated 1 rule(s): 0 alert(s) sent, 0 pending a retry\n"
        )  # fmt: skip
        assert hook.requests == []  # first seen: not_ready (no previous version), no drop
    nothing = tmp_path / "none.toml"
    nothing.write_text("")
    assert cli(db_url, nothing, "alerts", "evaluate").output == (
        "error: no [[alerts.rule]] in the config; give one with --config\n"
    )


def test_the_service_worker_alerts_from_the_hook(db_url, db, tmp_path):
    config = tmp_path / "ops.toml"
    with receiver() as hook:
        config.write_text(rule("r", "rollback", hook.url))
        settings = Settings(db_url=db_url, access_log=False, config=load_config(config))
        service = create_app(settings)
        headers = {"Authorization": f"Bearer {make_tokens(db).ingest}"}
        events = [
            deploy("m", "1", ago(3)),
            deploy("m", "2", ago(2)),
            rollback("m", ago(1), id="rb"),
        ]
        with TestClient(service) as client:
            assert client.post("/api/v1/events", json=events, headers=headers).status_code == 200
            service.state.alerts.flush()
            assert [json.loads(r.body)["event_ids"][0] for r in hook.requests] == ["rb"]


def test_the_worker_retries_on_its_schedule(db, tmp_path):
    with receiver([500] * 4) as hook:
        ledger, alerter = alerting(db, tmp_path, rule("r", "rollback", hook.url))
        ledger.record_batch([deploy("m", "1", ago(3)), deploy("m", "2", ago(2)),
                             rollback("m", ago(1), id="rb")])  # fmt: skip
        assert [d.status for d in ledger.alert_log.deliveries()] == ["pending"]
        alerter.clock = lambda: NOW + 3_600_000_000  # an hour on: the retry is due
        worker = AlertWorker(alerter, interval_seconds=0.05)
        worker.start()
        deadline = time.monotonic() + 10
        while not hook.accepted and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.stop()
    assert [r.status for r in hook.requests] == [500] * 4 + [200]
    assert [d.status for d in ledger.alert_log.deliveries()] == ["sent"]


def ago(hours: float) -> str:
    return iso_utc(now_micros() - int(hours * 3_600_000_000))
