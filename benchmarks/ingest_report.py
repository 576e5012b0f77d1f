"""Import and report benchmark (issues 2 and 14): events/s, report seconds, peak memory,
for this tree beside a previous release and beside DuckDB, in one run on one machine.

    python benchmarks/ingest_report.py [--events 1000000] [--backend sqlite|postgresql|both]
                                       [--previous 0784839|none]

Every figure comes from a separate process with PYTHONPATH set to the tree measured
(releases.py), so peak memory is that process's own (its VmHWM) and both trees share this
virtualenv. For each backend and tree: a fresh database takes the big file (into an empty
database), a tenth-size file (memory must not grow with the file, second database), then
a tenth-size file of later events into the big database (an incremental import into a
large one), then the big file again (all duplicates); then the reports over it (median of
5, in process). DuckDB (`pip install duckdb`; skipped without it) loads the same big file
into a table and counts it: the ratio says how far the import is from a columnar engine
doing the least work. PostgreSQL uses fresh databases on the server given by --pg
(default ROLLBACK_RATE_TEST_PG or the local server) and drops them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from generate import after, write_events
from releases import PREVIOUS, trees

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

# The reports, timed in process; the previous release had no Ledger yet.
_REPORTS = """
import json, statistics, sys, time
from rollback_rate import parse_query
try:
    from rollback_rate import Ledger
    run = Ledger(sys.argv[1]).report
except ImportError:
    from rollback_rate import build_report, open_database
    database = open_database(sys.argv[1])
    run = lambda query: build_report(database, query)
figures = {}
for label, options in (("overall", {}), ("by model", {"by": "model"}),
                       ("by team + month", {"by": "team", "period": "month"})):
    query = parse_query(window="7d", as_of="2030-01-01T00:00:00Z", **options)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        report = run(query)
        runs.append(time.perf_counter() - start)
    figures[label] = statistics.median(runs)
figures["deployments"] = report.overall.deployments
print(json.dumps(figures))
"""


def _env(src: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("ROLLBACK_RATE_DB", None)
    return env


def timed_import(src: Path, url: str, path: Path) -> tuple[float, float, str]:
    """Seconds, peak RSS in MiB, and the summary line of one import process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT, "--db", url, "import", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=_env(src),
    )
    seconds = time.perf_counter() - start
    peak = [line for line in proc.stderr.splitlines() if line.startswith("VmHWM ")]
    if proc.returncode != 0 or not peak:
        raise SystemExit(f"import failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds, int(peak[-1].split()[1]) / 1024, proc.stdout.strip().splitlines()[-1]


def timed_reports(src: Path, url: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _REPORTS, url],
        capture_output=True,
        text=True,
        check=False,
        env=_env(src),
    )
    if proc.returncode != 0:
        raise SystemExit(f"reports failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def duckdb_seconds(path: Path, workdir: Path) -> float | None:
    """Seconds DuckDB takes to load the JSONL file into a table and count it (None
    without duckdb installed)."""
    try:
        import duckdb
    except ImportError:
        return None
    target = workdir / f"duck-{uuid.uuid4().hex[:6]}.duckdb"
    start = time.perf_counter()
    with duckdb.connect(str(target)) as conn:
        conn.execute(f"CREATE TABLE events AS SELECT * FROM read_json_auto('{path}')")
        conn.execute("SELECT count(*) FROM events").fetchone()
    seconds = time.perf_counter() - start
    target.unlink()
    return seconds


@contextmanager
def databases(backend: str, workdir: Path, pg: str, count: int) -> Iterator[list[str]]:
    """`count` fresh, empty databases of `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield [f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}" for _ in range(count)]
        return
    admin = sa.create_engine(
        pg.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    names = [f"rr_bench_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield [sa.make_url(pg).set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def measure(
    src: Path, backend: str, files: dict[str, Path], count: int, workdir: Path, pg: str
) -> dict[str, float]:
    """Every figure of one tree on one backend."""
    figures: dict[str, float] = {}
    with databases(backend, workdir, pg, 2) as (big_db, small_db):
        seconds, rss, _ = timed_import(src, big_db, files["big"])
        figures |= {"import into empty, events/s": count / seconds, "import peak MiB": rss}
        seconds, rss, _ = timed_import(src, small_db, files["small"])
        figures["tenth-size import peak MiB"] = rss
        seconds, _, _ = timed_import(src, big_db, files["later"])
        figures["import into 1x-full db, events/s"] = (count // 10) / seconds
        seconds, _, _ = timed_import(src, big_db, files["big"])
        figures["re-import (duplicates), events/s"] = count / seconds
        reports = timed_reports(src, big_db)
        figures["deployments reported"] = reports.pop("deployments")
        figures |= {f"report {label}, s": value for label, value in reports.items()}
    return figures


def print_table(
    backend: str, results: dict[str, dict[str, float]], duck: float | None, count: int
) -> None:
    names = list(results)
    print(f"\n== {backend} ==")
    print(
        f"{'figure':36} "
        + " ".join(f"{name:>14}" for name in names)
        + ("  ratio to DuckDB" if duck else "")
    )
    for figure in results[names[0]]:
        cells = [_cell(results[name].get(figure)) for name in names]
        ratio = ""
        if duck and figure == "import into empty, events/s":
            ratio = f"  {(count / duck) / results[names[0]][figure]:.1f}x slower"
        print(f"{figure:36} " + " ".join(cells) + ratio)


def _cell(value: float | None) -> str:
    if value is None:
        return f"{'n/a':>14}"
    return f"{value:>14,.3f}" if value < 10 else f"{value:>14,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--previous", default=PREVIOUS, help="git revision, or 'none'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollback-rate-bench-") as tmp:
        workdir = Path(tmp)
        start = time.perf_counter()
        files = {
            "big": write_events(workdir / "events.jsonl", args.events),
            "small": write_events(workdir / "small.jsonl", args.events // 10, seed=2),
            "later": write_events(
                workdir / "later.jsonl",
                args.events // 10,
                seed=3,
                start=after(args.events),
                prefix="later-",
            ),
        }
        size = files["big"].stat().st_size / 2**20
        print(
            f"generated {args.events:,} events ({size:.0f} MiB) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        duck = duckdb_seconds(files["big"], workdir)
        if duck:
            print(f"DuckDB load + count: {duck:.2f} s, {args.events / duck:,.0f} events/s")
        else:
            print("DuckDB load + count: not installed (pip install duckdb)")
        backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
        sources = trees(args.previous, workdir)
        for backend in backends:
            results = {
                name: measure(src, backend, files, args.events, workdir, args.pg)
                for name, src in sources.items()
            }
            print_table(backend, results, duck, args.events)


if __name__ == "__main__":
    main()
