"""The dashboard's session (sign in with a read token, a cookie that only reads), its
assets and the offline API docs, in process."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from rollback_rate.service import Settings, create_app
from tests.service.helpers import Tokens, assert_error, event

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _sign_in(client: TestClient, token: str, next_path: str = "/") -> object:
    return client.post("/session", data={"token": token, "next": next_path}, headers=FORM,
                       follow_redirects=False)  # fmt: skip


def test_without_a_session_the_dashboard_asks_for_a_token(client):
    response = client.get("/?model=x")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert 'name="token"' in response.text and 'value="/?model=x"' in response.text
    assert "rr_session" not in response.headers.get("set-cookie", "")


def test_a_read_token_signs_in_and_the_cookie_reads_but_never_writes(client, tokens):
    refused = _sign_in(client, "rr_nope")
    assert refused.status_code == 401 and "token: invalid or revoked token" in refused.text
    ingest = _sign_in(client, tokens.ingest)
    assert ingest.status_code == 403 and "lacks the &#x27;read&#x27; scope" in ingest.text
    response = _sign_in(client, tokens.read, "/?period=week")
    assert response.status_code == 303 and response.headers["location"] == "/?period=week"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"rr_session={tokens.read};")
    assert {"HttpOnly", "Path=/", "SameSite=strict", "Max-Age=43200"} <= {
        part.strip() for part in cookie.split(";")
    }
    assert "Secure" not in cookie  # plain HTTP here; HTTPS gets Secure (below)
    page = client.get("/")
    assert page.status_code == 200 and 'data-signed-in="true"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/api/v1/report").status_code == 200
    assert client.get("/metrics").status_code == 200
    # The cookie never authorises a write, whatever the token could do (CSRF).
    assert_error(client.post("/api/v1/events", json=event(1)), 401, "unauthorized")
    client.cookies.set("rr_session", tokens.admin)
    assert_error(client.post("/api/v1/events", json=event(1)), 401, "unauthorized")
    # A bearer token still wins over the cookie.
    assert_error(
        client.get("/api/v1/report", headers=Tokens.header(tokens.ingest)), 403, "forbidden"
    )
    out = client.post("/session/end", follow_redirects=False)
    assert out.status_code == 303 and 'rr_session=""' in out.headers["set-cookie"]
    client.cookies.clear()
    assert_error(client.get("/api/v1/report"), 401, "unauthorized")


def test_signing_in_refuses_other_sites_and_foreign_redirects(client, tokens):
    foreign = client.post("/session", data={"token": tokens.read}, headers={
        **FORM, "Origin": "https://evil.example"})  # fmt: skip
    assert_error(foreign, 403, "forbidden")
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        response = _sign_in(client, tokens.read, target)
        assert response.headers["location"] == "/", target
    proxied = {**FORM, "X-Forwarded-Proto": "https"}
    https = client.post("/session", data={"token": tokens.read}, headers=proxied,
                        follow_redirects=False)  # fmt: skip
    assert "Secure" in https.headers["set-cookie"]
    empty = _sign_in(client, "")
    assert empty.status_code == 401 and "token: enter an API token" in empty.text


def test_no_auth_serves_the_dashboard_without_signing_in(db_url, db):
    app = create_app(Settings(db_url=db_url, no_auth=True, access_log=False))
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200 and 'data-signed-in="false"' in page.text


def test_assets_come_from_installed_packages_and_docs_need_no_network(client):
    assets = (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css"),
              ("plotly.min.js", "text/javascript"), ("swagger-ui-bundle.js", "text/javascript"),
              ("swagger-ui.css", "text/css"), ("favicon-32x32.png", "image/png"))  # fmt: skip
    for name, kind in assets:
        response = client.get(f"/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(kind), name
        assert len(response.content) > 500, name
    assert b"plotly.js v" in client.get("/assets/plotly.min.js").content[:200]
    assert_error(client.get("/assets/..%2Fsettings.py"), 404, "not_found")
    assert_error(client.get("/assets/secrets.txt"), 404, "not_found")
    docs = client.get("/docs")
    assert docs.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", docs.text)
    assert urls and all(url.startswith("/") for url in urls), urls
    assert "https://" not in docs.text and "http://" not in docs.text
    assert_error(client.get("/redoc"), 404, "not_found")
