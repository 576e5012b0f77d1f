"""`sync mlflow` against a real MLflow tracking server and the real store (both backends).

The server is the `mlflow` executable named by ROLLBACK_RATE_TEST_MLFLOW (CI sets it from
`scripts/mlflow-server-venv`); without it those tests skip and say how to enable them.
It is started once per test session (per xdist worker) on a free loopback port with a
SQLite registry in a temporary directory, and killed at the end.  Every test uses model
names of its own, so tests sharing the server never see each other's aliases (except the
pagination test, which asserts only about its own models).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rollback_rate.cli.app import app
from rollback_rate.sources import SourceOptions
from rollback_rate.sources.mlflow import SOURCE as WEBHOOK
from rollback_rate.store import Database
from rollback_rate.store.schema import events
from rollback_rate.sync import mlflow as sync_module
from rollback_rate.sync.mlflow import SyncResult
from rollback_rate.sync.mlflow_registry import MLflowSyncError
from tests.helpers import deploy, ledger_of, load, overall, rollback


def sync_mlflow(database: Database, *args, **kwargs) -> SyncResult:  # type: ignore[no-untyped-def]
    return sync_module.sync_mlflow(ledger_of(database), *args, **kwargs)


def live_versions(
    database: Database, models: list[str] | None = None
) -> dict[tuple[str, str], str | None]:
    return {key: position.live for key, position in ledger_of(database).streams(models).items()}


MLFLOW_ENV = "ROLLBACK_RATE_TEST_MLFLOW"
API = "/api/2.0/mlflow"
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real `mlflow server` (MLflow 3.x) for this test session."""
    executable = os.environ.get(MLFLOW_ENV)
    if not executable:
        pytest.skip(
            f"MLflow server tests skipped: set {MLFLOW_ENV} to an `mlflow` executable, "
            f'e.g. {MLFLOW_ENV}="$(bash scripts/mlflow-server-venv)"'
        )
    if not Path(executable).is_file():
        pytest.fail(f"{MLFLOW_ENV}={executable} is not a file")
    root = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    log = (root / "server.log").open("wb")
    # The default server (3.5+) is uvicorn with security middleware whose allowed hosts
    # include 127.0.0.1:<port>, so loopback requests need no extra flags.  One worker
    # keeps start-up (about 8 s) and memory down.
    process = subprocess.Popen(
        [
            executable,
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--default-artifact-root",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
        start_new_session=True,  # its own process group, so its workers die with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, root / "server.log")
        yield url
    finally:
        _stop(process)
        log.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mlflow server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    _stop(process)
    pytest.fail(f"mlflow server did not answer /health in {START_TIMEOUT}s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Registry:
    """The registry writes a data scientist's MLflow client would do, over REST."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)

    def _post(self, path: str, body: dict[str, str]) -> dict[str, object]:
        response = self.client.post(API + path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()
        return result

    def model(self, prefix: str = "model") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self._post("/registered-models/create", {"name": name})
        return name

    def version(self, name: str) -> str:
        # A local path needs a run; a remote URI is only recorded, never fetched.
        body = self._post("/model-versions/create", {"name": name, "source": f"s3://models/{name}"})
        version = body["model_version"]
        assert isinstance(version, dict)
        return str(version["version"])

    def alias(self, name: str, alias: str, version: str) -> None:
        self._post("/registered-models/alias", {"name": name, "alias": alias, "version": version})

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def registry(mlflow_url: str) -> Iterator[Registry]:
    reg = Registry(mlflow_url)
    yield reg
    reg.close()


def _moves(result: SyncResult) -> list[tuple[str, str, str | None, str]]:
    return [(o.environment, o.version, o.previous, o.action) for o in result.outcomes]


def _overall(database: Database, model: str) -> dict[str, object]:
    return overall(database, as_of=None, model=model)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- real server


def test_missed_moves_are_recorded_and_the_rollback_inferred(
    db: Database, mlflow_url: str, registry: Registry
) -> None:
    model = registry.model("fraud")
    v1, v2 = registry.version(model), registry.version(model)

    registry.alias(model, "champion", v1)
    first = sync_mlflow(db, mlflow_url, models=[model])
    assert _moves(first) == [("champion", "1", None, "recorded")]

    registry.alias(model, "champion", v2)
    second = sync_mlflow(db, mlflow_url, models=[model])
    assert _moves(second) == [("champion", "2", "1", "recorded")]

    registry.alias(model, "champion", v1)  # the webhook of this rollback was lost
    third = sync_mlflow(db, mlflow_url, models=[model])
    assert _moves(third) == [("champion", "1", "2", "recorded")]

    overall = _overall(db, model)
    assert overall["deployments"] == 2
    assert overall["rollbacks"] == 1
    assert overall["orphan_rollbacks"] == 0
    assert live_versions(db, [model]) == {(model, "champion"): "1"}

    again = sync_mlflow(db, mlflow_url, models=[model])
    assert _moves(again) == [("champion", "1", "1", "unchanged")]
    assert again.recorded == 0
    with db.snapshot() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert count == 3


def test_times_follow_the_registry_then_the_sync_clock(
    db: Database, mlflow_url: str, registry: Registry
) -> None:
    """A new version is dated by its registry timestamp; a move back to an old one by now."""
    model = registry.model("times")
    v1, v2 = registry.version(model), registry.version(model)
    created = {
        v: httpx.get(
            f"{mlflow_url}{API}/model-versions/get", params={"name": model, "version": v}
        ).json()["model_version"]["last_updated_timestamp"]
        for v in (v1, v2)
    }
    registry.alias(model, "champion", v1)
    sync_mlflow(db, mlflow_url, models=[model])
    registry.alias(model, "champion", v2)
    sync_mlflow(db, mlflow_url, models=[model])
    registry.alias(model, "champion", v1)
    before = datetime.now(UTC)
    back = sync_mlflow(db, mlflow_url, models=[model]).outcomes[0]

    with db.snapshot() as conn:
        rows = conn.execute(
            sa.select(events.c.version, events.c.ts, events.c.event_id).order_by(events.c.seq)
        ).all()
    assert [r.version for r in rows] == ["1", "2", "1"]
    assert rows[0].ts == created[v1] * 1000 and rows[1].ts == created[v2] * 1000
    assert rows[2].ts >= int(before.timestamp() * 1_000_000) - 1_000_000
    assert back.timestamp is not None and back.event_id == rows[2].event_id
    assert len({r.event_id for r in rows}) == 3
    assert all(r.event_id.startswith(f"mlflow-sync:{model}:champion:") for r in rows)


def test_rollback_then_redeploy_of_the_same_version_gets_a_new_id(
    db: Database, mlflow_url: str, registry: Registry
) -> None:
    """1 -> 2 -> 1 -> 2: the second deployment of 2 must not collapse into the first."""
    model = registry.model("cycle")
    v1, v2 = registry.version(model), registry.version(model)
    for version in (v1, v2, v1, v2):
        registry.alias(model, "champion", version)
        assert sync_mlflow(db, mlflow_url, models=[model]).recorded == 1
    overall = _overall(db, model)
    assert overall["deployments"] == 3  # 1, 2, and 2 again
    assert overall["rollbacks"] == 1


def test_a_move_the_webhook_delivered_is_not_recorded_again(
    db: Database, mlflow_url: str, registry: Registry
) -> None:
    model = registry.model("hooked")
    v1, v2 = registry.version(model), registry.version(model)
    options = SourceOptions(alias_map={"champion": "production"})
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for version, when in ((v1, hour_ago - timedelta(hours=1)), (v2, hour_ago)):
        registry.alias(model, "champion", version)
        body = {
            "entity": "model_version_alias",
            "action": "created",
            "timestamp": when.isoformat(),
            "data": {"name": model, "alias": "champion", "version": version},
        }
        load(db, WEBHOOK.translate(body, {}, options).events)

    result = sync_mlflow(db, mlflow_url, models=[model], alias_map={"champion": "production"})
    assert _moves(result) == [("production", "2", "2", "unchanged")]

    registry.alias(model, "champion", v1)  # this delivery never arrives
    result = sync_mlflow(db, mlflow_url, models=[model], alias_map={"champion": "production"})
    assert _moves(result) == [("production", "1", "2", "recorded")]
    overall = _overall(db, model)
    assert (overall["deployments"], overall["rollbacks"]) == (2, 1)


def test_alias_map_and_alias_filter(db: Database, mlflow_url: str, registry: Registry) -> None:
    model = registry.model("mapped")
    v1, v2 = registry.version(model), registry.version(model)
    registry.alias(model, "champion", v2)
    registry.alias(model, "challenger", v1)

    only = sync_mlflow(
        db,
        mlflow_url,
        models=[model],
        aliases=["champion"],
        alias_map={"champion": "production"},
    )
    assert _moves(only) == [("production", "2", None, "recorded")]

    both = sync_mlflow(db, mlflow_url, models=[model], alias_map={"champion": "production"})
    assert _moves(both) == [
        ("challenger", "1", None, "recorded"),
        ("production", "2", "2", "unchanged"),
    ]
    assert live_versions(db, [model]) == {
        (model, "production"): "2",
        (model, "challenger"): "1",
    }


def test_aliases_that_disagree_on_one_environment_record_nothing(
    db: Database, mlflow_url: str, registry: Registry
) -> None:
    model = registry.model("conflict")
    v1, v2 = registry.version(model), registry.version(model)
    registry.alias(model, "champion", v1)
    registry.alias(model, "prod", v2)
    result = sync_mlflow(
        db, mlflow_url, models=[model], alias_map={"champion": "production", "prod": "production"}
    )
    assert {o.action for o in result.outcomes} == {"conflict"}
    assert result.conflicts == 2 and result.recorded == 0
    assert "champion=1" in (result.outcomes[0].note or "")
    assert live_versions(db, [model]) == {}


def test_search_walks_every_page(db: Database, mlflow_url: str, registry: Registry) -> None:
    names = [registry.model("paged") for _ in range(3)]
    for name in names:
        registry.alias(name, "champion", registry.version(name))
    result = sync_mlflow(db, mlflow_url, page_size=1)
    assert result.models >= 3
    seen = {o.model for o in result.outcomes}
    assert set(names) <= seen
    live = live_versions(db, names)
    assert live == {(name, "champion"): "1" for name in names}


def test_cli_sync_prints_what_it_did(
    db_url: str, mlflow_url: str, registry: Registry, tmp_path: Path
) -> None:
    model = registry.model("cli")
    v1, v2 = registry.version(model), registry.version(model)
    registry.alias(model, "champion", v1)
    runner = CliRunner()
    args = [
        "--db",
        db_url,
        "sync",
        "mlflow",
        "--tracking-uri",
        mlflow_url,
        "--model",
        model,
        "--map-alias",
        "champion=production",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert f"recorded   {model} production (alias champion): version 1" in first.output
    assert "1 recorded, 0 unchanged" in first.output

    registry.alias(model, "champion", v2)
    assert "1 recorded" in runner.invoke(app, args).output
    registry.alias(model, "champion", v1)
    third = runner.invoke(app, args)
    assert "version 1 (was 2)" in third.output

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert f"unchanged  {model} production (alias champion): version 1 already live" in (
        again.output
    )
    assert "0 recorded, 1 unchanged" in again.output

    report = runner.invoke(
        app, ["--db", db_url, "report", "--model", model, "--format", "json", "--window", "7d"]
    )
    assert report.exit_code == 0, report.output
    assert '"rollbacks": 1' in report.output


def test_unknown_model_and_wrong_url_are_clear_errors(sqlite_db: Database, mlflow_url: str) -> None:
    with pytest.raises(MLflowSyncError, match="registered model 'no-such-model' does not exist"):
        sync_mlflow(sqlite_db, mlflow_url, models=["no-such-model"])
    with pytest.raises(MLflowSyncError, match=r"answered HTTP 404 to GET /api/2\.0/mlflow/"):
        sync_mlflow(sqlite_db, f"{mlflow_url}/not-mlflow")


# --------------------------------------------------------------------------- no server needed


def test_unreachable_server_is_a_clear_error(sqlite_db: Database) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(MLflowSyncError, match=f"cannot reach MLflow tracking server at {url}"):
        sync_mlflow(sqlite_db, url)

    result = CliRunner().invoke(
        app, ["--db", sqlite_db.url, "sync", "mlflow", "--tracking-uri", url]
    )
    assert result.exit_code == 2
    assert f"error: cannot reach MLflow tracking server at {url}" in result.output
    assert "Traceback" not in result.output


def test_non_http_uri_and_bad_alias_map_are_refused(sqlite_db: Database) -> None:
    with pytest.raises(MLflowSyncError, match="not an http:// or https:// URL"):
        sync_mlflow(sqlite_db, "databricks")
    result = CliRunner().invoke(
        app,
        [
            "--db",
            sqlite_db.url,
            "sync",
            "mlflow",
            "--tracking-uri",
            "http://127.0.0.1:1",
            "--map-alias",
            "champion",
        ],
    )
    assert result.exit_code == 2
    assert "--map-alias 'champion' is not ALIAS=ENVIRONMENT" in result.output


def test_credentials_in_the_url_are_not_echoed(sqlite_db: Database) -> None:
    url = f"http://user:s3cret@127.0.0.1:{_free_port()}"
    with pytest.raises(MLflowSyncError) as caught:
        sync_mlflow(sqlite_db, url)
    assert "s3cret" not in str(caught.value)
    assert "***@127.0.0.1" in str(caught.value)


def test_live_versions_reads_the_top_of_each_stack(db: Database) -> None:
    load(
        db,
        [
            deploy("a", "1", "2026-01-01T09:00:00Z"),
            deploy("a", "2", "2026-01-02T09:00:00Z"),
            deploy("a", "1", "2026-01-03T09:00:00Z"),  # inferred rollback: 1 is live again
            deploy("a", "7", "2026-01-01T09:00:00Z", environment="staging"),
            deploy("b", "3", "2026-01-01T09:00:00Z"),
            rollback("b", "2026-01-02T09:00:00Z"),  # nothing left live
        ],
    )
    assert live_versions(db) == {
        ("a", "production"): "1",
        ("a", "staging"): "7",
        ("b", "production"): None,
    }
    assert live_versions(db, ["a"]) == {("a", "production"): "1", ("a", "staging"): "7"}
    assert live_versions(db, []) == {}
    assert live_versions(db, ["unknown"]) == {}


def test_a_sync_tells_the_after_commit_hook_what_it_recorded(
    db: Database, mlflow_url: str, registry: Registry
) -> None:
    from rollback_rate import Committed, Ledger

    heard: list[Committed] = []
    ledger = Ledger(db)
    ledger.subscribe(heard.append)
    model = registry.model("hooked")
    v1, v2 = registry.version(model), registry.version(model)
    registry.alias(model, "champion", v1)
    sync_module.sync_mlflow(ledger, mlflow_url, models=[model])
    registry.alias(model, "champion", v2)
    sync_module.sync_mlflow(ledger, mlflow_url, models=[model])
    registry.alias(model, "champion", v1)  # moved back: the sync infers the rollback
    sync_module.sync_mlflow(ledger, mlflow_url, models=[model])
    assert [[d.version for d in n.streams[0].deployed] for n in heard] == [["1"], ["2"], []]
    [back] = heard[2].streams[0].rolled_back
    assert (back.deployment.version, back.event_id.startswith("mlflow-sync:")) == ("2", True)
