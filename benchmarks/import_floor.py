"""Where an import's time goes, and the floor under it (issue 14): how fast could the import
be if our Python cost nothing, and how much Python the targets leave room for.

    python benchmarks/import_floor.py [--events 1000000] [--backend sqlite|postgresql|both]

In one run on one machine, for the same synthetic file (`generate.py`):

- DuckDB loads and counts it (`pip install duckdb`; skipped without it): a columnar engine
  doing the least work;
- decoding only: the import's own reader turns every line into a validated record
  (msgspec decoding, the checks, the content ids) in this process, and stores nothing;
- the import: `rollback-rate import` into an empty database in a process of its own, its
  wall time and its CPU time (user + system, from the kernel's account of the child), and
  the CPU time of the same command on an empty file (start-up: imports, migrations);
- the engine alone: the very rows that import stored (events, streams, stacks,
  deployments, the rollup's cells, orphan rollbacks) copied by the database itself into
  empty tables of the same schema with `INSERT ... SELECT`, in one transaction, so no
  Python runs per row. Both ways, twice each, alternating, the faster printed: under
  every index, and with the indexes built after the rows (on SQLite as bulk-load mode
  does it; on PostgreSQL every index, which the import keeps up there).

On SQLite the engine runs on the import's own thread, so the import's CPU time less the
engine's faster way and start-up is about what our Python costs. On PostgreSQL the server
works on the other core while Python goes on: the import's wall time is bounded below by
the larger of its own CPU time and the server's. The last lines say how far each target is
from that.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from generate import write_events
from ingest_report import DEFAULT_PG, databases, duckdb_seconds, timed_import

ROOT = Path(__file__).resolve().parents[1]
# The tables an import writes, parents first.
TABLES = ("streams", "events", "stream_stacks", "deployments", "deployment_counts",
          "orphan_rollbacks")  # fmt: skip
TARGETS = {"sqlite": 100_000, "postgresql": 60_000}  # events/s into an empty database


def decode_seconds(path: Path) -> tuple[float, int]:
    """Seconds for the import's reader to make every line a record, and how many it made."""
    from rollback_rate.events.readers import read_events

    start = time.perf_counter()
    count = 0
    with path.open("rb") as stream:
        for _ in read_events(stream, "jsonl"):
            count += 1
    return time.perf_counter() - start, count


