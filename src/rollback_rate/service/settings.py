"""Service configuration, read from the environment (twelve-factor): one image, many envs.

Every knob has a `ROLLBACK_RATE_*` variable; `serve` flags only set those variables, so
worker processes started by Uvicorn see the same configuration as the parent.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rollback_rate.config import CONFIG_ENV, Config, load_config
from rollback_rate.errors import InvalidOption
from rollback_rate.store.database import default_url, normalise_url
from rollback_rate.timeutil import parse_window

DEFAULT_MAX_BODY = 16 * 1024 * 1024
MAX_BATCH = 10_000
_SIZE = re.compile(r"^\s*(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?\s*$", re.IGNORECASE)
_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """What one service process needs; `create_app(Settings(...))` in tests."""

    db_url: str
    max_body: int = DEFAULT_MAX_BODY
    no_auth: bool = False
    token_cache_seconds: float = 5.0
    token_outage_seconds: float = 300.0
    response_cache_seconds: float = 10.0  # response_cache.py; 0 turns it off
    access_log: bool = True
    metrics_window: str = "7d"
    max_batch: int = MAX_BATCH
    group_commit: bool = True
    config: Config = field(default_factory=Config.default)  # the file ROLLBACK_RATE_CONFIG names

    def __post_init__(self) -> None:
        if self.max_body < 1:
            raise InvalidOption("ROLLBACK_RATE_MAX_BODY must be at least 1 byte")
        if self.token_cache_seconds < 0:
            raise InvalidOption("ROLLBACK_RATE_TOKEN_CACHE_SECONDS must not be negative")
        if self.token_outage_seconds < 0:
            raise InvalidOption("ROLLBACK_RATE_TOKEN_OUTAGE_SECONDS must not be negative")
        if self.response_cache_seconds < 0:
            raise InvalidOption("ROLLBACK_RATE_RESPONSE_CACHE_SECONDS must not be negative")
        parse_window(self.metrics_window)
        try:
            normalise_url(self.db_url)
        except InvalidOption as exc:
            raise InvalidOption(f"ROLLBACK_RATE_DB: {exc}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            db_url=env.get("ROLLBACK_RATE_DB") or default_url(),
            max_body=parse_size(env.get("ROLLBACK_RATE_MAX_BODY"), DEFAULT_MAX_BODY),
            no_auth=parse_flag(env, "ROLLBACK_RATE_NO_AUTH", False),
            token_cache_seconds=parse_seconds(env, "ROLLBACK_RATE_TOKEN_CACHE_SECONDS", 5.0),
            token_outage_seconds=parse_seconds(env, "ROLLBACK_RATE_TOKEN_OUTAGE_SECONDS", 300.0),
            response_cache_seconds=parse_seconds(env, "ROLLBACK_RATE_RESPONSE_CACHE_SECONDS", 10.0),
            access_log=parse_flag(env, "ROLLBACK_RATE_ACCESS_LOG", True),
            metrics_window=env.get("ROLLBACK_RATE_METRICS_WINDOW") or "7d",
            group_commit=parse_flag(env, "ROLLBACK_RATE_GROUP_COMMIT", True),
            config=load_config(env.get(CONFIG_ENV) or None),
        )


def parse_size(text: str | None, default: int) -> int:
    """`16777216`, `16MiB`, `512k` (binary units) to bytes."""
    if text is None or not text.strip():
        return default
    match = _SIZE.match(text)
    if not match:
        raise InvalidOption(f"size {text!r} is not understood; use e.g. 16777216, 16MiB, 512k")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS.get(unit, 1)


def parse_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise InvalidOption(f"{name}={raw!r} is not a number of seconds (0 or more)")
    return value


def parse_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidOption(f"{name}={raw!r} is not a boolean; use 1/0, true/false")


def is_loopback(host: str | None) -> bool:
    """`host` (an address, or `localhost`) reaches only this machine."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
