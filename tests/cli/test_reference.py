"""docs/cli.md is the commands' own help (issue 13), checked here as sqlite-utils checks
its cog-generated reference: a change to a command's help fails this test until
`scripts/cli-reference` has regenerated the file."""

from __future__ import annotations

from pathlib import Path

from rollback_rate.reference import command_paths, reference

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def test_the_committed_cli_reference_is_current():
    assert DOCS.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: run scripts/cli-reference and commit the result"
    )


def test_the_reference_covers_every_command_and_no_hidden_option():
    paths = {" ".join(path) for path in command_paths()}
    assert {"", "report", "check", "record deployment", "record rollback", "serve",
            "import", "demo", "db upgrade", "tokens create", "webhooks add",
            "sync mlflow"} <= paths  # fmt: skip
    text = DOCS.read_text(encoding="utf-8")
    rollback = text.split("## rollback-rate record rollback")[1].split("\n## ")[0]
    options = rollback.split("Options:")[1]
    assert "--cause" in options and "--team" not in options  # refused, so not offered
