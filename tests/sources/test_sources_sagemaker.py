"""SageMaker endpoint state changes from EventBridge, on AWS's documented events."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import SourceOptions, get_source
from tests.sources.helpers import NOW, OPTIONS, changed, load

SAGEMAKER = get_source("sagemaker")
IN_SERVICE = "sagemaker-in-service.json"
UPDATING = "sagemaker-updating.json"
ARN = "arn:aws:sagemaker:us-west-2:123456789012:endpoint/myendpoint"
SAMPLE_ARN = "arn:aws:sagemaker:us-west-2:651393343886:endpoint/sample-endpoint"
# AWS documents an UPDATING deployment only; RollingBack, UpdateRollbackFailed and InService
# are DescribeEndpoint's other EndpointStatus values, spelt as events spell them.
NO_EXAMPLE = "AWS publishes no example of this endpoint deployment status"


def test_in_service_is_a_deployment_of_the_endpoint_config() -> None:
    result = SAGEMAKER.translate(load(IN_SERVICE), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": f"sagemaker:{ARN}:in_service:MyEndpointConfig:1592411994287",
            "model": "MyEndpoint",
            "environment": "production",
            "timestamp": "2020-06-17T16:39:54.287000Z",
            "version": "MyEndpointConfig",
            "automated": False,
            "source": "sagemaker",
            "artifact": "MyEndpointConfig",
            "endpoint_arn": ARN,
            "region": "us-west-2",
        }
    ]


def test_both_event_families_give_one_id_for_one_state_change() -> None:
    # "SageMaker Endpoint State Change" writes epoch milliseconds as floats
    # (1592411994287.0), the deployment family as integers (sagemaker-updating.json);
    # subscribing to both must not count one state change twice.
    deployment_family = changed(
        IN_SERVICE,
        because="the same state change as the deployment event family reports it",
        replace={
            "detail-type": "SageMaker Endpoint Deployment State Change",
            "detail.LastModifiedTime": 1592411994287,
            "detail.CreationTime": 1592411992203,
        },
    )
    first = SAGEMAKER.translate(load(IN_SERVICE), {}, OPTIONS).events
    second = SAGEMAKER.translate(deployment_family, {}, OPTIONS).events
    assert [e["id"] for e in first] == [e["id"] for e in second]


def test_duplicate_eventbridge_events_share_one_id() -> None:
    duplicate = changed(
        IN_SERVICE,
        because="SageMaker may send several events per state change, each with its own id; "
        "the API spells the status InService",
        replace={"id": "another-eventbridge-id", "detail.EndpointStatus": "InService"},
    )
    first = SAGEMAKER.translate(load(IN_SERVICE), {}, OPTIONS).events
    assert [e["id"] for e in first] == [
        e["id"] for e in SAGEMAKER.translate(duplicate, {}, OPTIONS).events
    ]


def rolling_back(**more: object) -> dict:
    return changed(
        UPDATING,
        because=NO_EXAMPLE + ": an alarm tripped while the canary baked",
        replace={
            "detail.EndpointStatus": "ROLLING_BACK",
            "detail.LastModifiedTime": 1635195569181,
            **more,
        },
    )


def test_rolling_back_is_the_pending_config_deployment_then_automated_rollback() -> None:
    events = SAGEMAKER.translate(rolling_back(), {}, OPTIONS).events
    assert [(e["type"], e["version"], e["timestamp"], e["id"], e["automated"]) for e in events] == [
        (
            "deployment",
            "sample-endpoint-config-2",
            "2021-10-25T20:52:28.181000Z",
            f"sagemaker:{SAMPLE_ARN}:deploy:sample-endpoint-config-2:1635195148181",
            False,
        ),
        (
            "rollback",
            "sample-endpoint-config-1",
            "2021-10-25T20:59:29.181000Z",
            f"sagemaker:{SAMPLE_ARN}:rollback:sample-endpoint-config-2:1635195148181",
            True,
        ),
    ]
    deployed, rollback = events
    assert deployed["artifact"] == "sample-endpoint-config-2"
    assert rollback["rolled_back_version"] == "sample-endpoint-config-2"
    assert "timestamp_estimated" not in deployed
    assert (deployed["model"], deployed["environment"]) == ("sample-endpoint", "production")


def test_later_rolling_back_events_of_the_same_attempt_keep_the_ids() -> None:
    first = [e["id"] for e in SAGEMAKER.translate(rolling_back(), {}, OPTIONS).events]
    later = rolling_back(id="another-eventbridge-id", **{"detail.LastModifiedTime": 1635195629181})
    assert first == [e["id"] for e in SAGEMAKER.translate(later, {}, OPTIONS).events]


def test_rolling_back_without_pending_summary() -> None:
    payload = rolling_back()
    del payload["detail"]["PendingDeploymentSummary"]
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert (event["type"], event["version"], event["id"]) == (
        "rollback",
        "sample-endpoint-config-1",
        f"sagemaker:{SAMPLE_ARN}:rollback:sample-endpoint-config-1:1635195569181",
    )


def test_rolling_back_pending_without_start_time_is_estimated() -> None:
    payload = rolling_back()
    del payload["detail"]["PendingDeploymentSummary"]["StartTime"]  # the API marks it optional
    started, _ = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert started["timestamp"] == "2021-10-25T20:59:28.181000Z"
    assert started["timestamp_estimated"] is True
    assert started["id"] == f"sagemaker:{SAMPLE_ARN}:deploy:sample-endpoint-config-2:1635195569181"


def test_update_rollback_failed_is_recorded_with_default_environment() -> None:
    payload = changed(
        UPDATING,
        because=NO_EXAMPLE,
        replace={"detail.EndpointStatus": "UPDATE_ROLLBACK_FAILED"},
        drop=["detail.PendingDeploymentSummary"],
    )
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert event["type"] == "rollback_failed"
    assert event["environment"] == "production"
    assert event["version"] == "sample-endpoint-config-1"
    assert event["timestamp"] == "2021-10-25T20:52:28.181000Z"
    options = SourceOptions(environment="prod-us", now=NOW)
    assert SAGEMAKER.translate(payload, {}, options).events[0]["environment"] == "prod-us"


def test_tags_name_environment_team_and_model() -> None:
    payload = changed(
        IN_SERVICE,
        because="Tags carries the endpoint's tags; AWS's example endpoint has none",
        replace={"detail.Tags": {"environment": "prod-eu", "team": "risk-ml"}},
    )
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert (event["environment"], event["team"]) == ("prod-eu", "risk-ml")
    payload = changed(
        IN_SERVICE,
        because="tags in the API's Key/Value list shape (DescribeEndpoint, ListTags)",
        replace={
            "detail.Tags": [
                {"Key": "rollback-rate/model", "Value": "fraud-xgb"},
                {"Key": "Environment", "Value": "staging"},
            ]
        },
    )
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert (event["model"], event["environment"]) == ("fraud-xgb", "staging")


def test_time_falls_back_to_the_envelope() -> None:
    payload = changed(
        UPDATING,
        because=NO_EXAMPLE + ", nor of an event without LastModifiedTime",
        replace={"detail.EndpointStatus": "IN_SERVICE"},
        drop=["detail.LastModifiedTime", "detail.PendingDeploymentSummary"],
    )
    [event] = SAGEMAKER.translate(payload, {}, OPTIONS).events
    assert event["timestamp"] == "2021-10-25T01:52:12Z"
    assert event["id"] == (
        f"sagemaker:{SAMPLE_ARN}:in_service:sample-endpoint-config-1:2021-10-25T01:52:12Z"
    )


def test_in_progress_states_and_other_events_are_ignored() -> None:
    result = SAGEMAKER.translate(load(UPDATING), {}, OPTIONS)
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
    payload = load(IN_SERVICE)
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
