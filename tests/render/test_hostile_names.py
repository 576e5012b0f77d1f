"""Every renderer keeps hostile names as data (issue 9).

One list of hostile names goes through each format. JSON and CSV give every name back
exactly; the table and Markdown show each one on its own row, in its own cell, with
control characters written as escapes, and nothing in a name becomes markup, HTML or a
row of its own. Root causes stay structured from the report to every renderer, so a
cause with `:` or `;` in it comes out whole (issue 8).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from markdown_it import MarkdownIt

from rollback_rate import Ledger, parse_query
from rollback_rate.render import FORMATS, render

HOSTILE = [
    "evil\n| overall | 999 | 999 |",  # a newline that would forge a table row
    "pipe|in|name",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[red]not red[/red]",
    "[link=https://evil.example]click[/link]",
    "quote\"d and 'single'",
    "back\\slash\\|pipe\\",
    "right-to-left \u202eevil\u202c override",
    "tab\tand\rcarriage",
    "**bold** _it_ `code` ~~strike~~ &lt;entity&gt;",
    '=HYPERLINK("https://evil.example")',
    "x" * 200,  # as long as a name can be
]
CAUSES = ["a:b;c", "semi;colon", "colon:7", "<b>cause</b>|x", "new\nline"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    with Ledger(f"sqlite:///{path}", group_commit=False) as ledger:
        events = []
        for n, name in enumerate(HOSTILE):
            day = f"2026-01-{1 + n:02d}"
            events += [
                {"type": "deployment", "model": name, "team": name, "version": "1",
                 "timestamp": f"{day}T00:00:00Z"},
                {"type": "deployment", "model": name, "team": name, "version": "2",
                 "timestamp": f"{day}T01:00:00Z"},
                {"type": "rollback", "model": name, "timestamp": f"{day}T02:00:00Z",
                 "cause": CAUSES[n % len(CAUSES)]},
            ]  # fmt: skip
        ledger.record_stream([(f"[{i}]", e) for i, e in enumerate(events)])
        query = parse_query(window="7d", as_of="2026-03-01T00:00:00Z", by="model,team")
        yield ledger.report(query)


def test_every_renderer_is_checked():
    assert set(FORMATS) == {"table", "json", "csv", "markdown"}


def test_json_gives_every_name_and_cause_back_exactly(report):
    data = json.loads(render(report, "json"))
    assert sorted(group["key"]["model"] for group in data["groups"]) == sorted(HOSTILE)
    assert all(group["key"]["team"] == group["key"]["model"] for group in data["groups"])
    causes = {c["cause"] for c in data["overall"]["root_causes"]}
    assert causes == set(CAUSES)


def test_csv_gives_every_name_back_exactly_and_causes_as_json(report):
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert len(rows) == 1 + len(HOSTILE)
    groups = [row for row in rows if row["scope"] == "group"]
    assert sorted(row["model"] for row in groups) == sorted(HOSTILE)
    overall = json.loads(rows[0]["root_causes"])
    assert {c["cause"] for c in overall} == set(CAUSES)
    assert all(isinstance(c["count"], int) for c in overall)
    for row in groups:
        [cause] = json.loads(row["root_causes"])
        assert cause == {"cause": CAUSES[HOSTILE.index(row["model"]) % len(CAUSES)], "count": 1}


def _cells_of_markdown(text: str, table: int = 0) -> list[list[str]]:
    """The body cells of a table (the rate's, or the second: what lies beyond it), as a
    GFM renderer sees them (text content)."""
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html and "<img" not in html and "<b>" not in html, html
    assert "<em>" not in html and "<strong>" not in html and "<a " not in html, html
    body = html.split("<tbody>")[1 + table].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.DOTALL) for row in rows]
    unescape = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&amp;": "&"}
    return [[re.sub("&(lt|gt|quot|amp);", lambda m: unescape[m.group()], c) for c in row]
            for row in cells]  # fmt: skip


def test_markdown_keeps_one_row_and_one_cell_per_name(report):
    from rollback_rate.render.rows import printable

    text = render(report, "markdown")
    rows = _cells_of_markdown(text)
    assert len(rows) == 1 + len(HOSTILE)  # overall, then one row per group
    assert all(len(row) == 13 for row in rows)
    labels = sorted(row[0] for row in rows[1:])
    assert labels == sorted(f"{printable(name)} / {printable(name)}" for name in HOSTILE)
    for row in rows[1:]:
        model = HOSTILE[[f"{printable(n)} / {printable(n)}" for n in HOSTILE].index(row[0])]
        cause = CAUSES[HOSTILE.index(model) % len(CAUSES)]
        assert row[-1] == f"{printable(cause)} 1"
    assert all(cause_text(c) in rows[0][-1] for c in CAUSES[:3])
    # The second table (issue 12's figures) names the same rows, one cell per figure.
    beyond = _cells_of_markdown(text, table=1)
    assert [row[0] for row in beyond] == [row[0] for row in rows]
    assert len({len(row) for row in beyond}) == 1


def cause_text(cause: str) -> str:
    from rollback_rate.render.rows import printable

    return printable(cause)


def test_table_keeps_one_line_per_row_and_prints_markup_as_written(report):
    text = render(report, "table")
    assert "[red]not red[/red]" in text  # Rich markup printed, not applied
    assert "\u202e" not in text and "\\u202e" in text
    assert "evil\\n| overall" in text.replace("\n", "") or "evil\\n" in text
    lines = text.splitlines()
    # No name makes a line of its own that looks like a data row.
    overall_rows = [line for line in lines if line.lstrip("│ ").startswith("overall")]
    assert len(overall_rows) == 2, text  # one in each table: the rate's, then beyond it


def test_printable_escapes_control_and_format_characters_only():
    from rollback_rate.render.rows import printable

    assert printable("plain name-1.0") == "plain name-1.0"
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("x\u202ey\u200bz\x00") == "x\\u202ey\\u200bz\\x00"
    assert printable("caf\u00e9 \u6a21\u578b") == "caf\u00e9 \u6a21\u578b"  # letters stay
