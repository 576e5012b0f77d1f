"""`rollback-rate void` and `amend`: what they print, what they change, how they refuse.

History (fraud-scorer, production), worked by hand:
  ci-101 v2.3.0 Mar 1 09:00; ci-102 v2.4.0 Mar 2 09:00; pager-7 rollback Mar 2 14:00
  (cause latency: rolls ci-102 back, 5 h after); ci-103 v2.4.1 Mar 4 09:00.
  As of Mar 20 (7-day windows all closed): 3 deployments, 3 settled, 1 rollback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app

HISTORY = [
    {"type": "deployment", "model": "fraud-scorer", "version": "2.3.0", "team": "risk",
     "timestamp": "2026-03-01T09:00:00Z", "id": "ci-101"},
    {"type": "deployment", "model": "fraud-scorer", "version": "2.4.0", "team": "risk",
     "timestamp": "2026-03-02T09:00:00Z", "id": "ci-102"},
    {"type": "rollback", "model": "fraud-scorer", "timestamp": "2026-03-02T14:00:00Z",
     "cause": "latency", "id": "pager-7"},
    {"type": "deployment", "model": "fraud-scorer", "version": "2.4.1", "team": "risk",
     "timestamp": "2026-03-04T09:00:00Z", "id": "ci-103"},
]  # fmt: skip
STREAM = "fraud-scorer/production: "
CI_101 = "ci-101 (version 2.3.0, deployed 2026-03-01T09:00:00Z)"
CI_102 = "ci-102 (version 2.4.0, deployed 2026-03-02T09:00:00Z)"


def _loaded(url: str, tmp_path: Path) -> str:
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in HISTORY))
    assert cli(url, "import", str(path)).exit_code == 0
    return url


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return _loaded(db_url, tmp_path)


@pytest.fixture
def sqlite_url(fresh_sqlite_url, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """For what is decided before the database is asked (options)."""
    return _loaded(fresh_sqlite_url(), tmp_path)


def cli(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--db", url, *args])


def overall(url: str) -> dict:  # type: ignore[type-arg]
    result = cli(url, "report", "--as-of", "2026-03-20T00:00:00Z", "--format", "json")
    return json.loads(result.stdout)["overall"]


def test_amend_then_void_then_void_the_void(url):
    assert (overall(url)["deployments"], overall(url)["rollbacks"]) == (3, 1)
    amended = cli(url, "amend", "pager-7", "--cause", "data_schema_change", "--automated",
                  "--note", "post-mortem PM-12", "--at", "2026-03-09T10:00:00Z",
                  "--id", "pm-12")  # fmt: skip
    assert amended.exit_code == 0, amended.output
    assert amended.stdout == (
        "recorded pm-12, an amend of pager-7\n"
        f"{STREAM}rollback pager-7 at 2026-03-02T14:00:00Z is now cause data_schema_change, "
        "automated (was cause latency, manual)\n"
    )
    got = overall(url)
    assert (got["root_causes"], got["automated_rollbacks"]) == (
        [{"cause": "data_schema_change", "count": 1}], 1,
    )  # fmt: skip

    same = cli(url, "amend", "pager-7", "--cause", "data_schema_change", "--id", "pm-12b")
    assert same.stdout == (
        "recorded pm-12b, an amend of pager-7\n"
        "no change in attribution: no deployment is counted, rolled back or classified "
        "differently\n"
    )

    voided = cli(url, "void", "pager-7", "--reason", "a pager test", "--id", "void-1")
    assert voided.stdout == (
        f"recorded void-1, a void of pager-7\n{STREAM}{CI_102} is no longer rolled back\n"
    )
    assert (overall(url)["deployments"], overall(url)["rollbacks"]) == (3, 0)
    again = cli(url, "void", "pager-7", "--reason", "a pager test", "--id", "void-1")
    assert (again.exit_code, again.stdout) == (
        0, "duplicate: void-1 is already recorded; nothing changed\n",
    )  # fmt: skip

    uncounted = cli(url, "void", "ci-102", "--reason", "a retried job", "--id", "void-2")
    assert uncounted.stdout == (
        f"recorded void-2, a void of ci-102\n{STREAM}{CI_102} is no longer counted\n"
    )
    # Without ci-102, pager-7 (restored by void-3) pops ci-101: 29 h after it.
    restored = cli(url, "void", "void-1", "--reason", "it was real", "--id", "void-3",
                   "--format", "json")  # fmt: skip
    answer = json.loads(restored.stdout)
    assert (answer["id"], answer["type"], answer["target"], answer["stored"]) == (
        "void-3", "void", "void-1", True,
    )  # fmt: skip
    [stream] = answer["changes"]["streams"]
    assert stream["rolled_back"] == [{
        "deployment": {"event_id": "ci-101", "version": "2.3.0",
                       "deployed_at": "2026-03-01T09:00:00Z", "team": "risk"},
        "event_id": "pager-7", "at": "2026-03-02T14:00:00Z", "automated": True,
        "cause": "data_schema_change", "hours_after_deployment": 29.0, "bad_target": False,
    }]  # fmt: skip
    got = overall(url)
    assert (got["deployments"], got["rollbacks"], got["median_hours_to_rollback"]) == (2, 1, 29.0)


def test_a_correction_without_an_id_prints_the_id_it_was_given(url):
    result = cli(url, "void", "pager-7", "--reason", "test", "--at", "2026-03-10T10:00:00Z")
    first = result.stdout.splitlines()[0]
    assert first.startswith("recorded sha256:") and first.endswith(", a void of pager-7")
    event_id = first.split()[1].rstrip(",")
    restored = cli(url, "void", event_id, "--reason", "undo")
    assert f"{STREAM}{CI_102} is now rolled back by pager-7" in restored.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["amend", "pager-7"],
         "amend: give --cause, --note or --automated/--manual (what to change)"),
        (["void", "pager-7", "--reason", "x", "--at", "2026-03-10T10:00:00"],
         "--at: timestamp '2026-03-10T10:00:00' has no UTC offset; add 'Z' or '+00:00'"),
        (["void", "pager-7", "--reason", "  "],
         "--reason: must not be empty; say why the event is taken out"),
        (["amend", "pager-7", "--cause", "latency", "--format", "yaml"],
         "--format 'yaml' is not one of text, json"),
        (["amend", "pager-7", "--cause", "x" * 101],
         "--cause: is longer than 100 characters"),
    ],
)  # fmt: skip
def test_bad_options_are_one_located_line_and_exit_2(sqlite_url, args, message):
    result = cli(sqlite_url, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert (overall(sqlite_url)["deployments"], overall(sqlite_url)["rollbacks"]) == (3, 1)


def test_an_unknown_id_is_one_located_line_and_exit_2(url):
    result = cli(url, "void", "nope", "--reason", "x")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", (
        "error: ID: no event with id 'nope' is recorded; a void corrects a recorded event "
        "(find ids with `rollback-rate export` or GET /api/v1/events)\n"))  # fmt: skip
    assert (overall(url)["deployments"], overall(url)["rollbacks"]) == (3, 1)


def test_an_amend_of_a_deployment_that_rolled_nothing_back_changes_nothing(url):
    result = cli(url, "amend", "ci-101", "--cause", "x", "--id", "a-1")
    assert (result.exit_code, result.stdout) == (0, (
        "recorded a-1, an amend of ci-101\n"
        "no change in attribution: no deployment is counted, rolled back or classified "
        "differently\n"))  # fmt: skip


def test_an_amend_of_a_void_is_refused(url):
    cli(url, "void", "pager-7", "--reason", "x", "--id", "void-1")
    result = cli(url, "amend", "void-1", "--manual")
    assert (result.exit_code, result.stderr) == (2, (
        "error: ID: event 'void-1' is a void; an amend changes how a rollback is classified "
        "(a rollback, or a deployment of an older version)\n"))  # fmt: skip


def test_names_that_could_forge_a_line_are_shown_escaped():
    from rollback_rate import Committed, DeploymentChange, StreamChange
    from rollback_rate.render.changes import change_lines

    forged = "x\nfraud-scorer/production: ci-1 (version 1) is no longer counted"
    deployment = DeploymentChange("d\u2028", forged, "2026-03-01T09:00:00Z")
    stream = StreamChange(model="m\r", environment="production",
                          no_longer_counted=[deployment])  # fmt: skip
    [line] = change_lines(Committed([stream], truncated=False))
    assert line == (
        "'m\\r'/production: 'd\\u2028' (version 'x\\nfraud-scorer/production: ci-1 (version 1) "
        "is no longer counted', deployed 2026-03-01T09:00:00Z) is no longer counted"
    )
