"""The projector inside one transaction: inline attribution, and the streams it defers
(events from the past, the memory bound) reaching the same projection."""

from __future__ import annotations

import random

from rollback_rate import record_events
from rollback_rate.attribution import Projector
from rollback_rate.ingest import validate_events
from rollback_rate.store import Database, append_events
from tests.helpers import deploy, report, rollback

AS_OF = "2026-06-01T00:00:00Z"


def history(streams: int = 6, per_stream: int = 150) -> list[dict]:  # type: ignore[type-arg]
    """Deep stacks, rollbacks of every kind, in time order."""
    rng = random.Random(7)
    events = []
    for i in range(per_stream):
        for s in range(streams):
            stamp = f"2026-01-{1 + i // 24:02d}T{i % 24:02d}:{s:02d}:00Z"
            model = f"m{s}"
            roll = rng.random()
            if roll < 0.08:
                events.append(rollback(model, stamp, automated=True, cause="latency"))
            elif roll < 0.1:
                events.append(deploy(model, str(rng.randrange(max(i, 1))), stamp))  # old one
            else:
                events.append(deploy(model, f"{i}", stamp, team=f"t{s % 2}"))
    return events


def project(db: Database, batches: list[list[dict]], budget: int | None = None) -> None:  # type: ignore[type-arg]
    """Append each batch and feed the projector, all in one transaction."""
    with db.begin() as conn:
        projector = Projector(conn) if budget is None else Projector(conn, state_budget=budget)
        stream_ids: dict[tuple[str, str], int] = {}
        for batch in batches:
            records = validate_events([(str(i), e) for i, e in enumerate(batch)])
            projector.add(append_events(conn, records, stream_ids).new_events)
        projector.finish()


def everything(db: Database) -> dict:  # type: ignore[type-arg]
    return report(db, AS_OF, by="model,team", period="week")


def batches_of(events: list[dict], size: int) -> list[list[dict]]:  # type: ignore[type-arg]
    return [events[i : i + size] for i in range(0, len(events), size)]


def test_the_memory_bound_defers_streams_to_the_same_result(db, fresh_sqlite_url):
    from rollback_rate.store import open_database

    events = history()
    reference = open_database(fresh_sqlite_url())
    record_events(reference, [(str(i), e) for i, e in enumerate(events)])
    # Streams with a saved state, then a budget of one byte that sheds every stream after
    # each batch: the rest of each stream is attributed at the end, from the state saved
    # when it was shed, by reading the log back.
    project(db, [events[:300]])
    project(db, batches_of(events[300:], 100), budget=1)
    assert everything(db) == everything(reference)
    assert everything(db)["overall"]["rollbacks"] > 10
    reference.dispose()


def test_an_event_from_the_past_in_a_later_batch_replays_its_stream(db, fresh_sqlite_url):
    from rollback_rate.store import open_database

    events = history(streams=3, per_stream=120)
    reference = open_database(fresh_sqlite_url())
    record_events(reference, [(str(i), e) for i, e in enumerate(events)])
    late = events.pop(40)  # arrives last, but happened early
    project(db, [*batches_of(events, 90), [late]])
    assert everything(db) == everything(reference)
    reference.dispose()


def test_ids_stored_before_are_left_out_of_attribution(db):
    first = [deploy("m", str(i), f"2026-01-01T00:{i:02d}:00Z", id=f"e{i}") for i in range(60)]
    project(db, [first])
    # A bulk-sized batch: the 60 known events again (different content, same ids), then
    # 600 new ones with a rollback to version 5 at the end.
    again = [deploy("m", f"x{i}", f"2026-01-02T00:{i:02d}:00Z", id=f"e{i}") for i in range(60)]
    new = [deploy("m", f"n{i}", f"2026-01-03T{i // 60:02d}:{i % 60:02d}:00Z") for i in range(600)]
    project(db, [again + new + [rollback("m", "2026-01-04T00:00:00Z", version="5")]])
    got = report(db, AS_OF)["overall"]
    # 660 counted deployments; the rollback to 5 rolls back 6..59 and all 600 new ones.
    assert (got["deployments"], got["rollbacks"]) == (660, 600 + 54)
