"""`rollback-rate testscore`: formats and errors (scores hand-worked in
tests/metrics/test_testscore.py, on the same log)."""

import csv
import io
import json

from typer.testing import CliRunner

from rollback_rate import Ledger
from rollback_rate.cli import app
from tests.metrics.test_testscore import AS_OF, EVENTS, VOID

runner = CliRunner()


def run_testscore(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, "testscore", "--as-of", AS_OF, *args])


def loaded(db_url: str) -> str:
    with Ledger(db_url, group_commit=False) as ledger:
        ledger.record_batch([*EVENTS, VOID])
    return db_url


def test_every_format(db_url):
    url = loaded(db_url)
    got = json.loads(run_testscore(url, "--format", "json").output)
    assert [m["model"] for m in got["models"]] == [
        "automated", "canaried", "drilled", "orphaned", "plain"
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(run_testscore(url, "--format", "csv").output)))
    canaried = rows[1]
    assert (canaried["model"], canaried["infra_6_score"], canaried["infra_6_events"]) == (
        "canaried", "0.5", '["c2"]'
    )  # fmt: skip
    assert (canaried["infra_7_rollbacks"], canaried["infra_7_events"]) == ("2", '["c4","rc"]')
    markdown = run_testscore(url, "--format", "markdown").output
    assert (
        "| canaried | 0.5 | 1 canary deployments (0 automated), 0 automated rollbacks | 0.5 "
        "| 2 rollbacks (0 automated), 0 drills (0 automated), 0 failed |"
    ) in markdown
    table = run_testscore(url, "--model", "plain")
    assert table.exit_code == 0, table.output
    assert "plain" in table.output and "canaried" not in table.output


def test_bad_options_exit_2(db_url):
    result = run_testscore(db_url, "--since", "soon")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: since 'soon' is not an RFC 3339 time or a date; "
        "use e.g. 2026-01-31T09:00:00Z or 2026-01-31"
    )
