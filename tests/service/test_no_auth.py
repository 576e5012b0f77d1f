"""No-auth mode serves loopback only, whoever starts the app (issue 9).

`serve --no-auth` refuses to bind anywhere but loopback, but the documented factory
(`uvicorn --factory rollback_rate.service.app:app_from_env`) never goes through `serve`:
the app itself must refuse non-loopback requests when it runs without tokens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest

from rollback_rate.service import Settings, create_app
from rollback_rate.service.settings import is_loopback
from tests.service.helpers import assert_error, event, free_port

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def _app(db_url: str):
    return create_app(Settings(db_url=db_url, no_auth=True, access_log=False))


def test_loopback_addresses():
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.0.2.2", "example.com", "testclient", "", None):
        assert not is_loopback(host), host


def test_no_auth_refuses_clients_that_are_not_loopback(fresh_sqlite_url):
    url = fresh_sqlite_url()
    remote = TestClient(_app(url), base_url="http://127.0.0.1", client=("203.0.113.9", 4000))
    with remote:
        error = assert_error(remote.post("/api/v1/events", json=event(1)), 403, "forbidden")
        assert "ROLLBACK_RATE_NO_AUTH" in error["message"] and "loopback" in error["message"]
        assert_error(remote.get("/api/v1/report"), 403, "forbidden")
        assert_error(remote.get("/metrics"), 403, "forbidden")
        assert remote.get("/healthz").status_code == 200
    local = TestClient(_app(url), base_url="http://127.0.0.1", client=("127.0.0.1", 4000))
    with local:
        assert local.get("/api/v1/events").json()["events"] == []  # nothing was stored
        assert local.post("/api/v1/events", json=event(1)).status_code == 200
        # Through a proxy (the request names the client it forwards): not loopback.
        forwarded = {"X-Forwarded-For": "198.51.100.7"}
        assert_error(local.get("/api/v1/report", headers=forwarded), 403, "forbidden")


def test_no_auth_refuses_a_server_bound_beyond_loopback(fresh_sqlite_url):
    # The address the connection reached (ASGI scope["server"]) is not loopback.
    app = _app(fresh_sqlite_url())
    with TestClient(app, base_url="http://192.0.2.2", client=("127.0.0.1", 1)) as client:
        assert_error(client.get("/api/v1/report"), 403, "forbidden")


def test_no_auth_logs_a_warning_at_start_up(fresh_sqlite_url, caplog):
    with TestClient(_app(fresh_sqlite_url())):
        pass
    assert any("WITHOUT ANY TOKEN" in record.getMessage() for record in caplog.records)


def _outward_address() -> str | None:
    """This machine's address on its default route, if it has one beyond loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: UDP connect picks a route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if is_loopback(address) else address


def test_the_documented_factory_on_all_interfaces_refuses_remote_clients(
    fresh_sqlite_url, tmp_path: Path
):
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no address beyond loopback to connect from")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLBACK_RATE_")}
    env.update(ROLLBACK_RATE_DB=fresh_sqlite_url(), ROLLBACK_RATE_NO_AUTH="1")
    log_path = tmp_path / "uvicorn.log"
    factory = "rollback_rate.service.app:app_from_env"
    command = [sys.executable, "-m", "uvicorn", "--factory", factory,
               "--host", "0.0.0.0", "--port", str(port)]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, log_path.read_text()
                time.sleep(0.05)
        remote = f"http://{address}:{port}"
        assert_error(httpx.post(remote + "/api/v1/events", json=event(1)), 403, "forbidden")
        assert_error(httpx.get(remote + "/api/v1/report"), 403, "forbidden")
        local = httpx.get(f"http://127.0.0.1:{port}/api/v1/events").json()
        assert local["events"] == []
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "WITHOUT ANY TOKEN" in log_path.read_text()
