"""Reading exported files of source payloads.

Exports come in three shapes: a JSON array of payloads (what most "export" buttons and
``jq -s`` give), JSON Lines (one payload a line, what log shippers and ``jq -c`` give),
and, for ``k8s-replicasets``, one pretty-printed document (``kubectl get -o json``).
JSON Lines is read a line at a time so a large export never sits in memory whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from rollback_rate.errors import InvalidPayload


def _lines(stream: IO[Any]) -> Iterator[str]:
    first = True
    for raw in stream:
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidPayload(f"input is not UTF-8: {exc}") from None
        else:
            line = raw
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def _load_whole(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidPayload(f"{what} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidPayload(
            f"{what} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def iter_payloads(stream: IO[Any], *, whole_document: bool = False) -> Iterator[Any]:
    """Yield each payload of an exported file (text or binary stream).

    A file whose first non-blank character is ``[`` is a JSON array: each element is a
    payload.  Otherwise it is JSON Lines (blank lines skipped).  With ``whole_document``
    the whole file is one payload (``kubectl get replicasets -o json``); a JSONL file
    whose first line is not JSON by itself but whose whole text is (a pretty-printed
    single object) is read the same way.  Bad JSON raises InvalidPayload naming the line.
    """
    lines = _lines(stream)
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    if not head or not head[-1].strip():
        return  # empty file: nothing to import
    if whole_document:
        yield _load_whole("".join(head) + "".join(lines), "input")
        return
    if head[-1].lstrip().startswith("["):
        document = _load_whole("".join(head) + "".join(lines), "JSON array")
        if not isinstance(document, list):  # pragma: no cover - '[' always parses to a list
            raise InvalidPayload("input is not a JSON array")
        yield from document
        return
    yield from _iter_jsonl(head, lines)


def _iter_jsonl(head: list[str], lines: Iterator[str]) -> Iterator[Any]:
    number = len(head)
    first = head[-1]
    try:
        yield _line(first, number)
    except json.JSONDecodeError as exc:
        rest = "".join(lines)
        try:
            document = json.loads(first + rest)
        except json.JSONDecodeError:
            raise InvalidPayload(f"line {number}: invalid JSON: {exc.msg}") from None
        yield document  # one pretty-printed document, not JSON Lines
        return
    for line in lines:
        number += 1
        if not line.strip():
            continue
        try:
            yield _line(line, number)
        except json.JSONDecodeError as exc:
            raise InvalidPayload(f"line {number}: invalid JSON: {exc.msg}") from None


def _line(text: str, number: int) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidPayload(f"line {number}: nested too deeply") from None