def child_import(url: str, path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak MiB of `rollback-rate import`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak, _ = timed_import(ROOT / "src", url, path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def sqlite_engine_seconds(imported: str, empty: str, *, bulk: bool) -> dict[str, float]:
    """Seconds SQLite takes for each step of copying the imported rows into `empty`
    (migrated, through our own engine and its settings), under every index or as bulk-load
    mode loads them (the secondary indexes dropped first, built after the rows)."""
    from rollback_rate.store.bulk_load import DEFERRED
    from rollback_rate.store.database import open_database

    source = imported.split(":///", 1)[1]
    database = open_database(empty)
    with database.engine.connect() as conn:
        conn.exec_driver_sql(f"ATTACH DATABASE '{source}' AS imported")
        if bulk:
            for index in DEFERRED:
                index.drop(conn)
        conn.commit()  # ATTACH began SQLAlchemy's transaction; the copy is one of its own
        # WHERE: without one, SQLite copies an identical table into an empty one b-tree by
        # b-tree (its transfer optimization), which no import can do.
        steps = _copied(
            conn,
            "INSERT INTO main.{table} SELECT * FROM imported.{table} WHERE 1",
            (lambda: database.backend.build_indexes(conn, DEFERRED)) if bulk else None,
        )
    database.engine.dispose()
    return steps


def postgres_engine_seconds(imported: str, schema: str, *, bulk: bool) -> dict[str, float]:
    """Seconds the PostgreSQL server takes for each table to copy the imported rows into
    empty tables like them in a new schema of the same database: under every index
    (`LIKE ... INCLUDING ALL`), or bare, every index (primary keys and unique ones too)
    built after the rows."""
    engine = _engine(imported)
    like = "INCLUDING DEFAULTS" if bulk else "INCLUDING ALL"
    with engine.connect() as conn:
        with conn.begin():
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            for table in TABLES:
                conn.exec_driver_sql(f"CREATE TABLE {schema}.{table} (LIKE public.{table} {like})")
            indexes = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "AND tablename = ANY(%(tables)s)",
                {"tables": list(TABLES)},
            ).scalars()
            definitions = [d.replace(" ON public.", f" ON {schema}.", 1) for d in indexes]

        def build() -> None:
            for definition in definitions:
                conn.exec_driver_sql(definition)

        steps = _copied(
            conn,
            f"INSERT INTO {schema}.{{table}} SELECT * FROM public.{{table}}",
            build if bulk else None,
        )
    engine.dispose()
    return steps


def engine_seconds(
    backend: str, imported: str, workdir: Path, *, bulk: bool, run: int
) -> dict[str, float]:
    """One copy of the imported rows by `backend`'s engine: into a fresh SQLite file, or
    into a new schema (one per run and way) of the PostgreSQL database."""
    if backend == "sqlite":
        return sqlite_engine_seconds(imported, _fresh(workdir), bulk=bulk)
    return postgres_engine_seconds(imported, f"floor_{run}_{bulk}", bulk=bulk)


def _copied(
    conn: sa.Connection, insert: str, build_indexes: Callable[[], None] | None
) -> dict[str, float]:
    """Seconds of each step of one transaction: `insert` for each table, the indexes
    built (when given), and the commit."""
    steps: dict[str, float] = {}
    start = time.perf_counter()
    with conn.begin():
        for table in TABLES:
            with _timed(steps, table):
                conn.exec_driver_sql(insert.format(table=table))
        if build_indexes is not None:
            with _timed(steps, "indexes built"):
                build_indexes()
    steps["commit"] = time.perf_counter() - start - sum(steps.values())
    return steps


@contextmanager
def _timed(steps: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    steps[name] = time.perf_counter() - start


def report(
    backend: str, count: int, figures: dict[str, float], engine: float, duck: float | None
) -> None:
    target = TARGETS[backend]
    budget = count / target
    wall, cpu = figures["import wall s"], figures["import CPU s"]
    print(f"\n== {backend}: {count:,} events ==")
    for name, value in figures.items():
        print(f"  {name:44} {value:10,.2f}")
    versus = f", {wall / duck:.1f}x DuckDB's time" if duck else ""
    print(f"  import: {count / wall:,.0f} events/s{versus}; {target:,}/s takes {budget:.1f} s")
    versus = f", {engine / duck:.1f}x DuckDB's time" if duck else ""
    print(f"  the engine alone: {count / engine:,.0f} events/s{versus} (Python costing nothing)")
    if backend == "sqlite":
        python = cpu - engine - figures["of which start-up (an empty file) s"]
        room = budget - engine
        print(
            f"  Python (import CPU less the engine and start-up): {python:.1f} s, "
            f"{python / cpu:.0%} of the "
            + (
                f"import; the target leaves {room:.1f} s for it, {python / room:.1f}x less"
                if room > 0
                else "import; the engine alone takes longer than the target allows"
            )
        )
    else:
        print(
            f"  the import's own CPU (Python, the driver) {cpu:.1f} s and the server's "
            f"{engine:.1f} s run on two cores: at best the larger, "
            f"{count / max(cpu, engine):,.0f} events/s; the target needs both under {budget:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL")
    args = parser.parse_args()
    os.environ.pop("ROLLBACK_RATE_DB", None)
    with tempfile.TemporaryDirectory(prefix="rollback-rate-floor-") as tmp:
        workdir = Path(tmp)
        path = write_events(workdir / "events.jsonl", args.events)
        empty = workdir / "empty.jsonl"
        empty.touch()
        duck = duckdb_seconds(path, workdir)
        decoded, records = decode_seconds(path)
        print(f"{records:,} events, {path.stat().st_size / 2**20:.0f} MiB")
        if duck:
            print(f"DuckDB load + count: {duck:.2f} s ({args.events / duck:,.0f} events/s)")
        print(f"decoding only (this process): {decoded:.2f} s ({records / decoded:,.0f} events/s)")
        backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
        for backend in backends:
            with databases(backend, workdir, args.pg, 2) as (imported, bare):
                wall, cpu, peak = child_import(imported, path)
                figures = {"import wall s": wall, "import CPU s": cpu, "import peak MiB": peak}
                _, figures["of which start-up (an empty file) s"], _ = child_import(bare, empty)
                # Twice each, alternating: the first copy also warms the imported pages.
                runs = [
                    engine_seconds(backend, imported, workdir, bulk=bulk, run=i)
                    for i in range(2)
                    for bulk in (False, True)
                ]
                after = "bulk-load mode" if backend == "sqlite" else "indexes after"
                variants = {
                    "engine, indexes up": _faster(runs[0], runs[2]),
                    f"engine, {after}": _faster(runs[1], runs[3]),
                }
                for name, steps in variants.items():
                    figures[f"{name} s"] = sum(steps.values())
                    how = name.split(", ")[1]
                    figures |= {f"  {step} ({how}) s": value for step, value in steps.items()}
                figures["rows the engine copied"] = _rows(imported)
                engine = min(sum(steps.values()) for steps in variants.values())
                report(backend, args.events, figures, engine, duck)


def _faster(*runs: dict[str, float]) -> dict[str, float]:
    return min(runs, key=lambda steps: sum(steps.values()))


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _rows(url: str) -> int:
    engine = _engine(url)
    with engine.connect() as conn:
        count = "SELECT count(*) FROM {}"
        rows = sum(conn.exec_driver_sql(count.format(t)).scalar_one() for t in TABLES)
    engine.dispose()
    return rows


def _fresh(workdir: Path) -> str:
    return f"sqlite:///{workdir / f'floor-{uuid.uuid4().hex[:6]}.db'}"


if __name__ == "__main__":
    main()
