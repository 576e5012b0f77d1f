"""Tokens and scopes, and the one error envelope on every route (walked from OpenAPI)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rollback_rate.service import Settings, create_app
from rollback_rate.store.schema import events
from rollback_rate.store.tokens import create_token, revoke_token
from tests.service.helpers import Tokens, assert_error, event

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


def _operations(client: TestClient) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path.replace("{source}", "github"), spec)
        for path, item in schema["paths"].items()
        for method, spec in item.items()
    ]


def test_every_route_answers_the_error_envelope_without_a_valid_token(client):
    operations = _operations(client)
    assert {path for _, path, _ in operations} >= {
        "/api/v1/events",
        "/api/v1/report",
        "/api/v1/models",
        "/metrics",
        "/healthz",
        "/readyz",
    }
    for method, path, spec in operations:
        for headers in ({}, {"Authorization": "Bearer rr_not-a-token"}, {"Authorization": "x"}):
            response = client.request(method, path, headers=headers, content=b"{}")
            if spec.get("security"):
                error = assert_error(response, 401, "unauthorized")
                assert response.headers["www-authenticate"] == "Bearer", (method, path)
                assert error["details"] == []
            else:
                assert response.status_code < 400, (method, path, response.text)
        assert_error(client.request("PATCH", path), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_scopes_admit_and_refuse(client, tokens, db):
    ingest, read, admin = (Tokens.header(t) for t in (tokens.ingest, tokens.read, tokens.admin))
    refused = client.post("/api/v1/events", json=event(1), headers=read)
    error = assert_error(refused, 403, "forbidden")
    assert "ingest" in error["message"]
    assert_error(client.get("/api/v1/report", headers=ingest), 403, "forbidden")
    assert_error(client.get("/metrics", headers=ingest), 403, "forbidden")
    assert client.post("/api/v1/events", json=event(1), headers=ingest).status_code == 200
    assert client.post("/api/v1/events", json=event(2), headers=admin).status_code == 200
    for path in ("/api/v1/report", "/api/v1/models", "/api/v1/events", "/metrics"):
        assert client.get(path, headers=read).status_code == 200, path
        assert client.get(path, headers=admin).status_code == 200, path
    with db.snapshot() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 2


def test_unauthorised_ingest_stores_nothing(client, db):
    response = client.post("/api/v1/events", json=[event(1), event(2)])
    assert_error(response, 401, "unauthorized")
    with db.snapshot() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 0


def test_revoked_token_stops_working_and_use_is_recorded(client, db):
    token, _ = create_token(db, "short-lived", ["read"])
    assert client.get("/api/v1/report", headers=Tokens.header(token)).status_code == 200
    info = revoke_token(db, "short-lived")
    assert info.last_used_at is not None
    assert_error(client.get("/api/v1/report", headers=Tokens.header(token)), 401, "unauthorized")


def test_no_auth_mode_admits_requests_without_token(db_url, db):
    settings = Settings(db_url=db_url, no_auth=True, access_log=False)
    # No-auth mode serves loopback only (test_no_auth.py): a loopback client and address.
    local = {"base_url": "http://127.0.0.1", "client": ("127.0.0.1", 50000)}
    with TestClient(create_app(settings), **local) as client:
        assert client.post("/api/v1/events", json=event(1)).status_code == 200
        assert client.get("/api/v1/report").status_code == 200


def test_unexpected_errors_are_an_opaque_500(db_url):
    app = create_app(Settings(db_url=db_url, no_auth=True, access_log=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert error["details"] == []


def test_database_down_is_503_but_process_is_alive():
    settings = Settings(db_url=UNREACHABLE, access_log=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        error = assert_error(client.get("/readyz"), 503, "database_unavailable")
        assert "nobody" not in error["message"]  # credentials are redacted
        headers = {"Authorization": "Bearer rr_whatever"}
        assert_error(client.get("/api/v1/report", headers=headers), 503, "database_unavailable")


def test_bad_query_parameters_are_located(client, tokens):
    read = Tokens.header(tokens.read)
    error = assert_error(
        client.get("/api/v1/events?limit=5000", headers=read), 422, "invalid_request"
    )
    assert error["details"][0]["location"] == "query.limit"
    assert_error(client.get("/api/v1/events?type=deploy", headers=read), 422, "invalid_request")
    assert_error(client.get("/api/v1/events?cursor=zzz", headers=read), 422, "invalid_cursor")
    assert_error(client.get("/api/v1/events?since=soon", headers=read), 422, "invalid_option")
    assert_error(client.get("/api/v1/report?by=colour", headers=read), 422, "invalid_option")
    assert_error(client.get("/api/v1/report?window=0d", headers=read), 422, "invalid_option")
