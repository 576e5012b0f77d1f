"""Retrying a whole write transaction when the database aborts it to break a deadlock.

Concurrent batches lock streams in a fixed order, but a batch larger than one 5,000-event
chunk locks them chunk by chunk, so two overlapping large batches can still deadlock;
PostgreSQL then aborts one. The aborted transaction stored nothing, so running it again
is safe and keeps "each event stored exactly once". Every caller's writes get this: the
CLI, the HTTP service, webhooks and sync jobs alike.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from rollback_rate.store.backend import Backend

log = logging.getLogger("rollback_rate")
T = TypeVar("T")
ATTEMPTS = 5


def with_retries(
    backend: Backend,
    action: Callable[[], T],
    attempts: int = ATTEMPTS,
    base_delay: float = 0.02,
) -> T:
    """Run `action` (one transaction); when the database aborted it as worth retrying,
    run it again, up to `attempts` times, with a jittered exponential backoff."""
    for attempt in range(attempts):
        try:
            return action()
        except DBAPIError as exc:
            if attempt == attempts - 1 or not backend.is_retryable(exc):
                raise
            code = getattr(exc.orig, "sqlstate", "?")
            log.warning("transaction aborted (SQLSTATE %s); retry %d", code, attempt + 1)
            time.sleep(base_delay * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
