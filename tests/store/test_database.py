import pytest
import sqlalchemy as sa

from rollback_rate.store import open_database
from rollback_rate.store.schema import metadata


def test_migrations_create_the_tables_the_code_uses(db):
    with db.snapshot() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_create_the_indexes_the_code_declares(db):
    # Bulk loads build the secondary indexes from the declarations (schema.py), upgrades
    # from the migrations: both must give the same columns in the same order.
    with db.snapshot() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            built = {i["name"]: i["column_names"] for i in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name in built and not index.expressions[len(index.columns) :]:
                    assert built[index.name] == [c.name for c in index.columns], index.name
        cell = {i["name"]: i for i in inspector.get_indexes("deployment_counts")}
    assert cell["ix_deployment_counts_cell"]["column_names"][:3] == ["week", "month", "team_key"]


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_0011_downgrade_puts_the_cell_index_back_in_stream_order_and_drops_by_cell(tmp_path):
    from alembic import command
    from alembic.config import Config

    from rollback_rate.store.database import MIGRATIONS

    db = open_database(f"sqlite:///{tmp_path / 'cells.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def indexes() -> tuple[list[str], bool]:
        with db.snapshot() as conn:
            inspector = sa.inspect(conn)
            cells = inspector.get_indexes("deployment_counts")
            by_cell = "ix_deployments_rolled_back_by_cell" in {
                index["name"] for index in inspector.get_indexes("deployments")
            }
        cell = next(i["column_names"] for i in cells if i["name"] == "ix_deployment_counts_cell")
        return cell, by_cell

    for target, columns, by_cell in (
        ("0010", ["stream_id", "team_key"], False),
        ("head", ["team_key", "stream_id"], True),
    ):
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            getattr(command, "downgrade" if target == "0010" else "upgrade")(config, target)
        assert indexes() == (["week", "month", *columns, "deployments"], by_cell)
    db.dispose()


def test_schema_head_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from rollback_rate.store.database import MIGRATIONS, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_upgrade_is_idempotent(db_url):
    first = open_database(db_url)
    revision = first.current_revision()
    first.dispose()
    again = open_database(db_url)
    assert again.upgrade() == revision
    assert again.current_revision() == revision
    again.dispose()


def test_a_database_from_an_older_revision_upgrades_with_its_data(tmp_path):
    # A database at 0004 (before streams kept counters), written as that release wrote
    # it: deploy 1, deploy 2, roll back (2 rolled back). Upgraded, the report is the same
    # and the new counters are filled from what was there.
    from alembic import command
    from alembic.config import Config

    from rollback_rate import Ledger, parse_query
    from rollback_rate.store.database import MIGRATIONS, Database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    assert old.current_revision() == "0004"
    day = 86_400_000_000
    t0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
    with old.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO streams (id, model, environment, stack, last_ts, last_seq) "
            "VALUES (1, 'm', 'production', '[[\"1\", 1]]', ?, 3)",
            (t0 + day + 3_600_000_000,),
        )
        for seq, kind, version, ts, automated in (
            (1, "deployment", "1", t0, 0),
            (2, "deployment", "2", t0 + day, 0),
            (3, "rollback", None, t0 + day + 3_600_000_000, 1),
        ):
            conn.exec_driver_sql(
                "INSERT INTO events (seq, event_id, stream_id, type, version, ts, automated, "
                "recorded_at) VALUES (?, ?, 1, ?, ?, ?, ?, 0)",
                (seq, f"e{seq}", kind, version, ts, automated),
            )
        conn.exec_driver_sql(
            "INSERT INTO deployments (seq, stream_id, model, environment, version, deployed_at, "
            "week, month, rolled_back_at, rollback_seq, rollback_automated) VALUES "
            f"(1, 1, 'm', 'production', '1', {t0}, '2026-W01', '2026-01', NULL, NULL, NULL), "
            f"(2, 1, 'm', 'production', '2', {t0 + day}, '2026-W01', '2026-01', "
            f"{t0 + day + 3_600_000_000}, 3, 1)"
        )
    old.dispose()
    with Ledger(url) as upgraded:
        from rollback_rate.store.database import SCHEMA_HEAD

        assert upgraded.database.current_revision() == SCHEMA_HEAD
        query = parse_query(window="7d", as_of="2026-02-01T00:00:00Z")
        assert upgraded.report(query).overall.rollbacks == 1
        [stream] = upgraded.gauges(window=7 * day, as_of=t0 + 31 * day)
        assert (stream.settled, stream.pending, stream.rollback_rate) == (2, 0, 50.0)
        assert (stream.deployments_recorded, stream.rollbacks_recorded) == (2, 1)
        assert stream.rollbacks_recorded_automated == 1
        # 0006: when rolling back was last exercised, from the projection already there
        with upgraded.database.snapshot() as conn:
            exercised = conn.exec_driver_sql("SELECT last_exercised_at FROM streams").scalar()
        assert exercised == t0 + day + 3_600_000_000
        # 0007: the rollup of deployments per cell, from the projection already there
        with upgraded.database.snapshot() as conn:
            cells = conn.exec_driver_sql(
                "SELECT team_key, week, month, deployments FROM deployment_counts"
            ).all()
        assert [tuple(cell) for cell in cells] == [("", "2026-W01", "2026-01", 2)]


# Every table a report reads. The rollup and the streams table were once left out on
# PostgreSQL: after a bulk import the planner guessed the rollup's 171,000 cells to be
# 2,765 and chose a serial plan (team and month over a million deployments: 41 ms of
# the cells' 25).
_READ_BY_REPORTS = ("events", "deployments", "deployment_counts", "streams", "orphan_rollbacks")


def test_maintain_refreshes_statistics_on_both_backends(db):
    from tests.helpers import deploy, load

    load(db, [deploy("m", "1", "2026-01-01T00:00:00Z")])
    db.maintain()
    with db.snapshot() as conn:
        if db.backend.name == "postgresql":
            analysed = conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables "
                "WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
            ).scalars()
            assert set(_READ_BY_REPORTS) <= set(analysed)
        else:
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar_one() > 0


