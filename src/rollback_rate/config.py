"""The config file: one TOML file for the settings too structured for options (issue 10).

Given with `--config FILE` before the command, or `ROLLBACK_RATE_CONFIG`; without one every
setting has its default and there is no cost model. Tables: `[cost]` with
`[[cost.override]]`, `[readiness]`, `[report]`, `[advice]`, `[taxonomy.<slug>]`, `[alerts]`
and `[[alerts.rule]]` (docs/config.example.toml shows every key).

Typos must not pass silently: an unknown table or key is an error that suggests the
nearest known name. Every error is an `InvalidConfig` whose one-line message names the
file, the table and the key, and says what would be accepted.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

from rollback_rate.alerts.rules import ALERT_KINDS, BAND_BY, FORMATS, AlertRule
from rollback_rate.errors import InvalidOption
from rollback_rate.metrics.advice import DEFAULT_MIN_ROLLBACKS
from rollback_rate.metrics.cost import FIGURES, CostFigures, CostModel, CostOverride
from rollback_rate.metrics.readiness import DEFAULT_MAX_DAYS_SINCE_EXERCISED
from rollback_rate.metrics.taxonomy import (
    CATEGORIES,
    FIELDS,
    CauseOverride,
    Taxonomy,
    load_taxonomy,
    nearest_cause,
    shipped_entries,
)
from rollback_rate.timeutil import parse_window

CONFIG_ENV = "ROLLBACK_RATE_CONFIG"
DEFAULT_WINDOW = "7d"
DEFAULT_ALERT_INTERVAL = "5m"  # how often `serve` evaluates alert rules on its own
DEFAULT_ALERT_MAX_AGE = "1d"  # older rollbacks are history (an import), not news
TABLES = ("advice", "alerts", "cost", "readiness", "report", "taxonomy")
_KEYS = {
    "cost": ("currency", *FIGURES, "override"),
    "cost.override": ("model", "team", "environment", *FIGURES),
    "readiness": ("max_days_since_exercised",),
    "report": ("min_settled", "repeat_within"),
    "advice": ("min_rollbacks",),
    "alerts": ("interval", "max_age", "rule"),
    "alerts.rule": (
        *("name", "on", "model", "team", "environment", "automated", "url", "format"),
        *("secret", "secret_env", "max_rate", "window", "by"),
    ),
}
# Keys that only one kind of rule takes.
_KIND_KEYS = {
    "automated": "rollback",
    "max_rate": "rate_threshold",
    "window": "rate_threshold",
    "by": "band_worsened",
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_MAX_CAUSE_LENGTH = 100  # as the event contract's `cause`


class InvalidConfig(InvalidOption):
    """The config file cannot be read or breaks a rule; the message names file, table, key."""


@dataclass(frozen=True)
class ReadinessSettings:
    max_days_since_exercised: float = DEFAULT_MAX_DAYS_SINCE_EXERCISED


@dataclass(frozen=True)
class ReportSettings:
    min_settled: int = 20  # below it a summary's band is not yet meaningful
    repeat_within: int = 3  # counted deployments


@dataclass(frozen=True)
class AdviceSettings:
    min_rollbacks: int = DEFAULT_MIN_ROLLBACKS


@dataclass(frozen=True)
class AlertSettings:
    """`[alerts]`: how often `serve` evaluates the rules (and retries deliveries), and how
    old a rollback may be when it is recorded and still alert (both microseconds)."""

    interval_micros: int = parse_window(DEFAULT_ALERT_INTERVAL)
    max_age_micros: int = parse_window(DEFAULT_ALERT_MAX_AGE)


@dataclass(frozen=True)
class Config:
    """Every structured setting; `cost` is None without a [cost] table."""

    path: str | None = None
    cost: CostModel | None = None
    readiness: ReadinessSettings = field(default_factory=ReadinessSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    advice: AdviceSettings = field(default_factory=AdviceSettings)
    taxonomy: tuple[CauseOverride, ...] = ()
    alert_rules: tuple[AlertRule, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)

    @classmethod
    def default(cls) -> Config:
        """The settings without a config file."""
        return cls()

    def cause_taxonomy(self) -> Taxonomy:
        """The shipped taxonomy with this file's [taxonomy.<slug>] entries merged over it."""
        return load_taxonomy(self.taxonomy)


