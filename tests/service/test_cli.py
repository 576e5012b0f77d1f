"""`serve` and `tokens` commands: refusal to expose --no-auth, token lifecycle, settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rollback_rate.cli import app
from rollback_rate.errors import InvalidOption
from rollback_rate.service.settings import Settings, is_loopback, parse_size
from tests.service.helpers import running_server

runner = CliRunner()


def test_no_auth_refuses_non_loopback_addresses(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for host in ("0.0.0.0", "192.168.1.4", "example.com", "::"):
        result = runner.invoke(app, ["--db", url, "serve", "--no-auth", "--host", host])
        assert result.exit_code == 2, result.output
        assert "--no-auth refuses to bind" in result.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")


def test_no_auth_server_warns_loudly(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with running_server(url, tmp_path, "--no-auth") as server, server.client() as client:
        assert client.get("/api/v1/report").status_code == 200
    assert any("WITHOUT ANY TOKEN" in line for line in server.log_lines())


def test_tokens_lifecycle(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    created = runner.invoke(
        app, ["--db", url, "tokens", "create", "--name", "ci", "--scope", "ingest"]
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    assert token.startswith("rr_")
    listed = runner.invoke(app, ["--db", url, "tokens", "list"])
    assert "ci" in listed.stdout and "ingest" in listed.stdout and token not in listed.stdout
    assert runner.invoke(app, ["--db", url, "tokens", "revoke", "ci"]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["--db", url, "tokens", "list"]).stdout
    again = runner.invoke(app, ["--db", url, "tokens", "revoke", "ci"])
    assert again.exit_code == 2 and "no active token" in again.output
    bad = runner.invoke(app, ["--db", url, "tokens", "create", "--name", "x", "--scope", "root"])
    assert bad.exit_code == 2 and "unknown scope" in bad.output


def test_settings_from_environment():
    settings = Settings.from_env(
        {
            "ROLLBACK_RATE_DB": "sqlite:///x.db",
            "ROLLBACK_RATE_MAX_BODY": "2MiB",
            "ROLLBACK_RATE_NO_AUTH": "true",
            "ROLLBACK_RATE_ACCESS_LOG": "0",
        }
    )
    assert (settings.max_body, settings.no_auth, settings.access_log) == (2 << 20, True, False)
    assert parse_size("512k", 0) == 512 * 1024 and parse_size(None, 7) == 7
    with pytest.raises(InvalidOption):
        Settings.from_env({"ROLLBACK_RATE_DB": "x", "ROLLBACK_RATE_MAX_BODY": "lots"})
    with pytest.raises(InvalidOption):
        Settings.from_env({"ROLLBACK_RATE_DB": "x", "ROLLBACK_RATE_NO_AUTH": "maybe"})


def test_multiple_workers_accept_on_a_socket_that_disables_nagle():
    """Uvicorn's shared socket has proto 0, so asyncio never sets TCP_NODELAY on accepted
    connections (~40 ms per keep-alive reply, the client's delayed ACK); the workers'
    socket is made with IPPROTO_TCP, and a connection accepted from it has NODELAY on.
    (The latency itself is measured in benchmarks/http_load.py, not asserted here.)"""
    import asyncio
    import socket

    import uvicorn

    from rollback_rate.cli.serve import tcp_listening_socket

    config = uvicorn.Config("x:y", host="127.0.0.1", port=0, workers=2)
    listening = tcp_listening_socket(config)
    accepted: list[int] = []

    async def accept_one() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=listening)
        port = listening.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if accepted:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    try:
        assert listening.proto == socket.IPPROTO_TCP
        asyncio.run(accept_one())
    finally:
        listening.close()
    assert accepted and accepted[0] != 0


def test_a_port_in_use_is_a_usage_error_exit_2(tmp_path):
    """Uvicorn exited 3 after start-up; every usage error exits 2 (issue 13)."""
    import socket
    import subprocess

    from tests.service.helpers import CLI

    url = f"sqlite:///{tmp_path / 'x.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            done = subprocess.run(
                [CLI, "--db", url, "serve", "--port", str(port), "--workers", workers],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 2, done.stderr
            assert done.stderr == (
                f"error: --port {port}: 127.0.0.1:{port} is already in use; stop the process "
                "that listens there or choose another --port\n"
            )


def test_a_host_that_is_no_address_is_a_usage_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["--db", url, "serve", "--host", "no.such.host.invalid"])
    assert result.exit_code == 2
    assert result.output.startswith("error: --host 'no.such.host.invalid' is not an address: ")
