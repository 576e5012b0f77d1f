"""SageMaker endpoint deployment state changes from EventBridge."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import SourceOptions, get_source
from tests.sources.helpers import NOW, OPTIONS, load

SAGEMAKER = get_source("sagemaker")
ARN = "arn:aws:sagemaker:us-west-2:123456789012:endpoint/fraud-endpoint"


def test_in_service_is_a_deployment_of_the_endpoint_config() -> None:
    result = SAGEMAKER.translate(load("sagemaker-in-service.json"), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": f"sagemaker:{ARN}:in_service:fraud-config-v2:1715342400000",
            "model": "fraud-endpoint",
            "environment": "prod-eu",
            "timestamp": "2024-05-10T12:00:00Z",
            "version": "fraud-config-v2",
            "automated": False,
            "source": "sagemaker",
            "team": "risk-ml",
            "endpoint_arn": ARN,
            "region": "us-west-2",
        }
    ]


def test_duplicate_eventbridge_events_share_one_id() -> None:
    # Different EventBridge ids and the API spelling "InService": same state change.
    first = SAGEMAKER.translate(load("sagemaker-in-service.json"), {}, OPTIONS).events
    duplicate = SAGEMAKER.translate(load("sagemaker-in-service-duplicate.json"), {}, OPTIONS).events
    assert [e["id"] for e in first] == [e["id"] for e in duplicate]


def test_rolling_back_is_the_failed_config_deployment_then_automated_rollback() -> None:
    events = SAGEMAKER.translate(load("sagemaker-rolling-back.json"), {}, OPTIONS).events
    assert [(e["type"], e["version"], e["timestamp"], e["id"], e["automated"]) for e in events] == [
        (
            "deployment",
            "fraud-config-v3",
            "2024-05-11T09:33:20Z",
            f"sagemaker:{ARN}:deploy:fraud-config-v3:1715420000000",
            False,
        ),
        (
            "rollback",
            "fraud-config-v2",
            "2024-05-11T09:45:00Z",
            f"sagemaker:{ARN}:rollback:fraud-config-v3:1715420000000",
            True,
        ),
    ]
    assert events[1]["rolled_back_version"] == "fraud-config-v3"
    assert "timestamp_estimated" not in events[0]


def test_later_rolling_back_events_of_the_same_attempt_keep_the_ids() -> None:
    first = load("sagemaker-rolling-back.json")
    later = load("sagemaker-rolling-back.json")
    later["id"] = "another-eventbridge-id"
    later["detail"]["LastModifiedTime"] = 1715420760000
    ids = [e["id"] for e in SAGEMAKER.translate(first, {}, OPTIONS).events]
    assert ids == [e["id"] for e in SAGEMAKER.translate(later, {}, OPTIONS).events]


def test_rolling_back_without_pending_summary() -> None:
    payload = load("sagemaker-rolling-back.json")
    del payload["detail"]["PendingDeploymentSummary"]
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert (event["type"], event["version"], event["id"]) == (
        "rollback",
        "fraud-config-v2",
        f"sagemaker:{ARN}:rollback:fraud-config-v2:1715420700000",
    )


def test_rolling_back_pending_without_start_time_is_estimated() -> None:
    payload = load("sagemaker-rolling-back.json")
    del payload["detail"]["PendingDeploymentSummary"]["StartTime"]
    started, _ = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert started["timestamp"] == "2024-05-11T09:44:59Z"
    assert started["timestamp_estimated"] is True
    assert started["id"] == f"sagemaker:{ARN}:deploy:fraud-config-v3:1715420700000"


def test_update_rollback_failed_is_recorded_with_default_environment() -> None:
    [event] = SAGEMAKER.translate(load("sagemaker-update-rollback-failed.json"), {}, OPTIONS).events
    assert event["type"] == "rollback_failed"
    assert event["environment"] == "production"
    assert event["version"] == "fraud-config-v2"
    assert event["timestamp"] == "2024-05-11T10:00:00Z"
    options = SourceOptions(environment="prod-us", now=NOW)
    payload = load("sagemaker-update-rollback-failed.json")
    assert SAGEMAKER.translate(payload, {}, options).events[0]["environment"] == "prod-us"


def test_tag_list_shape_and_model_tag() -> None:
    payload = load("sagemaker-in-service.json")
    payload["detail"]["Tags"] = [
        {"Key": "rollback-rate/model", "Value": "fraud-xgb"},
        {"Key": "Environment", "Value": "staging"},
    ]
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert (event["model"], event["environment"]) == ("fraud-xgb", "staging")


def test_time_falls_back_to_the_envelope() -> None:
    payload = load("sagemaker-in-service.json")
    del payload["detail"]["LastModifiedTime"]
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert event["timestamp"] == "2024-05-10T12:00:05Z"
    assert event["id"] == f"sagemaker:{ARN}:in_service:fraud-config-v2:2024-05-10T12:00:05Z"


def test_in_progress_states_and_other_events_are_ignored() -> None:
    result = SAGEMAKER.translate(load("sagemaker-updating.json"), {}, OPTIONS)
    assert result.events == []
    assert result.ignored == (
        "sagemaker endpoint status 'UPDATING' is not a completed deployment or rollback"
    )
    training = {"detail-type": "SageMaker Training Job State Change", "detail": {}}
    assert SAGEMAKER.translate(training, {}, OPTIONS).ignored == (
        "sagemaker event 'SageMaker Training Job State Change' is not an endpoint state change"
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("EndpointStatus"), "sagemaker: detail.EndpointStatus is missing"),
        (lambda d: d.pop("EndpointArn"), "sagemaker: detail.EndpointArn is missing"),
        (
            lambda d: d.__setitem__("LastModifiedTime", True),
            "sagemaker: detail.LastModifiedTime must be an integer or a number or a string, "
            "got bool",
        ),
    ],
)
def test_malformed_payloads_name_the_field(mutate: object, message: str) -> None:
    payload = load("sagemaker-in-service.json")
    mutate(payload["detail"])  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        SAGEMAKER.translate(payload, {}, OPTIONS)
    assert str(err.value) == message


def test_verify_token_header_or_bearer() -> None:
    SAGEMAKER.verify(b"{}", {"x-rollback-rate-token": "tok"}, "tok", NOW)
    SAGEMAKER.verify(b"{}", {"authorization": "Bearer tok"}, "tok", NOW)
    with pytest.raises(SignatureMismatch, match="does not match"):
        SAGEMAKER.verify(b"{}", {"x-rollback-rate-token": "tok2"}, "tok", NOW)
    with pytest.raises(SignatureMismatch, match="does not match"):
        SAGEMAKER.verify(b"{}", {"authorization": "Bearer nope"}, "tok", NOW)
    with pytest.raises(SignatureMismatch, match="neither"):
        SAGEMAKER.verify(b"{}", {"authorization": "Basic dG9rOg=="}, "tok", NOW)
