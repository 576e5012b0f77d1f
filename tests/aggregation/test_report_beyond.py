"""The summary's figures beyond the rate (issues 10 and 12), hand-computed, both backends.

History (model m, production; days of January 2026, 09:00 unless said):
  d1 v1 day 1
  d2 v2 day 2, a canary       rolled back by r1 day 2 11:00 (2 h; the stream's first)
  d3 v2 day 3 (a re-attempt)  fixed forward by hf day 5 (an unplanned hotfix)
  d4 v3 day 4                 rolled back by r2 day 4 12:00 (3 h) onto v2: v2 was rolled
                              back before (a bad target); 2 deployments since r1 (a repeat)
  hf v3.0.1 day 5, unplanned
  d5 v4 day 20
As of 2026-02-09 every 7-day window has closed: 6 counted deployments, all settled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rollback_rate import Ledger
from rollback_rate.config import load_config
from tests.helpers import deploy, report, rollback

AS_OF = "2026-02-09T00:00:00Z"
HISTORY = [
    deploy("m", "1", "2026-01-01T09:00:00Z", id="d1", team="risk"),
    deploy("m", "2", "2026-01-02T09:00:00Z", id="d2", team="risk", stage="canary"),
    rollback("m", "2026-01-02T11:00:00Z", id="r1"),
    deploy("m", "2", "2026-01-03T09:00:00Z", id="d3"),
    deploy("m", "3", "2026-01-04T09:00:00Z", id="d4"),
    rollback("m", "2026-01-04T12:00:00Z", id="r2", version="2"),
    deploy("m", "3.0.1", "2026-01-05T09:00:00Z", id="hf", unplanned=True),
    deploy("m", "4", "2026-01-20T09:00:00Z", id="d5"),
]
COST = """
[cost]
currency = "EUR"
degraded_per_hour = 100
triage_hours_manual = 2
triage_hours_automated = 1
engineer_hourly_rate = 50
per_rollback = 10
"""


@pytest.fixture
def ledger(db, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "rollback-rate.toml"
    path.write_text(COST)
    ledger = Ledger(db, config=load_config(path))
    ledger.record_batch(HISTORY)
    yield ledger
    ledger.close()


def test_every_figure_of_the_summary(ledger):
    got = report(ledger, AS_OF)["overall"]
    assert (got["deployments"], got["settled"], got["rollbacks"]) == (6, 6, 2)
    assert got["rollback_rate"] == pytest.approx(100 / 3)
    assert got["sufficient"] is False  # 6 settled, fewer than 20
    assert got["band"] == "high_risk"  # the band stays as defined; `sufficient` qualifies it
    assert got["median_hours_to_rollback"] == 2.5  # (2 + 3) / 2
    # d2 was a canary: a prevented incident; without it, 1 of 5
    assert (got["prevented_rollbacks"], got["rollback_rate_excluding_prevented"]) == (1, 20.0)
    assert got["bad_target_rollbacks"] == 1  # r2 restored v2
    assert (got["repeat_rollbacks"], got["repeat_share"]) == (1, 50.0)  # d4: 2 since r1
    assert got["unplanned_deployments"] == 1
    assert got["rework_rate"] == pytest.approx(100 / 6)
    # rolled back (d2, d4) or fixed forward (d3): 3 of 6
    assert (got["change_failures"], got["change_failure_rate"]) == (3, 50.0)
    # exposure 2 h + 3 h at 100; two manual rollbacks, 2 h each at 50; 10 each
    assert got["cost"] == {
        "currency": "EUR", "total": 720.0, "degraded": 500.0, "triage": 200.0, "fixed": 20.0
    }  # fmt: skip


def test_a_repeat_is_within_the_configured_distance(db, tmp_path):
    path = tmp_path / "rollback-rate.toml"
    path.write_text("[report]\nrepeat_within = 1\nmin_settled = 5\n")
    ledger = Ledger(db, config=load_config(path))
    ledger.record_batch(HISTORY)
    got = report(ledger, AS_OF)["overall"]
    assert (got["repeat_rollbacks"], got["sufficient"]) == (0, True)  # 2 > 1; 6 >= 5
    assert "cost" not in got  # no cost model, no cost


def test_the_overall_rate_against_the_period_before(ledger):
    # since day 3: d3, d4, hf, d5: 1 of 4 (25%). [since, as_of] holds 37 days and 1 µs
    # (both ends count); the period of that length just before holds d1 and d2: 1 of 2.
    # Fisher's exact test on [[1, 3], [1, 1]]: the tables with two rollbacks in all weigh
    # C(4,x)C(2,2-x) = 1, 8, 6 for x = 0, 1, 2; none is less likely than the observed 8,
    # so p = 15/15 = 1.
    got = report(ledger, AS_OF, since="2026-01-03")["overall"]
    assert got["rollback_rate"] == 25.0
    change = got["change"]
    assert change["previous"] == "2025-11-26T23:59:59.999999Z/2026-01-02T23:59:59.999999Z"
    assert (change["previous_rate"], change["change_pp"]) == (50.0, -25.0)
    assert (change["p_value"], change["significant"]) == (1.0, False)
    assert "change" not in report(ledger, AS_OF)["overall"]  # without since: no period before


def test_each_period_against_the_one_before(ledger):
    got = report(ledger, AS_OF, period="week")["periods"]
    # ISO weeks: 2026-W01 (Dec 29 - Jan 4) holds d1..d4, W02 hf, W03 none, W04 d5
    assert [(p["period"], p["deployments"], p["rollbacks"]) for p in got] == [
        ("2026-W01", 4, 2), ("2026-W02", 1, 0), ("2026-W04", 1, 0)
    ]  # fmt: skip
    first, second, fourth = (p["change"] for p in got)
    assert (first["previous"], first["change_pp"]) == ("2025-W52", None)  # nothing before
    assert (second["previous"], second["change_pp"]) == ("2026-W01", -50.0)
    # [[0, 1], [2, 2]]: two rollbacks in 5; x = 0, 1 weigh C(1,x)C(4,2-x) = 6, 4; both
    # are no more likely than the observed 6: p = 10/10 = 1
    assert second["p_value"] == 1.0
    assert (fourth["previous"], fourth["previous_rate"]) == ("2026-W03", None)


def test_groups_carry_a_shrunk_estimate_and_can_be_ranked_by_it(ledger):
    ledger.record_batch(
        [deploy("rare", "1", "2026-01-01T09:00:00Z", id="x1"),
         deploy("rare", "2", "2026-01-02T09:00:00Z", id="x2"),
         rollback("rare", "2026-01-02T10:00:00Z", id="xr")]
    )  # fmt: skip
    got = report(ledger, AS_OF, by="model", order="rate")
    assert [g["key"]["model"] for g in got["groups"]] == ["rare", "m"]  # 50% above 33%
    prior = got["prior"]
    assert prior["method"] == "weak_prior" and prior["groups"] == 2  # too few groups to fit
    for group in got["groups"]:
        assert min(group["rollback_rate"], prior["mean_rate"]) <= group["shrunk_rate"]
        assert group["shrunk_rate"] <= max(group["rollback_rate"], prior["mean_rate"])
    shrunk = report(ledger, AS_OF, by="model", order="shrunk")["groups"]
    assert shrunk[0]["shrunk_rate"] >= shrunk[1]["shrunk_rate"]


def test_every_format_shows_every_figure(ledger):
    # The figures of test_every_figure_of_the_summary, since day 3 (test_the_overall_rate_
    # against_the_period_before: 1 of 4, -25 pp, p = 1) and by week.
    import csv
    import io

    from rollback_rate import parse_query
    from rollback_rate.render import render

    query = parse_query(window="7d", as_of=AS_OF, period="week", by="team")
    rendered = {fmt: render(ledger.report(query), fmt) for fmt in ("csv", "markdown", "table")}
    rows = list(csv.DictReader(io.StringIO(rendered["csv"])))
    overall = rows[0]
    assert {name: overall[name] for name in (
        "sufficient", "prevented_rollbacks", "rollback_rate_excluding_prevented",
        "bad_target_rollbacks", "repeat_rollbacks", "repeat_share", "unplanned_deployments",
        "change_failures", "change_failure_rate", "cost_currency", "cost_total",
        "cost_degraded", "cost_triage", "cost_fixed")} == {
        "sufficient": "False", "prevented_rollbacks": "1",
        "rollback_rate_excluding_prevented": "20.0", "bad_target_rollbacks": "1",
        "repeat_rollbacks": "1", "repeat_share": "50.0", "unplanned_deployments": "1",
        "change_failures": "3", "change_failure_rate": "50.0", "cost_currency": "EUR",
        "cost_total": "720.0", "cost_degraded": "500.0", "cost_triage": "200.0",
        "cost_fixed": "20.0",
    }  # fmt: skip
    week2 = next(row for row in rows if row["period"] == "2026-W02")
    assert (week2["change_previous"], week2["change_pp"], week2["change_p_value"],
            week2["change_significant"]) == ("2026-W01", "-50.0", "1.0", "False")  # fmt: skip
    risk = next(row for row in rows if row["scope"] == "group")
    assert (risk["team"], float(risk["shrunk_rate"]) > 0) == ("risk", True)
    markdown = rendered["markdown"]
    assert "| overall | 6 | 6 | 0 | 2 | 33.3% | 9.7-70.0% | high_risk* |" in markdown
    assert (
        "| overall | 1 | 20.0% | 1 | 1 (50.0%) | 16.7% (1 unplanned) | 50.0% (3) | EUR 720.00 |"
        "  |  |  |"
    ) in markdown
    assert "| 2026-W02 | 0 | 0.0% | 0 | 0 (n/a) | 100.0% (1 unplanned) | 0.0% (0) | EUR 0.00 " \
        "| -50.0 pp (2026-W01) | no (p=1.000) |  |" in markdown  # fmt: skip
    assert "the band is not yet meaningful." in markdown.splitlines()[-3]  # above the legend
    table = rendered["table"]
    assert "high_risk*" in table and "([report] min_settled, default 20)" in table
    assert "-50.0 pp (2026-W01)" in table
