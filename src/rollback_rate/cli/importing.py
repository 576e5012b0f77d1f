"""`import`: bulk files of events, streamed in constant memory."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from rollback_rate.cli.app import app, settings
from rollback_rate.events import detect_format, read_events
from rollback_rate.events.readers import FORMATS
from rollback_rate.ingest import IngestResult, record_events


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="JSONL or CSV file of events; - for stdin.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"{', '.join(FORMATS)} (default: detected)."),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the valid events, list the rest.")
    ] = False,
) -> None:
    """Import events; atomic unless --skip-invalid (any invalid line: nothing stored, exit 2)."""
    database = settings(ctx).database()
    with ExitStack() as stack:
        stream = _open(file, stack)
        chosen = fmt or detect_format(file, stream.peek(512) if hasattr(stream, "peek") else b"")
        raws = _located(read_events(stream, chosen))
        result = record_events(database, raws, skip_invalid=skip_invalid)
    _print_result(result)


def _open(file: str, stack: ExitStack) -> Any:
    if file == "-":
        return sys.stdin.buffer
    path = Path(file)
    if not path.is_file():
        raise typer.BadParameter(f"{file} is not a readable file", param_hint="FILE")
    handle: IO[bytes] = stack.enter_context(path.open("rb"))
    if not sys.stderr.isatty():
        return handle
    progress = stack.enter_context(
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            transient=True,
            console=None,
        )
    )
    wrapped = progress.wrap_file(handle, total=os.path.getsize(path), description="importing")
    return _Peekable(wrapped, handle)


class _Peekable:
    """The progress reader, with the underlying file's peek for format detection."""

    def __init__(self, reader: Any, handle: Any) -> None:
        self._reader, self._handle = reader, handle

    def peek(self, size: int) -> bytes:
        return bytes(self._handle.peek(size)[:size])

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._reader)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def _located(lines: Iterator[tuple[int, Any]]) -> Iterator[tuple[str, Any]]:
    for number, raw in lines:
        yield f"line {number}", raw


def _print_result(result: IngestResult) -> None:
    for problem in result.problems:
        typer.echo(f"invalid: {problem}", err=True)
    if result.invalid > len(result.problems):
        typer.echo(f"... and {result.invalid - len(result.problems)} more", err=True)
    typer.echo(f"stored {result.stored}, duplicates {result.duplicates}, invalid {result.invalid}")
