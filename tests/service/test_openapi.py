"""Hand-written cases of what the schema promises (schemathesis explores the rest)."""

from __future__ import annotations

import re

from rollback_rate.aggregation.query import BY_PATTERN
from rollback_rate.timeutil import TIMESTAMP_PATTERN, WINDOW_PATTERN
from tests.service.helpers import Tokens, assert_error


def test_a_405_names_every_method_the_path_serves(client):
    response = client.put("/api/v1/events")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"
    assert client.delete("/api/v1/report").headers["allow"] == "GET"
    assert client.get("/webhooks/github").headers["allow"] == "POST"


def test_an_unknown_query_parameter_is_refused_by_name(client, tokens):
    read = Tokens.header(tokens.read)
    response = client.get("/api/v1/report", params={"windw": "30d"}, headers=read)
    error = assert_error(response, 422, "invalid_option")
    assert error["details"][0]["location"] == "query.windw"
    assert "window" in error["message"]  # the parameters the route takes are listed
    assert client.get("/api/v1/report", params={"window": "30d"}, headers=read).status_code == 200


def test_the_schema_states_the_rules_the_parsers_apply(client):
    paths = client.get("/openapi.json").json()["paths"]
    report = {p["name"]: p["schema"] for p in paths["/api/v1/report"]["get"]["parameters"]}
    assert report["window"]["pattern"] == WINDOW_PATTERN
    assert report["as_of"]["pattern"] == TIMESTAMP_PATTERN
    assert report["by"]["pattern"] == BY_PATTERN
    assert report["period"]["enum"] == ["week", "month"]
    assert report["model"]["minLength"] == 1 and report["model"]["maxLength"] == 200
    events = {p["name"]: p["schema"] for p in paths["/api/v1/events"]["get"]["parameters"]}
    assert re.fullmatch(events["cursor"]["pattern"], "123")
    assert not re.fullmatch(events["cursor"]["pattern"], "")
    hook = {p["name"]: p["schema"] for p in paths["/webhooks/mlflow"]["post"]["parameters"]}
    alias = hook["map_alias"]["items"]["pattern"]
    assert re.fullmatch(alias, "champion=production")
    assert not any(re.fullmatch(alias, bad) for bad in ("", "x", "=y", "x=", " = ", "a=\x00"))
