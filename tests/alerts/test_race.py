"""Several processes on one database: each alert is sent once (issue 10).

Two ledgers, each with its own engine and alerter (as two `serve` replicas have), race
for the same alerts from threads released together; the receiver must see each once.
On PostgreSQL the claim is INSERT ... ON CONFLICT DO NOTHING, the state row is locked
with SELECT ... FOR UPDATE, and a retry is a compare-and-set UPDATE; SQLite serialises
writers, so the same holds there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rollback_rate import Committed, Ledger
from rollback_rate.alerts.alerter import Alerter
from rollback_rate.alerts.send import Sender
from rollback_rate.config import load_config
from tests.alerts.receiver import receiver
from tests.alerts.test_delivery import FAST, NOW, SUCCESSES, failure, hours_before_now, rule
from tests.helpers import deploy, rollback

REPLICAS = 2


def replicas(db_url: str, tmp_path: Path, text: str) -> list[tuple[Ledger, Alerter]]:
    path = tmp_path / "ops.toml"
    path.write_text("[report]\nmin_settled = 2\n" + text)
    config = load_config(path)
    pairs = []
    for n in range(REPLICAS):
        ledger = Ledger(db_url, group_commit=False, config=config)
        sender = Sender(backoff=FAST)
        pairs.append((ledger, Alerter(ledger, sender=sender, owner=f"replica-{n}",
                                      clock=lambda: NOW)))  # fmt: skip
    return pairs


def together(work: list[Callable[[], None]]) -> None:
    """Run each callable on its own thread, released at the same moment."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_replicas_noticing_one_rollback_send_it_once(db_url, tmp_path):
    with receiver() as hook:
        pairs = replicas(db_url, tmp_path, rule("r", "rollback", hook.url))
        seen: list[Committed] = []
        first_ledger = pairs[0][0]
        first_ledger.subscribe(seen.append)
        first_ledger.record_batch([deploy("m", "1", hours_before_now(3)),
                                   deploy("m", "2", hours_before_now(2)),
                                   rollback("m", hours_before_now(1), id="rb")])  # fmt: skip
        # Both replicas are told the same commit (as if each had been its writer).
        together([lambda a=alerter: a.notice(seen[0]) for _, alerter in pairs])
        for ledger, _ in pairs:
            ledger.close()
    assert len(hook.requests) == 1


def test_two_replicas_evaluating_one_crossing_send_it_once(db_url, tmp_path):
    extra = 'max_rate = 30\nwindow = "30d"'
    with receiver() as hook:
        text = rule("over-30", "rate_threshold", hook.url, extra) + rule(
            "band", "band_worsened", hook.url
        )
        pairs = replicas(db_url, tmp_path, text)
        ledger = pairs[0][0]
        ledger.record_batch([deploy("m", f"f{n}", f"2026-02-0{n}T09:00:00Z") for n in (1, 2)])
        ledger.record_batch(SUCCESSES)
        pairs[0][1].evaluate()  # the rate's state: 0 of 3
        ledger.record_batch(failure(4, 20) + failure(5, 21))  # 2 of 5: crossed, band worse
        for _ in range(3):
            together([alerter.evaluate for _, alerter in pairs])
        for ledger, _ in pairs:
            ledger.close()
    assert sorted(r.json()["kind"] for r in hook.requests) == ["band_worsened", "rate_threshold"]


def test_two_replicas_retrying_one_alert_send_it_once(db_url, tmp_path):
    with receiver([500] * 4) as hook:
        pairs = replicas(db_url, tmp_path, rule("r", "rollback", hook.url))
        ledger, alerter = pairs[0]
        ledger.subscribe(alerter.notice)
        ledger.record_batch([deploy("m", "1", hours_before_now(3)),
                             deploy("m", "2", hours_before_now(2)),
                             rollback("m", hours_before_now(1), id="rb")])  # fmt: skip
        assert [r.status for r in hook.requests] == [500] * 4  # one round, failed
        later = NOW + 10 * 60_000_000
        together([lambda a=a: a.retry_due(later) for _, a in pairs])
        for ledger, _ in pairs:
            ledger.close()
    assert [r.status for r in hook.requests] == [500] * 4 + [200]
