"""The SQLite file holds webhook secrets and token hashes: only its owner may read it."""

from __future__ import annotations

import os
import stat

from rollback_rate import Ledger
from rollback_rate.store import open_database


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_file_and_its_wal_are_private(tmp_path):
    previous = os.umask(0o022)  # the usual umask: files readable by everyone
    try:
        path = tmp_path / "new" / "rollback-rate.db"
        with Ledger(f"sqlite:///{path}", group_commit=False) as ledger:
            ledger.add_webhook_secret("github", "s3cret")
            ledger.record({"type": "deployment", "model": "m", "version": "1",
                           "timestamp": "2026-01-01T00:00:00Z"})  # fmt: skip
            for suffix in ("", "-wal", "-shm"):
                assert _mode(f"{path}{suffix}") == 0o600, suffix
        assert _mode(path.parent) == 0o700
    finally:
        os.umask(previous)


def test_an_existing_file_keeps_the_mode_its_owner_chose(tmp_path):
    path = tmp_path / "shared.db"
    open_database(f"sqlite:///{path}").dispose()
    path.chmod(0o640)
    open_database(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o640