def load_config(path: str | Path | None) -> Config:
    """The config in the TOML file at `path`; the defaults when `path` is None."""
    if path is None:
        return Config.default()
    file = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise InvalidConfig(f"config {file}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidConfig(f"config {file}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidConfig(f"config {file}: invalid TOML: {error}") from None
    return _parse(file, data)


def _parse(file: str, data: Mapping[str, Any]) -> Config:
    for key, value in data.items():
        if key not in TABLES:
            raise InvalidConfig(f"config {file}: {_unknown_top_level(key, value)}")
        if not isinstance(value, dict):
            raise InvalidConfig(f"config {file}: {key} must be a table ([{key}])")
    tables = {name: _Table(file, f"[{name}]", data.get(name, {})) for name in TABLES}
    for name in ("readiness", "report", "advice", "alerts"):
        tables[name].check_keys(_KEYS[name])
    readiness, report, advice = tables["readiness"], tables["report"], tables["advice"]
    return Config(
        path=file,
        cost=_cost(tables["cost"]) if "cost" in data else None,
        readiness=ReadinessSettings(
            readiness.number("max_days_since_exercised", DEFAULT_MAX_DAYS_SINCE_EXERCISED)
        ),
        report=ReportSettings(
            report.integer("min_settled", ReportSettings.min_settled),
            report.integer("repeat_within", ReportSettings.repeat_within),
        ),
        advice=AdviceSettings(advice.integer("min_rollbacks", DEFAULT_MIN_ROLLBACKS)),
        taxonomy=tuple(_taxonomy(tables["taxonomy"])),
        alert_rules=_rules(tables["alerts"]),
        alerts=AlertSettings(
            tables["alerts"].window("interval", DEFAULT_ALERT_INTERVAL),
            tables["alerts"].window("max_age", DEFAULT_ALERT_MAX_AGE),
        ),
    )


def _unknown_top_level(key: str, value: Any) -> str:
    if isinstance(value, dict):
        match = difflib.get_close_matches(key, TABLES, n=1)
        hint = f"did you mean [{match[0]}]?" if match else _listed("known tables", TABLES, "[{}]")
        return f"unknown table [{key}]; {hint}"
    # A setting written above every table header: say which table it belongs in.
    homes = {name: table for table, names in _KEYS.items() for name in names if "." not in table}
    if key in homes:
        return f"{key} belongs in the [{homes[key]}] table; move it under [{homes[key]}]"
    match = difflib.get_close_matches(key, list(homes), n=1)
    unknown = f"unknown key {key!r} at the top level"
    if not match:
        return f"{unknown}; settings go in tables"
    return f"{unknown}; did you mean {match[0]!r} in [{homes[match[0]]}]?"


@dataclass(frozen=True)
class _Table:
    """One TOML table being read, and where it is for messages."""

    file: str
    where: str  # "[cost]", or "[[alerts.rule]] #2 (name 'x'):"
    values: Mapping[str, Any]

    def error(self, text: str) -> InvalidConfig:
        return InvalidConfig(f"config {self.file}: {self.where} {text}")

    def check_keys(self, known: Sequence[str]) -> None:
        for key in self.values:
            if key not in known:
                match = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {match[0]!r}?" if match else _listed("known keys", known)
                raise self.error(f"unknown key {key!r}; {hint}")

    @overload
    def number(self, key: str, default: float, *, strict: bool = ...) -> float: ...
    @overload
    def number(self, key: str, default: None = None, *, strict: bool = ...) -> float | None: ...
    def number(self, key: str, default: float | None = None, *, strict: bool = True) -> Any:
        """A finite number > 0, or >= 0 when not `strict`."""
        if key not in self.values:
            return default
        value = self.values[key]
        if not (_is_number(value) and (value > 0 if strict else value >= 0)):
            raise self.error(f"{key} must be a number {'>' if strict else '>='} 0{_got(value)}")
        return float(value)

    def integer(self, key: str, default: int, minimum: int = 1) -> int:
        value = self.values.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.error(f"{key} must be an integer >= {minimum}{_got(value)}")
        return value

    @overload
    def text(self, key: str, default: str) -> str: ...
    @overload
    def text(self, key: str, default: None = None) -> str | None: ...
    def text(self, key: str, default: str | None = None) -> Any:
        value = self.values.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.error(f"{key} must be a non-empty string{_got(value)}")
        return value

    def required(self, key: str, what: str) -> InvalidConfig:
        return self.error(f"{key} is required: {what}")

    @overload
    def choice(self, key: str, options: Sequence[str], default: str) -> str: ...
    @overload
    def choice(self, key: str, options: Sequence[str], default: None = None) -> str | None: ...
    def choice(self, key: str, options: Sequence[str], default: str | None = None) -> Any:
        value = self.values.get(key, default)
        if value is not None and value not in options:
            raise self.error(f"{key} must be one of {', '.join(options)}{_got(value)}")
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.values.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.error(f"{key} must be true or false{_got(value)}")
        return value

    def window(self, key: str, default: str) -> int:
        """A duration such as "7d", "36h", "1w" or "5m", in microseconds."""
        value = self.values.get(key, default)
        if not isinstance(value, str):
            raise self.error(f'{key} must be a string such as "5m", "36h" or "7d"{_got(value)}')
        try:
            return parse_window(value)
        except InvalidOption as error:
            raise self.error(str(error).replace("window", key, 1)) from None

    def entries(self, key: str, name: str) -> list[Mapping[str, Any]]:
        """An array of tables, e.g. [[cost.override]]."""
        value = self.values.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(f"{key} must be an array of tables ([[{name}]])")
        return value


# ---- [cost] -------------------------------------------------------------------------


def _cost(table: _Table) -> CostModel:
    table.check_keys(_KEYS["cost"])
    for name in FIGURES[:-1]:  # every figure but per_rollback
        if name not in table.values:
            raise table.required(name, "a number >= 0")
    currency = table.text("currency", "USD")
    figures = CostFigures(**{name: table.number(name, 0.0, strict=False) for name in FIGURES})
    overrides = []
    for number, values in enumerate(table.entries("override", "cost.override"), 1):
        overrides.append(_override(_Table(table.file, f"[[cost.override]] #{number}:", values)))
    return CostModel(currency, figures, tuple(overrides))


def _override(table: _Table) -> CostOverride:
    if "currency" in table.values:
        raise table.error(
            "currency cannot be overridden: every figure is in [cost] currency; "
            "convert this override's figures to it"
        )
    table.check_keys(_KEYS["cost.override"])
    model, team, environment = (table.text(key) for key in ("model", "team", "environment"))
    if model is None and team is None and environment is None:
        raise table.error("set at least one of model, team, environment to say where it applies")
    figures = [table.number(name, strict=False) for name in FIGURES]
    return CostOverride(model, team, environment, *figures)


# ---- [taxonomy.<slug>] --------------------------------------------------------------


def _taxonomy(table: _Table) -> Iterator[CauseOverride]:
    shipped = shipped_entries()
    for cause, values in table.values.items():
        header = f"[taxonomy.{_toml_key(cause)}]"
        if not isinstance(values, dict):
            raise table.error(f"{_toml_key(cause)} must be a table ({header}) with {_fields()}")
        if not cause or len(cause) > _MAX_CAUSE_LENGTH:
            raise table.error(f"cause slugs are 1 to {_MAX_CAUSE_LENGTH} characters{_got(cause)}")
        entry = _Table(table.file, header, values)
        entry.check_keys(FIELDS)
        category = entry.choice("category", CATEGORIES)
        investment, why = entry.text("investment"), entry.text("why")
        missing = [key for key in FIELDS if key not in values]
        if cause not in shipped and missing:
            near = nearest_cause(cause)
            hint = f"; did you mean [taxonomy.{near}]?" if near else ""
            what = f"a cause the shipped taxonomy does not have sets {_fields()}{hint}"
            raise entry.required(missing[0], what)
        yield CauseOverride(cause, category, investment, why)


def _fields() -> str:
    return f"{', '.join(FIELDS[:-1])} and {FIELDS[-1]}"


# ---- [[alerts.rule]] ----------------------------------------------------------------


def _rules(alerts: _Table) -> tuple[AlertRule, ...]:
    rules: list[AlertRule] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(alerts.entries("rule", "alerts.rule"), 1):
        name = values.get("name")
        named = f" (name {name!r})" if isinstance(name, str) and name.strip() else ""
        table = _Table(alerts.file, f"[[alerts.rule]] #{number}{named}:", values)
        rule = _rule(table)
        if rule.name in seen:
            raise table.error(
                f"name {rule.name!r} is already used by rule #{seen[rule.name]}; "
                "names must be unique"
            )
        seen[rule.name] = number
        rules.append(rule)
    return tuple(rules)


def _rule(table: _Table) -> AlertRule:
    table.check_keys(_KEYS["alerts.rule"])
    name = table.text("name")
    if name is None:
        raise table.required("name", "a unique name for the rule")
    on = table.choice("on", ALERT_KINDS)
    if on is None:
        raise table.required("on", f"one of {', '.join(ALERT_KINDS)}")
    for key, kind in _KIND_KEYS.items():
        if key in table.values and on != kind:
            raise table.error(f"{key} applies only to {kind} rules, not {on}")
    if "url" not in table.values:
        raise table.required("url", "the http or https URL to send alerts to")
    if "secret" in table.values and "secret_env" in table.values:
        raise table.error("set secret or secret_env, not both")
    return AlertRule(
        name=name,
        on=on,
        url=_url(table),
        format=table.choice("format", FORMATS, "json"),
        model=table.text("model"),
        team=table.text("team"),
        environment=table.text("environment"),
        automated=table.boolean("automated"),
        secret=table.text("secret"),
        secret_env=_secret_env(table),
        max_rate=_max_rate(table) if on == "rate_threshold" else None,
        window_micros=_window(table) if on == "rate_threshold" else None,
        by=table.choice("by", BAND_BY, "model") if on == "band_worsened" else None,
    )


def _url(table: _Table) -> str:
    value = table.values["url"]
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise table.error(f"url must be an http or https URL{_got(value)}")
    return str(value)


def _secret_env(table: _Table) -> str | None:
    value = table.values.get("secret_env")
    if value is not None and not (isinstance(value, str) and _ENV_NAME.match(value)):
        raise table.error(
            f"secret_env must name an environment variable (letters, digits and _){_got(value)}"
        )
    return value


def _max_rate(table: _Table) -> float:
    if "max_rate" not in table.values:
        raise table.required("max_rate", "a number from 0 to 100 (percent)")
    value = table.values["max_rate"]
    if not _is_number(value) or not 0 <= value <= 100:
        raise table.error(f"max_rate must be a number from 0 to 100 (percent){_got(value)}")
    return float(value)


def _window(table: _Table) -> int:
    value = table.values.get("window", DEFAULT_WINDOW)
    if not isinstance(value, str):
        raise table.error(f'window must be a string such as "7d", "36h" or "1w"{_got(value)}')
    try:
        return parse_window(value)
    except InvalidOption as error:
        raise table.error(str(error)) from None


# ---- messages -----------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _got(value: Any) -> str:
    """' (got ...)' in TOML's spelling, short for tables and arrays."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, dict):
        shown = "a table"
    elif isinstance(value, list):
        shown = "an array"
    else:
        shown = repr(value)
    return f" (got {shown})"


def _listed(what: str, names: Sequence[str], pattern: str = "{}") -> str:
    return f"{what}: {', '.join(pattern.format(name) for name in sorted(names))}"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else '"' + key.replace('"', '\\"') + '"'
