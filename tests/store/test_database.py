import sqlalchemy as sa

from rollback_rate.store import open_database
from rollback_rate.store.schema import metadata


def test_migrations_create_the_tables_the_code_uses(db):
    with db.read() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


def test_upgrade_is_idempotent(db_url):
    first = open_database(db_url)
    revision = first.current_revision()
    first.dispose()
    again = open_database(db_url)
    assert again.upgrade() == revision
    assert again.current_revision() == revision
    again.dispose()
