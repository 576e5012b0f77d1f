"""A body over the limit gets its 413 even from clients that send it all before reading.

urllib, requests and httpx write the whole body before they read a byte of the answer. A
server that answers early and closes the connection while body bytes are still arriving
makes the kernel reset it, and the client sees the reset, not the 413 (issue 9).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
import requests
from prometheus_client import CollectorRegistry

from rollback_rate.service.middleware import DRAIN_LIMIT, RequestMiddleware
from rollback_rate.service.observability import RequestMetrics
from tests.service.helpers import Tokens, make_tokens, running_server

LIMIT = "1MiB"
BODY = b"[" + b" " * (20 * 1024 * 1024) + b"]"  # 20 MiB of valid JSON


def _chunks(size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, len(BODY), size):
        yield BODY[start : start + size]


def _assert_413(status: int, body: bytes) -> None:
    assert status == 413, body[:200]
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_clients_that_send_everything_first_read_the_413(fresh_sqlite_url, tmp_path):
    from rollback_rate.store import open_database

    url = fresh_sqlite_url()
    database = open_database(url)
    tokens = make_tokens(database)
    database.dispose()
    headers = {**Tokens.header(tokens.ingest), "Content-Type": "application/json"}
    with running_server(url, tmp_path, env={"ROLLBACK_RATE_MAX_BODY": LIMIT}) as server:
        events = server.url + "/api/v1/events"
        for _ in range(3):  # a reset is a race: give it several chances to show
            request = urllib.request.Request(events, data=BODY, headers=headers)
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=30)
            _assert_413(caught.value.code, caught.value.read())

            chunked = urllib.request.Request(events, data=_chunks(), headers=headers)
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(chunked, timeout=30)
            _assert_413(caught.value.code, caught.value.read())

            answer = requests.post(events, data=BODY, headers=headers, timeout=30)
            _assert_413(answer.status_code, answer.content)
            answer = requests.post(events, data=_chunks(), headers=headers, timeout=30)
            _assert_413(answer.status_code, answer.content)

            reply = httpx.post(events, content=BODY, headers=headers, timeout=30)
            _assert_413(reply.status_code, reply.content)
            reply = httpx.post(events, content=_chunks(), headers=headers, timeout=30)
            _assert_413(reply.status_code, reply.content)
        # The service still answers, and nothing was stored.
        with server.client(tokens.read) as reader:
            assert reader.get("/api/v1/events").json()["events"] == []


def _run(app, scope, chunks: list[bytes]) -> tuple[list[dict], int]:
    """Drive the middleware by hand; the messages sent and how many chunks it read."""
    sent: list[dict] = []
    read = 0

    async def receive() -> dict:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, read


def _scope(*headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}


async def _reads_everything(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _limited(app, limit: int) -> RequestMiddleware:
    metrics = RequestMetrics(CollectorRegistry())
    return RequestMiddleware(app, limit=limit, metrics=metrics, log_enabled=False)


def test_draining_is_bounded_and_then_the_connection_closes():
    app = _limited(_reads_everything, limit=1000)
    chunk = b"x" * (1024 * 1024)
    endless = [chunk] * (DRAIN_LIMIT // len(chunk) + 50)
    sent, read = _run(app, _scope(), endless)  # chunked: no Content-Length
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert read <= DRAIN_LIMIT // len(chunk) + 2  # stopped reading at the bound

    declared = str(DRAIN_LIMIT * 2).encode()  # too large to drain: answered at once
    sent, read = _run(app, _scope((b"content-length", declared)), endless)
    assert sent[0]["status"] == 413 and read == 0
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_client_waiting_for_100_continue_is_answered_without_reading():
    app = _limited(_reads_everything, limit=1000)
    scope = _scope((b"content-length", b"5000"), (b"expect", b"100-continue"))
    sent, read = _run(app, scope, [b"x" * 5000])
    assert sent[0]["status"] == 413 and read == 0


def test_a_body_within_the_drain_limit_is_read_to_its_end_before_the_413():
    app = _limited(_reads_everything, limit=1000)
    chunks = [b"x" * 1000] * 20
    sent, read = _run(app, _scope((b"content-length", b"20000")), chunks)
    assert sent[0]["status"] == 413 and read == 20
    sent, read = _run(app, _scope(), chunks)
    assert sent[0]["status"] == 413 and read == 20


def test_the_middleware_s_own_413s_are_counted_with_every_other_answer():
    registry = CollectorRegistry()
    app = RequestMiddleware(
        _reads_everything, limit=1000, metrics=RequestMetrics(registry), log_enabled=False
    )
    _run(app, _scope((b"content-length", b"5000")), [b"x" * 5000])  # declared: answered early
    _run(app, _scope(), [b"x" * 600] * 3)  # found while reading
    _run(app, _scope(), [b"x" * 10])  # within the limit

    def requests_with(status: str) -> float | None:
        labels = {"route": "unmatched", "method": "POST", "status": status}
        return registry.get_sample_value("rollback_rate_http_requests_total", labels)

    assert (requests_with("413"), requests_with("200")) == (2.0, 1.0)
