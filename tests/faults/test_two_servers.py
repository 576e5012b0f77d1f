"""Two `serve` processes on one PostgreSQL, overlapping concurrent clients (issue 9).

Clients send overlapping samples of one history to both servers at once, in small
batches (group commit) and in batches larger than a chunk (chunked writes that can
deadlock with each other and are retried whole). Every event is stored exactly once and
the report equals a sequential import of the history.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from rollback_rate import Ledger
from tests.faults.history import full_report, history, stored_counts
from tests.service.helpers import make_tokens, running_server

POOL = 8_000
CLIENTS = 4


def _work(seed: int, pool: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    rng = random.Random(seed)
    batches = [rng.sample(pool, rng.randint(20, 400)) for _ in range(4)]
    batches.insert(rng.randrange(5), rng.sample(pool, 5_200))  # more than a chunk (5,000)
    return batches


def test_two_servers_store_each_event_once_and_agree_with_a_sequential_import(
    pg_server_url, fresh_sqlite_url, tmp_path
):
    from rollback_rate.store import open_database
    from tests.conftest import _truncate_all

    database = open_database(pg_server_url)
    _truncate_all(database)
    tokens = make_tokens(database)
    pool = history(POOL, streams=24, seed=11)
    work = [_work(seed, pool) for seed in range(CLIENTS)]
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(pg_server_url, tmp_path)) for _ in "ab"]

        def client(index: int) -> list[dict[str, int]]:
            answers = []
            for number, batch in enumerate(work[index]):
                with servers[(index + number) % 2].client(tokens.ingest) as http:
                    response = http.post("/api/v1/events", json=batch, timeout=300)
                assert response.status_code == 200, response.text
                answers.append(response.json())
            return answers

        with ThreadPoolExecutor(CLIENTS) as threads:
            answers = [a for per_client in threads.map(client, range(CLIENTS)) for a in per_client]
        sent = {event["id"] for batches in work for batch in batches for event in batch}
        rest = [event for event in pool if event["id"] not in sent]  # the history, complete
        with servers[0].client(tokens.ingest) as http:
            for start in range(0, len(rest), 2_000):
                assert http.post("/api/v1/events", json=rest[start : start + 2_000]).is_success
        logs = "\n".join(line for server in servers for line in server.log_lines())

    assert all(a["stored"] + a["duplicates"] == a["received"] for a in answers)
    assert sum(a["stored"] for a in answers) == len(sent)  # each once, whoever was first
    assert "Traceback" not in logs
    with database.snapshot() as conn:
        rows = conn.exec_driver_sql("SELECT count(*), count(DISTINCT event_id) FROM events")
        assert tuple(rows.one()) == (POOL, POOL)
    database.dispose()

    sequential = fresh_sqlite_url()
    with Ledger(sequential, group_commit=False) as ledger:
        ledger.record_stream([(f"[{i}]", event) for i, event in enumerate(pool)])
    assert stored_counts(pg_server_url) == stored_counts(sequential)
    assert full_report(pg_server_url) == full_report(sequential)
