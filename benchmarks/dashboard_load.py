"""Every API call the dashboard makes, timed against a real server with concurrent readers.

    python benchmarks/dashboard_load.py --db postgresql://postgres@127.0.0.1:5432/rr_dash \
        --deployments 1000000 --workers 2 --readers 4 --requests 40

Tops the database up to N deployments (as `http_load.py` does: 2,000 streams, ~7%
rolled back), starts `rollback-rate serve`, then for each request the page sends (the
report with its trend, the table, time to rollback, recent rollbacks; and for one
model's drill-down its report, environments, time to rollback, recent rollbacks,
streams and first page of events) runs `--readers` threads
that send it until `--requests` are done or `--seconds` pass, and prints p50, p95 and the
maximum. The page's own HTML and assets are timed too. With `--cache both` (the default)
all of it runs twice, with the server's response cache off and then on. Every loop is
bounded and talks only to 127.0.0.1. The client shares the machine with the server and
the database, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from http_load import Server, load

from rollback_rate import Ledger

Call = tuple[str, str, dict[str, str]]


def page_calls(client: httpx.Client, model: str) -> list[Call]:
    """The requests of the unfiltered dashboard and of one model's drill-down, as the
    script sends them (as_of pinned from the first report)."""
    first = client.get("/api/v1/report", params={"period": "month"}).json()
    as_of = first["as_of"]
    pinned = {"as_of": as_of}
    drill = {"as_of": as_of, "model": model}
    streams = client.get("/api/v1/models", params={"model": model}).json()["models"][0]
    last = max(s["last_deployment"]["at"] for s in streams["environments"])
    since = _minus_days(last, 90)
    return [
        ("page", "/", {}),
        ("page", "/assets/dashboard.js", {}),
        ("report + trend", "/api/v1/report", {"period": "month"}),
        ("table by model", "/api/v1/report", {**pinned, "by": "model"}),
        ("time to rollback", "/api/v1/time-to-rollback", pinned),
        ("recent rollbacks", "/api/v1/rollbacks", {**pinned, "limit": "20"}),
        ("drill: report + trend", "/api/v1/report", {"model": model, "period": "month"}),
        ("drill: environments", "/api/v1/report", {**drill, "by": "environment"}),
        ("drill: time to rollback", "/api/v1/time-to-rollback", drill),
        ("drill: recent rollbacks", "/api/v1/rollbacks", {**drill, "limit": "20"}),
        ("drill: streams", "/api/v1/models", {"model": model}),
        ("drill: events", "/api/v1/events",
         {"model": model, "since": since, "until": as_of, "limit": "1000"}),
    ]  # fmt: skip


def _minus_days(iso: str, days: int) -> str:
    from rollback_rate.timeutil import iso_utc, parse_timestamp

    moment = parse_timestamp(iso, "at") - days * 86_400_000_000
    return iso_utc(moment // 1_000_000 * 1_000_000)


def measure(base: str, token: str, call: Call, readers: int, requests: int, seconds: float):  # type: ignore[no-untyped-def]
    """Latencies (s) of `requests` sends of one call from `readers` threads."""
    _, path, params = call
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    left = iter(range(requests))
    deadline = time.perf_counter() + seconds

    def reader() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        cookies = {"rr_session": token}  # the page's own GET / signs in with the cookie
        with httpx.Client(base_url=base, headers=headers, cookies=cookies, timeout=120) as client:
            while time.perf_counter() < deadline:
                with lock:
                    if next(left, None) is None:
                        return
                began = time.perf_counter()
                response = client.get(path, params=params)
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:120]}")

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="Database URL (default: a temporary SQLite file).")
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    parser.add_argument("--readers", type=int, default=4, help="Concurrent readers per call.")
    parser.add_argument("--requests", type=int, default=40, help="Requests per call.")
    parser.add_argument("--seconds", type=float, default=60.0, help="At most, per call.")
    parser.add_argument("--model", default="load-0000", help="The drill-down's model.")
    parser.add_argument(
        "--cache", choices=["off", "on", "both"], default="both",
        help="The server's response cache: off, on (10 s for answers as of now), or both "
        "in turn, each with a server of its own.",
    )  # fmt: skip
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='rr-bench-')}/bench.db"
    ledger = Ledger(url)
    load(ledger, args.deployments)
    token, _ = ledger.create_token(f"dash-{os.getpid()}-{time.time_ns()}", ["read"])
    ledger.close()
    for cache in ["off", "on"] if args.cache == "both" else [args.cache]:
        os.environ["ROLLBACK_RATE_RESPONSE_CACHE_SECONDS"] = "0" if cache == "off" else "10"
        print(f"-- response cache {cache}")
        run(url, token, args)


def run(url: str, token: str, args: argparse.Namespace) -> None:
    """One server, every call of the page timed."""
    server = Server(url, args.workers, access_log=False)
    try:
        with httpx.Client(base_url=server.url, timeout=120,
                          headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
            total = client.get("/api/v1/report").json()["overall"]["deployments"]
            calls = page_calls(client, args.model)
        print(f"{total:,} deployments, db {url.split('@')[-1]}, {args.workers} worker(s), "
              f"{args.readers} concurrent readers, {args.requests} requests per call")  # fmt: skip
        print(f"{'call':<26} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  bytes")
        for call in calls:
            latencies, failures = measure(
                server.url, token, call, args.readers, args.requests, args.seconds
            )
            size = len(httpx.get(server.url + call[1], params=call[2], timeout=120,
                                 cookies={"rr_session": token}).content)  # fmt: skip
            p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
            print(
                f"{call[0]:<26} {statistics.median(latencies) * 1000:>8.0f} {p95 * 1000:>8.0f} "
                f"{latencies[-1] * 1000:>8.0f}  {size:,}"
                + (f"  {len(failures)} FAILED: {failures[0]}" if failures else "")
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
