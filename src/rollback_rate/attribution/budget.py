"""The memory bound on the stream states one transaction keeps (a performance policy).

An import attributes each chunk from states held in memory for the whole transaction, so
nothing is read back. Thousands of streams with long stacks would not fit, so past the
bound the largest states are saved and their streams handed to the replay at the end,
which continues from the saved state (`Projector._defer`).
"""

from __future__ import annotations

# The bound is the backend's (Backend.state_budget: what was measured on each).


class StateBudget:
    """How many bytes of states may stay in memory, and which to let go past that.

    The caller reports each state's footprint when it changes (`update`) or leaves
    (`forget`); the total is kept as it goes, so checking the bound after a chunk costs
    nothing, where summing every stream's footprint per chunk cost an import of a million
    events about a second (issue 14)."""

    def __init__(self, limit: int, shed_to: float = 0.5) -> None:
        self.limit = limit
        self.shed_to = shed_to
        self.sizes: dict[int, int] = {}
        self.total = 0

    def update(self, key: int, footprint: int) -> None:
        """State `key` now holds `footprint` bytes."""
        self.total += footprint - self.sizes.get(key, 0)
        self.sizes[key] = footprint

    def forget(self, key: int) -> None:
        """State `key` is no longer held."""
        self.total -= self.sizes.pop(key, 0)

    def exceeded(self) -> bool:
        return self.total > self.limit

    def to_shed(self) -> list[int]:
        """The keys of the largest states, enough to come back under `shed_to` of the
        bound (half, by default): each stream shed is read back at the end of the import,
        and the fewer shed the more are held between sheds (`Backend.state_shed_to`)."""
        total = self.total
        shed = []
        keep = int(self.limit * self.shed_to)
        for key, footprint in sorted(self.sizes.items(), key=lambda item: item[1], reverse=True):
            if total <= keep:
                break
            total -= footprint
            shed.append(key)
        return shed
