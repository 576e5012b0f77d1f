"""`check` is a gate (issue 13): filters that match nothing recorded, and a limit that is
not a percentage, are refused with exit code 2 instead of passing."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rollback_rate import Ledger, parse_query
from rollback_rate.cli import app
from tests.helpers import deploy, load, rollback

runner = CliRunner()
AS_OF = "2026-03-01T00:00:00Z"
EVENTS = [
    deploy("fraud-scorer", "1", "2026-01-01T09:00:00Z", team="risk"),
    deploy("fraud-scorer", "2", "2026-01-05T09:00:00Z", team="risk"),
    rollback("fraud-scorer", "2026-01-05T10:00:00Z"),
    deploy("ranker", "1", "2026-01-02T09:00:00Z", team="search", environment="staging"),
]
GATE = "; a gate on filters that match nothing would always pass\n"


@pytest.fixture
def url(db_url):
    with Ledger(db_url, group_commit=False) as ledger:
        load(ledger, EVENTS)
    return db_url


def check(url, *args):
    return runner.invoke(app, ["--db", url, "check", "--max-rate", "60", "--as-of", AS_OF, *args])


def test_a_team_that_matches_nothing_fails_the_gate_with_the_nearest_team(url):
    result = check(url, "--team", "risc")
    assert result.exit_code == 2
    assert result.output == (
        "error: team 'risc' matches nothing recorded (did you mean 'risk'? "
        "teams: risk, search)" + GATE
    )


def test_a_model_and_environment_that_match_nothing_are_both_named(url):
    result = check(url, "--model", "fraud-scorr", "--environment", "prod")
    assert result.exit_code == 2
    assert result.output == (
        "error: model 'fraud-scorr' matches nothing recorded (did you mean 'fraud-scorer'? "
        "models: fraud-scorer, ranker); environment 'prod' matches nothing recorded "
        "(environments: production, staging)" + GATE
    )


def test_filters_that_exist_but_never_together_fail_the_gate(url):
    result = check(url, "--model", "fraud-scorer", "--team", "search")
    assert result.exit_code == 2
    assert result.output == (
        "error: nothing recorded matches model 'fraud-scorer' and team 'search' together" + GATE
    )


def test_any_filter_on_an_empty_database_fails_the_gate(db_url):
    result = check(db_url, "--team", "risk")
    assert result.exit_code == 2
    assert "team 'risk' matches nothing recorded (no teams recorded yet)" in result.output


def test_filters_that_match_still_gate_on_the_rate(url):
    result = check(url, "--team", "risk", "--model", "fraud-scorer")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: rollback rate 50.0% (1 of 2 settled")
    quiet = check(url, "--team", "search", "--until", "2026-01-01")
    assert quiet.exit_code == 0, quiet.output  # a time range matching nothing is no typo
    assert quiet.output.startswith("ok: no settled deployments yet")


@pytest.mark.parametrize("limit", ["-5", "150", "100.5", "nan"])
def test_a_limit_outside_0_to_100_is_refused(url, limit):
    result = runner.invoke(app, ["--db", url, "check", "--max-rate", limit])
    assert result.exit_code == 2
    assert result.output == f"error: --max-rate {limit} is not a percentage; give 0 to 100\n"


@pytest.mark.parametrize("limit", ["0", "100"])
def test_the_limits_of_the_range_are_accepted(url, limit):
    assert check(url, "--max-rate", limit).exit_code in (0, 1)


def test_a_report_notes_filters_that_match_nothing_and_goes_on(url):
    result = runner.invoke(
        app, ["--db", url, "report", "--team", "risc", "--as-of", AS_OF, "--format", "json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["overall"]["deployments"] == 0
    assert result.stderr == (
        "note: team 'risc' matches nothing recorded (did you mean 'risk'? teams: risk, search)\n"
    )


def test_the_ledger_says_which_filters_match(url):
    with Ledger(url, group_commit=False) as ledger:

        def match(**filters):
            return ledger.match_filters(parse_query(window="7d", as_of=AS_OF, **filters))

        assert match().matched
        assert match(team="search", environment="staging").matched
        missing = match(team="search", environment="production")
        assert not missing.matched and missing.unknown == []
        typo = match(model="rankr")
        assert [(u.option, u.value, u.nearest) for u in typo.unknown] == [
            ("model", "rankr", ["ranker"])
        ]