def test_statistics_say_an_empty_partial_index_is_small(tmp_path):
    """ANALYZE records nothing for an empty index; SQLite's planner then took the empty
    partial index of unplanned deployments for as large as the table and scanned the stream
    index instead (0.45 s at a million deployments, for a count of none)."""
    from tests.helpers import deploy, load

    db = open_database(f"sqlite:///{tmp_path / 'stats.db'}")
    load(db, [deploy("m", str(n), f"2026-01-{n + 1:02d}T00:00:00Z") for n in range(20)])
    db.maintain()
    db.maintain()  # again: the rows are not added twice
    with db.snapshot() as conn:
        stats = dict(
            conn.exec_driver_sql(
                "SELECT idx, stat FROM sqlite_stat1 WHERE idx IN "
                "('ix_deployments_unplanned_cover', 'ix_deployments_fixed_forward_cover', "
                "'ix_deployments_stream_cover')"
            ).all()
        )
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT month, count(*) FROM deployments "
            "WHERE deployed_at + 0 <= 0 AND unplanned IS NOT NULL GROUP BY month"
        ).all()
    assert stats["ix_deployments_unplanned_cover"] == "1 1"
    assert stats["ix_deployments_fixed_forward_cover"] == "1 1"
    assert stats["ix_deployments_stream_cover"].startswith("20 ")  # analysed as it was
    assert "ix_deployments_unplanned_cover" in str(plan)
    db.dispose()


def test_0010_splits_stacks_and_its_downgrade_puts_them_back_whole(tmp_path):
    # Down to 0009, each stack is whole JSON again in streams.stack, as 0009's code reads
    # it; up again, the next write splits it and the projection is as before.
    import orjson
    from alembic import command
    from alembic.config import Config

    from rollback_rate import Ledger, parse_query
    from rollback_rate.store.database import MIGRATIONS
    from tests.helpers import deploy, rollback

    url = f"sqlite:///{tmp_path / 'split.db'}"
    stamp = "2026-01-01T{:02d}:{:02d}:00Z".format
    events = [deploy("m", f"v{i}", stamp(i // 60, i % 60)) for i in range(100)]
    with Ledger(url, group_commit=False) as ledger:
        ledger.record_batch(events)
        engine = ledger.database.engine
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM stream_stacks").scalar() == 1
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0009")
        with engine.connect() as conn:
            stack = conn.exec_driver_sql("SELECT stack FROM streams").scalar_one()
            tables = sa.inspect(conn).get_table_names()
        assert "stream_stacks" not in tables
        assert orjson.loads(stack) == [[f"v{i}", i + 1] for i in range(100)]
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        ledger.record(rollback("m", stamp(2, 0), version="v50"))
        query = parse_query(window="7d", as_of="2026-02-01T00:00:00Z")
        assert ledger.report(query).overall.rollbacks == 49


def test_each_backend_lists_an_aggregates_values_and_leaves_nulls_out(db):
    # Backend.listed: how a grouping's delays ride along with its rollback figures where
    # there is no median aggregate (aggregation/sql.py); group_concat or string_agg.
    rows = [(1, 2**53 + 1), (1, -3), (1, None), (2, None)]
    values = sa.union_all(
        *(
            sa.select(sa.literal(g).label("g"), sa.cast(sa.literal(v), sa.BigInteger).label("v"))
            for g, v in rows
        )
    ).subquery()
    group, value = values.c.g, values.c.v
    statement = sa.select(group, db.backend.listed(value)).group_by(group).order_by(group)
    with db.snapshot() as conn:
        rows = conn.execute(statement).all()
    assert [(g, sorted(int(v) for v in text.split(",")) if text else text) for g, text in rows] == [
        (1, [-3, 2**53 + 1]),
        (2, None),
    ]
