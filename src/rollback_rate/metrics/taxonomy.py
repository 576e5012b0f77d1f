"""Root causes -> category -> the pipeline investment they point to (issue 10).

"If rollbacks consistently trace to data schema changes, the team should invest in schema
validation gates": every cause slug maps to a category (data, model, serving, process),
an investment and a sentence of why. The entries ship in `taxonomy.toml` beside this
module; a config file's `[taxonomy.<slug>]` tables add slugs or override shipped keys,
merged by `load_taxonomy`.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

CATEGORIES = ("data", "model", "serving", "process")
# Only for slugs the taxonomy does not know: they point at no investment yet.
UNCLASSIFIED = "unclassified"
# The cause of a rollback that recorded none (README, "The event format").
UNSPECIFIED = "unspecified"
FIELDS = ("category", "investment", "why")


@dataclass(frozen=True)
class CauseEntry:
    """What one cause slug points to; `known` is False for a slug outside the taxonomy."""

    cause: str
    category: str
    investment: str
    why: str
    known: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "category": self.category,
            "investment": self.investment,
            "why": self.why,
            "known": self.known,
        }


@dataclass(frozen=True)
class CauseOverride:
    """A config file's `[taxonomy.<slug>]`: the keys it sets; None leaves the shipped one."""

    cause: str
    category: str | None = None
    investment: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class Taxonomy:
    """Known entries by slug; `entry` answers for any slug, known or not."""

    entries: Mapping[str, CauseEntry]

    def entry(self, cause: str) -> CauseEntry:
        """The entry for `cause`, or a generic one telling the user to classify it."""
        return self.entries.get(cause) or unknown_cause_entry(cause)

    def causes(self) -> tuple[str, ...]:
        return tuple(sorted(self.entries))

    def nearest(self, cause: str) -> str | None:
        """The known slug closest to `cause` (itself if known), or None when none is close."""
        return nearest_cause(cause, self.entries)


def unknown_cause_entry(cause: str) -> CauseEntry:
    """The generic entry for a slug outside the taxonomy: classify it in the config file."""
    return CauseEntry(
        cause=cause,
        category=UNCLASSIFIED,
        investment="classify this cause in the taxonomy",
        why=(
            f"Cause {cause!r} is not in the taxonomy, so it points at no investment yet; "
            f"add it under [taxonomy.{cause}] in the config file with a category "
            f"({', '.join(CATEGORIES)}), an investment and a why."
        ),
        known=False,
    )


@cache
def shipped_entries() -> Mapping[str, CauseEntry]:
    """The entries of the shipped `taxonomy.toml`, by slug."""
    text = resources.files("rollback_rate.metrics").joinpath("taxonomy.toml").read_text("utf-8")
    tables = tomllib.loads(text)["taxonomy"]
    return MappingProxyType({cause: _shipped_entry(cause, t) for cause, t in tables.items()})


def _shipped_entry(cause: str, table: Mapping[str, Any]) -> CauseEntry:
    # The file ships with the package and a test checks it; this guards a bad edit of it.
    values = [table.get(name) for name in FIELDS]
    if set(table) != set(FIELDS) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"taxonomy.toml: [taxonomy.{cause}] needs exactly {', '.join(FIELDS)}")
    if table["category"] not in CATEGORIES:
        raise ValueError(f"taxonomy.toml: [taxonomy.{cause}] category {table['category']!r}")
    return CauseEntry(cause, table["category"], table["investment"], table["why"])


def load_taxonomy(overrides: Iterable[CauseOverride] = ()) -> Taxonomy:
    """The shipped taxonomy with the config file's entries merged over it, key by key.

    A new slug must set every key (the config loader checks this and names the file);
    here a missing one is a programming error (ValueError).
    """
    entries = dict(shipped_entries())
    for override in overrides:
        base = entries.get(override.cause)
        category = override.category or (base.category if base else None)
        investment = override.investment or (base.investment if base else None)
        why = override.why or (base.why if base else None)
        if category is None or investment is None or why is None:
            raise ValueError(f"cause {override.cause!r} is new and must set {', '.join(FIELDS)}")
        if category not in CATEGORIES:
            raise ValueError(f"cause {override.cause!r}: category {category!r}")
        entries[override.cause] = CauseEntry(override.cause, category, investment, why)
    return Taxonomy(MappingProxyType(entries))


def nearest_cause(cause: str, causes: Iterable[str] | None = None) -> str | None:
    """The slug in `causes` (default: the shipped ones) closest to `cause`, or None.

    For an "unknown cause 'data_shema_change'; did you mean 'data_schema_change'?" warning.
    """
    known = list(shipped_entries() if causes is None else causes)
    if cause in known:
        return cause
    matches = difflib.get_close_matches(cause, known, n=1)
    return matches[0] if matches else None
