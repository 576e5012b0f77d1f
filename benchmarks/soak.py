"""Soak run of `rollback-rate serve`: mixed ingest and reads for minutes, memory sampled.

    python benchmarks/soak.py --minutes 10                       # PostgreSQL (a fresh database)
    python benchmarks/soak.py --minutes 10 --db sqlite:///soak.db

Starts one server process on a free loopback port and keeps it busy: writers post new
events in batches of 1 to 200 (and now and then a batch again: duplicates, or a batch with
an invalid event: 422), readers ask for reports, models, audit pages and metrics. Every
few seconds it samples the server's resident memory (VmRSS from /proc) and, at the end,
prints it per minute, the requests per kind with their p50/p99, and whether memory is flat:
the last minute's mean within 10% (and 16 MiB) of the first's. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from rollback_rate import Ledger
from rollback_rate.timeutil import iso_utc, now_micros

CLI = str(Path(sys.executable).parent / "rollback-rate")
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Stats:
    """Latencies and statuses per kind of request, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.events = 0

    def record(self, kind: str, seconds: float, status: int, events: int = 0) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[kind][status] += 1
            self.events += events


def writer(base: str, token: str, stop: threading.Event, stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    sent: list[list[dict[str, Any]]] = []
    n = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.05 and sent:
                batch, kind = rng.choice(sent), "post again"  # all duplicates
            elif roll < 0.07:
                batch, kind = [{"type": "deployment", "model": ""}], "post invalid"
            else:
                size = rng.choice([1, 1, 1, 5, 20, 200])
                batch, kind = [], f"post {size}"
                for _ in range(size):
                    n += 1
                    stream = rng.randrange(400)
                    event: dict[str, Any] = {
                        "id": f"soak-{seed}-{n}",
                        "model": f"soak-{stream // 2:03d}",
                        "environment": ("staging", "production")[stream % 2],
                        "timestamp": iso_utc(now_micros() - rng.randrange(3_600_000_000)),
                    }
                    if rng.random() < 0.08:
                        event.update(type="rollback", automated=rng.random() < 0.5,
                                     cause=rng.choice(["latency", "data_drift"]))  # fmt: skip
                    else:
                        event.update(type="deployment", version=f"v{n}", team=f"t{stream % 9}")
                    batch.append(event)
                if len(sent) < 200:
                    sent.append(batch)
            started = time.perf_counter()
            response = c.post("/api/v1/events", json=batch)
            stored = response.json().get("stored", 0) if response.status_code == 200 else 0
            stats.record(kind, time.perf_counter() - started, response.status_code, stored)


READS = [
    ("report", "/api/v1/report", {}),
    ("report by model, month", "/api/v1/report", {"by": "model", "period": "month"}),
    ("report by team", "/api/v1/report", {"by": "team", "window": "1d"}),
    ("models", "/api/v1/models", {}),
    ("audit page", "/api/v1/events", {"limit": 100}),
    ("metrics", "/metrics", {}),
]


def reader(base: str, token: str, stop: threading.Event, stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    cursor: str | None = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        while not stop.is_set():
            kind, path, params = rng.choice(READS)
            if kind == "audit page" and cursor:
                params = {**params, "cursor": cursor}
            started = time.perf_counter()
            response = c.get(path, params=params)
            stats.record(kind, time.perf_counter() - started, response.status_code)
            if kind == "audit page" and response.status_code == 200:
                cursor = response.json()["next_cursor"]
            time.sleep(0.05)


def _database(args: argparse.Namespace) -> tuple[str, Any]:
    """The URL to soak, and how to clean it up afterwards."""
    if args.db:
        return args.db, lambda: None
    server = args.pg
    name = f"rr_soak_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--db", help="database URL (default: a fresh database on --pg)")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "ROLLBACK_RATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    url, cleanup = _database(args)
    try:
        soak(url, args)
    finally:
        cleanup()


def soak(url: str, args: argparse.Namespace) -> None:
    with Ledger(url, group_commit=False) as ledger:
        token = ledger.create_token(f"soak-{uuid.uuid4().hex[:6]}", ["ingest", "read"])[0]
    port = _free_port()
    log = open(Path(tempfile.mkdtemp(prefix="rr-soak-")) / "server.log", "wb")  # noqa: SIM115
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLBACK_RATE_")}
    env["ROLLBACK_RATE_ACCESS_LOG"] = "0"
    server = subprocess.Popen(
        [CLI, "--db", url, "serve", "--port", str(port)], stdout=log, stderr=log, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("server did not become ready")
        stats, stop = Stats(), threading.Event()
        threads = [
            threading.Thread(target=writer, args=(base, token, stop, stats, i))
            for i in range(args.writers)
        ] + [
            threading.Thread(target=reader, args=(base, token, stop, stats, 100 + i))
            for i in range(args.readers)
        ]
        for thread in threads:
            thread.start()
        samples: list[tuple[float, int]] = []
        began = time.monotonic()
        end = began + args.minutes * 60
        print(f"soak: {args.minutes:g} min against {url.split('@')[-1]}, server pid {server.pid}")
        while time.monotonic() < end:
            samples.append((time.monotonic() - began, _rss(server.pid)))
            if len(samples) % 12 == 0:
                elapsed, rss = samples[-1]
                stored = stats.events
                print(f"  {elapsed / 60:5.1f} min  RSS {rss / MIB:6.1f} MiB  events {stored:,}")
            time.sleep(args.sample_seconds)
        samples.append((time.monotonic() - began, _rss(server.pid)))
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        report(samples, stats, time.monotonic() - began)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def report(samples: list[tuple[float, int]], stats: Stats, seconds: float) -> None:
    print("\nRSS by minute (MiB): mean, max")
    minutes: dict[int, list[int]] = defaultdict(list)
    for elapsed, rss in samples:
        minutes[int(elapsed // 60)].append(rss)
    for minute, values in sorted(minutes.items()):
        print(f"  {minute:3d}  {statistics.mean(values) / MIB:6.1f}  {max(values) / MIB:6.1f}")
    first = statistics.mean(rss for elapsed, rss in samples if elapsed < 60)
    last_start = samples[-1][0] - 60
    last = statistics.mean(rss for elapsed, rss in samples if elapsed >= last_start)
    growth = last - first
    flat = growth <= max(0.10 * first, 16 * MIB)
    print(
        f"first minute {first / MIB:.1f} MiB, last minute {last / MIB:.1f} MiB: "
        f"{growth / MIB:+.1f} MiB ({100 * growth / first:+.1f}%) -> "
        + ("memory is FLAT" if flat else "memory GREW")
    )
    print(f"\n{stats.events:,} events stored in {seconds / 60:.1f} min")
    print(f"{'request':24} {'count':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for kind in sorted(stats.latency):
        values = sorted(stats.latency[kind])
        p50 = values[len(values) // 2] * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(stats.status[kind].items()))
        print(f"{kind:24} {len(values):8,} {p50:8.1f} {p99:8.1f}  {codes}")
    unexpected = {
        code for kind, codes in stats.status.items() for code in codes
        if code >= 500 or (code != 200 and kind != "post invalid")
    }  # fmt: skip
    print("no unexpected status" if not unexpected else f"UNEXPECTED statuses: {unexpected}")


if __name__ == "__main__":
    main()
