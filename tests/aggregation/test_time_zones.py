"""Reports in a time zone (`--tz`, issue 13): local weeks and months across daylight-saving
changes, hand-computed, on both backends. JSON times stay UTC.

Europe/Berlin: CET (UTC+1) until 2026-03-29 01:00Z, CEST (UTC+2) after. So local Monday
2026-03-30 begins at 2026-03-29T22:00Z, 1 April at 2026-03-31T22:00Z, 1 March (still
CET) at 2026-02-28T23:00Z. America/New_York: EST (UTC-5) until 2026-03-08 07:00Z, EDT
(UTC-4) until 2026-11-01 06:00Z, EST again after. ISO week 1 of 2026 begins on Monday
2025-12-29, so W09 begins 23 Feb, W10 2 Mar, W11 9 Mar, W13 23 Mar, W14 30 Mar, W44 26 Oct,
W45 2 Nov, W49 30 Nov.
"""

from __future__ import annotations

import pytest

from rollback_rate.aggregation.periods import local_periods
from rollback_rate.errors import InvalidOption
from rollback_rate.timeutil import parse_timestamp
from tests.helpers import deploy, load, report, rollback

AS_OF = "2027-01-01T00:00:00Z"
BERLIN = [
    deploy("m", "1", "2026-02-28T23:30:00Z"),  # Sun 1 Mar 00:30 CET; UTC Sat 28 Feb
    deploy("m", "2", "2026-03-29T21:30:00Z"),  # Sun 29 Mar 23:30 CEST: W13 both ways
    deploy("m", "3", "2026-03-29T22:30:00Z"),  # Mon 30 Mar 00:30 CEST: W14; UTC Sun: W13
    rollback("m", "2026-03-30T00:30:00Z"),  # rolls back 3, two hours later
    deploy("m", "4", "2026-03-31T22:30:00Z"),  # Wed 1 Apr 00:30 CEST; UTC Tue 31 Mar
    rollback("o", "2026-03-29T22:30:00Z"),  # an orphan, at Mon 30 Mar 00:30 CEST
]
NEW_YORK = [
    deploy("n", "1", "2026-03-09T03:30:00Z"),  # Sun 8 Mar 23:30 EDT: W10; UTC Mon: W11
    deploy("n", "2", "2026-03-09T04:30:00Z"),  # Mon 9 Mar 00:30 EDT: W11 both ways
    deploy("n", "3", "2026-11-01T03:30:00Z"),  # Sat 31 Oct 23:30 EDT: October, W44
    deploy("n", "4", "2026-11-02T04:30:00Z"),  # Sun 1 Nov 23:30 EST: W44; UTC Mon: W45
    deploy("n", "5", "2026-12-01T04:30:00Z"),  # Mon 30 Nov 23:30 EST: November, W49
]


def periods(db, period, tz=None, **options):
    got = report(db, AS_OF, period=period, tz=tz, **options)
    return {
        p["period"]: (p["deployments"], p["rollbacks"], p["orphan_rollbacks"],
                      p["median_hours_to_rollback"])
        for p in got["periods"]
    }  # fmt: skip


def test_berlin_weeks_and_months_across_the_spring_change(db):
    load(db, BERLIN)
    assert periods(db, "week", "Europe/Berlin") == {
        "2026-W09": (1, 0, 0, None),
        "2026-W13": (1, 0, 0, None),
        "2026-W14": (2, 1, 1, 2.0),
    }
    assert periods(db, "week") == {
        "2026-W09": (1, 0, 0, None),
        "2026-W13": (2, 1, 1, 2.0),
        "2026-W14": (1, 0, 0, None),
    }
    assert periods(db, "month", "Europe/Berlin") == {
        "2026-03": (3, 1, 1, 2.0),
        "2026-04": (1, 0, 0, None),
    }
    assert periods(db, "month", "UTC") == {
        "2026-02": (1, 0, 0, None),
        "2026-03": (3, 1, 1, 2.0),
    }


def test_new_york_weeks_and_months_across_both_changes(db):
    load(db, NEW_YORK)
    counts = {
        zone: {k: v[0] for k, v in periods(db, "week", zone).items()}
        for zone in ("America/New_York", None)
    }
    assert counts == {
        "America/New_York": {"2026-W10": 1, "2026-W11": 1, "2026-W44": 2, "2026-W49": 1},
        None: {"2026-W11": 2, "2026-W44": 1, "2026-W45": 1, "2026-W49": 1},
    }
    months = {k: v[0] for k, v in periods(db, "month", "America/New_York").items()}
    assert months == {"2026-03": 2, "2026-10": 1, "2026-11": 2}
    utc = {k: v[0] for k, v in periods(db, "month").items()}
    assert utc == {"2026-03": 2, "2026-11": 2, "2026-12": 1}


