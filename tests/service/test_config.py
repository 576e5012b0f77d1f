"""The service takes the same config file as the CLI (ROLLBACK_RATE_CONFIG, or `serve`
after `--config`), and refuses to start with a bad one."""

from __future__ import annotations

import subprocess

import pytest

from rollback_rate.config import InvalidConfig
from rollback_rate.service import Settings, create_app
from rollback_rate.service.app import app_from_env
from tests.cli.test_config_option import COST, EXPECTED_COST, HISTORY
from tests.helpers import load
from tests.service.conftest import TestClient
from tests.service.helpers import CLI, make_tokens

BAD = "[readiness]\nmax_days = 3\n"
BAD_LINE = "[readiness] unknown key 'max_days'; known keys: max_days_since_exercised"


def test_settings_read_the_config_file_the_environment_names(tmp_path):
    path = tmp_path / "ops.toml"
    path.write_text(COST)
    settings = Settings.from_env(
        {"ROLLBACK_RATE_DB": "sqlite:///x.db", "ROLLBACK_RATE_CONFIG": str(path)}
    )
    assert settings.config.cost is not None and settings.config.cost.currency == "EUR"
    assert Settings.from_env({"ROLLBACK_RATE_DB": "sqlite:///x.db"}).config.cost is None
    path.write_text(BAD)
    with pytest.raises(InvalidConfig, match="max_days_since_exercised"):
        Settings.from_env({"ROLLBACK_RATE_CONFIG": str(path)})


def test_the_report_over_http_is_costed_by_the_config(db_url, db, tmp_path):
    load(db, HISTORY)
    path = tmp_path / "ops.toml"
    path.write_text(COST)
    settings = Settings.from_env(
        {
            "ROLLBACK_RATE_DB": db_url,
            "ROLLBACK_RATE_CONFIG": str(path),
            "ROLLBACK_RATE_ACCESS_LOG": "0",
        }
    )
    tokens = make_tokens(db)
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/api/v1/report",
            params={"as_of": "2026-02-01"},
            headers={"Authorization": f"Bearer {tokens.read}"},
        )
    assert response.json()["overall"]["cost"] == EXPECTED_COST


def test_the_app_factory_refuses_to_start_with_a_bad_config(tmp_path, monkeypatch, capsys):
    path = tmp_path / "ops.toml"
    path.write_text(BAD)
    monkeypatch.setenv("ROLLBACK_RATE_CONFIG", str(path))
    with pytest.raises(SystemExit) as exit_:
        app_from_env()
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"error: config {path}: {BAD_LINE}\n"


def test_serve_refuses_to_start_with_a_bad_config(tmp_path):
    path = tmp_path / "ops.toml"
    path.write_text(BAD)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [CLI, "--config", str(path), "--db", url, "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == f"error: config {path}: {BAD_LINE}\n"
