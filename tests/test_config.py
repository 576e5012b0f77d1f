"""The config file: defaults, every table's rules, and the exact message of each error."""

import tomllib
from pathlib import Path

import pytest

from rollback_rate.alerts import AlertRule
from rollback_rate.config import (
    AdviceSettings,
    AlertSettings,
    Config,
    InvalidConfig,
    ReadinessSettings,
    ReportSettings,
    load_config,
)
from rollback_rate.errors import InvalidOption, RollbackRateError
from rollback_rate.metrics.cost import CostFigures, CostModel, CostOverride
from rollback_rate.metrics.taxonomy import CauseOverride
from rollback_rate.timeutil import MICROS_PER_HOUR

EXAMPLE = Path(__file__).parents[1] / "docs" / "config.example.toml"
COST = """
[cost]
degraded_per_hour = 400
triage_hours_manual = 6
triage_hours_automated = 1.5
engineer_hourly_rate = 120
"""
KINDS = "rollback, band_worsened, rate_threshold, readiness_dropped"


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write ops.toml in a fresh working directory; messages then name 'ops.toml'."""
    monkeypatch.chdir(tmp_path)

    def write(text: str) -> str:
        Path("ops.toml").write_text(text, encoding="utf-8")
        return "ops.toml"

    return write


@pytest.fixture
def error(write):
    def error(text: str) -> str:
        with pytest.raises(InvalidConfig) as caught:
            load_config(write(text))
        return str(caught.value)

    return error


def rule(body: str, name: str = "x", on: str = "rollback") -> str:
    return f'[[alerts.rule]]\nname = "{name}"\non = "{on}"\nurl = "https://h.example/a"\n{body}\n'


# ---- the file -----------------------------------------------------------------------


def test_no_file_means_the_defaults():
    config = load_config(None)
    assert config == Config.default()
    assert config.cost is None
    assert config.readiness == ReadinessSettings(max_days_since_exercised=90.0)
    assert config.report == ReportSettings(min_settled=20, repeat_within=3)
    assert config.advice == AdviceSettings(min_rollbacks=5)
    assert (config.taxonomy, config.alert_rules) == ((), ())
    assert config.alerts == AlertSettings(5 * 60 * 1_000_000, 24 * MICROS_PER_HOUR)


def test_an_empty_file_means_the_defaults_too(write):
    config = load_config(Path(write("")))
    assert config == Config(path="ops.toml")


def test_config_errors_are_option_errors_the_edges_already_translate():
    assert issubclass(InvalidConfig, InvalidOption)
    assert issubclass(InvalidConfig, RollbackRateError)


def test_a_missing_file_is_named(write):
    with pytest.raises(InvalidConfig) as caught:
        load_config("missing.toml")
    assert str(caught.value) == "config missing.toml: cannot be read (No such file or directory)"


def test_a_toml_syntax_error_names_the_line(error):
    message = error("[report]\nmin_settled = 20\nrepeat_within = = 3\n")
    assert message.startswith("config ops.toml: invalid TOML: ")
    assert "(at line 3, column" in message


def test_a_file_that_is_not_utf8_is_refused(write):
    Path(write("")).write_bytes(b"[cost]\ncurrency = '\xff'\n")
    with pytest.raises(InvalidConfig, match=r"^config ops\.toml: is not UTF-8 text$"):
        load_config("ops.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[costs]\ncurrency = 'EUR'", "unknown table [costs]; did you mean [cost]?"),
        (
            "[zzz]\na = 1",
            "unknown table [zzz]; known tables: [advice], [alerts], [cost], [readiness], "
            "[report], [taxonomy]",
        ),
        ("min_settled = 3", "min_settled belongs in the [report] table; move it under [report]"),
        (
            "min_setled = 3",
            "unknown key 'min_setled' at the top level; did you mean 'min_settled' in [report]?",
        ),
        ("zzz = 3", "unknown key 'zzz' at the top level; settings go in tables"),
        ("report = 3", "report must be a table ([report])"),
        (
            "[report]\nmin_setled = 3",
            "[report] unknown key 'min_setled'; did you mean 'min_settled'?",
        ),
        (
            "[readiness]\nfoo = 1",
            "[readiness] unknown key 'foo'; known keys: max_days_since_exercised",
        ),
        ("[alerts]\nrules = []", "[alerts] unknown key 'rules'; did you mean 'rule'?"),
    ],
)
def test_unknown_tables_and_keys_are_errors_with_the_nearest_name(error, text, message):
    assert error(text) == f"config ops.toml: {message}"


# ---- [cost] -------------------------------------------------------------------------


def test_a_cost_table_gives_a_cost_model_with_its_overrides_in_order(write):
    text = (
        COST
        + """
