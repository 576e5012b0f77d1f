"""The demo's history gives advice and readiness something to show (issue 10)."""

from __future__ import annotations

from typer.testing import CliRunner

from rollback_rate import Ledger, parse_query
from rollback_rate.cli import app
from rollback_rate.demo import demo_events
from rollback_rate.timeutil import iso_utc, parse_timestamp

NOW = parse_timestamp("2026-06-01T00:00:00Z", "now")


def test_the_history_carries_artefacts_digests_drills_and_causes():
    events = list(demo_events(NOW, 7))
    deployments = [e for e in events if e["type"] == "deployment"]
    assert sum("digest" in e for e in deployments) > len(deployments) / 2
    assert any("artifact" in e and "digest" not in e for e in deployments)  # mutable URIs
    assert any("artifact" not in e for e in deployments)  # never recorded
    assert sum(1 for e in events if e.get("drill")) > 10
    assert len({e["cause"] for e in events if "cause" in e}) >= 10


def test_advice_and_readiness_of_the_demo(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'demo.db'}", group_commit=False)
    ledger.record_stream((str(i), raw) for i, raw in enumerate(demo_events(NOW, 7)))
    advice = ledger.advice(parse_query(window="7d", as_of=iso_utc(NOW))).overall
    assert advice.sufficient and len(advice.recommendations) >= 3
    readiness = ledger.readiness(now=NOW)
    assert len(readiness.streams) == 20
    assert all(readiness.counts()[verdict] for verdict in ("ready", "at_risk", "not_ready"))
    codes = {r.code for s in readiness.streams for r in s.readiness.reasons}
    assert {"target_artifact_unknown", "target_digest_missing", "not_exercised"} <= codes


def test_the_demo_prints_where_to_invest_and_what_is_not_ready(tmp_path):
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'demo.db'}", "demo"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    tail = result.output[result.output.index("Where to invest") :].splitlines()
    assert tail[0].startswith("Where to invest (") and tail[0].endswith(", by count):")
    assert [line[:5] for line in tail[1:4]] == ["  1. ", "  2. ", "  3. "]
    assert " vs the 90 days before) -> " in tail[1]
    assert tail[5].startswith("Rollback readiness of 20 live streams: ")
    assert tail[6].startswith("  not ready: spell-corrector / ")
    steps = next(i for i, line in enumerate(tail) if line.startswith("Next steps"))
    assert steps < 16  # short, before the next steps
