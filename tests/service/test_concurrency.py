"""Overlapping batches from many clients, against real servers: each event stored once.

On PostgreSQL two server processes share the database (the service is stateless), and
both must answer the same report afterwards.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from tests.service.helpers import event, make_tokens, running_server

POOL = 1_500  # distinct events
CLIENTS = 8
BATCHES = 5
BATCH = 300


def _batches(seed: int) -> list[list[dict]]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    return [[event(n) for n in rng.sample(range(POOL), BATCH)] for _ in range(BATCHES)]


def test_concurrent_overlapping_batches_store_each_event_once(db_url, db, tmp_path):
    tokens = make_tokens(db)
    servers = 2 if db_url.startswith("postgresql") else 1
    with ExitStack() as stack:
        urls = [stack.enter_context(running_server(db_url, tmp_path)) for _ in range(servers)]
        work = [_batches(seed) for seed in range(CLIENTS)]

        def client_run(index: int) -> list[dict]:  # type: ignore[type-arg]
            with urls[index % servers].client(tokens.ingest) as client:
                results = []
                for batch in work[index]:
                    response = client.post("/api/v1/events", json=batch)
                    assert response.status_code == 200, response.text
                    results.append(response.json())
                return results

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = [r for rs in pool.map(client_run, range(CLIENTS)) for r in rs]
        reports = []
        for server in urls:
            with server.client(tokens.read) as client:
                reports.append(client.get("/api/v1/report", params={"as_of": "2026-03-01"}).json())
        logs = "\n".join(line for server in urls for line in server.log_lines())

    sent_ids = {raw["id"] for batches in work for batch in batches for raw in batch}
    assert sum(r["stored"] for r in results) == len(sent_ids)
    assert all(r["stored"] + r["duplicates"] == r["received"] == BATCH for r in results)
    with db.snapshot() as conn:
        stored = conn.exec_driver_sql("SELECT count(*), count(DISTINCT event_id) FROM events")
        assert tuple(stored.one()) == (len(sent_ids), len(sent_ids))
    assert all(report == reports[0] for report in reports)
    assert reports[0]["overall"]["deployments"] > 0
    assert "Traceback" not in logs
