"""The real page in headless Chromium against a real server, and the report file offline:
sign in, load, change filters, sort, drill down, and read the numbers on the page back
against the API's JSON (issue 11)."""

from __future__ import annotations

import json
import subprocess
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from rollback_rate.demo import demo_events
from rollback_rate.render.rows import hours, pct
from rollback_rate.timeutil import iso_utc, parse_timestamp
from tests.helpers import ledger_of
from tests.service.helpers import CLI, Tokens, make_tokens, running_server

HOSTILE = '<img src=x onerror=alert(1)>"quoted"\n**md** | x'
CAUSE = "<script>alert(2)</script>"
END = "2026-06-01T00:00:00Z"  # every window closed long before the tests run


def _load(db: Any) -> None:
    """Half a year of demo history ending at END, and a model with a hostile name."""
    raws = list(demo_events(parse_timestamp(END, "end"), seed=11, days=180))
    raws += [
        {"type": "deployment", "model": HOSTILE, "version": "1.0", "team": "<team>",
         "timestamp": "2026-05-01T00:00:00Z"},
        {"type": "deployment", "model": HOSTILE, "version": "2.0'\"", "team": "<team>",
         "timestamp": "2026-05-02T00:00:00Z"},
        {"type": "rollback", "model": HOSTILE, "cause": CAUSE, "automated": True,
         "timestamp": "2026-05-02T04:30:00Z", "note": "<b>bold</b>\nline"},
    ]  # fmt: skip
    ledger_of(db).record_stream([(str(i), raw) for i, raw in enumerate(raws)])


def _ci(ci95: list[float] | None) -> str:
    return "n/a" if ci95 is None else f"{ci95[0]:.1f}-{ci95[1]:.1f}%"


def _ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.text_content()).strip()


def _headline_matches(page: Any, overall: dict[str, Any]) -> None:
    assert _text(page, "#view-headline [data-field=rollback_rate]") == pct(overall["rollback_rate"])
    assert _text(page, "#view-headline [data-field=ci95]") == _ci(overall["ci95"])
    for name in ("deployments", "settled", "pending", "rollbacks", "late_rollbacks"):
        assert _text(page, f"#view-headline [data-field={name}]") == f"{overall[name]:,}", name
    assert _text(page, "[data-field=automated_share]") == pct(overall["automated_share"])
    median = _text(page, "[data-field=median_hours_to_rollback]")
    assert median == hours(overall["median_hours_to_rollback"])
    band = _text(page, "#view-headline [data-field=band]")
    assert band.startswith(overall["band"].replace("_", " "))
    assert ("small sample" in band) == (overall["settled"] < 20)


def _table(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "#rr-groups tbody tr",
        """rows => rows.map(row => Object.fromEntries([...row.querySelectorAll('td')]
               .map(td => [td.dataset.col, td.textContent.trim()])))""",
    )


def _rows_match(rows: list[dict[str, str]], groups: list[dict[str, Any]], dim: str) -> None:
    assert len(rows) == len(groups)
    by_key = {g["key"][dim]: g for g in groups}
    for row in rows:
        group = by_key[row[dim]]
        assert row["rollback_rate"] == pct(group["rollback_rate"]), row
        assert row["ci95"] == _ci(group["ci95"]), row
        assert row["deployments"] == f"{group['deployments']:,}", row
        assert row["pending"] == f"{group['pending']:,}", row
        assert row["automated_share"] == pct(group["automated_share"]), row
        assert row["median_hours_to_rollback"] == hours(group["median_hours_to_rollback"]), row


