"""HTTP load test of `rollback-rate serve`: a bounded client against a server it starts.

    python benchmarks/http_load.py --db postgresql://postgres@127.0.0.1:5432/rr_bench \
        --deployments 1000000 --workers 2 --concurrency 16 --seconds 10

Phases: (1) load N deployments (plus ~7% rollbacks) with `Ledger.record_stream` in chunks,
unless already there; (2) single-event POSTs from `--concurrency` threads for `--seconds`;
(3) 10,000-event batch POSTs; (4) report GETs. Prints requests/s (events/s for batches)
and p50/p99 latency. Targets (2 cores): single POST >= 1,000 req/s with p99 < 50 ms;
batches >= 50,000 events/s; report GET p99 < 500 ms. The client shares the machine with
the server and the database, so figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from rollback_rate import Ledger, parse_query
from rollback_rate.timeutil import iso_utc, now_micros

CLI = str(Path(sys.executable).parent / "rollback-rate")


def load(ledger: Ledger, wanted: int, chunk: int = 50_000) -> None:
    """Top up to `wanted` counted deployments, oldest first, over 2,000 streams."""
    query = parse_query(window="7d", as_of="2100-01-01T00:00:00Z")
    have = ledger.report(query).overall.deployments
    if have >= wanted:
        print(f"load: {have:,} deployments already stored")
        return
    missing = wanted - have
    rng = random.Random(have)
    start = now_micros() - missing * 15_000_000  # ends about now: some still pending
    began = time.perf_counter()
    stored = 0
    for offset in range(0, missing, chunk):
        first_at = start + offset * 15_000_000
        raws = list(_history(rng, have + offset, min(chunk, missing - offset), first_at))
        result = ledger.record_stream(raws)
        stored += result.stored
        rate = stored / (time.perf_counter() - began)
        done = min(offset + chunk, missing)
        print(f"\rload: {done:>9,}/{missing:,} deployments, {rate:,.0f} events/s", end="")
    print()
    ledger.maintain()  # as `rollback-rate import` does after a bulk load


def _history(rng: random.Random, first: int, count: int, start: int) -> Iterator[tuple[str, Any]]:
    """Deployments 15 s apart round-robin over the streams; ~7% followed by a rollback."""
    for i in range(first, first + count):
        stream = i % 2_000
        at = start + (i - first) * 15_000_000
        base = {
            "model": f"load-{stream // 2:04d}",
            "environment": ("staging", "production")[stream % 2],
        }
        deployment = {"type": "deployment", "version": f"v{i}", "id": f"load-{i}"}
        yield f"{i}", {**base, **deployment, "timestamp": iso_utc(at), "team": f"t{stream % 17}"}
        if rng.random() < 0.07:
            rollback = {"type": "rollback", "id": f"load-rb-{i}", "automated": rng.random() < 0.6}
            yield f"{i}r", {**base, **rollback, "timestamp": iso_utc(at + 1_000_000)}


def _batch_body(run: str, n: int, now: int) -> bytes:
    """10,000 new deployments over 100 new streams (model names unique to the batch)."""
    return orjson.dumps(
        [
            {
                "type": "deployment",
                "model": f"batch-{run}-{n}-{i % 100}",
                "version": f"b{i}",
                "id": f"batch-{run}-{n}-{i}",
                "timestamp": iso_utc(now + i * 1000),
            }
            for i in range(10_000)
        ]
    )


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, name, CPU seconds so far) of every process, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone since the listing
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        found.append((int(stat.parent.name), int(fields[1]), name, cpu))
    return found


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server's process tree, of PostgreSQL's processes on this
    machine, of this benchmark's finished children (wrk, once it has exited) and of every
    other process still running."""
    processes = _processes()
    tree, grew = {server_pid}, True
    while grew:
        more = {pid for pid, parent, _, _ in processes if parent in tree} - tree
        tree |= more
        grew = bool(more)
    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = finished.ru_utime + finished.ru_stime
    parts = {"server": 0.0, "PostgreSQL": 0.0, "wrk": wrk, "others": 0.0}
    for pid, _, name, cpu in processes:
        part = "server" if pid in tree else "PostgreSQL" if name == "postgres" else "others"
        parts[part] += cpu
    return parts


