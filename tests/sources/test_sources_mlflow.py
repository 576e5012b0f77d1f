"""MLflow 3.x model_version_alias.created webhooks and their HMAC signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import SourceOptions, get_source
from tests.sources.helpers import NOW, OPTIONS, load, raw

MLFLOW = get_source("mlflow")
SECRET = "whsec-test-123"
SENT = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)  # 1756728000


def signed_headers(body: bytes, *, delivery: str = "d-1", timestamp: str = "1756728000") -> dict:
    content = f"{delivery}.{timestamp}.".encode() + body
    digest = hmac.new(SECRET.encode(), content, hashlib.sha256).digest()
    return {
        "x-mlflow-delivery-id": delivery,
        "x-mlflow-timestamp": timestamp,
        "x-mlflow-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def test_alias_created_is_a_deployment_with_mapped_environment() -> None:
    options = SourceOptions(alias_map={"champion": "production"}, now=NOW)
    result = MLFLOW.translate(load("mlflow-alias-created.json"), {}, options)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "mlflow:fraud-scorer:champion:7:2025-09-01T12:00:00.123456Z",
            "model": "fraud-scorer",
            "environment": "production",
            "timestamp": "2025-09-01T12:00:00.123456Z",
            "version": "7",
            "automated": False,
            "source": "mlflow",
            "alias": "champion",
        }
    ]


def test_unmapped_alias_is_the_environment() -> None:
    [event] = MLFLOW.translate(load("mlflow-alias-created.json"), {}, OPTIONS).events
    assert event["environment"] == "champion"


def test_redelivery_keeps_the_id_but_a_new_move_does_not() -> None:
    payload = load("mlflow-alias-created.json")
    first = MLFLOW.translate(payload, signed_headers(b"x", delivery="d-1"), OPTIONS).events[0]
    again = MLFLOW.translate(payload, signed_headers(b"x", delivery="d-2"), OPTIONS).events[0]
    assert first["id"] == again["id"]
    # Moving champion back to 7 later (a rollback) is a distinct event.
    later = dict(payload, timestamp="2025-09-03T08:00:00+00:00")
    assert MLFLOW.translate(later, {}, OPTIONS).events[0]["id"] == (
        "mlflow:fraud-scorer:champion:7:2025-09-03T08:00:00Z"
    )


def test_time_falls_back_to_header_then_now() -> None:
    payload = load("mlflow-alias-created.json")
    del payload["timestamp"]
    [event] = MLFLOW.translate(payload, {"x-mlflow-timestamp": "1756728000"}, OPTIONS).events
    assert event["timestamp"] == "2025-09-01T12:00:00Z"
    assert event["id"] == "mlflow:fraud-scorer:champion:7:2025-09-01T12:00:00Z"
    [event] = MLFLOW.translate(payload, {}, OPTIONS).events
    assert event["timestamp"] == "2030-01-02T03:04:05Z"
    assert event["id"] == "mlflow:fraud-scorer:champion:7"


def test_integer_version_becomes_text() -> None:
    payload = load("mlflow-alias-created.json")
    payload["data"]["version"] = 12
    assert MLFLOW.translate(payload, {}, OPTIONS).events[0]["version"] == "12"


def test_other_events_are_ignored() -> None:
    result = MLFLOW.translate(load("mlflow-version-created.json"), {}, OPTIONS)
    assert result.events == []
    assert result.ignored == "mlflow event model_version.created does not move a model alias"
    deleted = {"entity": "model_version_alias", "action": "deleted", "data": {"name": "m"}}
    assert MLFLOW.translate(deleted, {}, OPTIONS).ignored is not None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("data", "alias"), "mlflow: data.alias is missing"),
        (("data", "name"), "mlflow: data.name is missing"),
        (("entity",), "mlflow: entity is missing"),
    ],
)
def test_malformed_payloads_name_the_field(path: tuple[str, ...], message: str) -> None:
    payload = load("mlflow-alias-created.json")
    target = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    with pytest.raises(InvalidPayload) as err:
        MLFLOW.translate(payload, {}, OPTIONS)
    assert str(err.value) == message


def test_bad_header_time_is_invalid() -> None:
    payload = load("mlflow-alias-created.json")
    del payload["timestamp"]
    with pytest.raises(InvalidPayload, match="X-MLflow-Timestamp header is not unix seconds"):
        MLFLOW.translate(payload, {"x-mlflow-timestamp": "soon"}, OPTIONS)


def test_verify_accepts_a_good_signature() -> None:
    body = raw("mlflow-alias-created.json")
    MLFLOW.verify(body, signed_headers(body), SECRET, SENT + timedelta(seconds=299))
    # Key rotation: several signatures, one valid.
    headers = signed_headers(body)
    headers["x-mlflow-signature"] = "v1,AAAA " + headers["x-mlflow-signature"]
    MLFLOW.verify(body, headers, SECRET, SENT)


def test_verify_rejects_tampered_body_and_wrong_secret() -> None:
    body = raw("mlflow-alias-created.json")
    headers = signed_headers(body)
    tampered = json.dumps(dict(load("mlflow-alias-created.json"), data={"version": "1"})).encode()
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(tampered, headers, SECRET, SENT)
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(body, headers, "other-secret", SENT)
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(body, dict(headers, **{"x-mlflow-delivery-id": "d-9"}), SECRET, SENT)


def test_verify_rejects_stale_and_future_deliveries() -> None:
    body = raw("mlflow-alias-created.json")
    headers = signed_headers(body)
    with pytest.raises(SignatureMismatch, match=r"301s old"):
        MLFLOW.verify(body, headers, SECRET, SENT + timedelta(seconds=301))
    with pytest.raises(SignatureMismatch, match=r"in the future"):
        MLFLOW.verify(body, headers, SECRET, SENT - timedelta(seconds=301))


@pytest.mark.parametrize(
    "missing", ["x-mlflow-signature", "x-mlflow-delivery-id", "x-mlflow-timestamp"]
)
def test_verify_rejects_missing_headers(missing: str) -> None:
    body = raw("mlflow-alias-created.json")
    headers = signed_headers(body)
    del headers[missing]
    with pytest.raises(SignatureMismatch, match="header is missing"):
        MLFLOW.verify(body, headers, SECRET, SENT)


def test_verify_rejects_non_numeric_timestamp_and_empty_secret() -> None:
    body = b"{}"
    headers = signed_headers(body, timestamp="yesterday")
    with pytest.raises(SignatureMismatch, match="not unix seconds"):
        MLFLOW.verify(body, headers, SECRET, SENT)
    with pytest.raises(SignatureMismatch, match="no webhook secret"):
        MLFLOW.verify(body, signed_headers(body), "", SENT)
