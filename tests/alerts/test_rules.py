"""Alert rules: filters, the three conditions, the alert object, its bodies and signature."""

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollback_rate.alerts import (
    BAND_ORDER,
    SIGNATURE_HEADER,
    AlertRule,
    Subject,
    band_worsened,
    band_worsened_alert,
    body_for,
    json_body,
    rate_threshold_alert,
    rate_threshold_crossed,
    readiness_dropped,
    readiness_dropped_alert,
    resolve_secret,
    rollback_alert,
    rule_matches,
    signature,
    slack_body,
    slack_escape,
)
from rollback_rate.errors import InvalidOption
from rollback_rate.metrics.readiness import Reason
from rollback_rate.timeutil import MICROS_PER_HOUR

URL = "https://hooks.example.com/rr"
ON_ROLLBACK = AlertRule(name="prod-rollbacks", on="rollback", url=URL)
STREAM = Subject(model="fraud-scorer", team="risk", environment="production", event_ids=("e7",))


# ---- filters ------------------------------------------------------------------------


def test_a_rule_without_filters_matches_everything():
    assert rule_matches(ON_ROLLBACK, model="m", team=None, environment="staging", automated=True)


def test_every_glob_must_match_and_a_missing_value_matches_no_glob():
    rule = AlertRule("r", "rollback", URL, model="fraud-*", environment="prod*")
    assert rule_matches(rule, model="fraud-scorer", team=None, environment="production")
    assert not rule_matches(rule, model="fraud-scorer", team=None, environment="staging")
    assert not rule_matches(rule, model="Fraud-scorer", team=None, environment="production")
    team_rule = AlertRule("r", "band_worsened", URL, team="risk")
    assert rule_matches(team_rule, model=None, team="risk", environment=None)
    assert not rule_matches(team_rule, model="fraud-scorer", team=None, environment="production")


def test_the_automated_filter_matches_only_rollbacks_of_that_kind():
    manual_only = AlertRule("r", "rollback", URL, automated=False)
    assert rule_matches(manual_only, model="m", team=None, environment="p", automated=False)
    assert not rule_matches(manual_only, model="m", team=None, environment="p", automated=True)
    assert not rule_matches(manual_only, model="m", team=None, environment="p")


# ---- conditions ---------------------------------------------------------------------


def test_bands_order_from_excellent_to_high_risk():
    assert BAND_ORDER == ("excellent", "acceptable", "concerning", "high_risk")


@pytest.mark.parametrize(
    ("previous", "current", "worsened"),
    [
        ("excellent", "acceptable", True),
        ("concerning", "high_risk", True),
        ("excellent", "high_risk", True),
        ("acceptable", "acceptable", False),
        ("high_risk", "concerning", False),
        (None, "high_risk", False),
        ("excellent", None, False),
        (None, None, False),
    ],
)
def test_band_worsened(previous, current, worsened):
    assert band_worsened(previous, current) is worsened


@pytest.mark.parametrize(
    ("previous", "current", "crossed"),
    [
        (8.0, 12.0, True),
        (10.0, 10.01, True),  # exactly at the limit before is not above it
        (9.0, 10.0, False),  # exactly at the limit now is not above it
        (12.0, 15.0, False),  # already above: fired when it crossed
        (12.0, 8.0, False),
        (None, 12.0, True),  # no rate before counts as not above
        (12.0, None, False),
        (None, None, False),
    ],
)
def test_rate_threshold_crossed(previous, current, crossed):
    assert rate_threshold_crossed(previous, current, max_rate=10.0) is crossed


def test_a_rate_threshold_fires_once_per_crossing_over_successive_evaluations():
    rates = [5.0, 12.0, 15.0, 20.0, 8.0, 11.0, 11.0]
    fired = [
        i for i in range(1, len(rates)) if rate_threshold_crossed(rates[i - 1], rates[i], 10.0)
    ]
    assert fired == [1, 5]


@pytest.mark.parametrize(
    ("previous", "current", "dropped"),
    [
        ("ready", "at_risk", True),
        ("at_risk", "not_ready", True),
        ("ready", "not_ready", True),
        ("at_risk", "at_risk", False),
        ("not_ready", "ready", False),
        (None, "not_ready", False),
        ("ready", None, False),
    ],
)
def test_readiness_dropped(previous, current, dropped):
    assert readiness_dropped(previous, current) is dropped


# ---- alerts -------------------------------------------------------------------------