def test_local_periods_agree_with_groups_and_filters(db):
    load(db, BERLIN + NEW_YORK)
    got = report(db, AS_OF, period="month", by="model", tz="Europe/Berlin", model="m")
    assert sum(p["deployments"] for p in got["periods"]) == got["overall"]["deployments"] == 4
    assert [g["key"] for g in got["groups"]] == [{"model": "m"}]


def test_a_bare_date_is_midnight_in_the_zone_and_json_times_stay_utc(db):
    load(db, BERLIN)
    got = report(db, AS_OF, tz="Europe/Berlin", since="2026-03-30", until="2026-04-01")
    assert got["filters"]["since"] == "2026-03-29T22:00:00Z"  # local midnight, in UTC
    assert got["filters"]["until"] == "2026-03-31T22:00:00Z"
    assert got["overall"]["deployments"] == 1  # v3 (v2 is the evening before; v4 after)
    assert (got["as_of"], got["tz"]) == ("2027-01-01T00:00:00Z", "Europe/Berlin")
    assert report(db, AS_OF)["tz"] == "UTC"


def test_an_unknown_zone_is_a_located_error(db):
    with pytest.raises(InvalidOption, match=r"tz 'Europe/Berln' is not an IANA time zone") as e:
        report(db, AS_OF, tz="Europe/Berln")
    assert e.value.option == "tz"
    assert "did you mean 'Europe/Berlin'" in str(e.value)


def test_local_period_starts_are_local_midnights_in_utc():
    first = parse_timestamp("2026-03-25T12:00:00Z", "t")
    last = parse_timestamp("2026-04-02T12:00:00Z", "t")
    weeks = local_periods("week", "Europe/Berlin", first, last)
    assert weeks.labels == ("2026-W13", "2026-W14")
    assert weeks.starts == (
        parse_timestamp("2026-03-22T23:00:00Z", "t"),  # Mon 23 Mar 00:00 CET
        parse_timestamp("2026-03-29T22:00:00Z", "t"),  # Mon 30 Mar 00:00 CEST
    )
    months = local_periods("month", "America/New_York", first, last)
    assert months.labels == ("2026-03", "2026-04")
    assert months.starts == (
        parse_timestamp("2026-03-01T05:00:00Z", "t"),  # 1 Mar 00:00 EST
        parse_timestamp("2026-04-01T04:00:00Z", "t"),  # 1 Apr 00:00 EDT
    )


def test_the_cli_and_the_api_take_a_zone(db_url, tmp_path):
    import json

    from typer.testing import CliRunner

    from rollback_rate.cli import app
    from rollback_rate.ledger import Ledger
    from rollback_rate.service import Settings, create_app
    from tests.service.conftest import TestClient

    with Ledger(db_url, group_commit=False) as ledger:
        load(ledger, BERLIN)
    runner = CliRunner()
    args = ["--db", db_url, "report", "--as-of", AS_OF, "--period", "week"]
    table = runner.invoke(app, [*args, "--tz", "Europe/Berlin"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    words = " ".join(table.output.split())
    assert "2026-W14" in words and "As of 2027-01-01 01:00 CET." in words
    data = json.loads(
        runner.invoke(app, [*args, "--tz", "Europe/Berlin", "--format", "json"]).stdout
    )
    assert [p["period"] for p in data["periods"]] == ["2026-W09", "2026-W13", "2026-W14"]
    bad = runner.invoke(app, [*args, "--tz", "Mars/Olympus_Mons"])
    assert bad.exit_code == 2
    assert bad.output.startswith("error: tz 'Mars/Olympus_Mons' is not an IANA time zone name")
    settings = Settings(db_url=db_url, no_auth=True, access_log=False)
    local = {"base_url": "http://127.0.0.1", "client": ("127.0.0.1", 5000)}  # no-auth: loopback
    with TestClient(create_app(settings), **local) as client:
        answer = client.get("/api/v1/report", params={"as_of": AS_OF, "period": "month",
                                                       "tz": "Europe/Berlin"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert [p["period"] for p in answer.json()["periods"]] == ["2026-03", "2026-04"]
        assert answer.json()["tz"] == "Europe/Berlin"
