"""Import and report benchmark (issue 2): events/s, report seconds, peak memory.

    python benchmarks/ingest_report.py [--events 1000000] [--backend sqlite|postgresql|both]

Imports run as a separate `rollback-rate import` process so peak memory is that process's
own (its VmHWM); a file a tenth the size is imported too, to show memory does not grow
with the file. PostgreSQL uses a fresh database on the server given by --pg (default
ROLLBACK_RATE_TEST_PG or the local server) and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from generate import write_events

from rollback_rate import Ledger, parse_query

DEFAULT_PG = os.environ.get("ROLLBACK_RATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


# Runs `rollback-rate import` and reports the process's peak RSS from /proc (VmHWM): after
# fork and exec, ru_maxrss still counts the forking process's memory, this benchmark's own.
_IMPORT = """
import sys
from rollback_rate.cli import main
try:
    main()
finally:
    peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    print(f"VmHWM {peak}", file=sys.stderr)
"""


def timed_import(url: str, path: Path) -> tuple[float, float, str]:
    """Seconds, peak RSS in MiB, and the summary line of one import process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT, "--db", url, "import", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = [line for line in proc.stderr.splitlines() if line.startswith("VmHWM ")]
    if proc.returncode != 0 or not peak:
        raise SystemExit(f"import failed ({proc.returncode}): {proc.stderr}")
    return seconds, int(peak[-1].split()[1]) / 1024, proc.stdout.strip()


def timed_reports(url: str, repeats: int = 5) -> dict[str, float]:
    ledger = Ledger(url)
    figures = {}
    for label, options in (
        ("overall", {}),
        ("by model", {"by": "model"}),
        ("by team + month", {"by": "team", "period": "month"}),
    ):
        query = parse_query(window="7d", as_of="2030-01-01T00:00:00Z", **options)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            report = ledger.report(query)
            runs.append(time.perf_counter() - start)
        figures[label] = statistics.median(runs)
    figures["deployments"] = report.overall.deployments
    ledger.close()
    return figures


def timed_scrape(url: str, repeats: int = 5) -> float:
    """Median seconds of the `/metrics` exposition (the service's registry, in process)."""
    from prometheus_client import generate_latest

    from rollback_rate.service import Settings, create_app

    app = create_app(Settings(db_url=url, access_log=False))
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        generate_latest(app.state.registry)
        runs.append(time.perf_counter() - start)
    app.state.ledger.close()
    return statistics.median(runs)


def fresh_pg(server: str) -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"rr_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    return url, admin, name


def run_backend(backend: str, big: Path, small: Path, count: int, workdir: Path, pg: str) -> None:
    print(f"\n== {backend} ==")
    cleanups = []
    urls = []
    for _ in range(2):
        if backend == "sqlite":
            urls.append(f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}")
        else:
            url, admin, name = fresh_pg(pg)
            urls.append(url)
            cleanups.append((admin, name))
    try:
        seconds, rss, line = timed_import(urls[0], big)
        print(
            f"import {count:,} events: {seconds:.1f} s, {count / seconds:,.0f} events/s, "
            f"peak memory {rss:.0f} MiB  ({line})"
        )
        s_seconds, s_rss, _ = timed_import(urls[1], small)
        print(
            f"import {count // 10:,} events: {s_seconds:.1f} s, peak memory {s_rss:.0f} MiB "
            f"(memory independent of file size: {rss:.0f} vs {s_rss:.0f} MiB)"
        )
        seconds, _, line = timed_import(urls[0], big)
        print(
            f"re-import (all duplicates): {seconds:.1f} s, {count / seconds:,.0f} events/s ({line})"
        )
        figures = timed_reports(urls[0])
        print(f"report over {figures.pop('deployments'):,} deployments (median of 5):")
        for label, value in figures.items():
            print(f"  {label}: {value:.3f} s")
        print(f"Prometheus scrape (median of 5): {timed_scrape(urls[0]) * 1000:.0f} ms")
    finally:
        for admin, name in cleanups:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollback-rate-bench-") as tmp:
        workdir = Path(tmp)
        start = time.perf_counter()
        big = write_events(workdir / "events.jsonl", args.events)
        small = write_events(workdir / "events-small.jsonl", args.events // 10, seed=2)
        size = big.stat().st_size / 2**20
        print(
            f"generated {args.events:,} events ({size:.0f} MiB) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
        for backend in backends:
            run_backend(backend, big, small, args.events, workdir, args.pg)


if __name__ == "__main__":
    main()