def wrk_single_post(
    base_url: str, token: str, seconds: float, connections: int, server_pid: int
) -> None:
    """The same single-event POST phase driven by wrk, a C client that leaves the server
    most of the two cores (the Python client above spends about as much CPU as the server).

    It also prints the CPU each request cost the server's processes, PostgreSQL's, wrk and
    any other process: on a machine they share, the cores divided by the sum of those is
    the most requests a second they could serve, however short the waits."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("single-event POST (wrk): skipped, wrk is not installed (apt-get install wrk)")
        return
    script = Path(__file__).with_name("wrk_single_post.lua")
    before = cpu_by_part(server_pid)
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{max(1, int(seconds))}s",
            "--latency",
            "-s",
            str(script),
            base_url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "RR_TOKEN": token},
        check=True,
    ).stdout
    after = cpu_by_part(server_pid)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    print(
        f"single-event POST (wrk, {connections} connections): "
        f"{float(rate.group(1)) if rate else 0:,.0f} req/s, "
        f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}"
        + (f", {errors.group(1)} non-2xx" if errors else "")
    )
    requests = re.search(r"(\d+) requests in", out)
    if requests and int(requests.group(1)):
        count = int(requests.group(1))
        spent = {part: (after[part] - before[part]) / count * 1000 for part in after}
        total = sum(spent.values())
        print(
            "  CPU per request: "
            + ", ".join(f"{part} {ms:.3f} ms" for part, ms in spent.items())
            + f"; {os.cpu_count()} cores at {total:.3f} ms a request serve at most "
            f"{os.cpu_count() * 1000 / total:,.0f} req/s"
        )


class Server:
    """`rollback-rate serve` on a free loopback port, until `stop()`."""

    def __init__(self, url: str, workers: int, access_log: bool) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "ROLLBACK_RATE_ACCESS_LOG": "1" if access_log else "0"}
        self.log = (Path(tempfile.mkdtemp(prefix="rr-serve-")) / "server.log").open("wb")
        self.process = subprocess.Popen(
            [CLI, "--db", url, "serve", "--port", str(self.port), "--workers", str(workers)],
            stdout=self.log,
            stderr=self.log,
            env=env,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit("server did not become ready")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def run_phase(
    name: str,
    threads: int,
    seconds: float,
    max_requests: int,
    make_request: Callable[[httpx.Client, int, int], httpx.Response],
    base_url: str,
    token: str,
    unit: int = 1,
) -> dict[str, float]:
    """`threads` clients send until `seconds` pass or `max_requests` are sent, in total."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    sent = iter(range(max_requests))
    deadline = time.perf_counter() + seconds

    def worker(thread: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
            while time.perf_counter() < deadline:
                with lock:
                    n = next(sent, None)
                if n is None:
                    return
                began = time.perf_counter()
                response = make_request(client, thread, n)
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:200]}")

    began = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    figures = {
        "requests": len(ordered),
        "per_second": len(ordered) / wall,
        "units_per_second": len(ordered) * unit / wall,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        if ordered
        else 0.0,
    }
    extra = f", {figures['units_per_second']:,.0f} events/s" if unit > 1 else ""
    print(
        f"{name}: {figures['requests']:,} requests in {wall:.1f} s, "
        f"{figures['per_second']:,.0f} req/s{extra}, "
        f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
        + (f", {len(failures)} FAILED (first: {failures[0]})" if failures else "")
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="Database URL (default: a temporary SQLite file).")
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    parser.add_argument("--concurrency", type=int, default=8, help="Single-POST threads.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each phase.")
    parser.add_argument("--batches", type=int, default=20, help="10,000-event batches to send.")
    parser.add_argument("--report-clients", type=int, default=1, help="Report GET threads.")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='rr-bench-')}/bench.db"
    ledger = Ledger(url)
    load(ledger, args.deployments)
    token, _ = ledger.create_token(f"bench-{os.getpid()}-{time.time_ns()}", ["admin"])
    ledger.close()
    run = f"{os.getpid()}-{time.time_ns()}"
    now = now_micros()
    print(f"server: {args.workers} worker(s), db {url.split('@')[-1]}")
    server = Server(url, args.workers, not args.no_access_log)
    try:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=auth, timeout=120) as client:
            total = client.get("/api/v1/report").json()["overall"]["deployments"]

        def report(client: httpx.Client, thread: int, n: int) -> httpx.Response:
            return client.get("/api/v1/report")

        def single(client: httpx.Client, thread: int, n: int) -> httpx.Response:
            raw = {
                "type": "deployment",
                "model": f"bench-{thread}-{n % 20}",
                "version": f"s{n}",
                "id": f"single-{run}-{n}",
                "timestamp": iso_utc(now + n * 1000),
            }
            return client.post("/api/v1/events", content=orjson.dumps(raw))

        # Bodies are built before the clock starts: the client's own CPU is not measured.
        bodies = [_batch_body(run, n, now) for n in range(args.batches)]

        def batch(client: httpx.Client, thread: int, n: int) -> httpx.Response:
            return client.post("/api/v1/events", content=bodies[n])

        run_phase(
            f"report GET ({total:,} deployments, {args.report_clients} client(s))",
            args.report_clients,
            args.seconds,
            10**9,
            report,
            server.url,
            token,
        )
        run_phase(
            "single-event POST", args.concurrency, args.seconds, 10**9, single, server.url, token
        )
        wrk_single_post(server.url, token, args.seconds, args.concurrency, server.process.pid)
        run_phase(
            "10,000-event batch POST",
            2,
            args.seconds * 6,
            args.batches,
            batch,
            server.url,
            token,
            unit=10_000,
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
