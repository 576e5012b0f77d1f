"""`POST /webhooks/{source}`: signed and tokened deliveries, over a real server and in-process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
import warnings
from typing import Any

import pytest
from sqlalchemy import func, select

with warnings.catch_warnings():  # as in conftest: Starlette prefers httpx2
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from rollback_rate.service import Settings, create_app
from rollback_rate.store import Database
from rollback_rate.store.schema import events
from rollback_rate.store.secrets import add_secret
from tests.service.helpers import Tokens, assert_error, make_tokens, running_server
from tests.sources.helpers import changed, load, raw

SECRET = "It's a Secret to Everybody"


def github_headers(body: bytes, secret: str = SECRET, event: str = "deployment_status") -> dict:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": str(uuid.uuid4()),  # new per (re)delivery; never the event id
        "X-Hub-Signature-256": signature,
    }


def mlflow_headers(body: bytes, secret: str = SECRET, sent: int | None = None) -> dict:
    delivery, stamp = str(uuid.uuid4()), str(sent if sent is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"{delivery}.{stamp}.".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-MLflow-Signature": "v1," + base64.b64encode(digest.digest()).decode(),
        "X-MLflow-Delivery-Id": delivery,
        "X-MLflow-Timestamp": stamp,
    }


def gitlab_headers(token: str = SECRET) -> dict:
    return {"X-Gitlab-Token": token, "X-Gitlab-Event": "Deployment Hook"}


def sagemaker_headers(token: str = SECRET) -> dict:
    return {"X-Rollback-Rate-Token": token}


def alias_move(version: str, at: str) -> bytes:
    payload = {
        "entity": "model_version_alias",
        "action": "created",
        "timestamp": at,
        "data": {"name": "fraud-scorer", "alias": "champion", "version": version},
    }
    return json.dumps(payload).encode()


def cloudevent(cdevent: dict[str, Any]) -> bytes:
    """A CDEvent wrapped as a structured-mode CloudEvent."""
    context = cdevent["context"]
    return json.dumps(
        {
            "specversion": "1.0",
            "id": context["id"],
            "source": context["source"],
            "type": context["type"],
            "time": context["timestamp"],
            "datacontenttype": "application/json",
            "data": cdevent,
        }
    ).encode()


STRUCTURED = {"Content-Type": "application/cloudevents+json"}


def stored(database: Database) -> int:
    with database.snapshot() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def stored_events(client: TestClient, tokens: Tokens) -> list[dict[str, Any]]:
    page = client.get("/api/v1/events", headers=Tokens.header(tokens.read)).json()
    return list(page["events"])


# --------------------------------------------------------------------------- real server


def test_github_over_the_wire_duplicate_bad_signature_and_ignored(db_url, db, tmp_path):
    add_secret(db, "github", SECRET)
    body = raw("github-deployment-status-success.json")
    with running_server(db_url, tmp_path) as server, server.client() as client:
        first = client.post("/webhooks/github", content=body, headers=github_headers(body))
        assert first.status_code == 200, first.text
        assert first.json() == {
            "status": "recorded",
            "stored": 1,
            "duplicates": 0,
            "events": ["github:deployment_status:209916254"],
        }
        replay = client.post("/webhooks/github", content=body, headers=github_headers(body))
        assert replay.json() | {"events": None} == {
            "status": "recorded",
            "stored": 0,
            "duplicates": 1,
            "events": None,
        }
        other = load("github-deployment-status-success.json")
        other["deployment_status"]["id"] = 99
        forged = json.dumps(other).encode()
        bad = client.post(
            "/webhooks/github", content=forged, headers=github_headers(forged, "wrong")
        )
        error = assert_error(bad, 401, "signature_mismatch")
        assert "X-Hub-Signature-256" in error["message"]
        in_progress = raw("github-deployment-status-in-progress.json")
        ignored = client.post(
            "/webhooks/github", content=in_progress, headers=github_headers(in_progress)
        )
        assert ignored.status_code == 202
        assert ignored.json() == {
            "status": "ignored",
            "reason": "deployment_status state 'in_progress' is not a completed deployment",
        }
    assert stored(db) == 1


def test_cdevents_structured_cloudevent_needs_an_ingest_token(db_url, db, tmp_path):
    tokens = make_tokens(db)
    body = cloudevent(load("cdevents-service-deployed-v0.4.json"))
    with running_server(db_url, tmp_path) as server:
        with server.client() as anonymous:
            refused = anonymous.post("/webhooks/cdevents", content=body, headers=STRUCTURED)
            assert_error(refused, 401, "unauthorized")
        with server.client(tokens.read) as reader:
            refused = reader.post("/webhooks/cdevents", content=body, headers=STRUCTURED)
            assert_error(refused, 403, "forbidden")
        assert stored(db) == 0
        with server.client(tokens.ingest) as ingest:
            accepted = ingest.post("/webhooks/cdevents", content=body, headers=STRUCTURED)
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["events"] == ["cdevents:271069a8-fc18-44f1-b38f-9d70a1695819"]
    assert stored(db) == 1


def test_mlflow_alias_moved_back_is_a_rollback_in_the_report(db_url, db, tmp_path):
    tokens = make_tokens(db)
    add_secret(db, "mlflow", SECRET)
    url = "/webhooks/mlflow?map_alias=champion=production"
    moves = [("1", "2026-01-01T00:00:00Z"), ("2", "2026-01-02T00:00:00Z")]
    moves.append(("1", "2026-01-02T06:00:00Z"))
    with running_server(db_url, tmp_path) as server, server.client() as client:
        for version, at in moves:
            body = alias_move(version, at)
            response = client.post(url, content=body, headers=mlflow_headers(body))
            assert response.json()["stored"] == 1, response.text
        report = client.get(
            "/api/v1/report",
            params={"as_of": "2026-02-01T00:00:00Z", "environment": "production"},
            headers=Tokens.header(tokens.read),
        )
    assert report.status_code == 200, report.text
    overall = report.json()["overall"]
    assert overall["rollbacks"] == 1
    assert overall["median_hours_to_rollback"] == 6.0


# --------------------------------------------------------------------------- in-process

CASES = [
    ("github", "github-deployment-status-success.json", ["deployment"], github_headers),
    ("gitlab", "gitlab-deployment-success.json", ["deployment"], lambda _: gitlab_headers()),
    ("mlflow", "mlflow-alias-created.json", ["deployment"], mlflow_headers),
    ("sagemaker", "sagemaker-in-service.json", ["deployment"], lambda _: sagemaker_headers()),
    ("cdevents", "cdevents-service-rolledback-v0.5.json", ["rollback"], None),
    ("argo-rollouts", "argo-rollout-completed.json", ["deployment"], None),
]


@pytest.mark.parametrize(("source", "fixture", "types", "sign"), CASES)
def test_every_source_records_its_fixture(client, db, tokens, source, fixture, types, sign):
    body = raw(fixture)
    if sign is None:
        headers = Tokens.header(tokens.ingest)
    else:
        add_secret(db, source, SECRET)
        headers = sign(body)
    response = client.post(f"/webhooks/{source}", content=body, headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["status"], result["stored"], result["duplicates"]) == ("recorded", 1, 0)
    [event] = stored_events(client, tokens)
    assert event["id"] == result["events"][0] and event["type"] == types[0]
    assert (event["attributes"] or {}).get("source") == source, event


def test_malformed_bodies_are_422_naming_the_field(client, db):
    add_secret(db, "github", SECRET)
    payload = load("github-deployment-status-success.json")
    del payload["deployment_status"]["state"]
    body = json.dumps(payload).encode()
    error = assert_error(
        client.post("/webhooks/github", content=body, headers=github_headers(body)),
        422,
        "invalid_payload",
    )
    assert error["message"] == "github: deployment_status.state is missing"
    body = b"{not json"
    error = assert_error(
        client.post("/webhooks/github", content=body, headers=github_headers(body)),
        422,
        "invalid_payload",
    )
    assert error["message"].startswith("github: body is not valid JSON")
    assert stored(db) == 0


def test_translated_events_that_break_the_contract_are_422_located(client, db):
    add_secret(db, "github", SECRET)
    payload = load("github-deployment-status-success.json")
    payload["deployment"]["payload"] = {"model": "m", "version": "1", "team": "x" * 300}
    body = json.dumps(payload).encode()
    response = client.post("/webhooks/github", content=body, headers=github_headers(body))
    error = assert_error(response, 422, "invalid_events")
    assert error["details"] == [
        {"location": "github event 1", "field": "team", "reason": "is longer than 200 characters"}
    ]
    assert stored(db) == 0


@pytest.mark.parametrize("source", ["jenkins", "k8s-replicasets"])
def test_unknown_and_import_only_sources_are_404(client, source):
    error = assert_error(client.post(f"/webhooks/{source}", content=b"{}"), 404, "unknown_source")
    for known in ("cdevents", "mlflow", "github", "gitlab", "argo-rollouts", "sagemaker"):
        assert known in error["message"]


@pytest.mark.parametrize("source", ["github", "gitlab", "mlflow", "sagemaker"])
def test_no_secret_configured_is_401_with_the_fix(client, db, source):
    response = client.post(f"/webhooks/{source}", content=b"{}", headers=sagemaker_headers())
    error = assert_error(response, 401, "unauthorized")
    assert f"rollback-rate webhooks add {source} --secret" in error["message"]
    assert stored(db) == 0


def test_map_alias_and_environment_come_from_the_query(client, db, tokens):
    add_secret(db, "mlflow", SECRET)
    body = raw("mlflow-alias-created.json")
    url = "/webhooks/mlflow?map_alias=example_alias=production&map_alias=challenger=staging"
    assert client.post(url, content=body, headers=mlflow_headers(body)).status_code == 200
    add_secret(db, "sagemaker", SECRET)
    payload = load("sagemaker-in-service.json")
    del payload["detail"]["Tags"]
    body = json.dumps(payload).encode()
    url = "/webhooks/sagemaker?environment=prod-us"
    assert client.post(url, content=body, headers=sagemaker_headers()).status_code == 200
    found = {e["model"]: e["environment"] for e in stored_events(client, tokens)}
    assert found == {"example_model": "production", "MyEndpoint": "prod-us"}
    bad = client.post(
        "/webhooks/mlflow?map_alias=champion", content=body, headers=mlflow_headers(body)
    )
    error = assert_error(bad, 422, "invalid_option")
    assert error["details"][0]["location"] == "query.map_alias"


def test_wrong_tokens_and_stale_signatures_store_nothing(client, db):
    for source in ("gitlab", "sagemaker", "mlflow"):
        add_secret(db, source, SECRET)
    gitlab = raw("gitlab-deployment-success.json")
    wrong = client.post("/webhooks/gitlab", content=gitlab, headers=gitlab_headers("nope"))
    assert "X-Gitlab-Token" in assert_error(wrong, 401, "signature_mismatch")["message"]
    missing = client.post("/webhooks/gitlab", content=gitlab)
    assert_error(missing, 401, "signature_mismatch")
    sagemaker = raw("sagemaker-in-service.json")
    wrong = client.post("/webhooks/sagemaker", content=sagemaker, headers=sagemaker_headers("x"))
    assert_error(wrong, 401, "signature_mismatch")
    mlflow = raw("mlflow-alias-created.json")
    stale = mlflow_headers(mlflow, sent=int(time.time()) - 3600)
    error = assert_error(
        client.post("/webhooks/mlflow", content=mlflow, headers=stale), 401, "signature_mismatch"
    )
    assert "replay" in error["message"]
    assert stored(db) == 0


def test_sagemaker_rolling_back_is_an_automated_rollback(client, db, tokens):
    add_secret(db, "sagemaker", SECRET)
    rolling_back = changed(
        "sagemaker-updating.json",
        because="AWS publishes no example of an endpoint deployment rolling back",
        replace={"detail.EndpointStatus": "ROLLING_BACK"},
    )
    body = json.dumps(rolling_back).encode()
    response = client.post("/webhooks/sagemaker", content=body, headers=sagemaker_headers())
    assert response.json()["stored"] == 2, response.text
    rollback = [e for e in stored_events(client, tokens) if e["type"] == "rollback"]
    assert [(e["automated"], e["version"]) for e in rollback] == [
        (True, "sample-endpoint-config-1")
    ]
    updating = raw("sagemaker-updating.json")
    ignored = client.post("/webhooks/sagemaker", content=updating, headers=sagemaker_headers())
    assert ignored.status_code == 202 and ignored.json()["status"] == "ignored"


def test_argo_aborted_records_the_canary_and_an_automated_rollback(client, tokens):
    headers = Tokens.header(tokens.ingest)
    body = raw("argo-rollout-aborted.json")
    response = client.post("/webhooks/argo-rollouts", content=body, headers=headers)
    assert response.json()["stored"] == 2, response.text
    found = [(e["type"], e["automated"]) for e in stored_events(client, tokens)]
    assert found == [("deployment", False), ("rollback", True)]
    again = client.post("/webhooks/argo-rollouts", content=body, headers=headers)
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 2)
    assert_error(client.post("/webhooks/argo-rollouts", content=body), 401, "unauthorized")


def test_no_auth_admits_tokened_sources_but_still_verifies_signatures(db_url, db):
    app = create_app(Settings(db_url=db_url, no_auth=True, access_log=False))
    local = {"base_url": "http://127.0.0.1", "client": ("127.0.0.1", 50000)}  # loopback only
    with TestClient(app, raise_server_exceptions=False, **local) as client:
        body = raw("cdevents-service-deployed-v0.4.json")
        assert client.post("/webhooks/cdevents", content=body).status_code == 200
        body = raw("github-deployment-status-success.json")
        response = client.post("/webhooks/github", content=body, headers=github_headers(body))
        assert_error(response, 401, "unauthorized")
    assert stored(db) == 1


def test_openapi_documents_each_webhook_and_its_authentication(client):
    paths = client.get("/openapi.json").json()["paths"]
    webhooks = {path: item["post"] for path, item in paths.items() if "webhooks" in path}
    assert set(webhooks) == {
        f"/webhooks/{name}"
        for name in ("cdevents", "mlflow", "github", "gitlab", "argo-rollouts", "sagemaker")
    }
    for spec in webhooks.values():
        assert spec["summary"] and spec["description"] and spec["security"]
        assert {"200", "202", "401", "422"} <= set(spec["responses"])
    assert webhooks["/webhooks/cdevents"]["security"] == [{"HTTPBearer": []}]
    assert webhooks["/webhooks/github"]["security"] == [{"github-signature": []}]
    assert "403" not in webhooks["/webhooks/github"]["responses"]
