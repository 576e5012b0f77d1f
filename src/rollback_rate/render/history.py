"""JSON, CSV, Markdown and terminal-table renderings of what served when.

CSV has one row per change with its `relation` to the moment: `made_live` (the event that
made the live version live), `deployed` (the deployment that first put it on the stack,
when that was another event), then `before` and `after`; lists are JSON text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from rollback_rate.attribution.moment import History
from rollback_rate.render.tables import dispatch, markdown_table, pretty_json, text_table

CHANGE_COLUMNS = ("id", "type", "timestamp", "version", "effect", "rolled_back", "live_after",
                  "automated", "cause", "actor", "source", "note")  # fmt: skip
COLUMNS = ("relation", *CHANGE_COLUMNS)
HEADERS = ["", "time", "event", "type", "version", "effect", "rolled back", "live after",
           "automated", "cause", "actor", "source", "note"]  # fmt: skip


def render_history(history: History, fmt: str) -> str:
    """The history in `fmt`: table, json, csv or markdown."""
    return dispatch(_FORMATS, history, fmt)


def headline(history: History) -> str:
    """What was live, since when and why, in a sentence or two."""
    data = history.as_dict()
    where = f"{history.model} in {history.environment} at {data['at']}"
    live = data["live"]
    if live is None:
        return f"{where}: nothing was live."
    made = live["made_live_by"]
    text = (f"{where}: version {live['version']} live since {live['since']}, made live by "
            f"{made['id']} ({_about(made)}).")  # fmt: skip
    deployed = live["deployed_by"]
    if deployed is not None and deployed["id"] != made["id"]:
        text += f" Deployed by {deployed['id']} at {deployed['timestamp']} ({_about(deployed)})."
    return text


def _about(change: dict[str, Any]) -> str:
    effect = change["effect"].replace("_", " ")
    if change["rolled_back"]:
        effect += " " + ", ".join(change["rolled_back"])
    parts = [effect, "automated" if change["automated"] else None]
    parts += [f"{name} {change[name]}" for name in ("cause", "actor", "source", "note")
              if change[name]]  # fmt: skip
    return "; ".join(part for part in parts if part)


def _rows(history: History) -> Iterator[dict[str, Any]]:
    data = history.as_dict()
    live = data["live"]
    if live is not None:
        yield {"relation": "made_live", **live["made_live_by"]}
        deployed = live["deployed_by"]
        if deployed is not None and deployed["id"] != live["made_live_by"]["id"]:
            yield {"relation": "deployed", **deployed}
    for relation in ("before", "after"):
        for change in data[relation]:
            yield {"relation": relation, **change}


def _json(history: History) -> str:
    return pretty_json(history.as_dict())


def _csv(history: History) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows(history):
        writer.writerow({**row, "rolled_back": orjson.dumps(row["rolled_back"]).decode()})
    return buffer.getvalue()


def _cells(history: History) -> Iterator[list[str]]:
    """The changes around the moment, the moment itself as a row between them."""
    data = history.as_dict()
    live = data["live"]
    made = live["made_live_by"]["id"] if live else None
    for change in data["before"]:
        yield _change_cells(change, "*" if change["id"] == made else "")
    yield ["", data["at"], "(the moment)", *[""] * 4, live["version"] if live else "-",
           *[""] * 5]  # fmt: skip
    for change in data["after"]:
        yield _change_cells(change, "")


def _change_cells(change: dict[str, Any], mark: str) -> list[str]:
    automated = {True: "yes", False: "no", None: ""}[change["automated"]]
    return [mark, change["timestamp"], change["id"], change["type"], change["version"] or "",
            change["effect"].replace("_", " "), ", ".join(change["rolled_back"]),
            change["live_after"] or "-", automated, change["cause"] or "",
            change["actor"] or "", change["source"] or "", change["note"] or ""]  # fmt: skip


_FOOT = "* made the live version live."


def _markdown(history: History) -> str:
    table = markdown_table(HEADERS, _cells(history))
    return "\n".join([headline(history), "", *table, "", _FOOT]) + "\n"


def _table(history: History) -> str:
    return text_table(HEADERS, _cells(history), title=headline(history), caption=_FOOT)


_FORMATS: dict[str, Callable[[History], str]] = {
    "table": _table,
    "json": _json,
    "csv": _csv,
    "markdown": _markdown,
}
