"""Retrying a whole write transaction when PostgreSQL aborts it to break a deadlock.

Concurrent batches lock streams in a fixed order, but a batch larger than the core's
5,000-event chunk locks them chunk by chunk, so two overlapping large batches can still
deadlock; PostgreSQL then aborts one. The aborted transaction stored nothing, so running
it again is safe and keeps "each event stored exactly once".
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

log = logging.getLogger("rollback_rate.service")
T = TypeVar("T")
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def is_retryable(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def with_retries(action: Callable[[], T], attempts: int = 5, base_delay: float = 0.02) -> T:
    """Run `action` (one transaction); on a deadlock or serialization failure, run it again."""
    for attempt in range(attempts):
        try:
            return action()
        except OperationalError as exc:
            if attempt == attempts - 1 or not is_retryable(exc):
                raise
            code = getattr(exc.orig, "sqlstate", "?")
            log.warning("transaction aborted (SQLSTATE %s); retry %d", code, attempt + 1)
            time.sleep(base_delay * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
