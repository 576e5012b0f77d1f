"""What the renderers share: choosing the format, JSON text, and drawing a table as
Markdown or for the terminal (text only, never markup)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

import orjson

from rollback_rate.errors import InvalidOption

T = TypeVar("T")


def dispatch(formats: Mapping[str, Callable[[T], str]], value: T, fmt: str) -> str:
    """`value` rendered in `fmt`, one of `formats`' names (InvalidOption otherwise)."""
    try:
        render = formats[fmt]
    except KeyError:
        known = ", ".join(formats)
        raise InvalidOption(f"format {fmt!r} is not one of {known}", "format") from None
    return render(value)


def pretty_json(data: object) -> str:
    """`data` as indented JSON text with a final newline: every renderer's json format."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a Markdown table (pipes in cells escaped)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for cells in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return lines


def text_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    caption: str | None = None,
    bold_first: bool = False,
) -> str:
    """A table for the terminal, 200 columns wide; cells are text, so a name like
    '[red]x' prints as written."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*headers, title=Text(title) if title else None, title_justify="left",
                  caption=Text(caption) if caption else None, caption_justify="left")  # fmt: skip
    for index, cells in enumerate(rows):
        table.add_row(*(Text(cell) for cell in cells),
                      style="bold" if bold_first and index == 0 else None)  # fmt: skip
    console = Console(file=io.StringIO(), width=200, record=True, force_terminal=False)
    console.print(table)
    return console.export_text()
