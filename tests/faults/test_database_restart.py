"""PostgreSQL stopped and started under HTTP ingest (issue 9).

A private server (never the shared one) is crashed (`pg_ctl stop -m immediate`) while
clients post batches to a real `rollback-rate serve`, then started again. Clients get
503 with `Retry-After` while it is down, and post the same batch again; the service
recovers without a restart; every acknowledged event is stored exactly once, and the
report equals a sequential import of the same events: nothing half-written.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import Counter
from typing import Any

import httpx

from rollback_rate import Ledger
from tests.faults.history import full_report, history, stored_counts
from tests.pgserver import private_server
from tests.service.helpers import running_server

CLIENTS = 4
EVENTS = 3_000


def _batches(events: list[dict[str, Any]], seed: int) -> list[list[dict[str, Any]]]:
    """Mostly small batches (group commit), a few over 500 events (a transaction each)."""
    rng = random.Random(seed)
    batches, start = [], 0
    while start < len(events):
        size = rng.choice([1, 5, 20, 60, 600]) if rng.random() < 0.05 else rng.randint(1, 40)
        batches.append(events[start : start + size])
        start += size
    return batches


def test_clients_ride_out_a_database_crash(tmp_path, fresh_sqlite_url):
    events = history(EVENTS, streams=30, seed=5)
    work: queue.Queue[list[dict[str, Any]]] = queue.Queue()
    for batch in _batches(events, seed=5):
        work.put(batch)
    total = work.qsize()
    acknowledged: list[str] = []
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    with private_server() as database, Ledger(database.url, group_commit=False) as ledger:
        token = ledger.create_token("ingest", ["ingest", "read"])[0]
        with running_server(database.url, tmp_path) as server:
            pid = server.process.pid

            def client() -> None:
                with server.client(token) as http:
                    while True:
                        try:
                            batch = work.get_nowait()
                        except queue.Empty:
                            return
                        while True:  # the same batch until it is acknowledged
                            try:
                                response = http.post("/api/v1/events", json=batch)
                            except httpx.TransportError:
                                time.sleep(0.1)
                                continue
                            with lock:
                                statuses[response.status_code] += 1
                            if response.status_code == 200:
                                with lock:
                                    acknowledged.extend(event["id"] for event in batch)
                                break
                            if response.status_code == 503 and response.headers.get("retry-after"):
                                time.sleep(min(float(response.headers["retry-after"]), 0.3))
                                continue
                            with lock:
                                problems.append(f"{response.status_code}: {response.text[:300]}")
                            return

            threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 120
            while work.qsize() > total * 0.6:  # a third of the way in
                assert time.monotonic() < deadline and all(t.is_alive() for t in threads)
                time.sleep(0.02)
            database.stop("immediate")  # a crash, mid-transaction for some clients
            time.sleep(1.5)
            database.start()
            for thread in threads:
                thread.join(timeout=300)
            assert not any(thread.is_alive() for thread in threads), "clients did not finish"
            assert server.process.poll() is None and server.process.pid == pid  # no restart
            assert httpx.get(server.url + "/readyz", timeout=10).status_code == 200
            logs = "\n".join(server.log_lines())
        assert problems == [], (problems, logs[-6000:])
        assert statuses[503] > 0, f"the outage was not seen: {statuses}"
        assert statuses[500] == 0 and "Traceback" not in logs
        assert sorted(acknowledged) == sorted(event["id"] for event in events)
        counts = stored_counts(database.url)
        assert counts["events"] == EVENTS  # every event once (ids are unique)
        got = full_report(database.url)

    sequential = fresh_sqlite_url()
    with Ledger(sequential, group_commit=False) as reference:
        reference.record_stream([(f"[{i}]", e) for i, e in enumerate(events)])
    assert stored_counts(sequential) == counts
    assert got == full_report(sequential)
