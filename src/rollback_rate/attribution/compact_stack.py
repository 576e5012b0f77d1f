"""A stream's version stack, kept compact: the performance side of the stack rules.

Stacks only grow with history (every deployment never rolled back stays in its stream's
stack), and a bulk import holds thousands of them in memory at once, so a `StreamState`
keeps only its top entries as Python objects. Deeper ones are frozen into a
NUL-separated byte string and an array of seqs, with a one-probe Bloom filter in front:
most versions are new, and the filter says so without searching the string. About 17
bytes an entry instead of 150. A pop or a named version that reaches them thaws them
back. The rules themselves (`stack.py`) see a plain stack: a property test holds this
one to a list.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Any

Entry = tuple[str, int | None]  # (version, deployment seq; None when restored)

_TOP = 32  # entries kept as Python objects; deeper ones are frozen (see StreamState)
_SEP = b"\x00"  # never part of a version: the event contract refuses NUL characters
_RESTORED = -1  # a frozen entry's seq when it was restored, not deployed
_FILTER_BITS = 16  # per frozen entry: one probe then answers "maybe" about 6% of the time
_FILTER_MIN = 2048
_LOOKUPS_BEFORE_FILTER = 16


class StreamState:
    """The stack of (version, deployment seq or None when restored), bottom first, the
    stream's team, the versions rollbacks took off it (a rollback onto one of them is a
    bad-target rollback) and when rolling back was last exercised.

    Versions are unique in the stack: a version already in it is either live (a redeploy)
    or below it (a rollback), so a new push never duplicates one.

    Stacks only grow with history, and a bulk import holds thousands of them at once, so
    only the top entries are Python objects. Deeper ones are frozen into a NUL-separated
    byte string and an array of seqs, with a one-probe Bloom filter in front: most
    versions are new, and the filter says so without searching the string. About 17
    bytes an entry instead of 150. A pop or a named version that reaches them thaws them
    back.
    """

    __slots__ = (
        "_filter",
        "_filter_mask",
        "_frozen",
        "_frozen_seqs",
        "_index",
        "_lookups",
        "_top",
        "deployed_since_rollback",
        "last_exercised",
        "rolled_back_versions",
        "team",
    )

    def __init__(
        self,
        stack: Iterable[Sequence[Any]] = (),
        team: str | None = None,
        rolled_back_versions: Iterable[str] = (),
        last_exercised: int | None = None,
        deployed_since_rollback: int | None = None,
    ) -> None:
        entries = list(stack)
        self.team = team
        self.rolled_back_versions = set(rolled_back_versions)
        self.last_exercised = last_exercised
        # Counted deployments since the last rollback; None until the first rollback.
        self.deployed_since_rollback = deployed_since_rollback
        self._frozen = bytearray(_SEP)
        self._frozen_seqs = array("q")
        self._filter: bytearray | None = None  # built once enough lookups would use it
        self._filter_mask = 0
        self._lookups = 0
        cut = max(len(entries) - _TOP, 0)
        if cut:  # columns by zip, not a Python loop: loading is O(stack) per transaction
            versions, seqs = zip(*entries[:cut], strict=True)
            self._freeze(versions, seqs)
        self._top: list[Entry] = [(str(version), seq) for version, seq in entries[cut:]]
        self._index = {version: i for i, (version, _) in enumerate(self._top)}

    @property
    def stack(self) -> list[Entry]:
        """Every entry, bottom first (what is saved between transactions)."""
        seqs: list[int | None] = list(self._frozen_seqs.tolist())
        if _RESTORED in seqs:
            seqs = [None if seq == _RESTORED else seq for seq in seqs]
        return [*zip(self._frozen_versions(), seqs, strict=True), *self._top]

    @property
    def size(self) -> int:
        return len(self._frozen_seqs) + len(self._top)

    @property
    def footprint(self) -> int:
        """Rough bytes held, for callers that keep many states within a memory bound."""
        frozen = len(self._frozen) + 8 * len(self._frozen_seqs) + len(self._filter or b"")
        return frozen + 160 * len(self._top) + 90 * len(self.rolled_back_versions)

    @property
    def live(self) -> str | None:
        entry = self.live_entry
        return entry[0] if entry is not None else None

    @property
    def live_entry(self) -> Entry | None:
        """The top entry: (live version, the seq of its deployment or None), or None."""
        if not self._top and self._frozen_seqs:
            self._thaw(min(_TOP, len(self._frozen_seqs)))
        return self._top[-1] if self._top else None

    def exercised(self, at: int) -> None:
        """Rolling back was exercised at `at` (a rollback or a drill)."""
        if self.last_exercised is None or at > self.last_exercised:
            self.last_exercised = at

    def was_rolled_back(self, version: str) -> bool:
        return version in self.rolled_back_versions

    def rolled_back(self, versions: Iterable[str]) -> None:
        self.rolled_back_versions.update(versions)

    def depth_of(self, version: str) -> int | None:
        """The version's position from the bottom, or None when it is not in the stack."""
        i = self._index.get(version)
        if i is not None:
            return len(self._frozen_seqs) + i
        if (
            self._frozen_seqs
            and self._may_be_frozen(version)
            and _SEP + _bytes(version) + _SEP in self._frozen
        ):
            self._thaw(len(self._frozen_seqs))
            return self._index[version]
        return None

    def push(self, version: str, deployment_seq: int | None) -> None:
        self._index[version] = len(self._top)
        self._top.append((version, deployment_seq))
        if len(self._top) >= 2 * _TOP:
            versions, seqs = zip(*self._top[:_TOP], strict=True)
            self._freeze(versions, seqs)
            del self._top[:_TOP]
            self._index = {version: i for i, (version, _) in enumerate(self._top)}

    def pop_to(self, depth: int) -> list[Entry]:
        """Pop every entry above `depth`; return them, top first."""
        frozen = len(self._frozen_seqs)
        if depth < frozen:
            self._thaw(frozen - depth)
            frozen = depth
        popped = self._top[depth - frozen :]
        del self._top[depth - frozen :]
        for version, _ in popped:
            del self._index[version]
        popped.reverse()
        return popped

    def _may_be_frozen(self, version: str) -> bool:
        """False when the version is surely not frozen. A state that only sees a few
        lookups (most transactions) searches the string; the filter pays after that."""
        if self._filter is None:
            self._lookups += 1
            if self._lookups <= _LOOKUPS_BEFORE_FILTER:
                return True
            self._refilter()
        bits, h = self._filter, hash(version) & self._filter_mask
        return bool(bits is not None and bits[h >> 3] >> (h & 7) & 1)

    def _mark(self, versions: Iterable[str]) -> None:
        bits, mask = self._filter, self._filter_mask
        assert bits is not None
        for h in map(hash, versions):
            bits[(h & mask) >> 3] |= 1 << (h & 7)

    def _refilter(self) -> None:
        """A filter sized for the frozen entries now (a filter cannot forget one)."""
        size = _FILTER_MIN
        while size < _FILTER_BITS * len(self._frozen_seqs):
            size *= 2
        self._filter = bytearray(size // 8)
        self._filter_mask = size - 1
        self._mark(self._frozen_versions())

    def _frozen_versions(self) -> list[str]:
        return _text(self._frozen[1:-1]).split("\x00") if self._frozen_seqs else []

    def _freeze(self, versions: Sequence[str], seqs: Sequence[int | None]) -> None:
        self._frozen += _bytes("\x00".join(versions)) + _SEP
        if None in seqs:
            seqs = [_RESTORED if seq is None else seq for seq in seqs]
        self._frozen_seqs.extend(seqs)  # type: ignore[arg-type]
        if self._filter is None:
            return
        if _FILTER_BITS * len(self._frozen_seqs) > self._filter_mask + 1:
            self._refilter()  # doubles, so the cost per entry stays constant
        else:
            self._mark(versions)

    def _thaw(self, count: int) -> None:
        """Move the `count` highest frozen entries back to the bottom of the top."""
        head, *versions, _ = self._frozen.rsplit(_SEP, count + 1)
        start = len(self._frozen_seqs) - count
        thawed = [
            (version, None if seq == _RESTORED else seq)
            for version, seq in zip(
                _text(_SEP.join(versions)).split("\x00"), self._frozen_seqs[start:], strict=True
            )
        ]
        del self._frozen[len(head) + 1 :]
        del self._frozen_seqs[start:]
        if self._filter is not None:
            self._refilter()
        self._top[:0] = thawed
        self._index = {version: i for i, (version, _) in enumerate(self._top)}


def _bytes(version: str) -> bytes:
    return version.encode("utf-8", "surrogatepass")


def _text(version: bytes | bytearray) -> str:
    return version.decode("utf-8", "surrogatepass")
