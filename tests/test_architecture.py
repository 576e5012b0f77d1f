"""The façade holds: the edges (CLI, HTTP service, sources) never reach the database.

They call `rollback_rate.Ledger`; SQL, SQLAlchemy and the schema live below it (store,
attribution, aggregation). Read from the source text, so a violation fails here before it
ships, whatever the tests of the edges happen to exercise.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "rollback_rate"
EDGES = ("cli", "service", "sources")
_SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TEMP\s+)?"
    r"(TABLE|INDEX)|DROP\s+TABLE|ALTER\s+TABLE|TRUNCATE\s|PRAGMA\s)",
    re.IGNORECASE | re.DOTALL,
)
_FORBIDDEN_MODULES = ("sqlalchemy", "psycopg", "sqlite3", "alembic", "rollback_rate.store.schema")


def _modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (PACKAGE / folder).rglob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _edge_violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"imports {name}"
        for name in _imports(tree)
        if any(name == bad or name.startswith(bad + ".") for bad in _FORBIDDEN_MODULES)
    ]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL.search(node.value)
        ):
            found.append(f"holds SQL text {node.value[:60]!r} (line {node.lineno})")
        if isinstance(node, ast.Attribute) and node.attr == "dialect":
            found.append(f"asks for the database dialect (line {node.lineno})")
    return found


@pytest.mark.parametrize("path", _modules(*EDGES), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_edges_reach_the_database_only_through_the_ledger(path: Path) -> None:
    assert _edge_violations(path) == []


def test_the_check_itself_catches_sql_sqlalchemy_and_the_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import sqlalchemy\n"
        "from rollback_rate.store.schema import events\n"
        "QUERY = 'SELECT seq FROM events WHERE 1'\n"
        "def f(conn):\n    return conn.dialect.name\n"
    )
    assert [v.split(" (")[0].split(" '")[0] for v in _edge_violations(bad)] == [
        "imports sqlalchemy",
        "imports rollback_rate.store.schema",
        "imports rollback_rate.store.schema.events",
        "holds SQL text",
        "asks for the database dialect",
    ]


def test_only_the_store_asks_which_database_it_is() -> None:
    # Differences live behind one strategy object per backend (store/sqlite.py,
    # store/postgres.py), not in checks spread across the stages.
    outside = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in _modules(".")
        if "store" not in path.relative_to(PACKAGE).parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in ("dialect", "is_postgres")
    ]
    assert outside == []


def test_command_modules_do_not_import_the_root_command() -> None:
    # cli/app.py puts the commands together; a command importing it back made a cycle.
    for path in _modules("cli"):
        if path.name in ("app.py", "__init__.py"):
            continue
        imported = _imports(ast.parse(path.read_text(encoding="utf-8")))
        assert not any(name.startswith("rollback_rate.cli.app") for name in imported), path.name
        assert "rollback_rate.cli" not in imported or path.name == "context.py", path.name


def test_sources_are_pure_payload_in_events_out() -> None:
    # Adapters import nothing of the stages after them (sync jobs live in sync/).
    later = ("rollback_rate.ledger", "rollback_rate.store", "rollback_rate.attribution",
             "rollback_rate.aggregation", "rollback_rate.service", "httpx")  # fmt: skip
    for path in _modules("sources"):
        imported = _imports(ast.parse(path.read_text(encoding="utf-8")))
        assert [name for name in imported if name.startswith(later)] == [], path.name
