"""Single-event writes into streams with long histories (issue 14): how a write's cost
grows with the number of deployments its stream already has, for this tree beside an
earlier one, in one run on one machine.

    python benchmarks/write_history.py [--sizes 100,10000,50000] [--writes 30]
                                       [--backend sqlite|postgresql|both]
                                       [--previous 5b37126|none]

The default earlier tree is the last commit that saved each stack whole as JSON in every
transaction (the release before issue 14 has no `Ledger` to call). Each tree runs in its
own process with PYTHONPATH set to it (releases.py); both run from source
(ROLLBACK_RATE_PURE_PYTHON=1, an extracted tree has no compiled modules), and this tree
compiled too. For each size, the process imports that many deployments of one new stream
(a rollback after every tenth), then records `--writes` deployments one at a time, each
in its own transaction (no group commit), and prints the median and the fastest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from releases import trees

DEFAULT_PG = os.environ.get("ROLLBACK_RATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
EARLIER = "5b37126"

_WRITES = """
import json, statistics, sys, time
from datetime import datetime, timezone
from rollback_rate import Ledger

url, folder, sizes, writes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


t0 = 1_600_000_000
with Ledger(url, group_commit=False) as ledger:
    for n in map(int, sizes.split(",")):
        model = f"history-{n}"
        path = f"{folder}/{model}.jsonl"
        with open(path, "w") as out:
            for i in range(n):
                at = t0 + i * 3600
                out.write(json.dumps({"type": "deployment", "model": model, "version": f"v{i}",
                                      "timestamp": iso(at), "id": f"{model}-d{i}"}) + "\\n")
                if i % 10 == 5:
                    out.write(json.dumps({"type": "rollback", "model": model,
                                          "timestamp": iso(at + 60), "id": f"{model}-r{i}",
                                          "cause": "data_schema_change"}) + "\\n")
        ledger.import_file(path)
        times = []
        for k in range(writes):
            event = {"type": "deployment", "model": model, "version": f"new-{k}",
                     "timestamp": iso(t0 + n * 3600 + k * 60), "id": f"{model}-new-{k}"}
            start = time.perf_counter()
            ledger.record(event)
            times.append(time.perf_counter() - start)
        print(json.dumps({"size": n, "median_ms": 1000 * statistics.median(times),
                          "min_ms": 1000 * min(times)}), flush=True)
"""


def measure(src: Path, url: str, sizes: str, writes: int, pure: bool) -> list[dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    if pure:
        env["ROLLBACK_RATE_PURE_PYTHON"] = "1"
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-c", _WRITES, url, folder, sizes, str(writes)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    return [json.loads(line) for line in done.stdout.splitlines()]


def fresh_url(backend: str, folder: Path, pg: str) -> tuple[str, str | None]:
    """A new database's URL, and the PostgreSQL database to drop afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}", None
    name = f"rr_write_history_{uuid.uuid4().hex[:12]}"
    with sa.create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    return pg.rsplit("/", 1)[0] + f"/{name}", name


def drop(pg: str, name: str) -> None:
    with sa.create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,50000")
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--previous", default=EARLIER, help="git revision, or 'none'")
    parser.add_argument("--pg", default=DEFAULT_PG)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        runs = []
        for name, src in trees(args.previous, workdir).items():
            runs.append((f"{name}, from source", src, True))
            if name == "this tree":
                runs.append((f"{name}, compiled", src, False))
        for backend in backends:
            for label, src, pure in runs:
                url, created = fresh_url(backend, workdir, args.pg)
                try:
                    figures = measure(src, url, args.sizes, args.writes, pure)
                finally:
                    if created is not None:
                        drop(args.pg, created)
                for figure in figures:
                    print(f"{backend:10} {label:28} {figure['size']:>7,} deployments: "
                          f"a write {figure['median_ms']:7.2f} ms median, "
                          f"{figure['min_ms']:7.2f} fastest", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