per_rollback = 25
currency = "EUR"

[[cost.override]]
model = "fraud-*"
environment = "production"
degraded_per_hour = 5000

[[cost.override]]
team = "search"
degraded_per_hour = 1
triage_hours_manual = 2
triage_hours_automated = 3
engineer_hourly_rate = 4
per_rollback = 5
"""
    )
    assert load_config(write(text)).cost == CostModel(
        currency="EUR",
        figures=CostFigures(400.0, 6.0, 1.5, 120.0, 25.0),
        overrides=(
            CostOverride(model="fraud-*", environment="production", degraded_per_hour=5000.0),
            CostOverride(
                team="search",
                degraded_per_hour=1.0,
                triage_hours_manual=2.0,
                triage_hours_automated=3.0,
                engineer_hourly_rate=4.0,
                per_rollback=5.0,
            ),
        ),
    )


def test_currency_defaults_to_usd_and_per_rollback_to_zero(write):
    cost = load_config(write(COST)).cost
    assert cost.currency == "USD"
    assert cost.figures.per_rollback == 0.0
    assert cost.overrides == ()


@pytest.mark.parametrize(
    ("line", "got"),
    [("'lots'", "'lots'"), ("-1", "-1"), ("true", "true"), ("inf", "inf"), ("nan", "nan")],
)
def test_cost_figures_must_be_numbers_at_least_zero(error, line, got):
    text = COST.replace("degraded_per_hour = 400", f"degraded_per_hour = {line}")
    assert error(text) == (
        f"config ops.toml: [cost] degraded_per_hour must be a number >= 0 (got {got})"
    )


def test_zero_is_a_valid_figure(write):
    assert load_config(write(COST.replace("= 400", "= 0"))).cost.figures.degraded_per_hour == 0.0


def test_a_missing_cost_figure_is_named(error):
    text = COST.replace("engineer_hourly_rate = 120\n", "")
    assert error(text) == (
        "config ops.toml: [cost] engineer_hourly_rate is required: a number >= 0"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (COST + "currency = ''", "[cost] currency must be a non-empty string (got '')"),
        (
            COST + "degraded_per_hr = 1",
            "[cost] unknown key 'degraded_per_hr'; did you mean 'degraded_per_hour'?",
        ),
        (
            COST + "[cost.override]\nteam = 'a'",
            "[cost] override must be an array of tables ([[cost.override]])",
        ),
        (
            COST + "[[cost.override]]\nteam = 'a'\ncurrency = 'EUR'",
            "[[cost.override]] #1: currency cannot be overridden: every figure is in [cost] "
            "currency; convert this override's figures to it",
        ),
        (
            COST + "[[cost.override]]\nteam = 'a'\n[[cost.override]]\nper_rollback = 1",
            "[[cost.override]] #2: set at least one of model, team, environment to say where "
            "it applies",
        ),
        (
            COST + "[[cost.override]]\nteam = 'a'\ntriage_hours_manual = -2",
            "[[cost.override]] #1: triage_hours_manual must be a number >= 0 (got -2)",
        ),
        (
            COST + "[[cost.override]]\nteam = 'a'\nengineer_rate = 2",
            "[[cost.override]] #1: unknown key 'engineer_rate'; did you mean "
            "'engineer_hourly_rate'?",
        ),
        (
            COST + "[[cost.override]]\nmodel = ''",
            "[[cost.override]] #1: model must be a non-empty string (got '')",
        ),
    ],
)
def test_cost_errors(error, text, message):
    assert error(text) == f"config ops.toml: {message}"


# ---- [readiness], [report], [advice] ------------------------------------------------


def test_readiness_report_and_advice_settings(write):
    text = (
        "[readiness]\nmax_days_since_exercised = 30.5\n"
        "[report]\nmin_settled = 10\nrepeat_within = 2\n"
        "[advice]\nmin_rollbacks = 8\n"
    )
    config = load_config(write(text))
    assert config.readiness == ReadinessSettings(30.5)
    assert config.report == ReportSettings(10, 2)
    assert config.advice == AdviceSettings(8)


def test_alert_settings(write):
    config = load_config(write('[alerts]\ninterval = "30s"\n'.replace("30s", "90m")))
    assert config.alerts == AlertSettings(90 * 60 * 1_000_000, 24 * MICROS_PER_HOUR)
    config = load_config(write('[alerts]\nmax_age = "36h"\n'))
    assert config.alerts.max_age_micros == 36 * MICROS_PER_HOUR


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[alerts]\ninterval = 5",
            '[alerts] interval must be a string such as "5m", "36h" or "7d" (got 5)',
        ),
        ("[alerts]\nmax_age = '0h'", "[alerts] max_age '0h' must be longer than zero"),
        (
            "[alerts]\ninterval = 'soon'",
            "[alerts] interval 'soon' is not understood; use e.g. 7d, 36h, 1w",
        ),
        (
            "[alerts]\nintervall = '5m'",
            "[alerts] unknown key 'intervall'; did you mean 'interval'?",
        ),
    ],
)
def test_alert_setting_errors(write, text, message):
    with pytest.raises(InvalidConfig) as error:
        load_config(write(text))
    assert str(error.value) == f"config ops.toml: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[readiness]\nmax_days_since_exercised = 0",
            "[readiness] max_days_since_exercised must be a number > 0 (got 0)",
        ),
        ("[report]\nmin_settled = 0", "[report] min_settled must be an integer >= 1 (got 0)"),
        ("[report]\nmin_settled = 20.0", "[report] min_settled must be an integer >= 1 (got 20.0)"),
        (
            "[report]\nrepeat_within = '3'",
            "[report] repeat_within must be an integer >= 1 (got '3')",
        ),
        ("[advice]\nmin_rollbacks = -1", "[advice] min_rollbacks must be an integer >= 1 (got -1)"),
        (
            "[advice]\nmin_rollbacks = true",
            "[advice] min_rollbacks must be an integer >= 1 (got true)",
        ),
    ],
)
def test_settings_errors(error, text, message):
    assert error(text) == f"config ops.toml: {message}"


# ---- [taxonomy.<slug>] --------------------------------------------------------------


def test_taxonomy_entries_add_causes_and_override_shipped_keys(write):
    text = """
