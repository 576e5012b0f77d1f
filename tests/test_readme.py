"""The README must stay true: every command and option it shows exists, and what it shows
whole (the config file, the taxonomy) is what ships."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app

README = Path(__file__).parents[1] / "README.md"
GROUPS = {"record", "db", "tokens", "webhooks", "sync", "alerts"}
GLOBAL_OPTIONS = ("--db", "--config")  # before the command, each with a value
EXAMPLE_CONFIG = Path(__file__).parents[1] / "docs" / "config.example.toml"


def _readme_commands() -> list[str]:
    lines, in_code, data = [], False, False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
            data = in_code and line.strip() in ("```json", "```toml")  # no commands in data
            continue
        code = line.split("#")[0].strip()  # comments are prose
        if in_code and not data and "rollback-rate " in code:
            command = code[code.index("rollback-rate ") :].split("|")[0]
            lines.append(command.strip())
    return lines


def _path_and_options(command: str) -> tuple[list[str], list[str]]:
    words = shlex.split(re.sub(r"\$\(?[A-Za-z_{}().]+\)?", "X", command))[1:]
    while words and words[0].startswith(GLOBAL_OPTIONS):  # global options and their values
        words = words[2:] if words[0] in GLOBAL_OPTIONS else words[1:]
    if words and words[0].startswith("--"):  # a root option alone: `rollback-rate --version`
        return [], [w.split("=")[0] for w in words if w.startswith("--")]
    path = words[:2] if words and words[0] in GROUPS else words[:1]
    options = [w.split("=")[0] for w in words if w.startswith("--")]
    return path, options


COMMANDS = _readme_commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_and_options_exist(command):
    path, options = _path_and_options(command)
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, f"{command}: {result.output}"
    for option in options:
        assert option in result.output, f"{command}: {option} is not an option of {path}"


def test_the_python_api_example_runs_as_printed(tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    code = readme.split("## Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "history.jsonl").write_text(
        '{"type":"deployment","model":"m","version":"1","timestamp":"2026-03-01T09:00:00Z"}\n'
    )
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "fraud-scorer: 2.4.0 rolled back 5.0 h after it went live" in printed
    assert printed.splitlines()[1].startswith("50.0 [")  # 1 of 2 deployments rolled back


def _fenced(language: str) -> list[str]:
    blocks, current = [], None
    for line in README.read_text().splitlines(keepends=True):
        if current is None and line.strip() == f"```{language}":
            current = []
        elif current is not None and line.startswith("```"):
            blocks.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_the_config_file_shown_whole_is_the_example_file():
    [shown] = _fenced("toml")
    assert shown == EXAMPLE_CONFIG.read_text()


def test_the_taxonomy_table_is_the_shipped_taxonomy():
    from rollback_rate.metrics.taxonomy import shipped_entries

    text = README.read_text()
    rows = [
        f"| `{cause}` | {e.category} | {e.investment} |" for cause, e in shipped_entries().items()
    ]
    table = "| cause | category | investment |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    assert table in text


# --------------------------------------------------------------------- the JSON report

SUMMARY_OWNERS = ("overall.", "groups[].", "periods[].")


def _json_paths(value: object, prefix: str = "") -> set[str]:
    """Every key path of a JSON value: `a.b`, lists of objects as `a[].b`; a group's
    `key` is one key (its members are the `--by` dimensions)."""
    if isinstance(value, dict) and not prefix.endswith("groups[].key"):
        found: set[str] = set()
        for name, inner in value.items():
            found |= _json_paths(inner, f"{prefix}.{name}" if prefix else name) or {
                f"{prefix}.{name}" if prefix else name
            }
        return found
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return set().union(*(_json_paths(item, f"{prefix}[]") for item in value))
    return set()


def _documented(report: dict) -> set[str]:
    """The report's key paths as the README names them: a SUMMARY key by its own name."""
    summary = set(report["overall"])
    paths = set()
    for path in _json_paths(report):
        for owner in SUMMARY_OWNERS:
            rest = path.removeprefix(owner)
            if rest != path and rest.split(".")[0].split("[")[0] in summary:
                path = rest
        paths.add(path)
    return paths


def test_the_readme_names_every_key_of_the_json_report(tmp_path):
    from rollback_rate import Ledger
    from tests.helpers import deploy, load, report, rollback

    events = [
        deploy("fraud-scorer", "1", "2026-01-05T09:00:00Z", team="risk"),
        deploy("fraud-scorer", "2", "2026-01-12T09:00:00Z", team="risk"),
        rollback("fraud-scorer", "2026-01-12T15:00:00Z", cause="latency", automated=True),
        rollback("fraud-scorer", "2026-01-20T09:00:00Z"),  # an orphan: nothing counted live
        {**deploy("fraud-scorer", "3", "2026-02-02T09:00:00Z", team="risk"),
         "type": "rollback_failed"},
    ]  # fmt: skip
    with Ledger(f"sqlite:///{tmp_path / 'r.db'}", group_commit=False) as ledger:
        load(ledger, events)
        data = report(
            ledger, "2026-03-01T00:00:00Z", "7d", by="model,environment,team", period="month",
            model="fraud-scorer", environment="production", team="risk",
            since="2026-01-01", until="2026-02-28",
        )  # fmt: skip
    assert data["groups"] and data["periods"] and data["overall"]["root_causes"]
    assert data["failed_rollbacks"]["latest"], "every key must be present to be checked"
    section = README.read_text().split("## What the numbers mean")[1].split("\n## ")[0]
    named = set(re.findall(r"`([^`]+)`", section))
    assert sorted(_documented(data) - named) == []
