"""`import`: bulk files of events, streamed in constant memory."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from rollback_rate.cli.app import app, settings
from rollback_rate.errors import InvalidOption
from rollback_rate.events import EventRecord, detect_format, read_events
from rollback_rate.events.readers import FORMATS
from rollback_rate.ingest import IngestResult, record_events
from rollback_rate.sources import SOURCES, SourceOptions, get_source
from rollback_rate.sources.files import IgnoredTally, source_events

MAINTAIN_AFTER = 50_000  # events stored by one import before statistics are refreshed
FORMAT_HELP = f"{', '.join(FORMATS)} (default: detected), or a source: {', '.join(SOURCES)}."


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="File of events or source payloads; - for stdin.")],
    fmt: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the valid events, list the rest.")
    ] = False,
    map_alias: Annotated[
        list[str] | None,
        typer.Option("--map-alias", help="MLflow alias to environment, e.g. champion=production."),
    ] = None,
    environment: Annotated[
        str | None,
        typer.Option("--environment", help="Environment for source payloads that name none."),
    ] = None,
) -> None:
    """Import events; atomic unless --skip-invalid (any invalid line: nothing stored, exit 2)."""
    database = settings(ctx).database()
    ignored = IgnoredTally()
    with ExitStack() as stack:
        stream = _open(file, stack)
        if fmt is not None and fmt not in FORMATS:
            options = SourceOptions(alias_map=parse_alias_map(map_alias), environment=environment)
            raws = source_events(get_source(fmt), stream, options, ignored)
        else:
            head = stream.peek(512) if hasattr(stream, "peek") else b""
            raws = _located(read_events(stream, fmt or detect_format(file, head)))
        result = record_events(database, raws, skip_invalid=skip_invalid)
    if result.stored >= MAINTAIN_AFTER:
        database.maintain()
    _print_result(result, ignored)


def _open(file: str, stack: ExitStack) -> Any:
    if file == "-":
        return sys.stdin.buffer
    path = Path(file)
    if not path.is_file():
        raise InvalidOption(f"{file} is not a readable file")
    handle: BinaryIO = stack.enter_context(path.open("rb"))
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
        # A validated record is never located in a message: spare the formatting.
        yield ("" if type(raw) is EventRecord else f"line {number}"), raw


def parse_alias_map(pairs: list[str] | None) -> dict[str, str]:
    """`champion=production` pairs to a mapping; a pair without '=' is a usage error."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        alias, sep, environment = pair.partition("=")
        if not sep or not alias.strip() or not environment.strip():
            raise InvalidOption(f"--map-alias {pair!r} is not ALIAS=ENVIRONMENT")
        mapping[alias.strip()] = environment.strip()
    return mapping


def _print_result(result: IngestResult, ignored: IgnoredTally) -> None:
    for problem in result.problems:
        typer.echo(f"invalid: {problem}", err=True)
    if result.invalid > len(result.problems):
        typer.echo(f"... and {result.invalid - len(result.problems)} more", err=True)
    for reason, count in sorted(ignored.reasons.items()):
        typer.echo(f"ignored {count}: {reason}", err=True)
    summary = f"stored {result.stored}, duplicates {result.duplicates}, invalid {result.invalid}"
    typer.echo(summary + (f", ignored {ignored.count}" if ignored.count else ""))
