"""Time `rollback-rate survival` at a million deployments, against reading every deployment.

    .venv/bin/python benchmarks/survival.py --db sqlite:////tmp/1m.db [--events FILE]

With `--events`, the file is imported first (make one with `generate.py`, e.g. the 1M-event
file `ingest_report.py` writes). Prints, for overall / by model / by team, the median of 5
runs of `Ledger.survival` (tallies counted in SQL, then the curves), how many tallies it
read, and the same curves computed the naive way: one row per deployment into Python.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from rollback_rate import Ledger, parse_query
from rollback_rate.aggregation import ReadModel
from rollback_rate.metrics.survival import kaplan_meier
from rollback_rate.store.schema import deployments as dep
from rollback_rate.timeutil import MICROS_PER_HOUR


def timed(run: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive(ledger: Ledger, as_of: int, by: str | None) -> dict[Any, list[Any]]:
    """Every deployment's (duration, rolled back) read into Python, one curve per group."""
    groups: dict[Any, list[tuple[float, bool]]] = {}
    column = dep.c[by] if by else None
    with ledger.database.snapshot() as conn:
        rows = conn.execute(
            select(dep.c.deployed_at, dep.c.rolled_back_at, *([column] if by else [])).where(
                dep.c.deployed_at <= as_of
            )
        )
        for row in rows:
            done = row.rolled_back_at is not None and row.rolled_back_at <= as_of
            hours = ((row.rolled_back_at if done else as_of) - row.deployed_at) / MICROS_PER_HOUR
            groups.setdefault(row[2] if by else (), []).append((hours, done))
    return {key: kaplan_meier(observations) for key, observations in groups.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--events", help="a JSONL file to import first")
    parser.add_argument("--as-of", default="2027-01-01T00:00:00Z")
    args = parser.parse_args()
    ledger = Ledger(args.db, group_commit=False)
    if args.events:
        start = time.perf_counter()
        result = ledger.import_file(args.events)
        ledger.maintain()
        print(f"imported {result.stored} events in {time.perf_counter() - start:.1f} s")
    for by in (None, "model", "team"):
        query = parse_query(window="7d", as_of=args.as_of, by=by)
        seconds, report = timed(lambda q=query: ledger.survival(q))  # type: ignore[misc]
        counts = ReadModel(ledger.database).survival(query)
        tallies = sum(
            len(t.rolled_back) + len(t.censored)
            for t in (counts.groups.values() if by else [counts.overall])
        )
        points = sum(len(g.curve) for _, g in report.groups) if by else len(report.overall.curve)
        naive_seconds, _ = timed(lambda q=query, b=by: naive(ledger, q.as_of, b), repeat=1)  # type: ignore[misc]
        print(
            f"by {by or 'nothing':7} survival {seconds:6.2f} s ({tallies:,} tallies read, "
            f"{report.overall.deployments:,} deployments, {points:,} curve points); "
            f"every row into Python: {naive_seconds:6.2f} s"
        )
    ledger.close()


if __name__ == "__main__":
    main()
