"""MLflow 3.x model_version_alias.created webhooks and their HMAC signature, on bodies
MLflow's own delivery code sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import SourceOptions, get_source
from tests.sources.helpers import NOW, OPTIONS, changed, load, raw

MLFLOW = get_source("mlflow")
SECRET = "whsec-test-123"
ALIAS = "mlflow-alias-created.json"
SENT = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)  # 1756728000
# The headers MLflow 3.17.2 sent with mlflow-alias-created.json, signed with SECRET
# (tests/sources/fixtures/ORIGINS.md).
REAL_HEADERS = {
    "content-type": "application/json",
    "x-mlflow-delivery-id": "e3de5ddf-7301-4c17-840a-fcfe0fe393dd",
    "x-mlflow-timestamp": "1796016789",
    "x-mlflow-signature": "v1,pJdDB4adg+BsWRVzdCbInomYB/+S80AiNcHN7ftZ/Pk=",
}
REAL_SENT = datetime.fromtimestamp(1796016789, UTC)
MOVED_AT = "2026-11-30T05:33:09.443161Z"


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
    options = SourceOptions(alias_map={"example_alias": "production"}, now=NOW)
    result = MLFLOW.translate(load(ALIAS), REAL_HEADERS, options)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": f"mlflow:example_model:example_alias:1:{MOVED_AT}",
            "model": "example_model",
            "environment": "production",
            "timestamp": MOVED_AT,
            "version": "1",
            "automated": False,
            "source": "mlflow",
            "alias": "example_alias",
        }
    ]


def test_unmapped_alias_is_the_environment() -> None:
    [event] = MLFLOW.translate(load(ALIAS), {}, OPTIONS).events
    assert event["environment"] == "example_alias"


def test_redelivery_keeps_the_id_but_a_new_move_does_not() -> None:
    payload = load(ALIAS)
    first = MLFLOW.translate(payload, signed_headers(b"x", delivery="d-1"), OPTIONS).events[0]
    again = MLFLOW.translate(payload, signed_headers(b"x", delivery="d-2"), OPTIONS).events[0]
    assert first["id"] == again["id"]
    later = changed(
        ALIAS,
        because="moving the alias back to version 1 later (a rollback) is a new delivery",
        replace={"timestamp": "2026-12-03T08:00:00+00:00"},
    )
    assert MLFLOW.translate(later, {}, OPTIONS).events[0]["id"] == (
        "mlflow:example_model:example_alias:1:2026-12-03T08:00:00Z"
    )


def test_time_falls_back_to_header_then_now() -> None:
    payload = changed(
        ALIAS,
        because="MLflow always sends the body timestamp (delivery.py); a relay or an export "
        "may keep the data without it",
        drop=["timestamp"],
    )
    [event] = MLFLOW.translate(payload, REAL_HEADERS, OPTIONS).events
    assert event["timestamp"] == "2026-11-30T05:33:09Z"
    assert event["id"] == "mlflow:example_model:example_alias:1:2026-11-30T05:33:09Z"
    [event] = MLFLOW.translate(payload, {}, OPTIONS).events
    assert event["timestamp"] == "2030-01-02T03:04:05Z"
    assert event["id"] == "mlflow:example_model:example_alias:1"


def test_integer_version_becomes_text() -> None:
    payload = changed(
        ALIAS, because="a producer sending the version as a number", replace={"data.version": 12}
    )
    assert MLFLOW.translate(payload, {}, OPTIONS).events[0]["version"] == "12"


def test_alias_payload_names_no_artifact_or_actor() -> None:
    [event] = MLFLOW.translate(load(ALIAS), {}, OPTIONS).events
    assert not {"artifact", "digest", "actor"} & set(event)


def test_other_events_are_ignored() -> None:
    result = MLFLOW.translate(load("mlflow-version-created.json"), {}, OPTIONS)
    assert result.events == []
    assert result.ignored == "mlflow event model_version.created does not move a model alias"
    deleted = {"entity": "model_version_alias", "action": "deleted", "data": {"name": "m"}}
    assert MLFLOW.translate(deleted, {}, OPTIONS).ignored is not None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("data.alias", "mlflow: data.alias is missing"),
        ("data.name", "mlflow: data.name is missing"),
        ("entity", "mlflow: entity is missing"),
    ],
)
def test_malformed_payloads_name_the_field(path: str, message: str) -> None:
    payload = changed(ALIAS, because="a malformed delivery", drop=[path])
    with pytest.raises(InvalidPayload) as err:
        MLFLOW.translate(payload, {}, OPTIONS)
    assert str(err.value) == message


def test_bad_header_time_is_invalid() -> None:
    payload = changed(ALIAS, because="only the header can give the time", drop=["timestamp"])
    with pytest.raises(InvalidPayload, match="X-MLflow-Timestamp header is not unix seconds"):
        MLFLOW.translate(payload, {"x-mlflow-timestamp": "soon"}, OPTIONS)


def test_verify_accepts_the_signature_mlflow_sent() -> None:
    MLFLOW.verify(raw(ALIAS), REAL_HEADERS, SECRET, REAL_SENT + timedelta(seconds=299))
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(raw(ALIAS) + b" ", REAL_HEADERS, SECRET, REAL_SENT)


def test_verify_accepts_a_good_signature() -> None:
    body = raw(ALIAS)
    MLFLOW.verify(body, signed_headers(body), SECRET, SENT + timedelta(seconds=299))
    # Key rotation: several signatures, one valid.
    headers = signed_headers(body)
    headers["x-mlflow-signature"] = "v1,AAAA " + headers["x-mlflow-signature"]
    MLFLOW.verify(body, headers, SECRET, SENT)


def test_verify_rejects_tampered_body_and_wrong_secret() -> None:
    body = raw(ALIAS)
    headers = signed_headers(body)
    tampered = json.dumps(dict(load(ALIAS), data={"version": "1"})).encode()
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(tampered, headers, SECRET, SENT)
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(body, headers, "other-secret", SENT)
    with pytest.raises(SignatureMismatch, match="does not match"):
        MLFLOW.verify(body, dict(headers, **{"x-mlflow-delivery-id": "d-9"}), SECRET, SENT)


def test_verify_rejects_stale_and_future_deliveries() -> None:
    body = raw(ALIAS)
    headers = signed_headers(body)
    with pytest.raises(SignatureMismatch, match=r"301s old"):
        MLFLOW.verify(body, headers, SECRET, SENT + timedelta(seconds=301))
    with pytest.raises(SignatureMismatch, match=r"in the future"):
        MLFLOW.verify(body, headers, SECRET, SENT - timedelta(seconds=301))


@pytest.mark.parametrize(
    "missing", ["x-mlflow-signature", "x-mlflow-delivery-id", "x-mlflow-timestamp"]
)
def test_verify_rejects_missing_headers(missing: str) -> None:
    body = raw(ALIAS)
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