def test_a_rollback_alert_names_the_stream_the_version_how_and_why():
    alert = rollback_alert(
        ON_ROLLBACK,
        STREAM,
        version="2.4.0",
        automated=True,
        cause="data_schema_change",
        hours_to_rollback=5.25,
    )
    assert alert.as_dict() == {
        "rule": "prod-rollbacks",
        "kind": "rollback",
        "model": "fraud-scorer",
        "team": "risk",
        "environment": "production",
        "figures": {
            "version": "2.4.0",
            "automated": True,
            "cause": "data_schema_change",
            "hours_to_rollback": 5.25,
        },
        "event_ids": ["e7"],
        "text": "rollback-rate alert 'prod-rollbacks': model 'fraud-scorer' in 'production' "
        "(team 'risk'): version '2.4.0' was rolled back automatically 5.3 h after "
        "deployment; cause 'data_schema_change'",
    }


def test_a_rollback_alert_without_version_hours_or_cause_says_so():
    alert = rollback_alert(
        ON_ROLLBACK,
        Subject(model="ranker", environment="staging"),
        version=None,
        automated=False,
        cause=None,
        hours_to_rollback=None,
    )
    assert alert.text == (
        "rollback-rate alert 'prod-rollbacks': model 'ranker' in 'staging': "
        "a deployment was rolled back manually; no cause recorded"
    )


def test_a_band_alert_for_a_team():
    rule = AlertRule("risk-band", "band_worsened", URL, by="team")
    alert = band_worsened_alert(
        rule,
        Subject(team="risk"),
        previous_band="acceptable",
        band="high_risk",
        rollback_rate=25.0,
        settled=20,
    )
    assert alert.text == (
        "rollback-rate alert 'risk-band': team 'risk': band worsened from acceptable to "
        "high_risk (rollback rate 25% of 20 settled deployments)"
    )
    assert alert.figures == {
        "previous_band": "acceptable",
        "band": "high_risk",
        "rollback_rate": 25.0,
        "settled": 20,
    }
    assert (alert.model, alert.team, alert.environment) == (None, "risk", None)


def test_a_rate_threshold_alert_gives_the_limit_and_the_window():
    rule = AlertRule(
        "over-10", "rate_threshold", URL, max_rate=10.0, window_micros=168 * MICROS_PER_HOUR
    )
    alert = rate_threshold_alert(rule, STREAM, previous_rate=8.0, rollback_rate=12.5, settled=24)
    assert alert.text == (
        "rollback-rate alert 'over-10': model 'fraud-scorer' in 'production' (team 'risk'): "
        "rollback rate 12.5% of 24 settled deployments (7d window) is above 10% (was 8%)"
    )
    assert alert.figures == {
        "previous_rate": 8.0,
        "rollback_rate": 12.5,
        "max_rate": 10.0,
        "window_hours": 168.0,
        "settled": 24,
    }
    hours_36 = AlertRule("r", "rate_threshold", URL, max_rate=5, window_micros=36 * MICROS_PER_HOUR)
    text = rate_threshold_alert(
        hours_36, Subject(), previous_rate=None, rollback_rate=50.0, settled=2
    ).text
    assert text.endswith(
        "all models: rollback rate 50% of 2 settled deployments (36h window) "
        "is above 5% (was no rate)"
    )


def test_a_readiness_alert_lists_the_reason_codes_and_carries_their_sentences():
    rule = AlertRule("ready", "readiness_dropped", URL)
    reasons = [Reason("bad_target", "target bad"), Reason("not_exercised", "never")]
    alert = readiness_dropped_alert(
        rule, STREAM, previous_verdict="ready", verdict="at_risk", reasons=reasons
    )
    assert alert.text == (
        "rollback-rate alert 'ready': model 'fraud-scorer' in 'production' (team 'risk'): "
        "rollback readiness dropped from ready to at_risk: bad_target, not_exercised"
    )
    assert alert.figures["reasons"] == [
        {"code": "bad_target", "text": "target bad"},
        {"code": "not_exercised", "text": "never"},
    ]


def test_an_alert_of_another_kind_than_its_rule_is_refused():
    with pytest.raises(ValueError, match="rule 'prod-rollbacks' is on rollback, not band_worsened"):
        band_worsened_alert(
            ON_ROLLBACK,
            STREAM,
            previous_band="excellent",
            band="high_risk",
            rollback_rate=30.0,
            settled=10,
        )


# ---- bodies -------------------------------------------------------------------------


def small_alert(rule=ON_ROLLBACK, model="m"):
    return rollback_alert(
        rule,
        Subject(model=model, environment="p"),
        version="2",
        automated=False,
        cause=None,
        hours_to_rollback=1.0,
    )


