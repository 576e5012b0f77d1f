"""The projector inside one transaction: inline attribution, and the streams it defers
(events from the past, the memory bound) reaching the same projection."""

from __future__ import annotations

import random

import pytest

from rollback_rate.attribution import Projector, StateBudget
from rollback_rate.ledger.writes import validate_events
from rollback_rate.store import Database, append_events
from tests.helpers import deploy, load, report, rollback

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
        projector = Projector(conn, budget=None if budget is None else StateBudget(budget))
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
    load(reference, events)
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
    load(reference, events)
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


def test_past_the_budget_only_the_largest_states_are_shed(db, fresh_sqlite_url):
    # Three streams with long stacks and three with short ones; a budget that the long
    # ones alone exceed: the long states are shed (and finished by the replay at the
    # end), the short ones stay inline, and the projection equals a plain recording.
    from rollback_rate.attribution.projection import _Stream
    from rollback_rate.store import open_database

    long = [deploy(f"long{s}", str(i), f"2026-01-01T{i // 60:02d}:{i % 60:02d}:0{s}Z")
            for i in range(400) for s in range(3)]  # fmt: skip
    short = [deploy(f"short{s}", str(i), f"2026-01-01T00:{i:02d}:0{s}Z")
             for i in range(3) for s in range(3)]  # fmt: skip
    events = sorted(long + short, key=lambda e: e["timestamp"])
    reference = open_database(fresh_sqlite_url())
    load(reference, events)
    sizes: dict[str, int] = {}
    with db.begin() as conn:
        records = validate_events([(str(i), e) for i, e in enumerate(events)])
        stream_ids: dict[tuple[str, str], int] = {}
        appended = append_events(conn, records, stream_ids)
        # A state of 32+ deep entries is about 160 bytes an entry: allow 1.5 long ones.
        projector = Projector(conn, budget=StateBudget(8_000))
        projector.add(appended.new_events)
        inline = {stream.model for stream in projector.inline.values()}
        deferred = {model for (model, _), sid in stream_ids.items() if sid in projector.deferred}
        sizes = {s.model: s.footprint for s in projector.inline.values() if isinstance(s, _Stream)}
        projector.finish()
    assert deferred and deferred <= {"long0", "long1", "long2"}
    assert {"short0", "short1", "short2"} <= inline
    assert sum(sizes.values()) <= 8_000 // 2
    assert everything(db) == everything(reference)
    reference.dispose()


def test_a_replay_longer_than_a_page_reads_the_log_in_pages(db, fresh_sqlite_url):
    # Keyset paging: a replay reads a stream back in pages; with pages of 7 events and
    # ties in timestamp across page edges, the projection still equals a plain recording.
    from rollback_rate.attribution import refresh_streams
    from rollback_rate.store import open_database

    events = [deploy("m", str(i), f"2026-01-01T00:{i // 3:02d}:00Z") for i in range(60)]
    events += [rollback("m", "2026-01-01T01:00:00Z", version="10")]
    reference = open_database(fresh_sqlite_url())
    load(reference, events)
    load(db, events)
    with db.begin() as conn:
        (stream_id,) = conn.exec_driver_sql("SELECT id FROM streams").one()
        conn.exec_driver_sql("DELETE FROM deployments")  # nothing left but the log
        refresh_streams(conn, {stream_id: None}, page=7)
    assert everything(db) == everything(reference)
    assert everything(db)["overall"]["rollbacks"] == 49


def test_a_saved_state_past_the_budget_is_deferred_without_loading_it(
    db, fresh_sqlite_url, monkeypatch
):
    # An incremental import into a large database: every stream has a long saved stack.
    # Those that would not fit are deferred as they are read, not parsed and shed (which
    # parsed and saved every long stack once more); the result equals a plain recording.
    from rollback_rate.attribution import projection
    from rollback_rate.store import open_database

    events = history()
    reference = open_database(fresh_sqlite_url())
    load(reference, events)
    project(db, [events[:600]])
    loaded: list[int] = []

    class Counted(projection._Stream):
        def __init__(self, row, *, replay=False):  # type: ignore[no-untyped-def]
            super().__init__(row, replay=replay)
            loaded.append(row.id)

    monkeypatch.setattr(projection, "_Stream", Counted)
    with db.begin() as conn:
        projector = Projector(conn, budget=StateBudget(200))  # each saved stack is larger
        stream_ids: dict[tuple[str, str], int] = {}
        records = validate_events([(str(i), e) for i, e in enumerate(events[600:])])
        projector.add(append_events(conn, records, stream_ids).new_events)
        assert loaded == [] and not projector.inline, "states past the budget were loaded"
        assert set(projector.deferred) == set(stream_ids.values())
        projector.finish()  # the replay at the end loads each once
    assert sorted(loaded) == sorted(stream_ids.values())
    assert everything(db) == everything(reference)
    reference.dispose()


def _minute(i: int) -> str:
    return f"2026-01-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z"


