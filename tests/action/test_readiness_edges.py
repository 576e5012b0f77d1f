"""`rollback-rate readiness`, `GET /api/v1/readiness` and the Prometheus gauge: formats,
the --fail-on gate, exit and status codes. Times are relative to now (the CLI and the
service judge as of now); the reasons are tests/action/test_readiness.py's."""

from __future__ import annotations

import csv
import io
import json

from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from rollback_rate.cli import app
from rollback_rate.service import Settings, create_app
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc, now_micros
from tests.helpers import deploy, load, rollback
from tests.service.conftest import TestClient
from tests.service.helpers import assert_error, make_tokens

runner = CliRunner()
DAY = 24 * MICROS_PER_HOUR
ART = {"artifact": "registry.example/fraud:1", "digest": "sha256:" + "cd" * 32}


def history() -> list[dict]:  # type: ignore[type-arg]
    now = now_micros()

    def ago(days: float) -> str:
        return iso_utc(now - int(days * DAY))

    return [
        deploy("fraud", "1", ago(20), id="f1", team="risk", **ART),
        deploy("fraud", "2", ago(10), id="f2", team="risk"),
        rollback("fraud", ago(5), id="f-drill", drill=True),
        deploy("ranker", "1", ago(20), id="r1", team="search", artifact="s3://m/ranker"),
        deploy("ranker", "2", ago(10), id="r2", team="search"),
        rollback("ranker", ago(9), id="r-rb"),
        deploy("ranker", "3", ago(8), id="r3", team="search"),
        deploy("lonely", "1", ago(3), id="l1", team="search"),
    ]


def readiness(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db_url, "readiness", *args])


def test_the_gate_exits_1_at_or_beyond_its_level(db_url):
    load(db_url, history())
    not_ready = readiness(db_url, "--fail-on", "not_ready")
    assert not_ready.exit_code == 1
    assert not_ready.stderr == "fail: 1 stream(s) not_ready or worse: lonely/production\n"
    at_risk = readiness(db_url, "--fail-on", "at_risk", "--team", "search")
    assert at_risk.exit_code == 1
    assert "fail: 2 stream(s) at_risk or worse: lonely/production, ranker/production" in (
        at_risk.stderr
    )
    ok = readiness(db_url, "--fail-on", "at_risk", "--model", "fraud")
    assert (ok.exit_code, ok.stderr) == (0, "ok: no stream is at_risk or worse\n")
    bad = readiness(db_url, "--fail-on", "risky")
    assert (bad.exit_code, bad.output) == (
        2, "error: --fail-on must be one of at_risk, not_ready (got 'risky')\n"
    )  # fmt: skip
    assert readiness(db_url, "--format", "yaml").output == (
        "error: format 'yaml' is not one of table, json, csv, markdown\n"
    )


def test_table_markdown_and_csv(db_url):
    load(db_url, history())
    table = readiness(db_url).stdout
    assert table.startswith("Rollback readiness of 3 live streams as of ")
    assert ": 1 ready, 1 at_risk, 1 not_ready (exercised within 90 days counts" in table
    row = next(line for line in table.splitlines() if line.startswith("│ ranker"))
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == ["ranker", "production", "search", "at_risk", "3", "1", "s3://m/ranker",
                     "no", "9 days ago", "24.0 h", "target_digest_missing"]  # fmt: skip
    assert "lonely / production (not_ready): live version '1' has no counted version" in table
    markdown = readiness(db_url, "--format", "markdown").stdout
    assert "| fraud | production | risk | ready | 2 | 1 | registry.example/fraud:1 | yes |" in (
        markdown
    )
    rows = list(csv.DictReader(io.StringIO(readiness(db_url, "--format", "csv").stdout)))
    assert [(r["model"], r["verdict"], r["reasons"], r["target_event_id"]) for r in rows] == [
        ("lonely", "not_ready", "no_previous_version;not_exercised", ""),
        ("ranker", "at_risk", "target_digest_missing", "r1"),
        ("fraud", "ready", "", "f1"),
    ]


def test_http_and_the_prometheus_state_set(db_url, db):
    load(db, history())
    cli = json.loads(readiness(db_url, "--format", "json").stdout)
    headers = {"Authorization": f"Bearer {make_tokens(db).read}"}
    app_ = create_app(Settings(db_url=db_url, access_log=False))
    with TestClient(app_, raise_server_exceptions=False) as client:
        got = client.get("/api/v1/readiness", headers=headers).json()
        scoped = client.get("/api/v1/readiness", params={"team": "risk"}, headers=headers)
        metrics = client.get("/metrics", headers=headers).text
        assert_error(client.get("/api/v1/readiness"), 401, "unauthorized")
    cli.pop("as_of"), got.pop("as_of")
    for stream in (*cli["streams"], *got["streams"]):
        stream.pop("days_since_exercised")  # moments apart
    assert got == cli
    assert [s["model"] for s in scoped.json()["streams"]] == ["fraud"]
    samples = {
        (s.labels["model"], s.labels["verdict"]): s.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "rollback_rate_readiness"
        for s in family.samples
    }
    assert samples == {
        ("fraud", "ready"): 1, ("fraud", "at_risk"): 0, ("fraud", "not_ready"): 0,
        ("ranker", "ready"): 0, ("ranker", "at_risk"): 1, ("ranker", "not_ready"): 0,
        ("lonely", "ready"): 0, ("lonely", "at_risk"): 0, ("lonely", "not_ready"): 1,
    }  # fmt: skip
