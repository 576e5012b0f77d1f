"""Registry lookup, shared field/time helpers, and reading exported files."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rollback_rate.errors import InvalidPayload, UnknownSource
from rollback_rate.sources import SOURCES, Source, get_source, iter_payloads
from rollback_rate.sources.base import field, format_utc, image_tag, parse_time
from tests.sources.helpers import FIXTURES


def test_registry_holds_every_source_under_its_name() -> None:
    assert sorted(SOURCES) == [
        "argo-rollouts",
        "cdevents",
        "github",
        "gitlab",
        "k8s-replicasets",
        "mlflow",
        "sagemaker",
    ]
    for name, source in SOURCES.items():
        assert source.name == name
        assert isinstance(source, Source)


def test_only_signed_sources_claim_to_authenticate() -> None:
    signed = {name for name, source in SOURCES.items() if source.authenticates}
    assert signed == {"github", "gitlab", "mlflow", "sagemaker"}
    assert [n for n, s in SOURCES.items() if s.whole_document] == ["k8s-replicasets"]


def test_get_source_unknown_lists_known_names() -> None:
    assert get_source("github") is SOURCES["github"]
    with pytest.raises(UnknownSource) as err:
        get_source("jenkins")
    message = str(err.value)
    assert "'jenkins'" in message
    assert "argo-rollouts, cdevents, github, gitlab, k8s-replicasets, mlflow, sagemaker" in message


def test_field_names_the_path() -> None:
    data = {"a": {"b": 3, "s": "", "n": None}, "x": 1}
    assert field(data, "a.b", source="t", expected=int) == 3
    assert field(data, "a.n", source="t", required=False) is None
    with pytest.raises(InvalidPayload, match=r"^t: a\.c is missing$"):
        field(data, "a.c", source="t")
    with pytest.raises(InvalidPayload, match=r"^t: a\.b must be a string, got int$"):
        field(data, "a.b", source="t")
    with pytest.raises(InvalidPayload, match=r"^t: x must be an object$"):
        field(data, "x.y", source="t")
    with pytest.raises(InvalidPayload, match=r"^t: a\.s is empty$"):
        field(data, "a.s", source="t")
    with pytest.raises(InvalidPayload, match=r"^t: a\.b must be a boolean, got int$"):
        field(data, "a.b", source="t", expected=bool)
    with pytest.raises(InvalidPayload, match=r"must be an integer, got bool"):
        field({"v": True}, "v", source="t", expected=int)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-20T14:27:05.315384Z", "2024-03-20T14:27:05.315384Z"),
        ("2024-03-21T09:00:00+01:00", "2024-03-21T08:00:00Z"),
        ("2021-04-28 21:50:00 +0200", "2021-04-28T19:50:00Z"),
        ("2021-04-28 19:50:00 UTC", "2021-04-28T19:50:00Z"),
        (1715342400000, "2024-05-10T12:00:00Z"),
        (1756728000, "2025-09-01T12:00:00Z"),
    ],
)
def test_parse_time_normalises_to_utc_z(value: object, expected: str) -> None:
    assert format_utc(parse_time(value, source="t", path="p")) == expected


def test_parse_time_rejects_naive_and_garbage() -> None:
    with pytest.raises(InvalidPayload, match=r"t: p has no UTC offset"):
        parse_time("2024-03-20T14:27:05", source="t", path="p")
    with pytest.raises(InvalidPayload, match=r"t: p is not an ISO 8601 timestamp"):
        parse_time("yesterday", source="t", path="p")
    with pytest.raises(InvalidPayload, match=r"t: p must be a timestamp, got bool"):
        parse_time(True, source="t", path="p")


def test_format_utc_converts_offsets() -> None:
    moment = datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_utc(moment) == "2023-12-31T23:00:00Z"
    assert format_utc(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("ghcr.io/acme/scorer:1.0.0", "1.0.0"),
        ("registry:5000/ml/scorer:2.4.0@sha256:9f86d0", "2.4.0"),
        ("registry:5000/ml/scorer", None),
        ("ranker@sha256:abcdef", "sha256:abcdef"),
        ("nginx", None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


def test_iter_payloads_json_array_text_and_binary() -> None:
    text = '\n  [\n {"a": 1},\n {"b": [2]}\n]\n'
    assert list(iter_payloads(io.StringIO(text))) == [{"a": 1}, {"b": [2]}]
    assert list(iter_payloads(io.BytesIO(text.encode()))) == [{"a": 1}, {"b": [2]}]


def test_iter_payloads_jsonl_streams_and_skips_blank_lines() -> None:
    stream = io.BytesIO(b'\xef\xbb\xbf{"a": 1}\n\n{"a": 2}\n')
    payloads = iter_payloads(stream)
    assert next(payloads) == {"a": 1}
    assert next(payloads) == {"a": 2}
    assert list(payloads) == []


def test_iter_payloads_empty_file() -> None:
    assert list(iter_payloads(io.StringIO("\n\n"))) == []


def test_iter_payloads_names_the_bad_line() -> None:
    stream = io.StringIO('{"a": 1}\n\n{"a": 2\n{"a": 3}\n')
    payloads = iter_payloads(stream)
    assert next(payloads) == {"a": 1}
    with pytest.raises(InvalidPayload, match=r"^line 3: invalid JSON"):
        next(payloads)
    with pytest.raises(InvalidPayload, match=r"^line 1: invalid JSON"):
        list(iter_payloads(io.StringIO("{nope\n")))


def test_iter_payloads_bad_array_names_line_and_column() -> None:
    with pytest.raises(InvalidPayload, match=r"JSON array is not valid JSON at line 3, column"):
        list(iter_payloads(io.StringIO('[\n{"a": 1},\n{"a": }\n]')))


def test_iter_payloads_whole_document_kubectl_output() -> None:
    path = FIXTURES / "k8s-replicasets.json"
    with path.open("rb") as stream:
        documents = list(iter_payloads(stream, whole_document=True))
    assert len(documents) == 1
    assert documents[0]["kind"] == "List"
    # Without the flag, a pretty-printed single object is still read as one document.
    with path.open() as stream:
        assert list(iter_payloads(stream)) == documents
    with pytest.raises(InvalidPayload, match=r"input is not valid JSON at line 1"):
        list(iter_payloads(io.StringIO("{oops"), whole_document=True))


def test_iter_payloads_rejects_non_utf8() -> None:
    with pytest.raises(InvalidPayload, match="not UTF-8"):
        list(iter_payloads(io.BytesIO(b'{"a": "\xff"}\n')))


def test_every_json_fixture_is_valid_json() -> None:
    for path in FIXTURES.glob("*.json"):
        json.loads(path.read_text())


def test_every_fixture_names_its_origin() -> None:
    origins = (FIXTURES / "ORIGINS.md").read_text()
    listed = set(re.findall(r"^\| `([^`]+)` \|", origins, flags=re.MULTILINE))
    present = {path.name for path in FIXTURES.iterdir() if path.name != "ORIGINS.md"}
    assert listed == present


def test_a_body_nested_thousands_deep_is_a_payload_error_not_a_recursion_error() -> None:
    # Found by probing (issue 9): the standard library's parser recursed out.
    import io

    from rollback_rate.errors import InvalidPayload
    from rollback_rate.sources.base import parse_json_body

    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(InvalidPayload, match="github: body is nested too deeply"):
        parse_json_body("github", body)
    with pytest.raises(InvalidPayload, match="nested too deeply"):
        list(iter_payloads(io.BytesIO(body)))
    with pytest.raises(InvalidPayload, match="line 1: nested too deeply"):
        list(iter_payloads(io.BytesIO(b'{"a": ' + body + b"}\n")))
