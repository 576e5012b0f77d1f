"""Reads in parallel on a second connection that sees the same snapshot (PostgreSQL).

A report's largest statement (its medians) can run while the report's own connection
counts the rest, so that the server works on two cores at once. The second connection
must see exactly the state the first sees: the first exports its snapshot
(`pg_export_snapshot()`, as `pg_dump --jobs` does) and the second takes it as its
transaction starts.

The second connections come from an engine of their own, at most `SLOTS` at a time, and
a slot is taken without waiting: a report never waits for a connection that another
report holds while it waits for its own parallel read (with one shared pool, a full pool
of such reports would wait on each other until the pool's timeout). When every slot is
busy, the caller reads on its own connection, as it would without this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from rollback_rate.store.backend import Backend

T = TypeVar("T")
SLOTS = 2  # parallel reads at once per process, each one connection and one thread
# Runs `work` on a second connection in the caller's snapshot; None when no slot is free.
Alongside = Callable[[Callable[[Connection], Any]], "Future[Any] | None"]


class ParallelReads:
    """Second connections in a caller's snapshot, for one database."""

    def __init__(self, url: str, backend: Backend) -> None:
        self.url = url
        self.backend = backend
        self._slots = threading.BoundedSemaphore(SLOTS)
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._threads: ThreadPoolExecutor | None = None

    def alongside(self, conn: Connection) -> Alongside:
        """A way to run reads in `conn`'s snapshot on another connection while `conn`'s
        transaction stays open (its owner waits for their futures before it ends)."""

        def run(work: Callable[[Connection], T]) -> Future[T] | None:
            if not self._slots.acquire(blocking=False):
                return None
            try:
                snapshot = self.backend.export_snapshot(conn)
                engine, threads = self._started()
                assert snapshot is not None, "a backend that exports no snapshot"
                return threads.submit(self._read, engine, snapshot, work)
            except BaseException:
                self._slots.release()
                raise

        return run

    def _read(self, engine: Engine, snapshot: str, work: Callable[[Connection], T]) -> T:
        try:
            with self._snapshot(engine, snapshot) as conn:
                return work(conn)
        finally:
            self._slots.release()

    @contextmanager
    def _snapshot(self, engine: Engine, snapshot: str) -> Iterator[Connection]:
        with engine.connect() as conn:
            conn = conn.execution_options(**self.backend.snapshot_options())
            with conn.begin():
                self.backend.import_snapshot(conn, snapshot)
                yield conn

    def _started(self) -> tuple[Engine, ThreadPoolExecutor]:
        with self._lock:
            if self._engine is None or self._threads is None:
                self._engine = self.backend.create_engine(self.url)
                self._threads = ThreadPoolExecutor(SLOTS, thread_name_prefix="rollback-rate-read")
            return self._engine, self._threads

    def dispose(self) -> None:
        with self._lock:
            if self._threads is not None:
                self._threads.shutdown(wait=True)
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._threads = None, None
