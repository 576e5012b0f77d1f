"""JSON, CSV, Markdown and terminal-table renderings of the ML Test Score evidence.

CSV has one row per model: each test's score, its counts (prefixed with the test) and
its events' ids as a JSON list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from rollback_rate.metrics import TestScore
from rollback_rate.metrics.testscore import TESTS
from rollback_rate.render.tables import dispatch, markdown_table, pretty_json, text_table

HEADERS = ["model", "Infra 6", "canary evidence", "Infra 7", "rollback evidence"]


def render_testscore(score: TestScore, fmt: str) -> str:
    """The scores in `fmt`: table, json, csv or markdown."""
    return dispatch(_FORMATS, score, fmt)


def _json(score: TestScore) -> str:
    return pretty_json(score.as_dict())


def _flat(model: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"model": model["model"]}
    for test in TESTS:
        result = model[test]
        row[f"{test}_score"] = result["score"]
        row.update({f"{test}_{name}": n for name, n in result["evidence"].items()})
        row[f"{test}_events"] = orjson.dumps([e["id"] for e in result["events"]]).decode()
    return row


def _csv(score: TestScore) -> str:
    rows = [_flat(model) for model in score.as_dict()["models"]]
    if not rows:
        return "model\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cells(score: TestScore) -> Iterator[list[str]]:
    for model in score.as_dict()["models"]:
        six, seven = model["infra_6"], model["infra_7"]
        e6, e7 = six["evidence"], seven["evidence"]
        yield [
            model["model"],
            f"{six['score']:g}",
            f"{e6['canary_deployments']} canary deployments ({e6['automated_canary_deployments']} "
            f"automated), {e6['automated_rollbacks']} automated rollbacks",
            f"{seven['score']:g}",
            f"{e7['rollbacks']} rollbacks ({e7['automated_rollbacks']} automated), "
            f"{e7['drills']} drills ({e7['automated_drills']} automated), "
            f"{e7['failed_rollbacks']} failed",
        ]


def headline(score: TestScore) -> str:
    """The rubric in one line."""
    data = score.as_dict()
    return (
        f"ML Test Score evidence as of {data['as_of']} (Breck et al. 2017): Infra 6 "
        f"{TESTS['infra_6'].lower()}, Infra 7 {TESTS['infra_7'].lower()}; 0 not seen, "
        "0.5 seen but manual, 1 automated."
    )


def _markdown(score: TestScore) -> str:
    return "\n".join([headline(score), "", *markdown_table(HEADERS, _cells(score))]) + "\n"


def _table(score: TestScore) -> str:
    return text_table(HEADERS, _cells(score), title=headline(score))


_FORMATS: dict[str, Callable[[TestScore], str]] = {
    "table": _table,
    "json": _json,
    "csv": _csv,
    "markdown": _markdown,
}
