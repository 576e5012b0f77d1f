"""The memory bound on the stream states one transaction keeps (a performance policy).

An import attributes each chunk from states held in memory for the whole transaction, so
nothing is read back. Thousands of streams with long stacks would not fit, so past the
bound the largest states are saved and their streams handed to the replay at the end,
which continues from the saved state (`Projector._defer`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

STATE_BUDGET = 48 * 2**20  # bytes of stream states one transaction keeps in memory


class _Sized(Protocol):
    @property
    def footprint(self) -> int: ...


class StateBudget:
    """How many bytes of states may stay in memory, and which to let go past that."""

    def __init__(self, limit: int = STATE_BUDGET) -> None:
        self.limit = limit

    def exceeded(self, states: Iterable[_Sized]) -> bool:
        return sum(state.footprint for state in states) > self.limit

    def to_shed(self, states: dict[int, _Sized]) -> list[int]:
        """The keys of the largest states, enough to come back under half the bound."""
        by_size = sorted(states.items(), key=lambda item: item[1].footprint, reverse=True)
        total = sum(state.footprint for _, state in by_size)
        shed = []
        for key, state in by_size:
            if total <= self.limit // 2:
                break
            total -= state.footprint
            shed.append(key)
        return shed
