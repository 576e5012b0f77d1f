import sqlalchemy as sa

from rollback_rate.store import open_database
from rollback_rate.store.schema import metadata


def test_migrations_create_the_tables_the_code_uses(db):
    with db.read() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


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
    from alembic import command
    from alembic.config import Config

    from rollback_rate import build_report, parse_query, record_events
    from rollback_rate.store.database import MIGRATIONS, Database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
    assert old.current_revision() == "0002"
    record_events(
        old,
        [
            (
                "e1",
                {
                    "type": "deployment",
                    "model": "m",
                    "version": "1",
                    "timestamp": "2026-01-01T00:00:00Z",
                },
            ),
            (
                "e2",
                {
                    "type": "deployment",
                    "model": "m",
                    "version": "2",
                    "timestamp": "2026-01-02T00:00:00Z",
                },
            ),
            ("e3", {"type": "rollback", "model": "m", "timestamp": "2026-01-02T01:00:00Z"}),
        ],
    )
    old.dispose()
    upgraded = open_database(url)
    assert upgraded.current_revision() == upgraded.upgrade() != "0002"
    query = parse_query(window="7d", as_of="2026-02-01T00:00:00Z")
    assert build_report(upgraded, query).overall.rollbacks == 1
    upgraded.dispose()


def test_maintain_refreshes_statistics_on_both_backends(db):
    from rollback_rate import record_events

    record_events(
        db,
        [
            (
                "e",
                {
                    "type": "deployment",
                    "model": "m",
                    "version": "1",
                    "timestamp": "2026-01-01T00:00:00Z",
                },
            )
        ],
    )
    db.maintain()
    with db.read() as conn:
        if db.is_postgres:
            analysed = conn.exec_driver_sql(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL "
                "FROM pg_stat_user_tables WHERE relname = 'deployments'"
            ).one()
            assert tuple(analysed) == (True, True)
        else:
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar_one() > 0
