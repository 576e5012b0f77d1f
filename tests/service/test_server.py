"""A real `rollback-rate serve` process over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import orjson
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from rollback_rate.cli import app as cli_app
from rollback_rate.demo import demo_events
from rollback_rate.timeutil import parse_timestamp
from tests.helpers import ledger_of
from tests.service.helpers import assert_error, event, make_tokens, running_server

WEIRD = 'we"ird\\model\nname{le="x"}'
AS_OF = "2026-02-01T00:00:00Z"
ROLLBACK = {"type": "rollback", "timestamp": "2026-01-02T01:00:00Z", "automated": True}


def test_auth_validation_duplicates_and_access_log(db_url, db, tmp_path):
    tokens = make_tokens(db)
    with running_server(db_url, tmp_path) as server:
        with server.client() as anonymous:
            assert_error(anonymous.post("/api/v1/events", json=event(1)), 401, "unauthorized")
        with server.client(tokens.read) as reader:
            assert_error(reader.post("/api/v1/events", json=event(1)), 403, "forbidden")
        with server.client(tokens.ingest) as ingest:
            first = ingest.post("/api/v1/events", json=[event(1), event(2)])
            assert first.json() == {"received": 2, "stored": 2, "duplicates": 0}
            second = ingest.post("/api/v1/events", json=[event(2), event(3)])
            assert second.json() == {"received": 2, "stored": 1, "duplicates": 1}
            bad = ingest.post("/api/v1/events", json=[event(4), event(5, automated="yes")])
            error = assert_error(bad, 422, "invalid_events")
            assert error["details"] == [
                {
                    "location": "[1]",
                    "field": "automated",
                    "reason": "must be true or false (got 'yes')",
                }
            ]
        with server.client(tokens.read) as reader:
            page = reader.get("/api/v1/events", params={"limit": 2}).json()
            assert [e["id"] for e in page["events"]] == ["evt-1", "evt-2"]
            rest = reader.get("/api/v1/events", params={"cursor": page["next_cursor"]}).json()
            assert [e["id"] for e in rest["events"]] == ["evt-3"]
            assert rest["next_cursor"] is None
    lines = [json.loads(line) for line in server.log_lines() if line.startswith("{")]
    posts = [line for line in lines if line["method"] == "POST"]
    assert [line["status"] for line in posts] == [401, 403, 200, 200, 422]
    assert set(posts[0]) == {"ts", "method", "path", "status", "duration_ms", "client"}
    assert posts[0]["client"] == "127.0.0.1"


def test_body_limit_over_the_wire(db_url, db, tmp_path):
    tokens = make_tokens(db)
    body = orjson.dumps([event(n) for n in range(50)])
    with running_server(db_url, tmp_path, env={"ROLLBACK_RATE_MAX_BODY": "2k"}) as server:
        with server.client(tokens.ingest) as client:
            assert_error(client.post("/api/v1/events", content=body), 413, "payload_too_large")
            chunks = (body[i : i + 512] for i in range(0, len(body), 512))  # chunked, no length
            assert_error(client.post("/api/v1/events", content=chunks), 413, "payload_too_large")
            assert client.post("/api/v1/events", json=event(1)).status_code == 200
        # A Content-Length that understates the body: only the declared bytes are the
        # request; the rest cannot smuggle in a second request past the limit.
        host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
        with socket.create_connection((host, port), timeout=10) as sock:
            head = (
                f"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                f"Authorization: Bearer {tokens.ingest}\r\n\r\n"
            ).encode()
            sock.sendall(head + body)
            reply = sock.recv(65536).decode(errors="replace")
        # The declared 10 bytes are bad JSON (422); httptools may answer first that the
        # bytes after them are no request (400). Either way nothing after them is stored.
        assert reply.startswith(("HTTP/1.1 422", "HTTP/1.1 400")), reply
        assert "200 OK" not in reply, reply
    with db.snapshot() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == 1


def test_report_is_the_cli_report(db_url, db, tmp_path):
    as_of = parse_timestamp(AS_OF, "as_of")
    ledger_of(db).record_stream(((f"demo {i}", raw) for i, raw in enumerate(demo_events(as_of, 3))))
    tokens = make_tokens(db)
    runner = CliRunner()
    cases = [
        {"as_of": AS_OF},
        {"as_of": AS_OF, "by": "model,environment", "period": "month", "window": "3d"},
        {"as_of": AS_OF, "team": "search", "since": "2025-06-01", "by": "team"},
    ]
    with running_server(db_url, tmp_path) as server, server.client(tokens.read) as client:
        for params in cases:
            args = ["--db", db_url, "report", "--format", "json"]
            for name, value in params.items():
                args += [f"--{name.replace('_', '-')}", value]
            cli = runner.invoke(cli_app, args)
            assert cli.exit_code == 0, cli.output
            http = client.get("/api/v1/report", params=params)
            assert http.status_code == 200, http.text
            assert http.json() == json.loads(cli.stdout), params


def test_prometheus_exposition_parses_and_escapes_labels(db_url, db, tmp_path):
    ledger_of(db).record_stream(
        [
            ("a", event(1, model=WEIRD, environment="staging", timestamp="2026-01-01T00:00:00Z")),
            ("b", event(2, model=WEIRD, environment="staging", timestamp="2026-01-02T00:00:00Z")),
            ("c", {**ROLLBACK, "model": WEIRD, "environment": "staging"}),
            ("d", event(3, model="plain", timestamp="2026-01-03T00:00:00Z")),
        ],
    )
    tokens = make_tokens(db)
    with running_server(db_url, tmp_path) as server, server.client(tokens.read) as client:
        client.get("/api/v1/report")
        response = client.get("/metrics")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in families.values()
        for s in family.samples
    }
    weird = (("environment", "staging"), ("model", WEIRD))
    assert samples[("rollback_rate_settled_rate_percent", weird)] == 50.0
    assert samples[("rollback_rate_settled_deployments", weird)] == 2
    assert samples[("rollback_rate_pending_deployments", weird)] == 0
    manual, automated = (("automated", "false"), *weird), (("automated", "true"), *weird)
    assert samples[("rollback_rate_deployments_total", manual)] == 2
    assert samples[("rollback_rate_rollbacks_total", automated)] == 1
    assert ("rollback_rate_rollbacks_total", manual) not in samples
    assert samples[("rollback_rate_database_up", ())] == 1
    report_requests = (
        "rollback_rate_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/report"), ("status", "200")),
    )
    assert samples[report_requests] == 1
    assert "rollback_rate_http_request_duration_seconds" in families
