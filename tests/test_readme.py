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
