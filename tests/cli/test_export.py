"""`rollback-rate export`: the log as canonical JSON Lines, and import as its inverse.

History, worked by hand (arrival order as listed; `o1` arrives late but is dated early):
  fraud-scorer/production, team risk:
    a1 v1 Jan 5 09:00 (artifact, digest, actor, attributes); a2 v2 Jan 6 09:00 (canary,
    note); r1 rollback Jan 6 15:00 (automated, latency) rolls a2 back, 6 h; a3 v3 Jan 8
    09:00 (no id: derived); a1b v1 again Jan 20 09:00: an inferred rollback of a3, 12 days
    after (late); f1 failed rollback Jan 21 10:00:00.5; f2 failed rollback Jan 22 (region).
  ranker/staging, team search:
    b1 1.0 Jan 10 09:00; b2 1.1 Jan 11 09:00; o1 rollback Jan 3 (safety): nothing was live
    then, an orphan; b3 drill Jan 12: nothing; rb rollback to 1.0 Jan 12 10:00 (data_drift)
    rolls b2 back, 25 h.
  Corrections: v1 voids r1; am1 amends rb (edge_case_regression, manual, note); am2 amends
    rb (automated); v2 voids f1; v3 voids v1 (r1 is back); v4 voids am2.
  As of Feb 15, 7-day window: 5 deployments, all settled; rollbacks a2 (6 h, automated,
  latency) and b2 (25 h, manual, edge_case_regression): 40%, median 15.5 h; a3 late; o1
  an orphan; one failed rollback (f2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate import AuditQuery, Ledger
from rollback_rate.cli import app
from rollback_rate.store import open_database
from tests.conftest import _truncate_all

DIGEST = "sha256:" + "ab" * 32
HISTORY = [
    {"type": "deployment", "model": "fraud-scorer", "version": "1", "team": "risk",
     "timestamp": "2026-01-05T09:00:00Z", "id": "a1", "artifact": "registry/fraud:1",
     "digest": DIGEST, "actor": "octocat", "pipeline": {"run": 17, "tags": ["gpu", "é"]}},
    {"type": "deployment", "model": "fraud-scorer", "version": "2", "team": "risk",
     "timestamp": "2026-01-06T09:00:00Z", "id": "a2", "stage": "canary", "note": "canary first"},
    {"type": "rollback", "model": "fraud-scorer", "timestamp": "2026-01-06T15:00:00Z",
     "id": "r1", "automated": True, "cause": "latency"},
    {"type": "deployment", "model": "fraud-scorer", "version": "3", "team": "risk",
     "timestamp": "2026-01-08T10:00:00+01:00"},
    {"type": "deployment", "model": "fraud-scorer", "version": "1", "team": "risk",
     "timestamp": "2026-01-20T09:00:00Z", "id": "a1b"},
    {"type": "rollback_failed", "model": "fraud-scorer", "version": "3",
     "timestamp": "2026-01-21T10:00:00.5Z", "id": "f1"},
    {"type": "rollback_failed", "model": "fraud-scorer", "timestamp": "2026-01-22T00:00:00Z",
     "id": "f2", "region": "eu-west-1"},
    {"type": "deployment", "model": "ranker", "environment": "staging", "version": "1.0",
     "team": "search", "timestamp": "2026-01-10T09:00:00Z", "id": "b1"},
    {"type": "deployment", "model": "ranker", "environment": "staging", "version": "1.1",
     "team": "search", "timestamp": "2026-01-11T09:00:00Z", "id": "b2"},
    {"type": "rollback", "model": "ranker", "environment": "staging",
     "timestamp": "2026-01-03T00:00:00Z", "id": "o1", "cause": "safety"},
    {"type": "rollback", "model": "ranker", "environment": "staging", "drill": True,
     "timestamp": "2026-01-12T08:00:00Z", "id": "b3"},
    {"type": "rollback", "model": "ranker", "environment": "staging", "version": "1.0",
     "timestamp": "2026-01-12T10:00:00Z", "id": "rb", "cause": "data_drift"},
    {"type": "void", "target": "r1", "reason": "pager test", "timestamp": "2026-01-25T00:00:00Z",
     "id": "v1"},
    {"type": "amend", "target": "rb", "cause": "edge_case_regression", "automated": False,
     "note": "PM-3", "timestamp": "2026-01-26T00:00:00Z", "id": "am1"},
    {"type": "amend", "target": "rb", "automated": True, "timestamp": "2026-01-27T00:00:00Z",
     "id": "am2"},
    {"type": "void", "target": "f1", "reason": "sent twice", "timestamp": "2026-01-28T00:00:00Z",
     "id": "v2"},
    {"type": "void", "target": "v1", "reason": "it was real", "timestamp": "2026-01-29T00:00:00Z",
     "id": "v3"},
    {"type": "void", "target": "am2", "reason": "wrong rollback",
     "timestamp": "2026-01-30T00:00:00Z", "id": "v4"},
]  # fmt: skip
AS_OF = "2026-02-15T00:00:00Z"
REPORTS = [
    [],
    ["--by", "model,environment,team", "--period", "week"],
    ["--by", "team", "--period", "month", "--window", "36h"],
    ["--model", "ranker", "--since", "2026-01-11", "--window", "1d"],
]


def cli(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--db", url, *args])


def load(url: str, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in HISTORY))
    result = cli(url, "import", str(path))
    assert result.exit_code == 0, result.output


def reports(url: str) -> list[str]:
    return [cli(url, "report", "--as-of", AS_OF, "--format", "json", *o).stdout for o in REPORTS]


def audit(url: str) -> list[dict]:  # type: ignore[type-arg]
    with Ledger(url, group_commit=False) as ledger:
        page = ledger.events(AuditQuery(limit=1000))
    return [{k: v for k, v in e.items() if k not in ("seq", "recorded_at")} for e in page.events]


@pytest.fixture
def other_url(request, db_url, fresh_sqlite_url):  # type: ignore[no-untyped-def]
    """An empty database on the other backend: SQLite to PostgreSQL and back."""
    if db_url.startswith("sqlite"):
        url: str = request.getfixturevalue("pg_server_url")
        database = open_database(url)
        _truncate_all(database)
        database.dispose()
        return url
    return str(fresh_sqlite_url())


def test_the_history_is_what_the_docstring_says(db_url, tmp_path):
    load(db_url, tmp_path)
    got = json.loads(reports(db_url)[0])
    overall = got["overall"]
    assert (overall["deployments"], overall["settled"], overall["rollbacks"]) == (5, 5, 2)
    assert (overall["rollback_rate"], overall["median_hours_to_rollback"]) == (40.0, 15.5)
    assert (overall["late_rollbacks"], overall["orphan_rollbacks"]) == (1, 1)
    assert overall["automated_rollbacks"] == 1
    assert overall["root_causes"] == [
        {"cause": "edge_case_regression", "count": 1}, {"cause": "latency", "count": 1}
    ]  # fmt: skip
    assert got["failed_rollbacks"]["count"] == 1


def test_export_writes_the_contract_s_input_form(db_url, tmp_path):
    load(db_url, tmp_path)
    lines = cli(db_url, "export").stdout.splitlines()
    assert len(lines) == len(HISTORY)
    assert lines[0] == (
        '{"type":"deployment","model":"fraud-scorer","version":"1","environment":"production",'
        '"timestamp":"2026-01-05T09:00:00Z","id":"a1","team":"risk","artifact":"registry/fraud:1",'
        f'"digest":"{DIGEST}","actor":"octocat","pipeline":{{"run":17,"tags":["gpu","é"]}}}}'
    )
    assert lines[1] == (
        '{"type":"deployment","model":"fraud-scorer","version":"2","environment":"production",'
        '"timestamp":"2026-01-06T09:00:00Z","id":"a2","team":"risk","note":"canary first",'
        '"stage":"canary"}'
    )
    assert lines[2] == (
        '{"type":"rollback","model":"fraud-scorer","environment":"production",'
        '"timestamp":"2026-01-06T15:00:00Z","id":"r1","automated":true,"cause":"latency"}'
    )
    # No id given: the derived one is written; the offset is written as UTC.
    assert lines[3].startswith(
        '{"type":"deployment","model":"fraud-scorer","version":"3","environment":"production",'
        '"timestamp":"2026-01-08T09:00:00Z","id":"sha256:'
    )
    assert lines[5] == (
        '{"type":"rollback_failed","model":"fraud-scorer","version":"3",'
        '"environment":"production","timestamp":"2026-01-21T10:00:00.500000Z","id":"f1"}'
    )
    assert lines[10] == (
        '{"type":"rollback","model":"ranker","environment":"staging",'
        '"timestamp":"2026-01-12T08:00:00Z","id":"b3","drill":true}'
    )
    # Corrections carry their target's stream; a void's note is its reason; an amend's
    # `automated: false` is written (left out, it would mean "as it was").
    assert lines[12] == (
        '{"type":"void","model":"fraud-scorer","environment":"production",'
        '"timestamp":"2026-01-25T00:00:00Z","id":"v1","target":"r1","reason":"pager test"}'
    )
    assert lines[13] == (
        '{"type":"amend","model":"ranker","environment":"staging",'
        '"timestamp":"2026-01-26T00:00:00Z","id":"am1","automated":false,'
        '"cause":"edge_case_regression","note":"PM-3","target":"rb"}'
    )
    assert lines[14] == (
        '{"type":"amend","model":"ranker","environment":"staging",'
        '"timestamp":"2026-01-27T00:00:00Z","id":"am2","automated":true,"target":"rb"}'
    )


def test_export_then_import_on_the_other_backend_is_the_identity(db_url, other_url, tmp_path):
    load(db_url, tmp_path)
    backup = tmp_path / "backup.jsonl"
    written = cli(db_url, "export", "--output", str(backup))
    assert (written.exit_code, written.stderr) == (0, f"exported 18 events to {backup}\n")
    restored = cli(other_url, "import", str(backup))
    assert restored.stdout == "stored 18, duplicates 0, invalid 0\n"
    assert reports(other_url) == reports(db_url)
    assert audit(other_url) == audit(db_url)  # contents, ids and order
    assert cli(other_url, "export").stdout == backup.read_text()
    again = cli(other_url, "import", str(backup))  # a restore run twice stores nothing
    assert again.stdout == "stored 0, duplicates 18, invalid 0\n"


def test_filters_and_what_a_filtered_export_leaves_out(db_url, tmp_path):
    load(db_url, tmp_path)

    def ids(*args: str) -> list[str]:
        return [json.loads(line)["id"] for line in cli(db_url, "export", *args).stdout.splitlines()]

    assert ids("--model", "ranker") == ["b1", "b2", "o1", "b3", "rb", "am1", "am2", "v4"]
    assert ids("--type", "void") == ["v1", "v2", "v3", "v4"]
    assert ids("--environment", "staging", "--type", "amend") == ["am1", "am2"]
    assert ids("--since", "2026-01-20", "--until", "2026-01-26T00:00:00Z") == [
        "a1b", "f1", "f2", "v1", "am1"]  # fmt: skip
    # Corrections whose targets fall before --since cannot be imported on their own.
    since = tmp_path / "since.jsonl"
    cli(db_url, "export", "--since", "2026-01-25", "--output", str(since))
    fresh = cli(f"sqlite:///{tmp_path / 'fresh.db'}", "import", str(since))
    assert fresh.exit_code == 2
    assert "invalid: line 1: target: no event with id 'r1' is recorded" in fresh.stderr


def test_export_reads_the_log_a_page_at_a_time(db_url, tmp_path, monkeypatch):
    from sqlalchemy import event

    from rollback_rate.aggregation import export

    load(db_url, tmp_path)
    whole = cli(db_url, "export").stdout
    monkeypatch.setattr(export, "PAGE", 4)
    assert cli(db_url, "export").stdout == whole  # 18 events: pages of 4, 4, 4, 4, 2
    ledger = Ledger(db_url, group_commit=False)
    statements: list[str] = []
    event.listen(ledger.database.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))  # fmt: skip
    lines = ledger.export()
    first = next(lines)
    assert first.startswith(b'{"type":"deployment","model":"fraud-scorer","version":"1"')
    reads = [s for s in statements if "FROM events" in s]
    assert len(reads) == 1  # one page read, the rest not yet
    assert len(list(lines)) == 17
    assert len([s for s in statements if "FROM events" in s]) == 5
    ledger.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "deploy"],
         "type 'deploy' is not one of deployment, rollback, rollback_failed, void, amend"),
        (["--since", "last week"],
         "since 'last week' is not an RFC 3339 time or a date; use e.g. "
         "2026-01-31T09:00:00Z or 2026-01-31"),
        (["--output", "missing/backup.jsonl"],
         "--output missing/backup.jsonl: cannot write: No such file or directory"),
        (["--output", "."], "--output . is a directory; name a file"),
    ],
)  # fmt: skip
def test_bad_options_are_one_line_and_exit_2(fresh_sqlite_url, args, message, tmp_path,
                                            monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = cli(fresh_sqlite_url(), "export", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_a_failed_export_leaves_no_file_behind(fresh_sqlite_url, tmp_path, monkeypatch):
    from rollback_rate import DatabaseError

    def failing(self, query=None):  # type: ignore[no-untyped-def]
        yield b'{"type":"deployment"}\n'
        raise DatabaseError("database error: the server went away")

    monkeypatch.setattr(Ledger, "export", failing)
    backup = tmp_path / "backup.jsonl"
    result = cli(fresh_sqlite_url(), "export", "--output", str(backup))
    assert (result.exit_code, result.stderr) == (
        2, "error: database error: the server went away\n"
    )  # fmt: skip
    assert list(tmp_path.iterdir()) == []