def _ninety_days_before_the_last_event(api: httpx.Client, model: str, as_of: str) -> str:
    streams = api.get("/api/v1/models", params={"model": model}).json()["models"][0]
    stamps = [parse_timestamp(last["at"], "at") for s in streams["environments"]
              for last in (s["last_deployment"], s["last_rollback"]) if last]  # fmt: skip
    end = min(parse_timestamp(as_of, "as_of"), max(stamps))
    return iso_utc((end - 90 * 86_400_000_000) // 1_000_000 * 1_000_000)


def _optional_views_follow_their_endpoints(page: Any, api: httpx.Client) -> None:
    for view, path in (("advice", "/api/v1/advice"), ("readiness", "/api/v1/readiness"),
                       ("survival", "/api/v1/survival")):  # fmt: skip
        present = api.get(path).status_code == 200
        assert (page.locator(f"#view-{view}").count() == 1) == present, view


def test_sign_in_load_filter_sort_and_drill_down(db_url, db, tmp_path, browser_context):
    _load(db)
    tokens: Tokens = make_tokens(db)
    shots = browser_context.shots
    with running_server(db_url, tmp_path) as server, server.client(tokens.read) as api:
        page = browser_context.new_page()
        signin = page.goto(server.url + "/?period=month")
        assert signin is not None and signin.status == 401
        page.screenshot(path=shots / "0-sign-in.png")
        page.fill("#token", tokens.ingest)
        page.click("button[type=submit]")
        assert "lacks the 'read' scope" in _text(page, ".error")
        page.fill("#token", tokens.read)
        page.click("button[type=submit]")
        _ready(page)
        assert urlsplit(page.url).query == "period=month"
        assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
        page.screenshot(path=shots / "1-dashboard.png", full_page=True)

        report = api.get("/api/v1/report").json()  # no filters: what the page shows
        _headline_matches(page, report["overall"])
        by_model = api.get("/api/v1/report", params={"by": "model"}).json()["groups"]
        _rows_match(_table(page), by_model, "model")
        assert HOSTILE in [row["model"] for row in _table(page)]
        periods = api.get("/api/v1/report", params={"period": "month"}).json()["periods"]
        trend = page.evaluate("document.getElementById('rr-trend-chart').data")
        rate = next(trace for trace in trend if trace["name"] == "rollback rate")
        assert rate["x"] == [p["period"] for p in periods]
        assert rate["y"] == [p["rollback_rate"] for p in periods]
        ttr = api.get("/api/v1/time-to-rollback").json()
        bars = page.evaluate("document.getElementById('rr-ttr-chart').data[0].y")
        assert bars == [b["count"] for b in ttr["buckets"]]
        assert _text(page, "[data-field=ttr_late]") == str(ttr["late_rollbacks"])
        causes = page.evaluate("document.getElementById('rr-causes-chart').data[0].y")
        assert causes == [c["count"] for c in report["overall"]["root_causes"]]
        recent = api.get("/api/v1/rollbacks").json()["rollbacks"]
        shown = page.eval_on_selector_all(
            "#rr-recent tbody tr",
            "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.textContent))",
        )
        assert [row[1:6] for row in shown] == [
            [r["model"], r["environment"], r["from_version"], r["to_version"] or "n/a", r["cause"]]
            for r in recent
        ]
        assert shown[0][7] == hours(recent[0]["hours_after_deployment"])
        _optional_views_follow_their_endpoints(page, api)

        # Filters go to the URL: a team, weekly trend, the table by environment.
        page.fill("input[name=team]", "fraud")
        page.select_option("select[name=period]", "week")
        page.select_option("select[name=by]", "environment")
        with page.expect_navigation():
            page.click("#rr-filter-form button[type=submit]")
        _ready(page)
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"team": ["fraud"], "period": ["week"], "by": ["environment"]}
        page.screenshot(path=shots / "2-filtered.png", full_page=True)
        filtered = api.get("/api/v1/report", params={"team": "fraud", "period": "week"}).json()
        _headline_matches(page, filtered["overall"])
        weeks = page.evaluate("document.getElementById('rr-trend-chart').data[3].x")
        assert weeks == [p["period"] for p in filtered["periods"]]
        by_env = api.get("/api/v1/report", params={"team": "fraud", "by": "environment"}).json()
        _rows_match(_table(page), by_env["groups"], "environment")

        # Sorting keeps the rows and records the order in the URL.
        page.click("button[data-sort=rollback_rate]")
        rates = [row["rollback_rate"] for row in _table(page)]
        assert rates == sorted(rates, key=lambda t: -float(t.rstrip("%")))
        assert "sort=-rollback_rate" in page.url

        # A shared link opens the same view; a bad filter is a located one-line error.
        page.goto(server.url + "/?as_of=yesterday")
        page.wait_for_selector("#rr-error:not([hidden])")
        assert _text(page, "#rr-error").startswith(
            "query.as_of: as_of 'yesterday' is not an RFC 3339 time"
        )

        # Drill down into the hostile model from the unfiltered table.
        page.goto(server.url + "/")
        _ready(page)
        page.get_by_role("link", name=HOSTILE.replace("\n", " ")).first.click()
        _ready(page)
        query = parse_qs(urlsplit(page.url).query)
        assert query["view"] == ["model"] and query["model"] == [HOSTILE]
        page.screenshot(path=shots / "3-drill-down.png", full_page=True)
        assert page.locator("#view-timeline h2").text_content() == HOSTILE  # as text
        streams = api.get("/api/v1/models", params={"model": HOSTILE}).json()["models"][0]
        live = _text(page, "#rr-streams [data-col=live_version]")
        assert live == streams["environments"][0]["live_version"] == "1.0"
        events = api.get("/api/v1/events", params={"model": HOSTILE}).json()["events"]
        assert _text(page, "[data-field=event_count]").startswith(f"{len(events)} events")
        points = page.evaluate("document.getElementById('rr-timeline-chart').data")
        assert sum(len(trace["x"]) for trace in points) == len(events)
        _headline_matches(
            page, api.get("/api/v1/report", params={"model": HOSTILE}).json()["overall"]
        )
        assert page.locator("img[src=x]").count() == 0
        assert page.locator("#view-recent td[data-col=cause]").first.text_content() == CAUSE

        # A phone: one column, nothing wider than the screen (tables scroll in their box).
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(server.url + "/")
        _ready(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=shots / "4-phone.png", full_page=True)

        # Signing out ends the session.
        page.click("#rr-signout button")
        page.wait_for_selector("#token")
        assert api.get("/api/v1/report").status_code == 200  # the token itself still works


