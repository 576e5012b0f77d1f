"""Sending one alert: the rule's body, signed when it has a secret, retried with backoff.

A 2xx is delivered. A connection failure, a timeout, a 5xx, 408 or 429 is tried again
after each delay of `backoff` (1, 2 and 4 seconds: four attempts in about seven seconds);
any other 4xx will not get better by itself (a wrong URL, a refused signature) and ends
the round at once as `permanent`. The caller keeps the delivery state.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollback_rate import __version__
from rollback_rate.alerts.rules import (
    SIGNATURE_HEADER,
    Alert,
    AlertRule,
    body_for,
    resolve_secret,
    signature,
)
from rollback_rate.errors import RollbackRateError

DEFAULT_BACKOFF = (1.0, 2.0, 4.0)  # seconds before the 2nd, 3rd and 4th attempts
DEFAULT_TIMEOUT = 10.0  # seconds per attempt
_RETRYABLE = frozenset({408, 429})


@dataclass(frozen=True)
class SendResult:
    """How a round of attempts ended: `delivered`, or the last error and whether trying
    again later could help."""

    delivered: bool
    attempts: int
    status: int | None = None  # the last HTTP status, None when nothing answered
    error: str | None = None
    permanent: bool = False


class Sender:
    """Posts alerts over HTTP (httpx); `transport` and `sleep` are for tests."""

    def __init__(
        self,
        *,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        timeout: float = DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
        transport: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backoff, self.timeout = tuple(backoff), timeout
        self.environ = os.environ if environ is None else environ
        self.transport, self.sleep = transport, sleep

    def send(self, rule: AlertRule, alert: Alert) -> SendResult:
        """One round: the first attempt and a retry after each backoff delay."""
        import httpx

        body = body_for(rule, alert)
        headers = {"Content-Type": "application/json", "User-Agent": f"rollback-rate/{__version__}"}
        try:
            secret = resolve_secret(rule, self.environ)
        except RollbackRateError as exc:  # another process may have the variable
            return SendResult(False, 0, error=str(exc))
        if secret is not None:
            headers[SIGNATURE_HEADER] = signature(body, secret)
        result = SendResult(False, 0)
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            for attempt, delay in enumerate((*self.backoff, None), 1):
                result = _attempt(client, rule.url, body, headers, attempt)
                if result.delivered or result.permanent or delay is None:
                    return result
                self.sleep(delay)
        return result


def _attempt(
    client: Any, url: str, body: bytes, headers: dict[str, str], attempt: int
) -> SendResult:
    import httpx

    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return SendResult(False, attempt, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
    status = response.status_code
    if 200 <= status < 300:
        return SendResult(True, attempt, status)
    permanent = 400 <= status < 500 and status not in _RETRYABLE
    return SendResult(False, attempt, status, f"HTTP {status} from {url}", permanent)
