"""Which database a command opens (issue 13): reads never create one, and a URL that no
backend takes is named with the schemes that work, never SQLAlchemy's plugin error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rollback_rate import Ledger, parse_query
from rollback_rate.cli import app
from rollback_rate.errors import InvalidOption

runner = CliRunner()
READS = [
    ["report"],
    ["report", "--format", "json"],
    ["check", "--max-rate", "10"],
    ["tokens", "list"],
    ["webhooks", "list"],
]


@pytest.mark.parametrize("command", READS, ids=" ".join)
@pytest.mark.parametrize("spelling", ["sqlite:///{}", "{}"])
def test_a_read_refuses_a_database_file_that_does_not_exist(tmp_path, command, spelling):
    path = tmp_path / "typo.db"
    result = runner.invoke(app, ["--db", spelling.format(path), *command])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: no database at {path} (from --db); reading commands never create one: "
        "check the path, or record or import events to create it\n"
    )
    assert not path.exists()


def test_the_message_names_the_variable_the_url_came_from(tmp_path):
    path = tmp_path / "typo.db"
    result = runner.invoke(app, ["report"], env={"ROLLBACK_RATE_DB": str(path)})
    assert result.exit_code == 2
    assert f"no database at {path} (from ROLLBACK_RATE_DB)" in result.output
    assert not path.exists()


def test_the_message_names_the_default_location(tmp_path):
    result = runner.invoke(
        app,
        ["check", "--max-rate", "5"],
        env={"XDG_DATA_HOME": str(tmp_path), "ROLLBACK_RATE_DB": ""},
    )
    assert result.exit_code == 2
    expected = tmp_path / "rollback-rate" / "rollback-rate.db"
    assert f"no database at {expected} (the default location; choose another with --db " in (
        result.output
    )
    assert not expected.exists()


def test_writes_create_the_database_and_reads_then_work(tmp_path):
    path = tmp_path / "new.db"
    recorded = runner.invoke(
        app, ["--db", str(path), "record", "deployment", "--model", "m", "--version", "1"]
    )
    assert recorded.exit_code == 0, recorded.output
    assert path.exists()
    assert runner.invoke(app, ["--db", str(path), "report"]).exit_code == 0


def test_the_ledger_creates_only_when_asked(tmp_path):
    from rollback_rate.errors import DatabaseNotFound

    path = tmp_path / "reader.db"
    query = parse_query(window="7d", as_of=None)
    with Ledger(f"sqlite:///{path}", create=False) as reader, pytest.raises(DatabaseNotFound):
        reader.report(query)
    assert not path.exists()
    with Ledger(f"sqlite:///{path}") as writer:
        assert writer.report(query).overall.deployments == 0
    with Ledger(f"sqlite:///{path}", create=False) as reader:
        assert reader.report(query).overall.deployments == 0


def test_create_false_leaves_other_databases_alone(db_url):
    with Ledger(db_url, create=False, group_commit=False) as reader:
        assert reader.is_empty()


@pytest.mark.parametrize(
    "command",
    [["report"], ["record", "deployment", "--model", "m", "--version", "1"]],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize("url", ["foo://x", "mysql://user:secret@db/x"])
def test_an_unsupported_url_scheme_is_one_line_naming_those_that_work(command, url):
    result = runner.invoke(app, ["--db", url, *command])
    assert result.exit_code == 2, result.output
    scheme = url.split("://")[0]
    assert result.output.startswith(f"error: database URL '{scheme}://")
    assert f"has the unsupported scheme '{scheme}'; use sqlite:///PATH.db (or just a file " in (
        result.output
    )
    assert "postgresql://user@host/db (from --db)\n" in result.output
    assert result.output.count("\n") == 1
    assert "plugin" not in result.output and "secret" not in result.output


def test_the_service_names_its_variable_for_a_bad_url():
    from rollback_rate.service.settings import Settings

    with pytest.raises(InvalidOption, match=r"^ROLLBACK_RATE_DB: database URL 'foo://x'"):
        Settings.from_env({"ROLLBACK_RATE_DB": "foo://x"})
