"""During a database outage `/metrics` answers `rollback_rate_database_up 0`, at once.

The token check used to hit the database before the collector could say the database was
down: Prometheus saw a 503 after the connect attempts instead of the documented gauge
(issue 9). A token verified recently is now trusted through an outage (for
`ROLLBACK_RATE_TOKEN_OUTAGE_SECONDS`), and connecting gives up after a short timeout.
"""

from __future__ import annotations

import time
import warnings

from prometheus_client.parser import text_string_to_metric_families

from rollback_rate import Ledger
from rollback_rate.service import Settings, create_app
from tests.pgserver import private_server
from tests.service.helpers import Tokens, assert_error

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def _database_up(text: str) -> float:
    for family in text_string_to_metric_families(text):
        if family.name == "rollback_rate_database_up":
            return float(family.samples[0].value)
    raise AssertionError(text)


def test_metrics_report_the_outage_instead_of_failing():
    with private_server() as server:
        with Ledger(server.url, group_commit=False) as ledger:
            token = ledger.create_token("prometheus", ["read"])[0]
            unknown = ledger.create_token("other", ["read"])[0]
        settings = Settings(db_url=server.url, token_cache_seconds=0.5, access_log=False)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            scrape = client.get("/metrics", headers=Tokens.header(token))
            assert scrape.status_code == 200 and _database_up(scrape.text) == 1
            server.stop()
            time.sleep(0.6)  # past the token cache: the token must be looked up again
            started = time.monotonic()
            scrape = client.get("/metrics", headers=Tokens.header(token))
            elapsed = time.monotonic() - started
            assert scrape.status_code == 200, scrape.text
            assert _database_up(scrape.text) == 0
            assert elapsed < 3, elapsed
            # A token never verified by this process cannot be checked: 503, not 401.
            response = client.get("/metrics", headers=Tokens.header(unknown))
            assert_error(response, 503, "database_unavailable")
            server.start()
            scrape = client.get("/metrics", headers=Tokens.header(token))
            assert scrape.status_code == 200 and _database_up(scrape.text) == 1


def test_a_server_that_accepts_but_never_answers_is_given_up_on_in_seconds():
    # A half-dead host (or a proxy in front of a dead one) accepts the TCP connection and
    # then says nothing: without a connect timeout libpq waits for ever.
    import socket
    import threading

    from rollback_rate.errors import DatabaseUnavailable
    from rollback_rate.store.postgres import CONNECT_TIMEOUT

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    outcome: list[BaseException | None] = []

    def ping() -> None:
        try:
            Ledger(f"postgresql://postgres@127.0.0.1:{port}/x").ping()
            outcome.append(None)
        except BaseException as exc:  # reported below
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=ping, daemon=True)
    worker.start()
    worker.join(CONNECT_TIMEOUT + 5)
    elapsed = time.monotonic() - started
    silent.close()  # releases a client still waiting (before the fix)
    assert not worker.is_alive(), f"still connecting after {elapsed:.1f} s"
    assert isinstance(outcome[0], DatabaseUnavailable), outcome
    assert elapsed < CONNECT_TIMEOUT + 4
