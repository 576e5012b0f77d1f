"""`import`: bulk files of events, streamed in constant memory."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Annotated, Any, BinaryIO, cast

import typer

from rollback_rate.cli.context import open_ledger
from rollback_rate.cli.names import EVENT_FORMATS, SOURCE_NAMES
from rollback_rate.errors import InvalidOption

if TYPE_CHECKING:
    from rollback_rate.ledger import ImportResult

MAINTAIN_AFTER = 50_000  # events stored by one import before statistics are refreshed
FORMAT_HELP = (
    f"{', '.join(EVENT_FORMATS)} (default: detected), or a source: {', '.join(SOURCE_NAMES)}."
)


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
    from rollback_rate.sources import SourceOptions

    ledger = open_ledger(ctx)
    options = SourceOptions(alias_map=parse_alias_map(map_alias), environment=environment)
    with ExitStack() as stack:
        wrap = (lambda handle: _with_progress(handle, file, stack)) if _show_progress() else None
        source = _stdin() if file == "-" else file
        result = ledger.import_file(
            source, fmt, skip_invalid=skip_invalid, options=options, wrap=wrap
        )
    if result.stored >= MAINTAIN_AFTER:
        ledger.maintain()
    _print_result(result)


def _stdin() -> IO[bytes]:
    """Standard input, able to peek (format detection) even when it is not a real file."""
    stream = sys.stdin.buffer
    return stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type,type-var]


def _show_progress() -> bool:
    return sys.stderr.isatty()


def _with_progress(handle: IO[bytes], file: str, stack: ExitStack) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

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
    total = os.path.getsize(file) if file != "-" else None
    wrapped = progress.wrap_file(cast(BinaryIO, handle), total=total, description="importing")
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


def parse_alias_map(pairs: list[str] | None) -> dict[str, str]:
    """`champion=production` pairs to a mapping; a pair without '=' is a usage error."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        alias, sep, environment = pair.partition("=")
        if not sep or not alias.strip() or not environment.strip():
            raise InvalidOption(f"--map-alias {pair!r} is not ALIAS=ENVIRONMENT", "map_alias")
        mapping[alias.strip()] = environment.strip()
    return mapping


def _print_result(result: ImportResult) -> None:
    for problem in result.problems:
        typer.echo(f"invalid: {problem}", err=True)
    if result.invalid > len(result.problems):
        typer.echo(f"... and {result.invalid - len(result.problems)} more", err=True)
    for reason, count in sorted(result.ignored_reasons.items()):
        typer.echo(f"ignored {count}: {reason}", err=True)
    summary = f"stored {result.stored}, duplicates {result.duplicates}, invalid {result.invalid}"
    typer.echo(summary + (f", ignored {result.ignored}" if result.ignored else ""))
