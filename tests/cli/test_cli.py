"""The command line: parsing, exit codes and what it prints, through Click's runner."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "sources" / "fixtures"


def cli(db_url: str, *args: str, input: str | None = None):
    return runner.invoke(app, ["--db", db_url, *args], input=input)


def write_jsonl(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_record_then_report_json(db_url):
    assert (
        cli(
            db_url,
            "record",
            "deployment",
            "--model",
            "ranker",
            "--version",
            "1",
            "--at",
            "2026-01-01T00:00:00Z",
            "--team",
            "search",
        ).exit_code
        == 0
    )
    assert (
        cli(
            db_url,
            "record",
            "deployment",
            "--model",
            "ranker",
            "--version",
            "2",
            "--at",
            "2026-01-02T00:00:00Z",
        ).exit_code
        == 0
    )
    result = cli(
        db_url,
        "record",
        "rollback",
        "--model",
        "ranker",
        "--automated",
        "--cause",
        "latency",
        "--at",
        "2026-01-02T04:00:00Z",
        "--id",
        "rb-1",
    )
    assert result.exit_code == 0, result.output
    assert "recorded rollback of ranker" in result.output
    again = cli(
        db_url,
        "record",
        "rollback",
        "--model",
        "ranker",
        "--at",
        "2026-01-02T05:00:00Z",
        "--id",
        "rb-1",
    )
    assert "duplicate rollback of ranker" in again.output
    report = cli(db_url, "report", "--as-of", "2026-02-01T00:00:00Z", "--format", "json")
    data = json.loads(report.stdout)
    assert (data["overall"]["deployments"], data["overall"]["rollbacks"]) == (2, 1)
    assert data["overall"]["root_causes"] == [{"cause": "latency", "count": 1}]


def test_record_refuses_a_timestamp_without_offset(db_url):
    result = cli(
        db_url,
        "record",
        "deployment",
        "--model",
        "m",
        "--version",
        "1",
        "--at",
        "2026-01-01T00:00:00",
    )
    assert result.exit_code == 2
    assert "timestamp '2026-01-01T00:00:00' has no UTC offset; add 'Z' or '+00:00'" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_import_is_atomic_and_lists_every_bad_line(db_url, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"type":"deployment","model":"m","version":"1","timestamp":"2026-01-01T00:00:00Z"}\n'
        '{"type":"deployment","model":"m","timestamp":"2026-01-02T00:00:00Z"}\n'
        "not json\n"
    )
    result = cli(db_url, "import", str(path))
    assert result.exit_code == 2
    assert "invalid: line 2: version: is required for a deployment" in result.output
    assert "invalid: line 3: invalid JSON" in result.output
    assert "nothing was stored" in result.output
    report = cli(db_url, "report", "--format", "json")
    assert json.loads(report.stdout)["overall"]["deployments"] == 0


def test_import_skip_invalid_and_reimport_counts_duplicates(db_url, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "type,model,version,timestamp,automated\n"
        "deployment,m,1,2026-01-01T00:00:00Z,\n"
        "deployment,m,2,2026-01-02T00:00:00Z,\n"
        "rollback,m,,2026-01-02T01:00:00Z,yes\n"
    )
    first = cli(db_url, "import", str(path), "--skip-invalid")
    assert first.exit_code == 0
    assert "stored 2, duplicates 0, invalid 1" in first.output
    assert "line 4: automated: must be true or false (got 'yes')" in first.output
    second = cli(db_url, "import", str(path), "--skip-invalid")
    assert "stored 0, duplicates 2, invalid 1" in second.output


def test_import_from_stdin(db_url):
    line = '{"type":"deployment","model":"m","version":"1","timestamp":"2026-01-01T00:00:00Z"}\n'
    result = cli(db_url, "import", "-", input=line)
    assert result.exit_code == 0
    assert "stored 1" in result.output


def test_import_missing_file_is_a_usage_error(db_url, tmp_path):
    result = cli(db_url, "import", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2
    assert "is not a readable file" in result.output


def test_import_source_format_k8s_replicasets(db_url):
    result = cli(
        db_url, "import", str(FIXTURES / "k8s-replicasets.json"), "--format", "k8s-replicasets"
    )
    assert result.exit_code == 0, result.output
    again = cli(
        db_url, "import", str(FIXTURES / "k8s-replicasets.json"), "--format", "k8s-replicasets"
    )
    stored = int(result.output.split("stored ")[1].split(",")[0])
    assert stored > 0
    assert f"stored 0, duplicates {stored}" in again.output


def test_import_source_format_reports_ignored_payloads(db_url, tmp_path):
    in_progress = json.loads((FIXTURES / "github-deployment-status-in-progress.json").read_text())
    success = json.loads((FIXTURES / "github-deployment-status-success.json").read_text())
    path = write_jsonl(tmp_path / "github.jsonl", [in_progress, success, success])
    result = cli(db_url, "import", str(path), "--format", "github")
    assert result.exit_code == 0, result.output
    assert "stored 1, duplicates 1, invalid 0, ignored 1" in result.output


def test_import_unknown_source_format(db_url, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [{}])
    result = cli(db_url, "import", str(path), "--format", "jenkins")
    assert result.exit_code == 2
    assert "unknown source 'jenkins'" in result.output


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_report_formats(db_url, tmp_path, fmt):
    write = write_jsonl(
        tmp_path / "e.jsonl",
        [
            {
                "type": "deployment",
                "model": "ran|ker",
                "version": "1",
                "timestamp": "2026-01-01T00:00:00Z",
            },
            {
                "type": "deployment",
                "model": "ran|ker",
                "version": "2",
                "timestamp": "2026-01-02T00:00:00Z",
            },
            {"type": "rollback", "model": "ran|ker", "timestamp": "2026-01-02T01:00:00Z"},
        ],
    )
    cli(db_url, "import", str(write))
    out = tmp_path / f"report.{fmt}"
    result = cli(
        db_url,
        "report",
        "--as-of",
        "2026-02-01T00:00:00Z",
        "--by",
        "model",
        "--format",
        fmt,
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    if fmt == "csv":
        lines = text.splitlines()
        assert lines[0].startswith("scope,model,environment,team,period,deployments")
        assert lines[1].startswith("overall,,,,,2,2,0,1,50.0,")
        assert lines[2].startswith("group,ran|ker,,,,2,2,0,1,50.0,")
    elif fmt == "markdown":
        assert "ran\\|ker" in text
        assert "Model Rollback Rate 50.0% (high_risk" in text
    else:
        assert "Model Rollback Rate 50.0%" in text and "1 of 2 settled" in text


def test_check_is_a_quality_gate(db_url, tmp_path):
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [
            {
                "type": "deployment",
                "model": "m",
                "version": str(v),
                "timestamp": f"2026-01-0{v}T00:00:00Z",
            }
            for v in range(1, 6)
        ]
        + [{"type": "rollback", "model": "m", "timestamp": "2026-01-05T01:00:00Z"}],
    )
    cli(db_url, "import", str(path))
    failing = cli(db_url, "check", "--max-rate", "10", "--as-of", "2026-03-01T00:00:00Z")
    assert failing.exit_code == 1
    assert failing.output.strip() == (
        "fail: rollback rate 20.0% (1 of 5 settled deployments) is above the limit of 10%"
    )
    passing = cli(db_url, "check", "--max-rate", "20", "--as-of", "2026-03-01T00:00:00Z")
    assert passing.exit_code == 0
    assert passing.output.startswith("ok: rollback rate 20.0%")


def test_check_with_nothing_settled_passes(db_url):
    result = cli(db_url, "check", "--max-rate", "5")
    assert result.exit_code == 0
    assert "no settled deployments" in result.output


def test_bad_report_option_exits_2_with_reason(db_url):
    result = cli(db_url, "report", "--window", "week")
    assert result.exit_code == 2
    assert "window 'week' is not understood; use e.g. 7d, 36h, 1w" in result.output


def test_unreachable_database_is_a_clear_error():
    result = runner.invoke(app, ["--db", "postgresql://nobody@127.0.0.1:1/none", "report"])
    assert result.exit_code == 2
    assert "cannot open database postgresql+psycopg://" in result.output
    assert "Traceback" not in result.output


def test_db_upgrade_reports_the_revision(db_url):
    result = cli(db_url, "db", "upgrade")
    assert result.exit_code == 0
    assert "schema at revision" in result.output


def test_db_rebuild_replays_every_stream(db_url):
    cli(db_url, "record", "deployment", "--model", "a", "--version", "1")
    cli(db_url, "record", "deployment", "--model", "b", "--version", "1")
    result = cli(db_url, "db", "rebuild")
    assert result.exit_code == 0 and "rebuilt 2 streams" in result.output


def test_demo_loads_realistic_history_and_reports(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["--db", url, "demo"])
    assert result.exit_code == 0, result.output
    loaded = int(result.output.split("loaded ")[1].split(" ")[0])
    assert loaded > 1000
    for team in ("fraud", "pricing", "recsys", "search", "trust-safety"):
        assert team in result.output
    report = json.loads(
        runner.invoke(app, ["--db", url, "report", "--format", "json", "--by", "model"]).stdout
    )
    assert len(report["groups"]) == 10
    assert report["overall"]["late_rollbacks"] > 0
    assert 0 < report["overall"]["automated_share"] < 100
    again = runner.invoke(app, ["--db", url, "demo"])
    assert again.exit_code == 2 and "demo needs an empty database" in again.output


def test_a_database_failure_mid_command_is_reported_without_a_traceback(tmp_path):
    import sqlite3

    path = tmp_path / "broken.db"
    url = f"sqlite:///{path}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    with sqlite3.connect(path) as conn:  # sabotage: the log table disappears
        conn.execute("DROP TABLE events")
    result = runner.invoke(
        app, ["--db", url, "record", "deployment", "--model", "m", "--version", "1"]
    )
    assert result.exit_code == 2
    assert "error: database error, nothing from this command was stored" in result.output
    assert "no such table: events" in result.output
    assert "Traceback" not in result.output


def test_report_html_is_one_file_carrying_the_dashboard_snapshot(db_url, tmp_path):
    events = [
        {"type": "deployment", "model": "<b>m</b>", "version": "1", "team": "t",
         "timestamp": "2026-01-01T00:00:00Z"},
        {"type": "deployment", "model": "<b>m</b>", "version": "2",
         "timestamp": "2026-01-02T00:00:00Z"},
        {"type": "rollback", "model": "<b>m</b>", "timestamp": "2026-01-02T06:00:00Z"},
    ]  # fmt: skip
    assert cli(db_url, "import", str(write_jsonl(tmp_path / "e.jsonl", events))).exit_code == 0
    out = tmp_path / "report.html"
    args = ["report", "--format", "html", "--output", str(out), "--as-of", "2026-02-01",
            "--by", "team", "--period", "week"]  # fmt: skip
    result = cli(db_url, *args)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'data-mode="file"' in page
    raw = page.split('id="rr-snapshot">', 1)[1].split("</script>", 1)[0]
    snapshot = json.loads(raw)
    assert snapshot["filters"] == {"window": "7d", "as_of": "2026-02-01T00:00:00Z",
                                   "period": "week", "by": "team"}  # fmt: skip
    assert snapshot["drill_models"] == ["<b>m</b>"]
    assert "<b>m</b>" not in page  # only escaped, inside the JSON
    bad = cli(db_url, "report", "--format", "html", "--period", "day", "--output", str(out))
    assert bad.exit_code == 2 and "period 'day' is not one of week, month" in bad.output


def test_report_order_ranks_groups_as_the_api_does(db_url, tmp_path):
    # "big": 1 of 4 rolled back (25%); "small": 1 of 2 (50%). By name big comes first; by
    # raw rate small does.
    events = []
    for model, versions in (("big", 4), ("small", 2)):
        for v in range(1, versions + 1):
            events.append({"type": "deployment", "model": model, "version": str(v),
                           "timestamp": f"2026-01-0{v}T09:00:00Z"})  # fmt: skip
        events.append({"type": "rollback", "model": model,
                       "timestamp": f"2026-01-0{versions}T10:00:00Z"})  # fmt: skip
    assert cli(db_url, "import", str(write_jsonl(tmp_path / "e.jsonl", events))).exit_code == 0

    def order(how: str) -> list[str]:
        result = cli(db_url, "report", "--by", "model", "--as-of", "2026-02-01",
                     "--format", "json", "--order", how)  # fmt: skip
        assert result.exit_code == 0, result.output
        return [group["key"]["model"] for group in json.loads(result.stdout)["groups"]]

    assert order("name") == ["big", "small"]
    assert order("rate") == ["small", "big"]
    bad = cli(db_url, "report", "--order", "loudest")
    assert bad.exit_code == 2 and "order 'loudest' is not one of" in bad.output
