"""`kill -9` of `rollback-rate import` at random points, then the same import again (issue 9).

An import is one transaction: killed at any point, it leaves nothing (no partial chunk, no
lock that holds the next writer up), and the import run again stores exactly what a clean
import stores: the same rows in every table and the same JSON report.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time

import sqlalchemy as sa

from rollback_rate.store import open_database
from tests.conftest import _truncate_all
from tests.faults.history import full_report, history, stored_counts, write_jsonl
from tests.service.helpers import CLI

EVENTS = 25_000  # five chunks of 5,000
KILLS = 3


def _import(url: str, path, timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [CLI, "--db", url, "import", str(path)], capture_output=True, timeout=timeout, env=_env()
    )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ROLLBACK_RATE_")}


def _empty(url: str) -> None:
    """Every table emptied (SQLite: the file made anew)."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    database = open_database(url)
    if not url.startswith("sqlite"):
        _truncate_all(database)
    database.dispose()


def _assert_no_writer_left(url: str) -> None:
    """The killed import holds nothing: a new writer gets in at once."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split(":///", 1)[1], timeout=0.5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # the write lock, free
            conn.execute("ROLLBACK")
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()
        return
    database = open_database(url)
    try:
        deadline = time.monotonic() + 10  # the server notices the closed socket
        others = -1
        while time.monotonic() < deadline:
            with database.snapshot() as conn:
                others = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
                    )
                ).scalar_one()
            if others == 0:
                break
            time.sleep(0.1)
        assert others == 0, "the killed import's transaction is still open"
    finally:
        database.dispose()


def test_an_import_killed_anywhere_leaves_nothing_and_runs_again(db_url, tmp_path):
    path = write_jsonl(tmp_path / "history.jsonl", history(EVENTS, streams=60, seed=9))
    started = time.monotonic()
    clean = _import(db_url, path)
    duration = time.monotonic() - started
    assert clean.returncode == 0, clean.stderr.decode()
    expected_counts, expected_report = stored_counts(db_url), full_report(db_url)
    assert expected_counts["events"] == EVENTS
    _empty(db_url)

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    for attempt in range(KILLS):
        delay = rng.uniform(0.2, duration)
        process = subprocess.Popen(
            [CLI, "--db", db_url, "import", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        _assert_no_writer_left(db_url)
        counts = stored_counts(db_url)
        # All or nothing: the kill came before the commit, or (rarely) after it.
        assert counts["events"] in (0, EVENTS), (seed, attempt, delay, counts)
        if counts["events"]:
            assert counts == expected_counts, (seed, attempt, delay)

    again = _import(db_url, path)
    assert again.returncode == 0, again.stderr.decode()
    assert stored_counts(db_url) == expected_counts, seed
    assert full_report(db_url) == expected_report, seed
