"""The later fields reach the log and the projection the same way on every write path:
the small batch, the SQLite bulk append (rows grouped by the columns they fill), the
PostgreSQL COPY; and what attribution keeps of them (issues 10 and 12)."""

from __future__ import annotations

import pytest

from rollback_rate import AuditQuery, Ledger
from rollback_rate.store.log import SMALL_BATCH
from tests.helpers import deploy, rollback

DIGEST = "sha256:" + "c0ffee" * 11


def history(padding: int) -> list[dict]:  # type: ignore[type-arg]
    """A canary rolled back, a hotfix, a drill, a bad-target rollback, then `padding`
    plain deployments of another model (to reach the bulk path)."""
    events = [
        deploy("m", "1", "2026-02-01T09:00:00Z", id="d1", artifact="reg/m:1", digest=DIGEST),
        deploy("m", "2", "2026-02-02T09:00:00Z", id="d2", stage="canary", actor="argo"),
        rollback("m", "2026-02-02T10:00:00Z", id="r1", automated=True),
        deploy("m", "2", "2026-02-03T09:00:00Z", id="d2b"),
        deploy("m", "2.0.1", "2026-02-03T12:00:00Z", id="hotfix", unplanned=True),
        rollback("m", "2026-02-04T09:00:00Z", id="drill", drill=True),
        deploy("m", "3", "2026-02-05T09:00:00Z", id="d3"),
        rollback("m", "2026-02-05T10:00:00Z", id="r2", version="2"),  # 2 was rolled back: bad
    ]
    events += [deploy("pad", str(i), "2026-01-01T00:00:00Z", id=f"p{i}") for i in range(padding)]
    return events


def projection(ledger: Ledger) -> list[tuple[object, ...]]:
    with ledger.database.snapshot() as conn:
        rows = conn.exec_driver_sql(
            "SELECT e.event_id, d.stage, d.unplanned, d.rollback_bad_target, "
            "f.event_id, d.fixed_forward_at IS NOT NULL, r.event_id "
            "FROM deployments d JOIN events e ON e.seq = d.seq "
            "LEFT JOIN events f ON f.seq = d.fixed_forward_seq "
            "LEFT JOIN events r ON r.seq = d.rollback_seq "
            "WHERE d.model = 'm' ORDER BY d.deployed_at"
        ).all()
        exercised = conn.exec_driver_sql(
            "SELECT last_exercised_at FROM streams WHERE model = 'm'"
        ).scalar()
    return [tuple(row) for row in rows] + [("last exercised", exercised)]


EXPECTED = [
    ("d1", None, None, None, None, False, None),
    ("d2", "canary", None, None, None, False, "r1"),
    ("d2b", None, None, None, "hotfix", True, None),  # fixed forward by the hotfix
    ("hotfix", None, True, True, None, False, "r2"),  # rolled back onto 2: a bad target
    ("d3", None, None, True, None, False, "r2"),
    ("last exercised", 1_770_285_600_000_000),  # r2, 2026-02-05T10:00:00Z
]


@pytest.mark.parametrize("padding", [0, SMALL_BATCH + 10], ids=["small", "bulk"])
def test_later_fields_reach_the_projection_on_every_write_path(db, padding):
    ledger = Ledger(db)
    ledger.record_stream([(f"[{i}]", e) for i, e in enumerate(history(padding))])
    got = projection(ledger)
    truthy = [tuple(bool(v) if isinstance(v, int) and v in (0, 1) and i in (2, 3) else v
                    for i, v in enumerate(row)) for row in got]  # fmt: skip
    assert truthy == EXPECTED
    page = ledger.events(AuditQuery(model="m"))
    by_id = {event["id"]: event for event in page.events}
    assert (by_id["d1"]["artifact"], by_id["d1"]["digest"]) == ("reg/m:1", DIGEST)
    assert (by_id["d2"]["stage"], by_id["d2"]["actor"]) == ("canary", "argo")
    assert by_id["drill"]["drill"] is True and "drill" not in by_id["r1"]
    assert by_id["hotfix"]["unplanned"] is True
