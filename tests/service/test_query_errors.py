"""Every query parameter of every route, given a bad value, answers 422 located at
`query.<name>` with a message that names it without CLI dashes (issue 13). The routes and
parameters are walked from the OpenAPI schema, so a new one fails here until it is
classified below."""

from __future__ import annotations

from tests.service.helpers import Tokens, assert_error

# A value each parameter refuses.
BAD = {
    "window": "week",
    "as_of": "soon",
    "by": "colour",
    "period": "year",
    "since": "soon",
    "until": "later",
    "limit": "5000",
    "cursor": "zzz",
    "type": "deploy",
    "map_alias": "nope",
    "tz": "Mars/Olympus_Mons",
    "order": "loudest",
    "at": "soon",
    "context": "500",
}
# Free text, any value is accepted: (path prefix, name).
FREE = {("/api/v1/", "model"), ("/api/v1/", "environment"), ("/api/v1/", "team")}
WEBHOOK_BAD = {"environment": "e" * 201, "map_alias": "nope"}
# `history` names one stream: a free name is a 404 (no such stream), so names too long.
HISTORY_BAD = {"model": "m" * 201, "environment": "e" * 201}


def _parameters(client):
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path, parameter["name"])
        for path, item in schema["paths"].items()
        for method, spec in item.items()
        for parameter in spec.get("parameters", [])
        if parameter["in"] == "query"
    ]


def _bad_value(path: str, name: str) -> str | None:
    if path.startswith("/webhooks/"):
        return WEBHOOK_BAD[name]
    if path == "/api/v1/history" and name in HISTORY_BAD:
        return HISTORY_BAD[name]
    if any(path.startswith(prefix) and name == free for prefix, free in FREE):
        return None
    return BAD[name]


def test_every_query_parameter_is_classified(client):
    parameters = _parameters(client)
    assert len(parameters) >= 25
    for _, path, name in parameters:
        _bad_value(path, name)  # KeyError: a new parameter; give it a bad value above


def test_a_bad_value_of_every_query_parameter_is_located_at_its_name(client, tokens, db):
    from rollback_rate.store.secrets import add_secret

    for source in ("mlflow", "github", "gitlab", "sagemaker"):
        add_secret(db, source, "s3cret")  # past the secret check, to the options
    headers = Tokens.header(tokens.admin)
    for method, path, name in _parameters(client):
        value = _bad_value(path, name)
        required = {"model": "m"} if path == "/api/v1/history" and name != "model" else {}
        params = {**required, name: value or "anything"}
        response = client.request(method, path, params=params, headers=headers, content=b"{}")
        if value is None:
            assert response.status_code == 200, (path, name, response.text)
            continue
        assert response.status_code == 422, (path, name, response.text)
        error = response.json()["error"]
        assert error["code"] in ("invalid_option", "invalid_request", "invalid_cursor")
        assert error["details"][0]["location"] == f"query.{name}", (path, name, error)
        assert error["details"][0]["field"] == name, (path, name, error)
        assert name in error["message"] and "--" not in error["message"], (path, error)


def test_fastapi_validation_errors_name_the_parameter_in_the_message(client, tokens):
    error = assert_error(
        client.get("/api/v1/events?limit=0", headers=Tokens.header(tokens.read)),
        422,
        "invalid_request",
    )
    assert error["message"] == "query.limit: Input should be greater than or equal to 1"
