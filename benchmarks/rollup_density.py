"""Would a rollup of rolled-back deployments read fewer rows than their index? (issue 14)

    python benchmarks/rollup_density.py DATABASE_URL

A rollup pays when many rows fold into one. Every deployment is counted from the rollup
of cells (a stream's deployments per team, ISO week and month), which folds about five
deployments into a row at a million deployments over 1,000 streams. The rolled-back
figures are read from a partial index over the rolled-back few instead. This prints how
many rows a rollup of those would keep, at the coarsest key that still answers a report
(stream, team and cell; then with root cause and automation, which the report's causes
and automated share need; the window's delay buckets and the flags would add more), beside
the rows the index holds. Read-only; works on SQLite and PostgreSQL databases alike.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from rollback_rate.store.schema import deployment_counts, deployments

_ROLLUP_KEYS = {
    "stream, team, cell": ("stream_id", "team", "week", "month"),
    "stream, team, cell, root cause, automated": (
        "stream_id", "team", "week", "month", "rollback_cause", "rollback_automated"
    ),
}  # fmt: skip


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///rollback-rate.db"
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    rolled_back = deployments.c.rolled_back_at.is_not(None)
    with engine.connect() as conn:
        count = lambda statement: conn.execute(statement).scalar_one()  # noqa: E731
        total = count(sa.select(sa.func.count()).select_from(deployments))
        cells = count(sa.select(sa.func.count()).select_from(deployment_counts))
        rows = count(sa.select(sa.func.count()).where(rolled_back))
        print(f"deployments {total:,}; rows of the rollup of cells {cells:,} "
              f"({total / max(cells, 1):.1f} deployments a row)")  # fmt: skip
        print(f"rolled-back deployments (rows of their partial index) {rows:,}")
        for label, keys in _ROLLUP_KEYS.items():
            distinct = sa.select(*(deployments.c[k] for k in keys)).where(rolled_back).distinct()
            kept = count(sa.select(sa.func.count()).select_from(distinct.subquery()))
            print(f"  a rollup by {label}: {kept:,} rows ({kept / max(rows, 1):.0%} of them)")


if __name__ == "__main__":
    main()
