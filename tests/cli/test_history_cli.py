"""`rollback-rate history`: formats and errors (the replay is hand-worked in
tests/ledger/test_history.py, on the same stream)."""

import csv
import io
import json

from typer.testing import CliRunner

from rollback_rate import Ledger
from rollback_rate.cli import app
from tests.ledger.test_history import CORRECTIONS, HISTORY

runner = CliRunner()


def history(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, "history", "--model", "m", *args])


def loaded(db_url: str) -> str:
    with Ledger(db_url, group_commit=False) as ledger:
        ledger.record_batch(HISTORY)
        ledger.record_batch(CORRECTIONS)
    return db_url


def test_json_markdown_and_csv(db_url):
    url = loaded(db_url)
    got = json.loads(history(url, "--at", "2026-01-02T12:00:00Z", "--format", "json").output)
    assert (got["live"]["version"], got["live"]["made_live_by"]["id"]) == ("1", "r1")
    markdown = history(url, "--at", "2026-01-02T12:00:00Z", "--format", "markdown").output
    assert markdown.splitlines()[0] == (
        "m in production at 2026-01-02T12:00:00Z: version 1 live since 2026-01-02T12:00:00Z, "
        "made live by r1 (rolled back 2; automated; cause data_drift; actor bot). Deployed by "
        "d1 at 2026-01-01T09:00:00Z (deployed; actor alice; note first)."
    )
    assert "| * | 2026-01-02T12:00:00Z | r1 | rollback |  | rolled back | 2 | 1 | yes |" in markdown
    assert "|  | 2026-01-02T12:00:00Z | (the moment) |  |  |  |  | 1 |" in markdown
    rows = list(
        csv.DictReader(
            io.StringIO(
                history(
                    url, "--at", "2026-01-02T12:00:00Z", "--context", "1", "--format", "csv"
                ).output
            )
        )
    )
    assert [(r["relation"], r["id"], r["rolled_back"]) for r in rows] == [
        ("made_live", "r1", '["2"]'), ("deployed", "d1", "[]"), ("before", "r1", '["2"]'),
        ("after", "d3", "[]"),
    ]  # fmt: skip


def test_the_table_says_when_nothing_was_live(db_url):
    result = history(loaded(db_url), "--at", "2025-12-01")
    assert result.exit_code == 0, result.output
    assert "m in production at 2025-12-01T00:00:00Z: nothing was live." in result.output


def test_bad_input_is_one_line_and_exit_2(db_url):
    url = loaded(db_url)
    for args, message in (
        (["--environment", "qa"], "error: model 'm' has no events in environment 'qa'; it has "
                                  "events in production, staging"),
        (["--at", "2026-01-02T12:00:00"], "error: at '2026-01-02T12:00:00' has no UTC offset; "
                                          "add 'Z' or '+00:00'"),
        (["--context", "-1"], "error: context must be 0 to 100 (got -1)"),
        (["--format", "yaml"], "error: format 'yaml' is not one of table, json, csv, markdown"),
    ):  # fmt: skip
        result = history(url, *args)
        assert (result.exit_code, result.output.strip()) == (2, message), args
