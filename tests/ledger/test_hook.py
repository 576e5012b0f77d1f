"""The after-commit hook, from every caller: what each committed write changed.

Each caller's write goes through the one write path, so a subscriber hears of every
commit: the library's verbs, the CLI's commands, the HTTP routes and webhooks, and the
sync job (tests/sync). Figures are hand-computed from the events written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rollback_rate import Committed, Ledger
from rollback_rate.cli import app as cli_app
from rollback_rate.cli.context import CliState
from rollback_rate.service import Settings, create_app
from rollback_rate.store import Database
from tests.helpers import deploy, rollback
from tests.service.conftest import TestClient
from tests.service.helpers import Tokens, make_tokens

T1, T2, T3, T4 = (f"2026-03-0{d}T09:00:00Z" for d in (1, 2, 3, 4))


class Heard:
    """A subscriber that keeps every notice."""

    def __init__(self) -> None:
        self.notices: list[Committed] = []

    def __call__(self, committed: Committed) -> None:
        self.notices.append(committed)

    def streams(self) -> list[dict[str, Any]]:
        return [stream for notice in self.notices for stream in notice.as_dict()["streams"]]


def listening(database: Database) -> tuple[Ledger, Heard]:
    ledger, heard = Ledger(database), Heard()
    ledger.subscribe(heard)
    return ledger, heard


def test_a_rollback_is_told_with_the_deployment_it_rolled_back(db):
    ledger, heard = listening(db)
    ledger.record(deploy("fraud", "1", T1, id="d1", team="risk"))
    ledger.record(deploy("fraud", "2", T2, id="d2", team="risk"))
    ledger.record(rollback("fraud", "2026-03-02T15:30:00Z", id="r1", automated=True,
                           cause="data_drift"))  # fmt: skip
    first, second, third = heard.notices
    [stream] = first.streams
    assert (stream.model, stream.environment) == ("fraud", "production")
    assert [(d.event_id, d.version, d.deployed_at, d.team) for d in stream.deployed] == [
        ("d1", "1", T1, "risk")
    ]
    [change] = third.streams[0].rolled_back
    assert (change.deployment.event_id, change.deployment.version) == ("d2", "2")
    assert (change.event_id, change.at, change.automated, change.cause) == (
        "r1", "2026-03-02T15:30:00Z", True, "data_drift",
    )  # fmt: skip
    assert change.hours_after_deployment == 6.5
    assert third.streams[0].deployed == [] and not third.truncated
    assert second.streams[0].deployed[0].event_id == "d2"


def test_an_orphan_and_a_stream_touched_without_change_are_told(db):
    ledger, heard = listening(db)
    ledger.record_batch([rollback("ranker", T1, id="o1"), deploy("x", "1", T1, id="x1"),
                         deploy("x", "1", T2, id="x1-again")])  # fmt: skip
    ledger.record(deploy("x", "1", T3, id="x1-redeploy"))  # a redeploy: counted nothing
    ranker, x = heard.notices[0].streams
    assert [(o.event_id, o.automated) for o in ranker.orphaned] == [("o1", False)]
    assert [d.event_id for d in x.deployed] == ["x1"]
    [redeploy] = heard.notices[1].streams
    assert (redeploy.model, redeploy.deployed, redeploy.rolled_back) == ("x", [], [])


def test_an_event_from_the_past_is_told_as_what_changed(db):
    # d1 (v1, day 1), d2 (v2, day 2), r (day 4) rolls back d2. Then d3 (v3) arrives,
    # dated day 3: replayed, r rolls back d3 instead, and d2 is no longer rolled back.
    ledger, heard = listening(db)
    ledger.record_batch([deploy("m", "1", T1, id="d1"), deploy("m", "2", T2, id="d2"),
                         rollback("m", T4, id="r")])  # fmt: skip
    ledger.record(deploy("m", "3", T3, id="d3"))
    [stream] = heard.notices[-1].streams
    assert stream.replayed
    assert [d.event_id for d in stream.deployed] == ["d3"]
    assert [(c.deployment.event_id, c.event_id) for c in stream.rolled_back] == [("d3", "r")]
    assert [d.event_id for d in stream.no_longer_rolled_back] == ["d2"]
    assert stream.no_longer_counted == []


def test_every_library_verb_tells_its_commit(db, tmp_path):
    ledger, heard = listening(db)
    ledger.record(deploy("a", "1", T1))
    ledger.record_batch([deploy("b", str(i), T1, id=f"b{i}") for i in range(101)])  # direct
    ledger.record_stream(iter([("line 1", deploy("c", "1", T1))]))
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(deploy("d", "1", T1)) + "\n")
    ledger.import_file(path)
    with path.open("rb") as stream:
        ledger.import_file(stream)  # the same event again: a commit that changed nothing
    assert ledger.rebuild() == 4
    models = [[s.model for s in notice.streams] for notice in heard.notices]
    assert models[:5] == [["a"], ["b"], ["c"], ["d"], []]
    assert models[5] == ["a", "b", "c", "d"]  # the rebuild replayed every stream...
    assert all(s.replayed and s.deployed == [] for s in heard.notices[5].streams)  # ...to the same
    assert len(heard.notices[1].streams[0].deployed) == 101


def test_a_subscriber_that_fails_undoes_nothing(db, caplog):
    ledger, heard = listening(db)
    ledger.subscribe(lambda committed: 1 / 0)
    assert ledger.record(deploy("a", "1", T1)).stored == 1
    assert len(heard.notices) == 1
    assert "after-commit subscriber" in caplog.text
    assert Ledger(db).is_empty() is False


def test_cli_commands_tell_their_commits(db_url, tmp_path):
    heard = Heard()
    runner = CliRunner()

    def run(*args: str) -> None:
        result = runner.invoke(cli_app, ["--db", db_url, *args], obj=CliState(subscribers=[heard]))
        assert result.exit_code == 0, result.output

    run("record", "deployment", "--model", "m", "--version", "1", "--at", T1)
    run("record", "rollback", "--model", "m", "--at", T2, "--cause", "latency")
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(deploy("n", "1", T3, id="n1")) + "\n")
    run("import", str(path))
    run("db", "rebuild")
    streams = heard.streams()
    assert [s["model"] for s in streams[:3]] == ["m", "m", "n"]
    assert streams[1]["rolled_back"][0]["cause"] == "latency"
    assert streams[2]["deployed"][0]["event_id"] == "n1"
    assert {s["model"] for s in heard.notices[-1].as_dict()["streams"]} == {"m", "n"}


def test_the_demo_tells_its_commit(tmp_path):
    heard = Heard()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(cli_app, ["--db", url, "demo"], obj=CliState(subscribers=[heard]))
    assert result.exit_code == 0, result.output
    [notice] = heard.notices
    assert len(notice.streams) == 20  # ten models, staging and production
    assert sum(len(s.rolled_back) for s in notice.streams) > 50


def _app_client(db_url: str, db: Database) -> tuple[TestClient, Heard, Tokens]:
    ledger, heard = listening(Database(db_url))
    app = create_app(Settings(db_url=db_url, access_log=False), ledger=ledger)
    return TestClient(app), heard, make_tokens(db)


def test_http_ingest_tells_its_commits(db_url, db):
    client, heard, tokens = _app_client(db_url, db)
    with client:
        auth = Tokens.header(tokens.ingest)
        assert client.post("/api/v1/events", json=deploy("g", "1", T1), headers=auth).json() == {
            "received": 1, "stored": 1, "duplicates": 0
        }  # fmt: skip
        big = [deploy("h", str(i), T1, id=f"h{i}") for i in range(150)]  # the direct path
        assert client.post("/api/v1/events", json=big, headers=auth).json()["stored"] == 150
    assert [[s.model for s in n.streams] for n in heard.notices] == [["g"], ["h"]]
    assert len(heard.notices[1].streams[0].deployed) == 150


def test_a_webhook_delivery_tells_its_commit(db_url, db):
    fixture = Path(__file__).parents[1] / "sources" / "fixtures"
    body = (fixture / "github-deployment-status-success.json").read_bytes()
    client, heard, _ = _app_client(db_url, db)
    Ledger(db).add_webhook_secret("github", "s3cret")
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    with client:
        response = client.post(
            "/webhooks/github",
            content=body,
            headers={"X-Hub-Signature-256": signature, "X-GitHub-Event": "deployment_status",
                     "Content-Type": "application/json"},
        )  # fmt: skip
    assert response.status_code == 200, response.text
    [notice] = heard.notices
    [stream] = notice.streams
    assert [d.event_id for d in stream.deployed] == response.json()["events"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_every_caller_s_write_is_retried_after_a_deadlock(db, monkeypatch, tmp_path):
    # PostgreSQL aborts a transaction to break a deadlock (SQLSTATE 40P01): nothing of it
    # was stored, so the write path runs it again, for every caller.
    import psycopg
    from sqlalchemy.exc import OperationalError

    from rollback_rate.ledger import writes

    attempts: list[str] = []

    def deadlocking(real: Any) -> Any:
        def once(*args: Any, **kwargs: Any) -> Any:
            attempts.append(real.__name__)
            if len(attempts) % 2:
                raise OperationalError("COMMIT", {}, psycopg.errors.DeadlockDetected())
            return real(*args, **kwargs)

        return once

    # The façade imports its write path when it first writes (issue 13): patch it there.
    for name in ("write_events", "write_groups", "rebuild"):
        monkeypatch.setattr(writes, name, deadlocking(getattr(writes, name)))
    ledger = Ledger(db)
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(deploy("f", "1", T1)) + "\n")
    assert ledger.record(deploy("a", "1", T1)).stored == 1  # group commit
    assert ledger.record_batch([deploy("b", str(i), T1) for i in range(101)]).stored == 101
    assert ledger.record_stream([("x", deploy("c", "1", T1))]).stored == 1
    assert ledger.import_file(path).stored == 1
    assert ledger.rebuild() == 4
    assert attempts == [name for name in ("write_groups", "write_events", "write_events",
                                          "write_events", "rebuild") for _ in range(2)]  # fmt: skip
    ledger.close()


def test_a_bad_target_and_a_fix_forward_are_told(db):
    ledger, heard = listening(db)
    ledger.record_batch([deploy("m", "1", T1, id="d1"), deploy("m", "2", T2, id="d2"),
                         rollback("m", "2026-03-02T12:00:00Z", id="r1")])  # fmt: skip
    ledger.record(deploy("m", "2", T3, id="d2b"))
    ledger.record(deploy("m", "2.1", "2026-03-03T10:00:00Z", id="fix", unplanned=True))
    [fixed] = heard.notices[-1].streams[0].fixed_forward
    assert (fixed.deployment.event_id, fixed.event_id) == ("d2b", "fix")
    ledger.record(rollback("m", T4, id="r2", version="2"))  # back onto 2: rolled back before
    [change] = heard.notices[-1].streams[0].rolled_back
    assert (change.deployment.event_id, change.bad_target) == ("fix", True)
