"""`serve`: the HTTP service, configured through the same environment its workers read."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
from typing import Annotated, Any

import typer

from rollback_rate.cli.context import open_ledger, state
from rollback_rate.errors import InvalidOption, RollbackRateError

FACTORY = "rollback_rate.service.app:app_from_env"
STARTUP_FAILURE = 3  # uvicorn.config.STARTUP_FAILURE, without importing Uvicorn for it
_NO_AUTH_WARNING = """\
WARNING: --no-auth: the API accepts and serves data WITHOUT ANY TOKEN.
WARNING: for local demos only; never expose this process to a network."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bindable(host: str, port: int) -> None:
    """A usage error (exit 2, naming the option) unless `host:port` can be bound now: a
    port in use made Uvicorn exit 3 after starting up (issue 13)."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise InvalidOption(f"--host {host!r} is not an address: {exc.strerror}", "host") from None
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InvalidOption(
                    f"--port {port}: {host}:{port} is already in use; stop the process that "
                    "listens there or choose another --port",
                    "port",
                ) from None
            raise InvalidOption(
                f"--host {host} --port {port} cannot be bound: {exc.strerror}", "port"
            ) from None


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="No tokens needed: local demos only, loopback only."),
    ] = False,
) -> None:
    """Serve the HTTP API (docs at /docs, schema at /openapi.json) with Uvicorn.

    Configuration comes from ROLLBACK_RATE_* environment variables (ROLLBACK_RATE_DB,
    ROLLBACK_RATE_CONFIG, ROLLBACK_RATE_MAX_BODY, ROLLBACK_RATE_NO_AUTH, ...); the flags
    above and the global --db and --config set them for every worker process. A bad
    config file stops it before it binds (exit code 2).
    """
    import uvicorn

    from rollback_rate.service.settings import Settings, is_loopback, parse_flag

    no_auth = no_auth or parse_flag(os.environ, "ROLLBACK_RATE_NO_AUTH", False)
    if no_auth and not is_loopback(host):
        raise RollbackRateError(
            f"--no-auth refuses to bind to {host}: without tokens anyone who can reach "
            "the port could read and write data; bind to 127.0.0.1 or create a token with "
            "`rollback-rate tokens create`"
        )
    check_bindable(host, port)
    config_path = state(ctx).config_path
    if config_path:  # workers read it from the environment, whatever their directory
        os.environ["ROLLBACK_RATE_CONFIG"] = os.path.abspath(config_path)
    ledger = open_ledger(ctx)
    os.environ["ROLLBACK_RATE_DB"] = ledger.url
    os.environ["ROLLBACK_RATE_NO_AUTH"] = "1" if no_auth else "0"
    Settings.from_env()  # configuration errors: exit 2 here, not once per worker
    ledger.ping()  # reachable and migrated, once, before the workers start
    if no_auth:
        typer.secho(_NO_AUTH_WARNING, err=True, fg=typer.colors.RED, bold=True)
    if workers > 1 and ledger.one_writer_at_a_time:
        typer.echo(
            f"note: SQLite takes one writer at a time, so {workers} workers queue on its "
            "lock under write load; use PostgreSQL for a shared service",
            err=True,
        )
    config = uvicorn.Config(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app writes structured JSON access lines itself
        server_header=False,
    )
    try:
        run_uvicorn(config)
    except SystemExit as exc:
        # Uvicorn's start-up failures (the port taken since the check above) are usage
        # errors too: one exit code for those, 2, and Uvicorn has logged the reason.
        if exc.code == STARTUP_FAILURE:
            raise typer.Exit(2) from None
        raise


def run_uvicorn(config: Any) -> None:
    """`uvicorn.run`, except that worker processes get a listening socket created with
    proto=IPPROTO_TCP.

    Uvicorn's shared socket has proto 0, so asyncio never sets TCP_NODELAY on accepted
    connections; every keep-alive response then waits for the client's delayed ACK
    (about 40 ms on Linux). Measured: 44 ms p50 for a trivial app with 2 workers.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if config.workers <= 1:
        uvicorn.Server(config).run()
        return
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: the supervisor stops workers
        Multiprocess(config, sockets=[tcp_listening_socket(config)]).run()


def tcp_listening_socket(config: Any) -> socket.socket:
    """Uvicorn's bound socket, re-made with proto=IPPROTO_TCP: asyncio then sets
    TCP_NODELAY on every connection it accepts from it."""
    shared = config.bind_socket()
    return socket.socket(shared.family, shared.type, socket.IPPROTO_TCP, fileno=shared.detach())
