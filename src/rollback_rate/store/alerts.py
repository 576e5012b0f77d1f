"""Alert delivery state: each alert sent once, even with several replicas (issue 10).

Two tables (migration 0007):

* `alert_deliveries`, an outbox keyed by (rule, alert key). The process that notices an
  alert inserts its row with `INSERT ... ON CONFLICT DO NOTHING` (the same statement on
  SQLite and PostgreSQL), holding a lease on it: the insert is the claim, so of several
  processes noticing one alert exactly one inserts it and sends it. A row whose sending
  failed stays `pending` with its next attempt's time; any process may take it up again
  once its lease has expired, with a compare-and-set UPDATE that only one can win (on
  PostgreSQL a second UPDATE waits for the first and then no longer matches). A row is
  `sent` after a 2xx, `failed` after its last attempt.
* `alert_states`, the last value a stateful rule observed per subject (a stream's rate,
  its readiness verdict). The row is created with ON CONFLICT DO NOTHING and locked with
  SELECT ... FOR UPDATE (SQLite's writer lock does the same), the new value compared with
  the old and written, and, on a crossing or a drop, the alert's outbox row inserted, all
  in one transaction: a change is noticed once. An observation older than the stored one
  (a slower replica's) is ignored, so values never go back in time; one equal to the
  stored value writes nothing.

A process that dies between sending and marking `sent` leaves the row leased; after the
lease another process sends it again: at least once across a crash, once otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, text, update

from rollback_rate.store.database import Database
from rollback_rate.store.schema import alert_deliveries as deliveries
from rollback_rate.store.schema import alert_states as states

_ENQUEUE = text(
    "INSERT INTO alert_deliveries (rule, alert_key, payload, status, attempts, created_at, "
    "next_attempt_at, lease_owner, lease_until) VALUES (:rule, :key, :payload, 'pending', 0, "
    ":now, :now, :owner, :lease_until) ON CONFLICT DO NOTHING"
)
_NEW_STATE = text(
    "INSERT INTO alert_states (rule, subject, episode) VALUES (:rule, :subject, 0) "
    "ON CONFLICT DO NOTHING"
)


@dataclass(frozen=True)
class PendingAlert:
    """An alert this process holds the lease of, to send now."""

    rule: str
    key: str
    payload: str
    attempts: int
    created_at: int


@dataclass(frozen=True)
class DeliveryInfo:
    """One alert's delivery state, for operators and tests."""

    rule: str
    key: str
    status: str
    attempts: int
    created_at: int
    sent_at: int | None
    last_error: str | None
    payload: str


def enqueue_alert(
    database: Database, rule: str, key: str, payload: str, owner: str, now: int, lease: int
) -> bool:
    """Insert the alert, leased to `owner`; False when it exists already (another process
    noticed it first, or it was sent before)."""
    with database.begin() as conn:
        inserted = conn.execute(_ENQUEUE, {"rule": rule, "key": key, "payload": payload,
                                           "now": now, "owner": owner,
                                           "lease_until": now + lease}).rowcount  # fmt: skip
    return bool(inserted)


def observe_state(
    database: Database,
    rule: str,
    subject: str,
    value: str,
    observed_at: int,
    decide: Callable[[str | None], str | None],
    *,
    owner: str,
    lease: int,
) -> str | None:
    """Record `value` (JSON) as the rule's latest observation of `subject`; `decide` gets
    the previous value (None at first) and returns the alert's payload when the change
    fires one, which is then inserted, leased to `owner`. Returns the new alert's key,
    or None (no alert, or an observation older than the stored one)."""
    where = and_(states.c.rule == rule, states.c.subject == subject)
    with database.snapshot() as conn:  # most observations change nothing: no write then
        stored = conn.execute(select(states.c.value).where(where)).scalar_one_or_none()
    if stored == value:
        return None
    with database.begin() as conn:
        conn.execute(_NEW_STATE, {"rule": rule, "subject": subject})
        row = conn.execute(
            select(states.c.value, states.c.observed_at, states.c.episode)
            .where(where)
            .with_for_update()
        ).one()
        if row.observed_at is not None and row.observed_at > observed_at:
            return None
        payload = decide(row.value)
        episode = row.episode + (payload is not None)
        conn.execute(
            update(states).where(where).values(value=value, observed_at=observed_at,
                                               episode=episode)
        )  # fmt: skip
        if payload is None:
            return None
        key = f"{subject}#{episode}"
        conn.execute(_ENQUEUE, {"rule": rule, "key": key, "payload": payload, "now": observed_at,
                                "owner": owner, "lease_until": observed_at + lease})  # fmt: skip
        return key


def due_alerts(database: Database, now: int, limit: int = 100) -> list[tuple[str, str]]:
    """(rule, key) of pending alerts whose next attempt is due and whose lease is free."""
    with database.snapshot() as conn:
        rows = conn.execute(
            select(deliveries.c.rule, deliveries.c.alert_key)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now,
                   _lease_free(now))
            .order_by(deliveries.c.next_attempt_at)
            .limit(limit)
        ).all()  # fmt: skip
    return [(row.rule, row.alert_key) for row in rows]


def claim_alert(
    database: Database, rule: str, key: str, owner: str, now: int, lease: int
) -> PendingAlert | None:
    """Lease a due pending alert to `owner`; None when another process holds it, it is not
    due, or it is no longer pending."""
    where = and_(deliveries.c.rule == rule, deliveries.c.alert_key == key)
    with database.begin() as conn:
        claimed = conn.execute(
            update(deliveries)
            .where(where, deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now,
                   _lease_free(now))
            .values(lease_owner=owner, lease_until=now + lease)
        ).rowcount  # fmt: skip
        if not claimed:
            return None
        row = conn.execute(
            select(deliveries.c.payload, deliveries.c.attempts, deliveries.c.created_at)
            .where(where)
        ).one()  # fmt: skip
    return PendingAlert(rule, key, row.payload, row.attempts, row.created_at)


def settle_alert(
    database: Database,
    rule: str,
    key: str,
    owner: str,
    now: int,
    *,
    attempts: int,
    sent: bool,
    error: str | None = None,
    retry_at: int | None = None,
) -> None:
    """After a round of attempts: `sent`, or pending again from `retry_at`, or `failed`
    when `retry_at` is None. Only the lease holder's word counts."""
    values: dict[str, Any]
    if sent:
        status, values = "sent", {"sent_at": now, "last_error": None}
    else:
        status = "pending" if retry_at is not None else "failed"
        values = {"last_error": error, "next_attempt_at": retry_at if retry_at is not None else now}
    with database.begin() as conn:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.rule == rule, deliveries.c.alert_key == key,
                   deliveries.c.lease_owner == owner)
            .values(status=status, attempts=deliveries.c.attempts + attempts, lease_owner=None,
                    lease_until=None, **values)
        )  # fmt: skip


def list_deliveries(database: Database, rule: str | None = None) -> list[DeliveryInfo]:
    """Every alert's delivery state (of one rule), oldest first."""
    statement = select(deliveries).order_by(deliveries.c.created_at, deliveries.c.alert_key)
    if rule is not None:
        statement = statement.where(deliveries.c.rule == rule)
    with database.snapshot() as conn:
        rows = conn.execute(statement).all()
    return [
        DeliveryInfo(r.rule, r.alert_key, r.status, r.attempts, r.created_at, r.sent_at,
                     r.last_error, r.payload)
        for r in rows
    ]  # fmt: skip


def _lease_free(now: int) -> ColumnElement[bool]:
    return or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= now)
