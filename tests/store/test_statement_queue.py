"""The statement queue runs one transaction's jobs in order, inline or on a writer thread."""

from __future__ import annotations

import sys
import threading

import pytest

from rollback_rate.store.statement_queue import StatementQueue


@pytest.mark.parametrize("threaded", [False, True])
def test_jobs_run_in_order_and_answer(threaded):
    done: list[int] = []
    threads: set[str] = set()

    def job(n: int) -> int:
        threads.add(threading.current_thread().name)
        done.append(n)
        return n * 10

    with StatementQueue() as queue:
        if threaded:
            queue.start_thread()
        futures = [queue.submit(job, n) for n in range(50)]
        assert queue.run(job, 50) == 500
    assert done == list(range(51))
    assert [f.result() for f in futures] == [n * 10 for n in range(50)]
    on_writer = any(name.startswith("rollback-rate-writer") for name in threads)
    assert on_writer == threaded


@pytest.mark.parametrize("threaded", [False, True])
def test_the_first_error_of_a_fire_and_forget_job_is_raised(threaded):
    def fail(message: str) -> None:
        raise RuntimeError(message)

    with pytest.raises(RuntimeError, match="first"), StatementQueue() as queue:
        if threaded:
            queue.start_thread()
        queue.submit(fail, "first")
        queue.submit(fail, "second")
        queue.submit(lambda: None)


def test_a_writer_thread_shortens_the_switch_interval_while_it_runs():
    usual = sys.getswitchinterval()
    with StatementQueue() as queue:
        queue.start_thread()
        assert sys.getswitchinterval() < usual
    assert sys.getswitchinterval() == usual
    with pytest.raises(ValueError), StatementQueue() as queue:
        queue.start_thread()
        raise ValueError("the load failed")
    assert sys.getswitchinterval() == usual


def _fail(message: str) -> None:
    raise RuntimeError(message)


@pytest.mark.parametrize("threaded", [False, True])
def test_after_a_failure_nothing_more_runs_and_every_job_answers_the_first_error(threaded):
    # The transaction is lost at the first failure: later statements would only meet the
    # connection it left (SQLAlchemy refusing an invalidated one, PostgreSQL an aborted
    # transaction) and hide the cause.
    ran: list[int] = []
    with pytest.raises(RuntimeError, match="first"), StatementQueue() as queue:
        if threaded:
            queue.start_thread()
        queue.submit(_fail, "first")
        later = queue.submit(ran.append, 1)
        with pytest.raises(RuntimeError, match="first"):
            queue.run(ran.append, 2)
        assert isinstance(later.exception(), RuntimeError)
    assert ran == []


def test_an_error_in_flight_after_a_queued_failure_gives_way_to_it():
    with pytest.raises(RuntimeError, match="connection lost"), StatementQueue() as queue:
        queue.submit(_fail, "connection lost")
        raise ValueError("a statement sent on the lost connection")
