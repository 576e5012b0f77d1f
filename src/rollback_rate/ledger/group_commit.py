"""Group commit: concurrent small ingest requests of one process share one transaction.

A single-event POST spends most of its database time on per-transaction work (BEGIN,
COMMIT, the WAL flush, the attribution round trips), so one writer thread per process
takes every small request queued while its previous commit was in flight and stores them
together (`writes.write_groups`), each request answered with its own counts, exactly as if it
had been recorded alone in queue order.

Requests validate their own events first (an invalid request never enters the queue and
gets its 422 as before). The writer never waits for company: a lone request is committed
at once, and batches form only while a commit is running. If a grouped transaction fails
(after the usual deadlock retries), each of its requests is committed on its own, so one
request's failure is never another's.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError

from rollback_rate.events import EventRecord
from rollback_rate.ledger.writes import IngestResult
from rollback_rate.store.log import SMALL_BATCH

log = logging.getLogger("rollback_rate")

MAX_GROUPED_EVENTS = 100  # larger batches take the direct path (their own transaction)
CommitGroups = Callable[[Sequence[Sequence[EventRecord]]], list[IngestResult]]


@dataclass
class _Pending:
    records: Sequence[EventRecord]
    future: Future[IngestResult] = field(default_factory=Future)


class GroupCommitter:
    """One writer thread (started on first use, stopped by `close`) and its queue."""

    def __init__(self, commit_groups: CommitGroups, max_events: int = SMALL_BATCH) -> None:
        """`commit_groups` stores groups in one transaction (with retries), answering each."""
        if not 1 <= max_events <= SMALL_BATCH:
            raise ValueError(f"max_events must be 1 to {SMALL_BATCH}")
        self._commit_groups = commit_groups
        self.max_events = max_events
        self._queue: deque[_Pending] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def submit(self, records: Sequence[EventRecord]) -> IngestResult:
        """Store `records` (validated, at most `max_events`) in the next group commit;
        block until it is durable and return this request's counts (or raise its error)."""
        return self.enqueue(records).result()

    def enqueue(self, records: Sequence[EventRecord]) -> Future[IngestResult]:
        """`submit` without blocking: the future answers once the commit is durable (an
        event loop awaits it without holding a thread)."""
        if not records:
            done: Future[IngestResult] = Future()
            done.set_result(IngestResult())
            return done
        if len(records) > self.max_events:
            raise ValueError(f"{len(records)} events; a group commit holds {self.max_events}")
        pending = _Pending(records)
        with self._ready:
            self._queue.append(pending)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="rollback-rate-group-commit", daemon=True
                )
                self._thread.start()
            self._ready.notify()
        return pending.future

    def queued(self) -> int:
        """Requests waiting for the next commit (not counting the one in flight)."""
        with self._ready:
            return len(self._queue)

    def close(self, timeout: float = 30.0) -> None:
        """Answer what is queued, then stop the writer (a later `submit` starts a new one)."""
        with self._ready:
            self._stopping = True
            thread = self._thread
            self._ready.notify_all()
        if thread is not None:
            thread.join(timeout)
        with self._ready:
            self._stopping = False

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._stopping:
                    self._ready.wait()
                if not self._queue:  # stopping, and nothing left to answer
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
                batch = [self._queue.popleft()]
                size = len(batch[0].records)
                while self._queue and size + len(self._queue[0].records) <= self.max_events:
                    size += len(self._queue[0].records)
                    batch.append(self._queue.popleft())
            try:
                self._commit(batch)
            except BaseException as exc:  # never leave a request waiting forever
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            results = self._commit_groups([pending.records for pending in batch])
        except Exception as exc:
            if len(batch) == 1 or _affects_everyone(exc):
                for pending in batch:
                    pending.future.set_exception(exc)
                return
            log.warning(
                "group commit of %d requests failed (%s); committing each on its own",
                len(batch),
                type(exc).__name__,
            )
            for pending in batch:
                self._commit_alone(pending)
            return
        for pending, result in zip(batch, results, strict=True):
            pending.future.set_result(result)

    def _commit_alone(self, pending: _Pending) -> None:
        try:
            result = self._commit_groups([pending.records])[0]
        except Exception as exc:
            pending.future.set_exception(exc)
        else:
            pending.future.set_result(result)


def _affects_everyone(exc: Exception) -> bool:
    """A lost or refused connection fails every request alike: no point retrying each."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