def test_the_json_body_is_the_alert_object_compact_utf8():
    assert (
        json_body(small_alert(model="modèle"))
        == (
            '{"rule":"prod-rollbacks","kind":"rollback","model":"modèle","team":null,'
            '"environment":"p","figures":{"version":"2","automated":false,"cause":null,'
            '"hours_to_rollback":1.0},"event_ids":[],"text":"rollback-rate alert '
            "'prod-rollbacks': model 'modèle' in 'p': version '2' was rolled back manually 1 h "
            'after deployment; no cause recorded"}'
        ).encode()
    )


def test_the_slack_body_is_text_with_mrkdwn_off():
    assert slack_body(small_alert()) == (
        b"{\"text\":\"rollback-rate alert 'prod-rollbacks': model 'm' in 'p': version '2' "
        b'was rolled back manually 1 h after deployment; no cause recorded","mrkdwn":false}'
    )


def test_the_rule_format_picks_the_body():
    slack_rule = AlertRule("prod-rollbacks", "rollback", URL, format="slack")
    assert body_for(slack_rule, small_alert(slack_rule)) == slack_body(small_alert(slack_rule))
    assert body_for(ON_ROLLBACK, small_alert()) == json_body(small_alert())


HOSTILE = "evil\n*bold* _it_ `code` <script>alert(1)</script> & <!channel> <https://x|y> 'q'\u202e"


def test_a_hostile_model_name_stays_data_in_json():
    alert = small_alert(model=HOSTILE)
    body = json_body(alert)
    decoded = json.loads(body)
    assert decoded["model"] == HOSTILE
    assert set(decoded) == {
        "rule",
        "kind",
        "model",
        "team",
        "environment",
        "figures",
        "event_ids",
        "text",
    }
    assert b"\n" not in body
    # In the text the newline, quotes and the right-to-left override are escaped, visibly.
    assert "\n" not in decoded["text"]
    assert "model 'evil\\n*bold* _it_ `code` <script>" in decoded["text"]
    assert "\\'q\\'\\u202e' in 'p'" in decoded["text"]


def test_a_hostile_model_name_stays_data_in_slack():
    decoded = json.loads(slack_body(small_alert(model=HOSTILE)))
    text = decoded["text"]
    assert decoded["mrkdwn"] is False
    assert "<" not in text and ">" not in text and "\n" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;" in text
    assert "&lt;https://x|y&gt;" in text
    assert text.count("&") == text.count("&amp;") + text.count("&lt;") + text.count("&gt;")


def test_slack_escape_replaces_exactly_the_three_control_characters():
    assert slack_escape("a & b < c > d *e*") == "a &amp; b &lt; c &gt; d *e*"
    assert slack_escape("&amp;") == "&amp;amp;"


# ---- signatures and secrets ---------------------------------------------------------


def test_the_signature_is_the_hex_hmac_sha256_of_the_exact_body():
    # RFC 4231, test case 2.
    assert signature(b"what do ya want for nothing?", "Jefe") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert signature(b"what do ya want for nothing!", "Jefe") != signature(
        b"what do ya want for nothing?", "Jefe"
    )
    assert SIGNATURE_HEADER == "X-Rollback-Rate-Signature"


def test_the_secret_comes_from_the_rule_or_its_environment_variable_at_send_time():
    assert resolve_secret(AlertRule("r", "rollback", URL, secret="s3cret"), {}) == "s3cret"
    from_env = AlertRule("r", "rollback", URL, secret_env="RR_ALERT_SECRET")
    assert resolve_secret(from_env, {"RR_ALERT_SECRET": "from-env"}) == "from-env"
    assert resolve_secret(ON_ROLLBACK, {"RR_ALERT_SECRET": "unused"}) is None
    with pytest.raises(InvalidOption) as error:
        resolve_secret(from_env, {})
    assert str(error.value) == (
        "alert rule 'r': environment variable RR_ALERT_SECRET (its secret_env) is not set; "
        "set it, or remove secret_env to send unsigned"
    )


@given(rates=st.lists(st.none() | st.floats(min_value=0, max_value=100), min_size=2))
@settings(max_examples=300, deadline=None)
def test_between_two_firings_the_rate_was_at_or_below_the_limit(rates):
    fired = [i for i in range(1, len(rates)) if rate_threshold_crossed(rates[i - 1], rates[i], 10)]
    for i in fired:
        assert rates[i] > 10
    for earlier, later in itertools.pairwise(fired):
        between = rates[earlier:later]
        assert any(rate is None or rate <= 10 for rate in between)
