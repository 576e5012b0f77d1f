"""The config file reaches every command: `--config FILE` before the command, or
ROLLBACK_RATE_CONFIG; a bad file is one located line and exit code 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from rollback_rate.cli import app
from tests.helpers import deploy, load, rollback

COST = """
[cost]
currency = "EUR"
degraded_per_hour = 100
triage_hours_manual = 2
triage_hours_automated = 1
engineer_hourly_rate = 50
"""
HISTORY = [
    deploy("m", "1", "2026-01-01T09:00:00Z"),
    deploy("m", "2", "2026-01-02T09:00:00Z"),
    rollback("m", "2026-01-02T12:00:00Z", automated=True),  # 3 h after d2, automated
]
# 3 h x 100 + 1 triage hour x 50
EXPECTED_COST = {"currency": "EUR", "total": 350.0, "degraded": 300.0, "triage": 50.0, "fixed": 0.0}


def _report(db_url: str, *global_args: str, env: dict[str, str] | None = None):
    args = [*global_args, "--db", db_url, "report", "--format", "json", "--as-of", "2026-02-01"]
    return CliRunner().invoke(app, args, env=env)


def test_the_config_option_gives_the_report_its_cost_model(db_url, tmp_path):
    load(db_url, HISTORY)
    path = tmp_path / "ops.toml"
    path.write_text(COST)
    result = _report(db_url, "--config", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overall"]["cost"] == EXPECTED_COST


def test_the_environment_variable_names_the_config_file_too(db_url, tmp_path):
    load(db_url, HISTORY)
    path = tmp_path / "ops.toml"
    path.write_text(COST)
    result = _report(db_url, env={"ROLLBACK_RATE_CONFIG": str(path)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overall"]["cost"] == EXPECTED_COST
    without = _report(db_url, env={"ROLLBACK_RATE_CONFIG": ""})
    assert "cost" not in json.loads(without.stdout)["overall"]


def test_a_bad_config_file_is_one_located_line_and_exit_2(db_url, tmp_path: Path):
    path = tmp_path / "ops.toml"
    path.write_text(COST.replace("= 100", "= -1"))
    result = _report(db_url, "--config", str(path))
    assert result.exit_code == 2
    assert result.output == (
        f"error: config {path}: [cost] degraded_per_hour must be a number >= 0 (got -1)\n"
    )
    missing = _report(db_url, "--config", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2
    assert missing.output.splitlines() == [
        f"error: config {tmp_path / 'nope.toml'}: cannot be read (No such file or directory)"
    ]


def test_the_cost_is_in_every_format_and_absent_without_a_cost_model(db_url, tmp_path):
    load(db_url, HISTORY)
    path = tmp_path / "ops.toml"
    path.write_text(COST)

    def report(fmt: str, *global_args: str) -> str:
        args = [*global_args, "--db", db_url, "report", "--format", fmt, "--as-of", "2026-02-01"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})  # no wrapping
        assert result.exit_code == 0, result.output
        return result.stdout

    [row] = csv.DictReader(io.StringIO(report("csv", "--config", str(path))))
    assert {k: v for k, v in row.items() if k.startswith("cost_")} == {
        "cost_currency": "EUR", "cost_total": "350.0", "cost_degraded": "300.0",
        "cost_triage": "50.0", "cost_fixed": "0.0",
    }  # fmt: skip
    # The CSV's columns never depend on the config: without a cost model they are empty.
    [bare] = csv.DictReader(io.StringIO(report("csv")))
    assert {k: v for k, v in bare.items() if k.startswith("cost_")} == dict.fromkeys(
        ("cost_currency", "cost_total", "cost_degraded", "cost_triage", "cost_fixed"), ""
    )
    table = report("table", "--config", str(path))
    assert "Estimated cost of those rollbacks: EUR 350.00." in " ".join(table.split())
    assert "est. cost" in table and "EUR 350.00" in table.split("est. cost")[1]
    assert "est. cost" not in report("table")
    markdown = report("markdown", "--config", str(path))
    assert "| change failure rate | est. cost |" in markdown  # the second table
    assert "| EUR 350.00 |" in markdown
