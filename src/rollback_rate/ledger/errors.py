"""Database failures become domain errors at the façade, so no edge handles SQLAlchemy.

A failure mid-command rolled its transaction back: nothing from the command was stored.
Connection-level failures (the server went away, a lock timed out, a deadlock outlived
its retries) are `DatabaseUnavailable`, worth trying again; anything else is a
`DatabaseError`. Messages carry the driver's first line with any credentials in a URL
redacted; edges that answer unauthenticated callers do not show them at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from rollback_rate.errors import DatabaseError, DatabaseUnavailable
from rollback_rate.store.database import reason as printable_reason


@contextmanager
def database_errors(url: str | None = None) -> Iterator[None]:
    """Re-raise SQLAlchemy's errors as the domain's; given the database `url`, its
    credentials are scrubbed from the message wherever the driver repeats them."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = printable_reason(exc, url)
        transient = isinstance(exc, OperationalError | InterfaceError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        )
        error = DatabaseUnavailable if transient else DatabaseError
        raise error(f"database error, nothing from this command was stored: {reason}") from exc
