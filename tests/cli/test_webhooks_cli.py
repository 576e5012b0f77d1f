"""`webhooks add|list|remove`: secrets stored for signed sources, never printed."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app
from rollback_rate.store import open_database
from rollback_rate.store.secrets import get_secret

runner = CliRunner()


def cli(db_url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db_url, *args], input=input)


def secret_of(db_url: str, source: str) -> str | None:
    database = open_database(db_url)
    try:
        return get_secret(database, source)
    finally:
        database.dispose()


def test_add_list_replace_remove(db_url):
    assert "no webhook secrets" in cli(db_url, "webhooks", "list").stdout
    added = cli(db_url, "webhooks", "add", "github", "--secret", "s3cret-gh")
    assert added.exit_code == 0, added.output
    assert "POST /webhooks/github" in added.stdout
    assert cli(db_url, "webhooks", "add", "gitlab", "--secret", "s3cret-gl").exit_code == 0
    listed = cli(db_url, "webhooks", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["SOURCE", "SINCE"]
    assert [line.split()[0] for line in lines[1:]] == ["github", "gitlab"]
    assert all(line.split()[1].endswith("Z") for line in lines[1:])
    assert "s3cret" not in listed.output

    again = cli(db_url, "webhooks", "add", "github", "--secret", "other")
    assert again.exit_code == 2 and "--replace" in again.output
    assert secret_of(db_url, "github") == "s3cret-gh"
    rotated = cli(db_url, "webhooks", "add", "github", "--secret", "rotated", "--replace")
    assert rotated.exit_code == 0 and "replaced" in rotated.stdout
    assert secret_of(db_url, "github") == "rotated"

    assert cli(db_url, "webhooks", "remove", "github").exit_code == 0
    assert secret_of(db_url, "github") is None
    gone = cli(db_url, "webhooks", "remove", "github")
    assert gone.exit_code == 2 and "has no webhook secret" in gone.output
    assert [line.split()[0] for line in cli(db_url, "webhooks", "list").stdout.splitlines()] == [
        "SOURCE",
        "gitlab",
    ]


def test_secret_from_stdin_stays_off_the_command_line(db_url):
    result = cli(db_url, "webhooks", "add", "mlflow", "--secret", "-", input="from-stdin\n")
    assert result.exit_code == 0, result.output
    assert secret_of(db_url, "mlflow") == "from-stdin"
    assert "from-stdin" not in result.output
    empty = cli(db_url, "webhooks", "add", "sagemaker", "--secret", "-", input="\n")
    assert empty.exit_code == 2 and "nothing was read from stdin" in empty.output
    assert secret_of(db_url, "sagemaker") is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("jenkins", "unknown source 'jenkins'"),
        ("cdevents", "rollback-rate tokens create"),
        ("argo-rollouts", "--scope ingest"),
        ("k8s-replicasets", "import only"),
    ],
)
def test_refuses_sources_without_a_webhook_secret(db_url, source, message):
    added = cli(db_url, "webhooks", "add", source, "--secret", "x")
    assert added.exit_code == 2 and message in added.output, added.output
    assert "Traceback" not in added.output
    removed = cli(db_url, "webhooks", "remove", source)
    assert removed.exit_code == 2 and message in removed.output
    assert secret_of(db_url, source) is None


def test_empty_secret_is_refused(db_url):
    result = cli(db_url, "webhooks", "add", "github", "--secret", "")
    assert result.exit_code == 2 and "must not be empty" in result.output
