"""`rollback-rate survival`: options, formats and errors (the figures are hand-computed in
tests/aggregation/test_survival_report.py, on the same history)."""

import csv
import io
import json

from typer.testing import CliRunner

from rollback_rate import Ledger
from rollback_rate.cli import app
from tests.aggregation.test_survival_report import AS_OF, HISTORY

runner = CliRunner()


def survival(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, "survival", "--as-of", AS_OF, *args])


def loaded(db_url: str) -> str:
    with Ledger(db_url, group_commit=False) as ledger:
        ledger.record_batch(HISTORY)
    return db_url


def test_json_is_the_ledgers_report(db_url):
    result = survival(loaded(db_url), "--by", "model", "--format", "json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert [(p["hours"], p["survival"]) for p in got["overall"]["curve"]] == [
        (2, 0.75), (20, 0.625), (240, 0.46875)
    ]  # fmt: skip
    assert [g["key"] for g in got["groups"]] == [{"model": "a"}, {"model": "b"}]
    assert got["filters"]["by"] == ["model"]


def test_table_and_markdown_show_each_group_and_the_curve_at_landmarks(db_url):
    url = loaded(db_url)
    table = survival(url, "--by", "model")
    assert table.exit_code == 0, table.output
    assert "4 of 8 deployments rolled back, 1 after the window (25.0%)" in table.output
    rows = [line.split("│")[1].strip() for line in table.output.splitlines() if "│" in line]
    assert rows == ["overall", "a", "b"]
    markdown = survival(url, "--format", "markdown").output
    assert markdown.startswith(
        "Time to rollback as of 2026-01-31T00:00:00Z (168 h window): 4 of 8 deployments "
        "rolled back, 1 after the window (25.0%); a 240.0 h window would have caught 95% "
        "of them.\n"
    )
    # overall: S(1 h) = 1, S(6 h) = 0.75, S(1 d) = 0.625, S(window) = 0.625, S(30 d) = 0.46875
    assert (
        "| overall | 8 | 4 | 1 | 25.0% | 240.0 h | 2.0 h | 240.0 h "
        "| 100.0% | 75.0% | 62.5% | 62.5% | 46.9% |"
    ) in markdown


def test_csv_has_a_row_per_curve_point_with_its_groups_figures(db_url):
    result = survival(loaded(db_url), "--by", "model", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["scope"], r["model"], r["hours"], r["survival"]) for r in rows] == [
        ("overall", "", "2.0", "0.75"),
        ("overall", "", "20.0", "0.625"),
        ("overall", "", "240.0", "0.46875"),
        ("group", "a", "2.0", "0.8"),
        ("group", "a", "20.0", "0.6"),
        ("group", "a", "240.0", "0.3"),
        ("group", "b", "2.0", "0.6666666666666666"),
    ]
    assert {r["late_share"] for r in rows if r["scope"] == "overall"} == {"25.0"}


def test_a_group_without_rollbacks_is_one_csv_row(db_url):
    result = survival(loaded(db_url), "--model", "b", "--until", "2026-01-02", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert (row["deployments"], row["rolled_back"], row["hours"]) == ("1", "0", "")


def test_bad_options_are_one_line_and_exit_2(db_url):
    for args, message in (
        (
            ["--by", "period"],
            "error: by 'period' is not one of model, environment, team "
            "(comma-separated, e.g. model,team)",
        ),
        (["--format", "xml"], "error: format 'xml' is not one of table, json, csv, markdown"),
        (["--window", "soon"], "error: window 'soon' is not understood; use e.g. 7d, 36h, 1w"),
    ):
        result = survival(db_url, *args)
        assert result.exit_code == 2, args
        assert result.output.strip().splitlines() == [message]
