"""`record rollback` prints a warning line about a bad-target rollback."""

from typer.testing import CliRunner

from rollback_rate import Ledger
from rollback_rate.cli import app
from tests.ledger.test_warnings import BEFORE, LATER


def test_record_rollback_prints_a_warning_line(db_url):
    Ledger(db_url, group_commit=False).record_batch(BEFORE)
    result = CliRunner().invoke(app, ["--db", db_url, "record", "rollback", "--model", "m",
                                      "--version", "2", "--at", LATER, "--id", "r7"])  # fmt: skip
    assert result.exit_code == 0, result.output
    warning, said = result.output.splitlines()
    assert warning == (
        "warning: r7 rolled m (production) back from 3 to version 2 that was itself rolled "
        "back before; check that it is safe to serve (a bad-target rollback, "
        "argoproj/argo-rollouts#3039)"
    )
    assert said.startswith("recorded rollback of m in production: rolled back 3 ")
