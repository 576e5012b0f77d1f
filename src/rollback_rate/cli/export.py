"""`export`: the event log as JSON Lines, the backup that `import` restores (issue 9)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Annotated

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.errors import InvalidOption

TYPE_HELP = "Only this type: deployment, rollback, rollback_failed, void or amend."


def export_log(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option(help="Write to this file (default: standard output).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Events at or after this time.")] = None,
    until: Annotated[str | None, typer.Option(help="Events at or before this time.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    environment: Annotated[str | None, typer.Option(help="Only this environment.")] = None,
    kind: Annotated[str | None, typer.Option("--type", help=TYPE_HELP)] = None,
) -> None:
    """Write the event log as JSON Lines in arrival order: what `import` restores."""
    from rollback_rate.aggregation import ExportQuery
    from rollback_rate.timeutil import parse_timestamp

    query = ExportQuery(
        model=model,
        environment=environment,
        type=kind,
        since=parse_timestamp(since, "since") if since else None,
        until=parse_timestamp(until, "until") if until else None,
    )
    lines = open_ledger(ctx).export(query)
    if output is None:
        _to_stdout(lines)
        return
    count = _to_file(lines, output)
    typer.echo(f"exported {count} events to {output}", err=True)


def _to_file(lines: Iterable[bytes], output: Path) -> int:
    """Write to a file beside `output`, renamed over it once complete: a failed export
    never leaves a partial backup under the backup's name."""
    if output.is_dir():
        raise InvalidOption(f"--output {output} is a directory; name a file", "output")
    partial = output.with_name(f".{output.name}.partial")
    try:
        handle = partial.open("wb")
    except OSError as exc:
        raise InvalidOption(f"--output {output}: cannot write: {exc.strerror}", "output") from None
    try:
        with handle:
            count = _write(lines, handle)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _to_stdout(lines: Iterable[bytes]) -> None:
    stream = typer.get_binary_stream("stdout")
    try:
        _write(lines, stream)
        stream.flush()
    except BrokenPipeError:  # `export | head`: the reader has had enough
        with contextlib.suppress(OSError, ValueError):  # no file descriptor (a test runner)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None


def _write(lines: Iterable[bytes], handle: IO[bytes]) -> int:
    count = 0
    for count, line in enumerate(lines, start=1):  # noqa: B007 (the count is the answer)
        handle.write(line)
    return count
