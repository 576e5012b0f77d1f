"""Errors that used to be tracebacks: each is one located line and exit code 2 (issue 9)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app
from tests.helpers import report

runner = CliRunner()
HEADER = b"type,model,version,timestamp\n"


def cli(db_url: str, *args: str):
    return runner.invoke(app, ["--db", db_url, *args])


def assert_clean_error(result, *fragments: str) -> list[str]:
    """Exit 2, no traceback, and an `error:` line holding every fragment."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith(("error:", "invalid:"))]
    assert errors, result.output
    for fragment in fragments:
        assert any(fragment in line for line in errors), (fragment, result.output)
    return lines


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_report_output_into_a_missing_directory(fresh_sqlite_url, tmp_path, fmt):
    target = tmp_path / "no" / "such" / "report.txt"
    result = cli(fresh_sqlite_url(), "report", "--format", fmt, "--output", str(target))
    assert_clean_error(result, f"--output {target}", "directory", "does not exist")
    assert not target.parent.exists()


def test_report_output_onto_a_directory(fresh_sqlite_url, tmp_path):
    result = cli(fresh_sqlite_url(), "report", "--output", str(tmp_path))
    assert_clean_error(result, f"--output {tmp_path}", "is a directory")


def _csv(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "events.csv"
    path.write_bytes(HEADER + body)
    return path


BAD_UTF8 = (
    b"deployment,ranker,1,2026-01-01T00:00:00Z\n"
    b"deployment,rank\xffer,2,2026-01-02T00:00:00Z\n"
    b"deployment,ranker,3,2026-01-03T00:00:00Z\n"
)


def test_csv_with_a_non_utf8_byte_names_the_line_and_stores_nothing(db_url, tmp_path):
    result = cli(db_url, "import", str(_csv(tmp_path, BAD_UTF8)))
    lines = assert_clean_error(result, "line 3: model: is not valid UTF-8 (byte 0xff)")
    assert any("save the file as UTF-8" in line for line in lines)
    assert report(db_url, "2026-02-01")["overall"]["deployments"] == 0


def test_csv_with_a_non_utf8_byte_honours_skip_invalid(db_url, tmp_path):
    result = cli(db_url, "import", "--skip-invalid", str(_csv(tmp_path, BAD_UTF8)))
    assert result.exit_code == 0, result.output
    assert "invalid: line 3: model: is not valid UTF-8 (byte 0xff)" in result.output
    assert "stored 2, duplicates 0, invalid 1" in result.output
    assert report(db_url, "2026-02-01")["overall"]["deployments"] == 2


def test_csv_non_utf8_in_a_quoted_multiline_cell_and_in_the_header(fresh_sqlite_url, tmp_path):
    body = b'deployment,ranker,1,2026-01-01T00:00:00Z,"two\nli\xe9nes"\n'
    path = tmp_path / "e.csv"
    path.write_bytes(b"type,model,version,timestamp,note\n" + body)
    assert_clean_error(cli(fresh_sqlite_url(), "import", str(path)), "note: is not valid UTF-8")
    path.write_bytes(b"type,mod\xe8le,version,timestamp\n")
    assert_clean_error(cli(fresh_sqlite_url(), "import", str(path)), "line 1", "UTF-8")


def test_csv_field_over_the_limit_is_located(db_url, tmp_path):
    huge = b"x" * (csv.field_size_limit() + 1)
    body = (
        b"deployment,ranker,1,2026-01-01T00:00:00Z\ndeployment,ranker,"
        + huge
        + (b",2026-01-02T00:00:00Z\ndeployment,ranker,3,2026-01-03T00:00:00Z\n")
    )
    path = _csv(tmp_path, body)
    result = cli(db_url, "import", str(path))
    assert_clean_error(result, "line 3: a cell is longer than 131072 characters")
    skipped = cli(db_url, "import", "--skip-invalid", str(path))
    assert skipped.exit_code == 0, skipped.output
    assert "stored 2, duplicates 0, invalid 1" in skipped.output
