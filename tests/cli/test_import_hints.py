"""A JSON document where JSON Lines belong gets one hint, not an error per line (issue 13:
a pretty-printed kubectl export printed 361 "invalid JSON" lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate import Ledger
from rollback_rate.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "sources" / "fixtures"
SOURCES = "cdevents, mlflow, github, gitlab, argo-rollouts, sagemaker, k8s-replicasets"
EVENT = {"type": "deployment", "model": "m", "version": "1", "timestamp": "2026-01-01T00:00:00Z"}


def run(url, *args, input=None):
    return runner.invoke(app, ["--db", url, "import", *args], input=input)


def assert_nothing_stored(url):
    with Ledger(url, group_commit=False) as ledger:
        assert ledger.is_empty()


@pytest.mark.parametrize("fmt", [[], ["--format", "jsonl"]], ids=["detected", "jsonl"])
def test_a_kubectl_export_suggests_its_format(fresh_sqlite_url, fmt):
    url = fresh_sqlite_url()
    result = run(url, str(FIXTURES / "k8s-replicasets.json"), *fmt)
    assert result.exit_code == 2
    assert result.output == (
        "error: k8s-replicasets.json is one JSON document over many lines, not JSON Lines "
        "(one event per line); it looks like a kubectl export: import it with "
        "--format k8s-replicasets\n"
    )
    assert_nothing_stored(url)


def test_a_kubectl_export_on_stdin_suggests_its_format(fresh_sqlite_url):
    url = fresh_sqlite_url()
    result = run(url, "-", input=(FIXTURES / "k8s-replicasets.json").read_text())
    assert result.exit_code == 2
    assert result.output.startswith("error: the input is one JSON document over many lines")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("indent", [None, 2], ids=["one line", "pretty"])
def test_a_json_array_suggests_json_lines_or_a_source_format(fresh_sqlite_url, tmp_path, indent):
    url = fresh_sqlite_url()
    path = tmp_path / "events.json"
    path.write_text(json.dumps([EVENT, EVENT], indent=indent) + "\n")
    result = run(url, str(path))
    assert result.exit_code == 2
    assert result.output == (
        "error: events.json is a JSON array, not JSON Lines (one event per line); write one "
        f"event per line (`jq -c '.[]' FILE`), or, for a source's payloads, pass --format "
        f"SOURCE ({SOURCES}), which reads this shape\n"
    )


def test_a_pretty_printed_payload_suggests_jq_or_a_source_format(fresh_sqlite_url):
    result = run(fresh_sqlite_url(), str(FIXTURES / "github-deployment-status-success.json"))
    assert result.exit_code == 2
    assert "is one JSON document over many lines, not JSON Lines" in result.output
    assert "(`jq -c . FILE`), or, for a source's payloads, pass --format SOURCE (" in (
        result.output
    )
    assert result.output.count("\n") == 1


def test_json_lines_are_still_read_and_bad_lines_still_listed(fresh_sqlite_url, tmp_path):
    url = fresh_sqlite_url()
    long_line = {**EVENT, "pipeline": "x" * 6000}  # a first line longer than what is peeked
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(long_line) + "\n" + json.dumps({**EVENT, "version": "2"}) + "\n")
    assert "stored 2" in run(url, str(good)).output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n" + json.dumps(EVENT) + "\n")
    listed = run(url, str(bad))
    assert listed.exit_code == 2
    assert "invalid: line 1: invalid JSON" in listed.output
