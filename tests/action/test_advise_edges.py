"""`rollback-rate advise` and `GET /api/v1/advice`: parsing, formats, exit and status
codes; the figures are tests/action/test_advice.py's."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from rollback_rate.cli import app
from tests.action.test_advice import AS_OF, CONFIG, COST, SINCE, ledger_with
from tests.service.conftest import TestClient
from tests.service.helpers import assert_error, make_tokens

runner = CliRunner()


def advise(db_url: str, config, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        [
            "--db",
            db_url,
            "--config",
            str(config),
            "advise",
            "--as-of",
            AS_OF,
            "--since",
            SINCE,
            *args,
        ],
    )


def test_json_table_markdown_and_csv(db_url, db, tmp_path):
    ledger_with(db, tmp_path, CONFIG + COST)
    config = tmp_path / "ops.toml"
    data = json.loads(advise(db_url, config, "--format", "json", "--by", "team").stdout)
    assert [r["cause"] for r in data["overall"]["recommendations"]] == [
        "unspecified",
        "latency",
        "data_schema_change",
    ]
    table = advise(db_url, config)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == (
        f"Advice from the rollbacks of deployments {SINCE} to {AS_OF}, 168 h window; compared "
        "with 2026-01-03T23:59:59.999999Z to 2026-01-31T23:59:59.999999Z."
    )
    assert "All rollbacks: 5 rollbacks in the period, ranked by estimated cost" in table.stdout
    row = next(line for line in lines if "data_schema_change" in line and "│" in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == [
        "3",
        "data_schema_change",
        "data",
        "2",
        "40% (11.8-76.9%)",
        "+1 (was 1)",
        "EUR 470.00",
        "schema validation gate and data contracts",
    ]
    assert "2. latency: " in table.stdout and "Evidence: r3." in table.stdout
    markdown = advise(db_url, config, "--format", "markdown", "--by", "team").stdout
    assert "### team search\n\nnot enough evidence: 1 rollback in the period" in markdown
    assert "| 1 | unspecified | process | 1 | 20% (3.6-62.4%) | +1 (was 0) | EUR 4,110.00 |" in (
        markdown
    )
    rows = list(
        csv.DictReader(
            io.StringIO(advise(db_url, config, "--format", "csv", "--by", "team").stdout)
        )
    )
    assert [
        (r["scope"], r["team"], r["rank"], r["cause"], r["event_ids"], r["note"][:12]) for r in rows
    ] == [
        ("overall", "", "1", "unspecified", "s1", ""),
        ("overall", "", "2", "latency", "r3", ""),
        ("overall", "", "3", "data_schema_change", "r1 r2", ""),
        ("group", "risk", "1", "latency", "r3", ""),
        ("group", "risk", "2", "data_schema_change", "r1 r2", ""),
        ("group", "search", "", "", "", "1 rollback i"),
    ]


def test_bad_options_are_one_line_and_exit_2(db_url, tmp_path):
    config = tmp_path / "ops.toml"
    config.write_text(CONFIG)
    for args, message in [
        (["--by", "environment"], "by must be one of team, model (got environment)"),
        (["--by", "team,model"], "by must be one of team, model (got team,model)"),
        (["--format", "xml"], "format 'xml' is not one of table, json, csv, markdown"),
    ]:
        result = advise(db_url, config, *args)
        assert (result.exit_code, result.output) == (2, f"error: {message}\n"), args


def test_http_answers_the_cli_json_and_locates_bad_options(db_url, db, tmp_path):
    ledger_with(db, tmp_path, CONFIG)
    config = tmp_path / "ops.toml"
    cli = json.loads(advise(db_url, config, "--format", "json", "--by", "model").stdout)
    from rollback_rate.config import load_config
    from rollback_rate.service import Settings, create_app

    settings = Settings(db_url=db_url, access_log=False, config=load_config(config))
    headers = {"Authorization": f"Bearer {make_tokens(db).read}"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        params = {"as_of": AS_OF, "since": SINCE, "by": "model"}
        response = client.get("/api/v1/advice", params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == cli
        bad = client.get("/api/v1/advice", params={"by": "environment"}, headers=headers)
        error = assert_error(bad, 422, "invalid_option")
        assert error["details"] == [
            {
                "location": "query.by",
                "field": "by",
                "reason": "by must be one of team, model (got environment)",
            }
        ]
