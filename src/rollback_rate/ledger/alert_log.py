"""`AlertLog`: the Ledger's door to alert delivery state (store/alerts.py explains it).

The alerter (`rollback_rate.alerts`) claims, leases and settles alerts through this, never
through SQL; database failures come out as DatabaseError, as from the Ledger itself.
"""

from __future__ import annotations

from collections.abc import Callable

from rollback_rate.ledger.errors import database_errors
from rollback_rate.store import Database
from rollback_rate.store.alerts import (
    DeliveryInfo,
    PendingAlert,
    claim_alert,
    due_alerts,
    enqueue_alert,
    list_deliveries,
    observe_state,
    settle_alert,
)
from rollback_rate.timeutil import now_micros


class AlertLog:
    """Which alerts were noticed, by whom, and whether they were sent."""

    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database  # the ledger's, opened on first use

    def enqueue(
        self, rule: str, key: str, payload: str, *, owner: str, lease: int, now: int | None = None
    ) -> bool:
        """Claim a new alert for `owner` (its lease `lease` microseconds long); False when
        it was claimed before, by this process or another."""
        moment = now_micros() if now is None else now
        with database_errors():
            return enqueue_alert(self._database(), rule, key, payload, owner, moment, lease)

    def observe(
        self,
        rule: str,
        subject: str,
        value: str,
        observed_at: int,
        decide: Callable[[str | None], str | None],
        *,
        owner: str,
        lease: int,
    ) -> str | None:
        """Record a stateful rule's latest value (JSON) for a subject; `decide(previous)`
        returns the alert's payload when the change fires one, which is then claimed for
        `owner`. The new alert's key, or None."""
        with database_errors():
            return observe_state(self._database(), rule, subject, value, observed_at, decide,
                                 owner=owner, lease=lease)  # fmt: skip

    def due(self, now: int | None = None, limit: int = 100) -> list[tuple[str, str]]:
        """(rule, key) of alerts to try again now: pending, due, their lease expired."""
        with database_errors():
            return due_alerts(self._database(), now_micros() if now is None else now, limit)

    def claim(
        self, rule: str, key: str, *, owner: str, lease: int, now: int | None = None
    ) -> PendingAlert | None:
        """Lease a due pending alert to `owner`; None when it is not (any longer) due."""
        moment = now_micros() if now is None else now
        with database_errors():
            return claim_alert(self._database(), rule, key, owner, moment, lease)

    def settle(
        self,
        rule: str,
        key: str,
        *,
        owner: str,
        attempts: int,
        sent: bool,
        error: str | None = None,
        retry_at: int | None = None,
        now: int | None = None,
    ) -> None:
        """After `owner`'s attempts: sent, pending again from `retry_at`, or failed (no
        `retry_at`)."""
        moment = now_micros() if now is None else now
        with database_errors():
            settle_alert(self._database(), rule, key, owner, moment, attempts=attempts,
                         sent=sent, error=error, retry_at=retry_at)  # fmt: skip

    def deliveries(self, rule: str | None = None) -> list[DeliveryInfo]:
        """Every alert's delivery state (of one rule), oldest first."""
        with database_errors():
            return list_deliveries(self._database(), rule)