def _saved(db: Database) -> tuple[list[list[object]], tuple[bytes, bytes] | None]:
    """The one stream's saved top (JSON) and its frozen bottom's row, if any."""
    import orjson

    with db.snapshot() as conn:
        top = orjson.loads(conn.exec_driver_sql("SELECT stack FROM streams").scalar_one())
        frozen = conn.exec_driver_sql("SELECT versions, seqs FROM stream_stacks").one_or_none()
    return top, None if frozen is None else (bytes(frozen[0]), bytes(frozen[1]))


def test_a_write_into_a_long_history_saves_only_the_top_of_its_stack(db):
    # Issue 14: every write parsed the stream's whole stack from JSON and wrote it back
    # (70 ms a write at 50,000 deployments). Now the row keeps the top of the stack, and
    # the frozen bottom, in a row of its own, is not rewritten unless it changed.
    load(db, [deploy("m", f"v{i}", _minute(i)) for i in range(1000)])
    top, frozen = _saved(db)
    assert frozen is not None and len(top) < 63, "the next deployment would freeze"
    assert frozen[0].count(b"\x00") - 1 == 1000 - len(top) == len(frozen[1]) // 8
    load(db, [deploy("m", "next", _minute(1000))])
    after_top, after_frozen = _saved(db)
    assert after_frozen == frozen
    assert after_top[:-1] == top and after_top[-1][0] == "next"
    # a rollback onto a deep version thaws the frozen part: its row goes
    load(db, [rollback("m", _minute(1001), version="v10")])
    top, frozen = _saved(db)
    assert frozen is None and [version for version, _ in top] == [f"v{i}" for i in range(11)]
    assert report(db, AS_OF)["overall"]["rollbacks"] == 1000 - 10


def _whole(db: Database) -> list[str]:
    """The one stream's saved stack, bottom first: its frozen versions, then its top's."""
    top, frozen = _saved(db)
    bottom = [] if frozen is None else frozen[0][1:-1].decode().split("\x00")
    return bottom + [str(version) for version, _ in top]


def test_a_stack_saved_whole_by_an_earlier_release_continues_and_is_split(db, fresh_sqlite_url):
    # Before 0010 the whole stack was JSON in streams.stack; such a row is read as it is
    # and saved split at its stream's next write, with the same projection as ever.
    import orjson
    from sqlalchemy import text

    from rollback_rate.store import open_database

    events = [deploy("m", f"v{i}", _minute(i)) for i in range(300)]
    later = [rollback("m", _minute(300)), deploy("m", "v300", _minute(301))]
    reference = open_database(fresh_sqlite_url())
    load(reference, events + later)
    load(db, events)
    with db.begin() as conn:
        whole = [list(row) for row in conn.exec_driver_sql(
            "SELECT version, seq FROM events ORDER BY seq"
        )]  # fmt: skip
        conn.exec_driver_sql("DELETE FROM stream_stacks")
        conn.execute(
            text("UPDATE streams SET stack = :stack"), {"stack": orjson.dumps(whole).decode()}
        )
    assert _whole(db) == [f"v{i}" for i in range(300)]
    load(db, later)
    top, frozen = _saved(db)
    assert frozen is not None and len(top) < 64
    assert _whole(db) == _whole(reference) == [f"v{i}" for i in range(299)] + ["v300"]
    assert everything(db) == everything(reference)
    reference.dispose()


def test_readers_find_the_live_version_and_its_target_in_a_split_stack(db):
    # Readers (the live version, readiness) read only the saved top of a stack.
    from tests.helpers import ledger_of

    load(db, [deploy("m", f"v{i}", _minute(i)) for i in range(70)])
    load(db, [rollback("m", _minute(70 + i)) for i in range(30)])
    top, frozen = _saved(db)
    assert frozen is not None and [version for version, _ in top] == [
        "v32",
        "v33",
        "v34",
        "v35",
        "v36",
        "v37",
        "v38",
        "v39",
    ]
    ledger = ledger_of(db)
    assert ledger.streams()[("m", "production")].live == "v39"
    [stream] = ledger.readiness().streams
    facts = stream.readiness.facts
    assert (facts.live_version, facts.target_version) == ("v39", "v38")


@pytest.mark.parametrize("table", ["deployments", "stream_stacks"])
def test_a_failed_statement_of_a_replay_fails_the_rebuild_and_stores_nothing(sqlite_db, table):
    # A replay queued its writes and never asked the queue how they went: a failed
    # insert (here a trigger, as a full disk would) was lost and the rebuild committed.
    from rollback_rate import Ledger
    from rollback_rate.errors import DatabaseError

    load(sqlite_db, [deploy("m", f"v{i}", _minute(i)) for i in range(100)])
    before = everything(sqlite_db), _saved(sqlite_db)
    with sqlite_db.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with Ledger(sqlite_db, group_commit=False) as ledger, pytest.raises(DatabaseError):
        ledger.rebuild()
    assert (everything(sqlite_db), _saved(sqlite_db)) == before
