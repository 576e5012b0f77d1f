"""A private PostgreSQL server for tests that stop and start it (issue 9).

Never the shared server on 5432: each `PrivateServer` runs `initdb` into a temporary data
directory and `pg_ctl` on a free loopback port of its own, as the `postgres` system user
when this process is root (initdb refuses root), and is removed at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateServer:
    """initdb, start, stop and start again; `url` names its `postgres` database."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir, self.root = bin_dir, root
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_postgres, str(self.bin_dir / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        # fsync off: a crash of the server process (`stop -m immediate`) loses nothing the
        # operating system was given. synchronous_commit stays on: off, a commit is
        # acknowledged before its WAL leaves the server, and a crash would lose it.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: clients are disconnected; `immediate`: a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def wait_down(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.is_up() and time.monotonic() < deadline:
            time.sleep(0.05)


@contextmanager
def private_server() -> Iterator[PrivateServer]:
    """A started private server, stopped and removed at the end; skips the test when no
    PostgreSQL binaries are installed."""
    bin_dir = _binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries (/usr/lib/postgresql/*/bin) are needed in CI")
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="rr-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = None
    try:
        server = PrivateServer(bin_dir, root)
        server.start()
        yield server
    finally:
        if server is not None and server.is_up():
            with suppress(subprocess.SubprocessError):
                server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
