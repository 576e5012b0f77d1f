"""Do a report's filters name anything recorded? A gate must not pass on a typo.

`check --team nosuchteam` used to report "no settled deployments" and pass. This asks the
projection, ignoring time, whether any counted deployment or orphan rollback matches the
model, environment and team filters; when none does, it says which filter names nothing
recorded and the nearest values that are.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, Table, exists, select

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import orphan_rollbacks as orphan
from rollback_rate.store.schema import streams

FILTERS = ("model", "environment", "team")
LISTED = 10  # known values named in a message, at most


@dataclass(frozen=True)
class UnknownValue:
    """A filter value that nothing recorded carries, and the values that some do."""

    option: str
    value: str
    known: list[str]
    nearest: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        plural = {"model": "models", "environment": "environments", "team": "teams"}[self.option]
        listed = ", ".join(self.known[:LISTED]) + (", ..." if len(self.known) > LISTED else "")
        hint = f"did you mean {' or '.join(map(repr, self.nearest))}? " if self.nearest else ""
        known = f"{plural}: {listed}" if self.known else f"no {plural} recorded yet"
        return f"{self.option} {self.value!r} matches nothing recorded ({hint}{known})"


@dataclass(frozen=True)
class FilterMatch:
    """Whether anything recorded matches the filters together; if not, why."""

    matched: bool
    unknown: list[UnknownValue] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)

    def reason(self) -> str | None:
        """One sentence on why nothing matches, or None when something does."""
        if self.matched:
            return None
        if self.unknown:
            return "; ".join(str(value) for value in self.unknown)
        together = " and ".join(f"{name} {value!r}" for name, value in self.filters.items())
        return f"nothing recorded matches {together} together"


def match_filters(conn: Connection, query: ReportQuery) -> FilterMatch:
    """Does any counted deployment or orphan rollback, at any time, match the query's
    model, environment and team filters?"""
    given = {name: getattr(query, name) for name in FILTERS if getattr(query, name) is not None}
    if not given or _any(conn, given):
        return FilterMatch(True, filters=given)
    unknown = [
        _unknown(conn, name, value)
        for name, value in given.items()
        if len(given) == 1 or not _any(conn, {name: value})
    ]
    return FilterMatch(False, unknown, given)


def _clauses(table: Table, given: dict[str, str]) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for name in ("model", "environment"):
        if name in given:  # through the stream id, which is indexed
            ids = select(streams.c.id).where(streams.c[name] == given[name])
            clauses.append(table.c.stream_id.in_(ids.scalar_subquery()))
    if "team" in given:
        clauses.append(table.c.team == given["team"])
    return clauses


def _any(conn: Connection, given: dict[str, str]) -> bool:
    found = select(exists().where(*_clauses(dep, given)) | exists().where(*_clauses(orphan, given)))
    return bool(conn.execute(found).scalar())


def _unknown(conn: Connection, name: str, value: str) -> UnknownValue:
    # Teams: each stream's latest, a short list for the reader (a team that owned only
    # old deployments still matches above, it is just not suggested).
    column = streams.c[name]
    rows = conn.execute(select(column).where(column.is_not(None)).distinct().order_by(column))
    known = [str(row[0]) for row in rows]
    return UnknownValue(name, value, known, difflib.get_close_matches(value, known, n=2))
