"""Bulk-load mode: a large import into an empty log builds its secondary indexes after it.

Inserting a million events and their deployments under every index costs SQLite more
than the same rows loaded bare and indexed afterwards (a sorted build instead of random
B-tree inserts): 11% of a 1M-event import here. So when the first chunk of a multi-chunk
import finds the log empty, the indexes nothing reads during a load are dropped, and
built again before the projection's deferred replays (the first reads that need them).
Only where the backend says so (`indexes_after_bulk_load`): PostgreSQL keeps its indexes
up on the server's own core while Python works, and was measured no faster this way.

Both steps run inside the import's one transaction, and SQLite's DDL is transactional: a
failed or killed import leaves the database as it was, indexes included. Other writers
wait for the write lock as they do for any import; readers keep reading the committed
database, indexes and all (WAL).

Kept: the primary keys, and the unique event ids, which make a duplicate in the file
lose to its first copy as it would on any other import.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Index

from rollback_rate.store.backend import backend_of
from rollback_rate.store.schema import deployment_counts, deployments, events, orphan_rollbacks

log = logging.getLogger(__name__)

DEFERRED: tuple[Index, ...] = tuple(
    index
    for table in (events, deployments, deployment_counts, orphan_rollbacks)
    for index in sorted(table.indexes, key=lambda index: str(index.name))
    if not index.unique
)


def drop_deferred_indexes(conn: Connection) -> None:
    for index in DEFERRED:
        index.drop(conn)
    log.info("bulk load: %d secondary indexes dropped, built again after the load", len(DEFERRED))


def create_deferred_indexes(conn: Connection) -> None:
    backend_of(conn).build_indexes(conn, DEFERRED)
    log.info("bulk load: %d secondary indexes built", len(DEFERRED))