[taxonomy.gpu_oom]
category = "serving"
investment = "capacity tests"
why = "Out of memory."

[taxonomy.latency]
investment = "a latency budget in CI"
"""
    config = load_config(write(text))
    assert config.taxonomy == (
        CauseOverride("gpu_oom", "serving", "capacity tests", "Out of memory."),
        CauseOverride("latency", investment="a latency budget in CI"),
    )
    taxonomy = config.cause_taxonomy()
    assert taxonomy.entry("gpu_oom").investment == "capacity tests"
    assert taxonomy.entry("latency").investment == "a latency budget in CI"
    assert taxonomy.entry("latency").category == "serving"


NEW_CAUSE = "a cause the shipped taxonomy does not have sets category, investment and why"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[taxonomy.gpu_oom]\ncategory = 'serving'\nwhy = 'OOM.'",
            f"[taxonomy.gpu_oom] investment is required: {NEW_CAUSE}",
        ),
        (
            "[taxonomy.data_shema_change]\ninvestment = 'x'",
            f"[taxonomy.data_shema_change] category is required: {NEW_CAUSE}; "
            "did you mean [taxonomy.data_schema_change]?",
        ),
        (
            "[taxonomy.\"my cause\"]\ninvestment = 'x'",
            f'[taxonomy."my cause"] category is required: {NEW_CAUSE}',
        ),
        (
            "[taxonomy.latency]\ncategory = 'infra'",
            "[taxonomy.latency] category must be one of data, model, serving, process "
            "(got 'infra')",
        ),
        (
            "[taxonomy.latency]\ninvestmnt = 'x'",
            "[taxonomy.latency] unknown key 'investmnt'; did you mean 'investment'?",
        ),
        (
            "[taxonomy.latency]\nwhy = ''",
            "[taxonomy.latency] why must be a non-empty string (got '')",
        ),
        (
            "[taxonomy]\nfoo = 'x'",
            "[taxonomy] foo must be a table ([taxonomy.foo]) with category, investment and why",
        ),
        (
            f"[taxonomy.{'a' * 101}]\ncategory = 'data'\ninvestment = 'x'\nwhy = 'y'",
            f"[taxonomy] cause slugs are 1 to 100 characters (got '{'a' * 101}')",
        ),
    ],
)
def test_taxonomy_errors(error, text, message):
    assert error(text) == f"config ops.toml: {message}"


# ---- [[alerts.rule]] ----------------------------------------------------------------


def test_rule_defaults_by_kind(write):
    text = (
        rule("", "a", "rollback")
        + rule("max_rate = 10", "b", "rate_threshold")
        + rule("", "c", "band_worsened")
        + rule("", "d", "readiness_dropped")
    )
    rules = load_config(write(text)).alert_rules
    url = "https://h.example/a"
    assert rules == (
        AlertRule("a", "rollback", url),
        AlertRule("b", "rate_threshold", url, max_rate=10.0, window_micros=168 * MICROS_PER_HOUR),
        AlertRule("c", "band_worsened", url, by="model"),
        AlertRule("d", "readiness_dropped", url),
    )
    assert all(r.format == "json" for r in rules)


def test_a_rule_with_every_filter(write):
    body = (
        'model = "fraud-*"\nteam = "risk"\nenvironment = "prod*"\nautomated = true\n'
        'format = "slack"\nsecret_env = "RR_SECRET"'
    )
    (loaded,) = load_config(write(rule(body))).alert_rules
    assert loaded == AlertRule(
        "x",
        "rollback",
        "https://h.example/a",
        format="slack",
        model="fraud-*",
        team="risk",
        environment="prod*",
        automated=True,
        secret_env="RR_SECRET",
    )


def test_a_rate_rule_with_its_window_and_a_band_rule_by_team(write):
    text = rule('max_rate = 12.5\nwindow = "36h"', "r", "rate_threshold") + rule(
        'by = "team"\nsecret = "s"', "b", "band_worsened"
    )
    rate, band = load_config(write(text)).alert_rules
    assert (rate.max_rate, rate.window_micros) == (12.5, 36 * MICROS_PER_HOUR)
    assert (band.by, band.secret) == ("team", "s")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            rule("", on="deploy"),
            f"[[alerts.rule]] #1 (name 'x'): on must be one of {KINDS} (got 'deploy')",
        ),
        (
            '[[alerts.rule]]\nname = "x"\nurl = "https://h.example/a"',
            f"[[alerts.rule]] #1 (name 'x'): on is required: one of {KINDS}",
        ),
        (
            '[[alerts.rule]]\non = "rollback"\nurl = "https://h.example/a"',
            "[[alerts.rule]] #1: name is required: a unique name for the rule",
        ),
        (
            rule("") + rule("", name="x"),
            "[[alerts.rule]] #2 (name 'x'): name 'x' is already used by rule #1; "
            "names must be unique",
        ),
        (
            '[[alerts.rule]]\nname = "x"\non = "rollback"',
            "[[alerts.rule]] #1 (name 'x'): url is required: the http or https URL to send "
            "alerts to",
        ),
        (
            '[[alerts.rule]]\nname = "x"\non = "rollback"\nurl = "ftp://h.example/a"',
            "[[alerts.rule]] #1 (name 'x'): url must be an http or https URL "
            "(got 'ftp://h.example/a')",
        ),
        (
            '[[alerts.rule]]\nname = "x"\non = "rollback"\nurl = "https://"',
            "[[alerts.rule]] #1 (name 'x'): url must be an http or https URL (got 'https://')",
        ),
        (
            '[[alerts.rule]]\nname = "x"\non = "rollback"\nurl = 5',
            "[[alerts.rule]] #1 (name 'x'): url must be an http or https URL (got 5)",
        ),
        (
            rule('format = "teams"'),
            "[[alerts.rule]] #1 (name 'x'): format must be one of json, slack (got 'teams')",
        ),
        (
            rule('secret = "s"\nsecret_env = "S"'),
            "[[alerts.rule]] #1 (name 'x'): set secret or secret_env, not both",
        ),
        (
            rule('secret_env = "MY-VAR"'),
            "[[alerts.rule]] #1 (name 'x'): secret_env must name an environment variable "
            "(letters, digits and _) (got 'MY-VAR')",
        ),
        (
            rule("", on="rate_threshold"),
            "[[alerts.rule]] #1 (name 'x'): max_rate is required: a number from 0 to 100 (percent)",
        ),
        (
            rule("max_rate = 150", on="rate_threshold"),
            "[[alerts.rule]] #1 (name 'x'): max_rate must be a number from 0 to 100 (percent) "
            "(got 150)",
        ),
        (
            rule("max_rate = -1", on="rate_threshold"),
            "[[alerts.rule]] #1 (name 'x'): max_rate must be a number from 0 to 100 (percent) "
            "(got -1)",
        ),
        (
            rule('max_rate = 10\nwindow = "week"', on="rate_threshold"),
            "[[alerts.rule]] #1 (name 'x'): window 'week' is not understood; use e.g. 7d, 36h, 1w",
        ),
        (
            rule("max_rate = 10\nwindow = 7", on="rate_threshold"),
            '[[alerts.rule]] #1 (name \'x\'): window must be a string such as "7d", "36h" or '
            '"1w" (got 7)',
        ),
        (
            rule("max_rate = 10"),
            "[[alerts.rule]] #1 (name 'x'): max_rate applies only to rate_threshold rules, "
            "not rollback",
        ),
        (
            rule('window = "7d"', on="band_worsened"),
            "[[alerts.rule]] #1 (name 'x'): window applies only to rate_threshold rules, "
            "not band_worsened",
        ),
        (
            rule('by = "team"'),
            "[[alerts.rule]] #1 (name 'x'): by applies only to band_worsened rules, not rollback",
        ),
        (
            rule("automated = true", on="band_worsened"),
            "[[alerts.rule]] #1 (name 'x'): automated applies only to rollback rules, "
            "not band_worsened",
        ),
        (
            rule('by = "environment"', on="band_worsened"),
            "[[alerts.rule]] #1 (name 'x'): by must be one of model, team (got 'environment')",
        ),
        (
            rule('automated = "yes"'),
            "[[alerts.rule]] #1 (name 'x'): automated must be true or false (got 'yes')",
        ),
        (
            rule('model = ""'),
            "[[alerts.rule]] #1 (name 'x'): model must be a non-empty string (got '')",
        ),
        (
            rule("max_rat = 10", on="rate_threshold"),
            "[[alerts.rule]] #1 (name 'x'): unknown key 'max_rat'; did you mean 'max_rate'?",
        ),
        (
            "[alerts.rule]\nname = 'x'",
            "[alerts] rule must be an array of tables ([[alerts.rule]])",
        ),
        (
            rule("", name="evil\\n[[alerts.rule]]", on="deploy"),
            "[[alerts.rule]] #1 (name 'evil\\n[[alerts.rule]]'): on must be one of "
            f"{KINDS} (got 'deploy')",
        ),
    ],
)
def test_alert_rule_errors(error, text, message):
    assert error(text) == f"config ops.toml: {message}"


# ---- the documented example ---------------------------------------------------------


def test_the_documented_example_loads_to_these_settings():
    config = load_config(EXAMPLE)
    hook = "https://alerts.example.com/rollback-rate"
    assert config == Config(
        path=str(EXAMPLE),
        cost=CostModel(
            "USD",
            CostFigures(400.0, 6.0, 1.5, 120.0, 0.0),
            (
                CostOverride(model="fraud-*", environment="production", degraded_per_hour=5000.0),
                CostOverride(team="search", triage_hours_manual=3.0),
            ),
        ),
        readiness=ReadinessSettings(90.0),
        report=ReportSettings(20, 3),
        advice=AdviceSettings(5),
        taxonomy=(
            CauseOverride(
                "gpu_oom",
                "serving",
                "capacity tests before promotion",
                "The new model ran out of GPU memory under production batch sizes.",
            ),
            CauseOverride("latency", investment="a latency budget enforced in CI"),
        ),
        alert_rules=(
            AlertRule(
                "prod-rollbacks",
                "rollback",
                "https://hooks.slack.com/services/T000/B000/XXXX",
                format="slack",
                environment="production",
                automated=False,
            ),
            AlertRule(
                "risk-over-10",
                "rate_threshold",
                hook,
                team="risk",
                secret_env="ROLLBACK_RATE_ALERT_SECRET",
                max_rate=10.0,
                window_micros=168 * MICROS_PER_HOUR,
            ),
            AlertRule("band-by-team", "band_worsened", hook, secret="change-me", by="team"),
            AlertRule("readiness", "readiness_dropped", hook, model="fraud-*"),
        ),
    )


def test_the_documented_example_shows_every_key():
    data = tomllib.loads(EXAMPLE.read_text("utf-8"))
    shown = {
        "cost": set(data["cost"]) - {"override"},
        "cost.override": {k for o in data["cost"]["override"] for k in o},
        "readiness": set(data["readiness"]),
        "report": set(data["report"]),
        "advice": set(data["advice"]),
        "alerts": set(data["alerts"]) - {"rule"},
        "alerts.rule": {k for r in data["alerts"]["rule"] for k in r},
    }
    assert shown == {
        "cost": {
            "currency",
            "degraded_per_hour",
            "triage_hours_manual",
            "triage_hours_automated",
            "engineer_hourly_rate",
            "per_rollback",
        },
        # An override's figures are those of [cost]; the example shows two of them.
        "cost.override": {
            "model",
            "team",
            "environment",
            "degraded_per_hour",
            "triage_hours_manual",
        },
        "readiness": {"max_days_since_exercised"},
        "report": {"min_settled", "repeat_within"},
        "advice": {"min_rollbacks"},
        "alerts": {"interval", "max_age"},
        "alerts.rule": {
            "name",
            "on",
            "model",
            "team",
            "environment",
            "automated",
            "url",
            "format",
            "secret",
            "secret_env",
            "max_rate",
            "window",
            "by",
        },
    }
