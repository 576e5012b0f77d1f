"""Service test helpers: events, tokens, the error envelope, and real server processes.

Real servers run `rollback-rate serve` in a subprocess on a free loopback port, so the
tests cover what operators run: the CLI, Uvicorn, the factory and the environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from rollback_rate import Ledger
from rollback_rate.store import Database

CLI = str(Path(sys.executable).parent / "rollback-rate")


def event(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid deployment event with a stable id (so resending it is a duplicate)."""
    raw: dict[str, Any] = {
        "id": f"evt-{n}",
        "type": "deployment",
        "model": f"model-{n % 7}",
        "environment": "production" if n % 2 else "staging",
        "version": f"1.{n}",
        "timestamp": f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
    }
    raw.update(overrides)
    return raw


@dataclass
class Tokens:
    ingest: str
    read: str
    admin: str

    @staticmethod
    def header(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def make_tokens(database: Database) -> Tokens:
    ledger = Ledger(database)
    return Tokens(
        ingest=ledger.create_token("ingest", ["ingest"])[0],
        read=ledger.create_token("read", ["read"])[0],
        admin=ledger.create_token("admin", ["admin"])[0],
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = Tokens.header(token) if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


@contextmanager
def running_server(
    db_url: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """`rollback-rate --db URL serve --port P ...` until the block ends."""
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ROLLBACK_RATE_")}
    environment = {**inherited, **(env or {})}
    command = [CLI, "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError("server exited:\n" + "\n".join(server.log_lines()))
        try:
            if httpx.get(server.url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("server not ready:\n" + "\n".join(server.log_lines()))


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The stable envelope, with the expected status and code; returns the error."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text
    return dict(error)
