"""`AlertWorker`: the alerter on a thread of its own, for the HTTP service.

The ledger's hook runs on the committing thread (the group committer's, under load), so
the service's subscriber only queues the notice; this thread evaluates and sends. It also
runs the schedule: every rule over every subject, and the retries, every `[alerts]
interval` (and once at start), because time alone moves rates and readiness: windows
close, drills grow old.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from rollback_rate.alerts.alerter import Alerter
from rollback_rate.errors import RollbackRateError
from rollback_rate.ledger import Committed

log = logging.getLogger("rollback_rate.alerts")
_STOP = object()


class AlertWorker:
    """Queues after-commit notices (`submit`) and runs the alerter on one thread."""

    def __init__(self, alerter: Alerter, interval_seconds: float) -> None:
        self.alerter, self.interval = alerter, interval_seconds
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, committed: Committed) -> None:
        """The after-commit subscriber: queue the notice, return at once."""
        self._queue.put(committed)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rollback-rate-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Handle what is queued, then stop."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def flush(self) -> None:
        """Wait until every queued notice has been handled."""
        self._queue.join()

    def _run(self) -> None:
        next_tick = time.monotonic()
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                self._guarded(self.alerter.tick)
                next_tick = time.monotonic() + self.interval
                continue
            items = [item]
            while True:  # drain: many commits, one evaluation of the stream rules
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            notices = [i for i in items if isinstance(i, Committed)]
            if notices:
                self._guarded(self.alerter.notices, notices)
            for _ in items:
                self._queue.task_done()
            if any(i is _STOP for i in items):
                return

    @staticmethod
    def _guarded(work: Callable[..., None], *args: Any) -> None:
        # The next notice or tick tries again; the thread must live.
        try:
            work(*args)
        except RollbackRateError as exc:  # the database is down, say: one line is enough
            log.warning("alerts: %s", exc)
        except Exception:
            log.exception("alert evaluation failed")
