"""The demo explains itself (issue 13): headed columns, a legend, a table that fits the
terminal (80 and 200 columns), and next steps that run as printed."""

from __future__ import annotations

import json
import shlex
import sys

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app
from rollback_rate.cli import demo as demo_module

runner = CliRunner()
PROGRAM = ".venv/bin/rollback-rate"
LEGEND = (
    "Settled: its window has closed, or it was rolled back within it. Pending: its window "
    "is still open. Late: rolled back after its window. Orphan: a rollback with no counted "
    "deployment to roll back. Bands: excellent under 5%, acceptable 5% to under 10%, "
    "concerning 10% to 20%, high_risk over 20%."
)


@pytest.fixture
def started_as_in_a_fresh_clone(monkeypatch):
    """`scripts/demo` runs `.venv/bin/rollback-rate demo`, with nothing on PATH."""
    monkeypatch.setattr(sys, "argv", [PROGRAM, "demo"])
    monkeypatch.setattr(demo_module.shutil, "which", lambda _: None)


def run_demo(tmp_path, columns):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["--db", url, "demo"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def text_lines(output):
    """Every line but the commands and the database's path, which are never wrapped."""
    return [
        line for line in output.splitlines() if not line.startswith((f"    {PROGRAM} ", "loaded "))
    ]


def commands(output):
    return [line.strip() for line in output.splitlines() if line.startswith(f"    {PROGRAM} ")]


def test_at_80_columns_the_table_fits_and_says_what_it_left_out(
    tmp_path, started_as_in_a_fresh_clone
):
    output = run_demo(tmp_path, 80)
    prose = text_lines(output)
    assert max(len(line) for line in prose) <= 80
    header = next(line for line in prose if line.startswith("team "))
    assert header.split()[:3] == ["team", "deployed", "settled"]
    assert "band" in header
    for team in ("fraud", "pricing", "recsys", "search", "trust-safety"):
        assert any(line.startswith(team + " ") for line in prose), team
    assert (
        "Not shown at 80 columns: pending, automated, late, orphan, median to rollback, root "
        "causes; widen the terminal, or use --format markdown or json." in " ".join(output.split())
    )
    assert LEGEND in " ".join(output.split())


def test_at_200_columns_every_column_is_shown(tmp_path, started_as_in_a_fresh_clone):
    output = run_demo(tmp_path, 200)
    lines = text_lines(output)
    assert max(len(line) for line in lines) <= 200
    header = next(line for line in lines if line.startswith("team "))
    for column in ("deployed", "pending", "automated", "late", "orphan", "root causes"):
        assert column in header
    assert "Not shown" not in output
    assert LEGEND in " ".join(output.split())


def test_the_next_steps_run_as_printed(tmp_path, started_as_in_a_fresh_clone):
    output = run_demo(tmp_path, 100)
    printed = commands(output)
    assert [shlex.split(c)[3] for c in printed] == [
        "report", "advise", "readiness", "record", "import", "serve"
    ]  # fmt: skip
    for command in printed:
        words = shlex.split(command)
        assert words[0] == PROGRAM and words[1] == "--db"
        if words[3] == "serve":  # would serve for ever: its options must exist, though
            help_text = runner.invoke(app, [*words[1:], "--help"]).stdout
            assert "--no-auth" in help_text
            continue
        result = runner.invoke(app, words[1:])
        assert result.exit_code == 0, (command, result.output)
    report = runner.invoke(app, [*shlex.split(printed[0])[1:3], "report", "--format", "json",
                                 "--by", "model"])  # fmt: skip
    models = [g["key"]["model"] for g in json.loads(report.stdout)["groups"]]
    assert "my-model" in models  # recorded and imported as the steps said


def test_the_command_is_the_one_that_really_runs(monkeypatch):
    monkeypatch.setattr(demo_module.shutil, "which", lambda _: None)
    monkeypatch.setattr(sys, "argv", [".venv/bin/rollback-rate", "demo"])
    assert demo_module.invocation() == ".venv/bin/rollback-rate"
    monkeypatch.setattr(sys, "argv", ["rollback-rate", "demo"])
    assert demo_module.invocation() == "rollback-rate"
    monkeypatch.setattr(sys, "argv", ["/somewhere/rollback_rate/__main__.py", "demo"])
    assert demo_module.invocation().endswith(" -m rollback_rate")


def test_the_command_is_plain_when_it_is_on_path(monkeypatch, tmp_path):
    program = tmp_path / "bin" / "rollback-rate"
    program.parent.mkdir()
    program.write_text("")
    monkeypatch.setattr(demo_module.shutil, "which", lambda _: str(program))
    monkeypatch.setattr(sys, "argv", [str(program), "demo"])
    assert demo_module.invocation() == "rollback-rate"


def test_a_report_by_two_dimensions_and_a_period_heads_each_table(db_url):
    model = "a-rather-long-model-name"
    runner.invoke(app, ["--db", db_url, "record", "deployment", "--model", model,
                        "--version", "1", "--at", "2026-01-05T00:00:00Z"])  # fmt: skip
    result = runner.invoke(
        app,
        ["--db", db_url, "report", "--by", "model,environment", "--period", "month",
         "--as-of", "2026-03-01T00:00:00Z"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("model / environment ") for line in lines)
    assert any(line.startswith("month (UTC) ") for line in lines)
    markdown = runner.invoke(
        app, ["--db", db_url, "report", "--by", "team", "--format", "markdown"]
    )
    assert "| team | deployed | settled |" in markdown.stdout
    assert LEGEND in markdown.stdout
