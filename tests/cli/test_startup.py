"""Start-up (issue 13): structural checks that keep `--help` light, and `--version`.

Timings live in benchmarks/startup.py, never here: these tests check what is imported,
which is what the timings follow from.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app
from rollback_rate.cli.names import EVENT_FORMATS, SCOPES, SIGNED_SOURCES, SOURCE_NAMES

ROOT = Path(__file__).parents[2]
HEAVY = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "rich",
    "httpx",
    "orjson",
    "msgspec",
    "prometheus_client",
    "cloudevents",
)
COMMANDS = [
    [],
    ["record", "deployment"],
    ["record", "rollback"],
    ["import"],
    ["report"],
    ["check"],
    ["demo"],
    ["serve"],
    ["db", "upgrade"],
    ["tokens", "create"],
    ["webhooks", "add"],
    ["sync", "mlflow"],
]


def _heavy_modules_after(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\n"
        "import json\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_package_or_the_cli_imports_nothing_heavy():
    assert _heavy_modules_after("import rollback_rate") == []
    assert _heavy_modules_after("import rollback_rate.cli") == []


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "root")
def test_help_of_every_command_imports_nothing_heavy(path):
    """Only Typer's own Pydantic: Typer (0.29) coerces every option value through a
    Pydantic TypeAdapter, the root's `--db` included, as soon as a subcommand runs."""
    run = (
        "from rollback_rate.cli import app\n"
        "try:\n"
        f"    app({[*path, '--help']!r}, prog_name='rollback-rate')\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert _heavy_modules_after(run) == ([] if not path else ["pydantic"])


def test_version_imports_nothing_heavy():
    run = (
        "from rollback_rate.cli import app\n"
        "try:\n"
        "    app(['--version'], prog_name='rollback-rate')\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert _heavy_modules_after(run) == []


def test_public_names_still_resolve_lazily():
    import rollback_rate

    assert rollback_rate.Ledger.__name__ == "Ledger"
    assert "Ledger" in dir(rollback_rate)
    with pytest.raises(AttributeError):
        rollback_rate.NoSuchThing  # noqa: B018


def test_version_is_the_package_version():
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"rollback-rate {expected}\n"


def test_a_usage_error_is_one_line_naming_the_option():
    result = CliRunner().invoke(app, ["record", "deployment", "--model", "m", "--colour", "x"])
    assert result.exit_code == 2
    assert result.output.startswith("error: No such option: --colour (see '")
    assert result.output.endswith(" record deployment --help')\n")
    assert result.output.count("\n") == 1


def test_names_shown_in_help_match_the_registries():
    from rollback_rate.events.readers import FORMATS
    from rollback_rate.ledger import SCOPES as LEDGER_SCOPES
    from rollback_rate.sources import SOURCES

    assert EVENT_FORMATS == FORMATS
    assert tuple(SOURCES) == SOURCE_NAMES
    assert tuple(n for n, s in SOURCES.items() if s.authenticates) == SIGNED_SOURCES
    assert SCOPES == LEDGER_SCOPES


def test_a_read_loads_no_write_path(fresh_sqlite_url):
    """`report` needs the read model, not attribution, the sources or group commit; on
    SQLite not the PostgreSQL driver, and not the advice or readiness renderers."""
    run = (
        "from rollback_rate.cli import app\n"
        "try:\n"
        f"    app(['--db', {fresh_sqlite_url()!r}, 'report'], prog_name='rollback-rate')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import sys, json\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", run], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "rollback_rate.aggregation.read_model" in loaded
    assert "rollback_rate.render.table" in loaded  # it did render the report
    other = {"psycopg", "rollback_rate.store.postgres", "rollback_rate.render.advice",
             "rollback_rate.render.readiness"}  # fmt: skip
    assert loaded & other == set()
    # The read model may use the pure rules (attribution.stack, .corrections), never the
    # projection's writer.
    write_path = {
        "rollback_rate.attribution.projection",
        "rollback_rate.attribution.writer",
        "rollback_rate.attribution.changes",
        "rollback_rate.sources",
        "rollback_rate.ledger.writes",
        "rollback_rate.ledger.group_commit",
        "rollback_rate.ledger.inputs",
    }
    assert loaded & write_path == set()