def test_the_report_file_opens_offline_with_the_same_numbers(db_url, db, tmp_path,
                                                             browser_context):  # fmt: skip
    _load(db)
    as_of = "2026-06-15T00:00:00Z"
    out = tmp_path / "report.html"
    command = [CLI, "--db", db_url, "report", "--format", "html", "--output", str(out),
               "--as-of", as_of, "--period", "month"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    requests: list[str] = []
    browser_context.set_offline(True)

    def intercept(route: Any) -> None:  # every request: the file itself goes through
        requests.append(route.request.url)
        route.continue_() if route.request.url == out.as_uri() else route.abort()

    browser_context.route("**/*", intercept)
    page = browser_context.new_page()
    page.goto(out.as_uri())
    _ready(page)
    page.screenshot(path=browser_context.shots / "file.png", full_page=True)
    assert requests == [out.as_uri()], requests  # the file itself, nothing else
    # Rates print as the table output prints them: Python's rounding, exact ties to even.
    values = [12.25, 0.15, 0.25, 2.5, 99.95, 33.333333, 0.05, 1.45, 100.0, 7.75, 0.0]
    printed = page.evaluate("values => values.map(v => RR.fmt.pct(v))", values)
    assert printed == [pct(v) for v in values]

    tokens: Tokens = make_tokens(db)
    with running_server(db_url, tmp_path) as server, server.client(tokens.read) as api:
        pinned = {"as_of": as_of}
        _headline_matches(page, api.get("/api/v1/report", params=pinned).json()["overall"])
        groups = api.get("/api/v1/report", params={**pinned, "by": "model"}).json()["groups"]
        _rows_match(_table(page), groups, "model")
        ttr = api.get("/api/v1/time-to-rollback", params=pinned).json()
        bars = page.evaluate("document.getElementById('rr-ttr-chart').data[0].y")
        assert bars == [b["count"] for b in ttr["buckets"]]
        assert page.locator("#view-advice").count() == 0  # not in the file: left out

        # A drill-down inside the file (a hash link), still without any request.
        page.get_by_role("link", name="fraud-scorer").first.click()
        _ready(page)
        assert "view=model" in page.url and f"model={quote('fraud-scorer')}" in page.url
        page.screenshot(path=browser_context.shots / "file-drill-down.png", full_page=True)
        model = {**pinned, "model": "fraud-scorer"}
        _headline_matches(page, api.get("/api/v1/report", params=model).json()["overall"])
        since = _ninety_days_before_the_last_event(api, "fraud-scorer", as_of)
        window = {"model": "fraud-scorer", "since": since, "until": as_of, "limit": 1000}
        events = api.get("/api/v1/events", params=window).json()
        assert _text(page, "[data-field=event_count]").startswith(f"{len(events['events'])} events")
        snapshot = json.loads(page.locator("#rr-snapshot").text_content())
        assert snapshot["filters"]["as_of"] == as_of
    assert requests == [out.as_uri()], requests
