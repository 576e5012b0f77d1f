"""`record` says what it did (issue 13): one line per outcome, JSON for scripts, warnings
for a time in the future and an unknown cause, refusal of options that do not apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from rollback_rate import Ledger
from rollback_rate.cli import app

runner = CliRunner()


def record(url, kind, *args):
    return runner.invoke(app, ["--db", url, "record", kind, "--model", "m", *args])


def deploy(url, version, at, *args):
    return record(url, "deployment", "--version", version, "--at", at, *args)


def test_each_outcome_in_one_line(db_url):
    lines = [
        deploy(db_url, "1", "2026-01-01T00:00:00Z", "--id", "ci-1", "--team", "risk"),
        deploy(db_url, "1", "2026-01-01T01:00:00Z"),
        deploy(db_url, "2", "2026-01-02T00:00:00Z", "--id", "ci-2"),
        deploy(db_url, "3", "2026-01-03T00:00:00Z"),
        deploy(db_url, "1", "2026-01-04T00:00:00Z"),
        record(db_url, "rollback", "--at", "2026-01-05T06:00:00Z", "--id", "rb-1"),
        record(db_url, "rollback", "--at", "2026-01-06T00:00:00Z", "--id", "rb-2"),
        record(db_url, "rollback", "--at", "2026-01-07T00:00:00Z", "--id", "rb-2"),
    ]
    assert [line.exit_code for line in lines] == [0] * len(lines)
    assert [line.stdout for line in lines] == [
        "recorded deployment of m 1 in production: a new deployment, counted (id ci-1)\n",
        "recorded deployment of m 1 in production: a redeploy of the live version, not counted\n",
        "recorded deployment of m 2 in production: a new deployment, counted (id ci-2)\n",
        "recorded deployment of m 3 in production: a new deployment, counted\n",
        "recorded deployment of m 1 in production: an inferred rollback of "
        "3 (deployed 2026-01-03T00:00:00Z, 24.0 h earlier) and "
        "2 (deployed 2026-01-02T00:00:00Z, 48.0 h earlier), not a new deployment\n",
        "recorded rollback of m in production: rolled back "
        "1 (deployed 2026-01-01T00:00:00Z, 102.0 h earlier) (id rb-1)\n",
        "recorded rollback of m in production: an orphan: no counted deployment was live "
        "to roll back (id rb-2)\n",
        "duplicate rollback of m: id rb-2 is already recorded; nothing changed\n",
    ]
    assert all(line.stderr == "" for line in lines)


def test_an_event_from_the_past_says_the_stream_was_re_attributed(db_url):
    deploy(db_url, "2", "2026-01-02T00:00:00Z")
    result = deploy(db_url, "1", "2026-01-01T00:00:00Z")
    assert result.stdout == (
        "recorded deployment of m 1 in production: a new deployment, counted; it predates "
        "the stream's last event, so the stream was re-attributed\n"
    )


def test_json_for_scripts(db_url):
    deploy(db_url, "1", "2026-01-01T00:00:00Z", "--id", "ci-1", "--team", "risk")
    result = record(
        db_url, "rollback", "--at", "2026-01-01T05:00:00Z", "--cause", "latency",
        "--automated", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "rollback"
    assert data["message"].startswith("recorded rollback of m in production: rolled back 1")
    assert data["event"]["cause"] == "latency" and data["event"]["automated"] is True
    assert data["rolled_back"] == [
        {"event_id": "ci-1", "version": "1", "deployed_at": "2026-01-01T00:00:00Z",
         "team": "risk", "hours_after_deployment": 5.0}
    ]  # fmt: skip
    assert data["replayed"] is False
    assert data["changes"][0]["model"] == "m"
    duplicate = deploy(db_url, "1", "2026-01-01T00:00:00Z", "--id", "ci-1", "--format", "json")
    assert json.loads(duplicate.stdout)["outcome"] == "duplicate"


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def test_a_time_far_ahead_is_recorded_with_a_warning(db_url):
    result = deploy(db_url, "1", _iso(timedelta(days=3)))
    assert result.exit_code == 0
    assert result.stdout.startswith("recorded deployment of m 1 in production: a new deployment")
    assert result.stderr.startswith("warning: timestamp ")
    assert result.stderr.endswith(
        " is 3 days in the future; reports as of now leave it out until then "
        "(pass --allow-future to record future times quietly)\n"
    )
    years = deploy(db_url, "2", "2031-01-01T00:00:00Z")
    assert " years in the future" in years.stderr


def test_allow_future_and_a_small_clock_skew_are_quiet(db_url):
    assert deploy(db_url, "1", _iso(timedelta(days=3)), "--allow-future").stderr == ""
    assert deploy(db_url, "2", _iso(timedelta(minutes=4))).stderr == ""


def test_an_unknown_cause_is_recorded_with_a_warning_naming_the_nearest(db_url):
    deploy(db_url, "1", "2026-01-01T00:00:00Z")
    result = record(db_url, "rollback", "--at", "2026-01-01T01:00:00Z", "--cause", "data_drfit")
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "warning: cause 'data_drfit' is not a known cause (did you mean 'data_drift'?); it is "
        "recorded as given and reported on its own; known causes: data_drift, "
    )
    far = record(db_url, "rollback", "--at", "2026-01-01T02:00:00Z", "--cause", "flaky gpu")
    assert far.stderr.startswith("warning: cause 'flaky gpu' is not a known cause; it is ")
    known = record(db_url, "rollback", "--at", "2026-01-01T03:00:00Z", "--cause", "latency")
    assert known.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["rollback", "--team", "risk"],
            "error: record rollback: --team does not apply: a rollback counts for the team of "
            "the deployment it rolls back; give --team when recording the deployment\n",
        ),
        (
            ["deployment", "--version", "1", "--cause", "latency"],
            "error: record deployment: --cause does not apply: it describes a rollback; to say "
            "why a deployment went back to an earlier version, record the rollback: "
            "`record rollback --version VERSION --cause CAUSE`\n",
        ),
        (
            ["deployment", "--version", "1", "--automated"],
            "error: record deployment: --automated does not apply: it describes a rollback; "
            "to say why a deployment went back to an earlier version, record the rollback: "
            "`record rollback --version VERSION --automated`\n",
        ),
        (
            ["deployment", "--version", "1", "--format", "yaml"],
            "error: --format 'yaml' is not one of text, json\n",
        ),
    ],
    ids=["rollback --team", "deployment --cause", "deployment --automated", "format"],
)
def test_options_that_do_not_apply_are_refused_and_nothing_is_stored(db_url, args, message):
    kind, *rest = args
    result = record(db_url, kind, *rest)
    assert result.exit_code == 2
    assert result.output == message
    with Ledger(db_url, group_commit=False) as ledger:
        assert ledger.is_empty()


def test_the_ledger_explains_what_it_recorded(db_url):
    with Ledger(db_url, group_commit=False) as ledger:
        seen = []
        ledger.subscribe(seen.append)
        first = ledger.record_explained(
            {
                "type": "deployment",
                "model": "m",
                "version": "1",
                "timestamp": "2026-01-01T00:00:00Z",
            }
        )
        orphan = ledger.record_explained(
            {"type": "rollback", "model": "x", "timestamp": "2026-01-01T00:00:00Z"}
        )
    assert (first.kind, orphan.kind) == ("new_deployment", "orphan")
    assert [c.streams[0].model for c in seen] == ["m", "x"]  # subscribers still told
