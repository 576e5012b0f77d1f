"""Out-of-range options are located errors, never a 500 or a traceback (issue 9).

A window or a time that the database cannot hold in 64-bit microseconds, a time that
leaves the calendar once in UTC, an oversized cursor: each is refused where it is parsed,
naming the option (`query.<name>` over HTTP, exit code 2 on the CLI).
"""

from __future__ import annotations

import base64
import re
import warnings

import pytest
from typer.testing import CliRunner

from rollback_rate.aggregation import parse_query
from rollback_rate.aggregation.audit import CURSOR_PATTERN, AuditQuery, decode_cursor
from rollback_rate.aggregation.query import BY_PATTERN, NAME_PATTERN
from rollback_rate.cli import app as cli_app
from rollback_rate.errors import InvalidOption
from rollback_rate.service import Settings, create_app
from rollback_rate.timeutil import TIMESTAMP_PATTERN, WINDOW_PATTERN, parse_timestamp, parse_window
from tests.service.helpers import assert_error

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

runner = CliRunner()
HUGE = "9" * 400

# (parameter, value, words the error must hold)
OUT_OF_RANGE = [
    ("window", "999999999999d", "out of range"),
    ("window", HUGE + "d", "out of range"),
    ("window", "10000000m", "out of range"),
    ("window", "0.0000001m", "out of range"),
    ("window", "0d", "longer than zero"),
    ("window", " 7d", "not understood"),
    ("window", "\u0663d", "not understood"),  # an Arabic-Indic digit: float() takes it
    ("as_of", "9999-12-31T23:59:59-01:00", "edge of the calendar"),
    ("as_of", "0001-01-01T00:00:00+01:00", "edge of the calendar"),
    ("since", "0001-01-01T00:30:00+00:31", "edge of the calendar"),
    ("until", "9999-12-31T23:00:00-02:00", "edge of the calendar"),
    ("as_of", "", "not an RFC 3339 time"),
    ("as_of", "2026-02-30", "not an RFC 3339 time"),
    ("by", "", "is not one of"),
    ("by", "model, team", "is not one of"),
    ("by", "model,model", "twice"),
    ("model", "", "not a name"),
    ("model", "a\x00b", "not a name"),
    ("team", "x" * 201, "not a name"),
]


@pytest.mark.parametrize(("option", "value", "words"), OUT_OF_RANGE)
def test_the_parser_refuses_out_of_range_options(option, value, words):
    options = {"window": "7d", "as_of": "2026-01-31T00:00:00Z", option: value}
    with pytest.raises(InvalidOption, match=re.escape(words)) as caught:
        parse_query(**options)
    assert caught.value.option == option


def test_extreme_but_valid_options_work_to_the_end(fresh_sqlite_url):
    from tests.helpers import report

    url = fresh_sqlite_url()
    for window in ("9999999.999999w", "0.000001m", "0007d", ".5h"):
        assert report(url, "9999-12-31T23:59:59Z", window)["overall"]["deployments"] == 0
    assert report(url, "0001-01-01T00:00:00-01:00", "9999999w")["as_of"] == "0001-01-01T01:00:00Z"
    assert report(url, "9999-12-31T23:00:00+05:00", "7d")["as_of"] == "9999-12-31T18:00:00Z"


@pytest.mark.parametrize(("option", "value", "words"), OUT_OF_RANGE)
def test_cli_refuses_them_in_one_line(fresh_sqlite_url, option, value, words):
    if "\x00" in value:
        pytest.skip("a NUL cannot be passed in argv")
    flag = "--" + option.replace("_", "-")
    result = runner.invoke(cli_app, ["--db", fresh_sqlite_url(), "report", flag, value])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ") and words in line


@pytest.fixture
def client(fresh_sqlite_url):
    app = create_app(Settings(db_url=fresh_sqlite_url(), no_auth=True, access_log=False))
    local = {"base_url": "http://127.0.0.1", "client": ("127.0.0.1", 5000)}
    with TestClient(app, raise_server_exceptions=False, **local) as test_client:
        yield test_client


@pytest.mark.parametrize(("option", "value", "words"), OUT_OF_RANGE)
def test_http_locates_them_in_the_query(client, option, value, words):
    response = client.get("/api/v1/report", params={option: value})
    error = assert_error(response, 422, error_code(response))
    assert [d["location"] for d in error["details"]] == [f"query.{option}"]


def error_code(response) -> str:
    return str(response.json()["error"]["code"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/models", {"window": "999999999999d"}),
        ("/api/v1/events", {"since": "9999-12-31T23:59:59-01:00"}),
        ("/api/v1/events", {"until": "0001-01-01T00:00:00+01:00"}),
        ("/api/v1/events", {"model": "a\x00b"}),
        ("/api/v1/events", {"cursor": "9" * 19}),
        ("/api/v1/events", {"cursor": "x" * 60_000}),
        ("/api/v1/events", {"cursor": base64.urlsafe_b64encode(b"s" + b"9" * 30).decode()}),
        ("/api/v1/events", {"cursor": ""}),
    ],
)
def test_other_routes_locate_them_too(client, path, params):
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    [option] = params
    assert [d["location"] for d in response.json()["error"]["details"]] == [f"query.{option}"]
    assert len(response.text) < 2_000  # a 60 kB cursor is not echoed back whole


def test_cursors_are_seqs_and_old_cursors_still_work():
    assert decode_cursor("42") == 42
    assert decode_cursor(base64.urlsafe_b64encode(b"s42").decode().rstrip("=")) == 42
    assert AuditQuery(cursor="7").cursor == "7"


def test_the_schema_patterns_are_the_parsers_rules():
    # The OpenAPI schema carries these patterns: each accepts exactly what the parser does.
    samples = {
        WINDOW_PATTERN: (parse_window, ["7d", "0.5h", "9999999.999999w", "0d", "1.1234567d",
                                        "10000000m", " 7d", "7d\n", ".5h", "00000001w"]),
        TIMESTAMP_PATTERN: (lambda text: parse_timestamp(text, "as_of"),
                            ["2026-01-31", "2026-01-31T09:00:00Z", "2026-01-31t09:00:00.5z",
                             "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-01:00",
                             "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59+01:00",
                             "2026-01-31T09:00", "2026-01-31 09:00:00Z",
                             "9999-12-31T23:59:59-00:00"]),
        BY_PATTERN: (lambda text: parse_query(window="7d", as_of=None, by=text),
                     ["model", "team,model", "model,model", "", "model,", "region"]),
        NAME_PATTERN: (lambda text: parse_query(window="7d", as_of=None, model=text),
                       ["m", "", "a\x00", "x" * 200]),
        CURSOR_PATTERN: (decode_cursor, ["1", "0", "9" * 18, "9" * 19, "-1", "a"]),
    }  # fmt: skip
    for pattern, (parse, texts) in samples.items():
        for text in texts:
            matches = re.fullmatch(pattern, text) is not None
            try:
                parse(text)
                accepted = True
            except InvalidOption:
                accepted = False
            assert matches == accepted, (pattern, text)
