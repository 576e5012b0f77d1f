"""A password in the database URL is never shown: not by the CLI, not over HTTP (issue 9).

Unauthenticated callers never see a database error at all, only that the database is
unavailable; the server log and the CLI show the error with every credential redacted.
"""

from __future__ import annotations

import logging
import warnings

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app as cli_app
from rollback_rate.service import Settings, create_app
from tests.service.helpers import assert_error

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SECRET = "hunter2x"
# Unreachable, unparseable or refused databases, each with the password somewhere.
BROKEN = [
    f"postgresql://rr:{SECRET}@127.0.0.1:1/rollback",
    f"postgresql://127.0.0.1:1/rollback?password={SECRET}",
    f"postgresql://127.0.0.1:1/rollback?user=rr&password={SECRET}&sslmode=disable",
    f"postgresql://rr:pa?ss{SECRET}@127.0.0.1:1/rollback",
    f"postgresql://rr:p@ss{SECRET}@127.0.0.1:1/rollback",
    f"postgresql://127.0.0.1:1/rollback?password={SECRET}&bogus_option=1",
    f"postgresql://rr:{SECRET}@127.0.0.1:notaport/rollback",
    f"postgresql://127.0.0.1:{SECRET}/rollback",
]
DRIVER_WORDS = ("psycopg", "sqlalchemy", "127.0.0.1", "refused", "connection", "Traceback")
runner = CliRunner()


@pytest.mark.parametrize("url", BROKEN)
@pytest.mark.parametrize(
    "command",
    [["report"], ["db", "upgrade"], ["tokens", "list"], ["webhooks", "list"], ["serve"],
     ["import", "-"], ["record", "deployment", "--model", "m", "--version", "1"]],
)  # fmt: skip
def test_cli_errors_never_show_the_password(url, command):
    result = runner.invoke(cli_app, ["--db", url, *command], input="")
    assert result.exit_code == 2, result.output
    assert SECRET not in result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output


def test_demo_prints_its_database_without_the_password(pg_server_url):
    import sqlalchemy as sa

    from rollback_rate.store import open_database
    from tests.conftest import _truncate_all

    database = open_database(pg_server_url)
    _truncate_all(database)
    database.dispose()
    with_password = sa.make_url(pg_server_url).set(password=SECRET)
    url = with_password.render_as_string(hide_password=False)
    result = runner.invoke(cli_app, ["--db", url, "demo"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "loaded " in result.output and "***@" in result.output


UNAUTHENTICATED = [
    ("GET", "/readyz", {}),
    ("POST", "/webhooks/github", {"X-Hub-Signature-256": "sha256=00"}),
    ("POST", "/webhooks/gitlab", {"X-Gitlab-Token": "x"}),
    ("POST", "/webhooks/mlflow", {"X-MLflow-Signature": "v1,AA=="}),
    ("POST", "/webhooks/sagemaker", {"X-Rollback-Rate-Token": "x"}),
    # A token the server must look up: the lookup fails, the caller learns only that.
    ("POST", "/api/v1/events", {"Authorization": "Bearer rr_unknown"}),
    ("GET", "/api/v1/report", {"Authorization": "Bearer rr_unknown"}),
    ("GET", "/api/v1/models", {"Authorization": "Bearer rr_unknown"}),
    ("GET", "/api/v1/events", {"Authorization": "Bearer rr_unknown"}),
    ("GET", "/metrics", {"Authorization": "Bearer rr_unknown"}),
    ("POST", "/webhooks/cdevents", {"Authorization": "Bearer rr_unknown"}),
    ("POST", "/webhooks/argo-rollouts", {"Authorization": "Bearer rr_unknown"}),
]


@pytest.mark.parametrize("url", BROKEN)
def test_unauthenticated_callers_never_see_a_database_error(url, caplog):
    app = create_app(Settings(db_url=url, access_log=False, token_cache_seconds=0))
    caplog.set_level(logging.WARNING)
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, headers in UNAUTHENTICATED:
            response = client.request(method, path, content=b"{}", headers=headers)
            error = assert_error(response, 503, "database_unavailable")
            assert response.headers.get("Retry-After"), path
            for word in (SECRET, *DRIVER_WORDS):
                assert word not in response.text, (path, word, response.text)
            assert error["details"] == []
        assert client.get("/healthz").status_code == 200
        for path in ("/openapi.json", "/docs"):
            assert SECRET not in client.get(path).text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged and SECRET not in logged  # the server log says why, redacted
