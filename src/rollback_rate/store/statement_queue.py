"""One transaction's statements, run in order, on PostgreSQL by a thread of their own.

A bulk import spends about as long waiting for PostgreSQL (inserting a chunk, updating
its indexes) as working in Python (decoding the next chunk, attributing the last one).
Handing the statements to a single writer thread lets the two overlap: the server works
on another core while this process goes on, and the thread needs the GIL only to format
rows. The thread is the connection's only user while statements are queued; callers that
need an answer wait for it, the rest are fire and forget, and `drain` raises the first
error. After a job fails nothing more runs (the transaction is lost): every later job
answers that first error, so it is the one the caller sees, not a consequence of it
(SQLAlchemy refusing a connection it invalidated, say).

SQLite does its work inside this process, under the GIL, where a thread would only add
switching, so there (and for small batches, where a thread would cost more than it
saves) the queue runs each statement at once: the backend says which (`threaded_writer`).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

# After each answer from the server the writer needs the GIL for a moment, and CPython
# makes a thread wait up to its switch interval (5 ms) for a busy one to let go, while
# PostgreSQL idles. A shorter interval while writer threads run: about 10% off an import.
_SWITCH_INTERVAL = 0.0002
_switching = threading.Lock()
_writers = 0
_usual_interval = sys.getswitchinterval()


def _writer_started() -> None:
    global _writers, _usual_interval
    with _switching:
        if _writers == 0:
            _usual_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_usual_interval, _SWITCH_INTERVAL))
        _writers += 1


def _writer_stopped() -> None:
    global _writers
    with _switching:
        _writers -= 1
        if _writers == 0:
            sys.setswitchinterval(_usual_interval)


class StatementQueue:
    """Ordered execution of one transaction's database work, inline or on a writer thread."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Future[Any]] = []
        self._failed: BaseException | None = None

    def start_thread(self) -> None:
        """Run the work submitted from now on in a writer thread."""
        if self._executor is None:
            self.drain()
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="rollback-rate-writer")
            _writer_started()

    def submit(self, job: Callable[..., T], *args: Any) -> Future[T]:
        """Queue `job(*args)` after everything already queued."""
        if self._executor is None:
            done: Future[T] = Future()
            try:
                done.set_result(self._call(job, *args))
            except BaseException as exc:  # re-raised by result(), like a thread's
                done.set_exception(exc)
                self._pending.append(done)
            return done
        future = self._executor.submit(self._call, job, *args)
        if len(self._pending) >= 16:  # forget the jobs that are done and went well
            self._pending = [f for f in self._pending if not f.done() or f.exception()]
        self._pending.append(future)
        return future

    def _call(self, job: Callable[..., T], *args: Any) -> T:
        if self._failed is not None:
            raise self._failed
        try:
            return job(*args)
        except BaseException as exc:
            self._failed = exc
            raise

    def run(self, job: Callable[..., T], *args: Any) -> T:
        """Queue a job and wait for its answer."""
        return self.submit(job, *args).result()

    def drain(self) -> None:
        """Wait for everything queued; raise the first error any of it had."""
        pending, self._pending = self._pending, []
        first: BaseException | None = None
        for future in pending:
            error = future.exception()
            if error is not None and first is None:
                first = error
        if first is not None:
            raise first

    def __enter__(self) -> StatementQueue:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # The connection must be idle before the transaction commits or rolls back.
        try:
            if error is None:
                self.drain()
            else:
                for future in self._pending:
                    future.exception()
                if self._failed is not None and self._failed is not error:
                    # A job failed first: the error in flight is its consequence (a
                    # statement sent on a connection that job's failure had lost).
                    raise self._failed
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                _writer_stopped()
