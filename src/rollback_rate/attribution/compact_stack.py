"""A stream's version stack, kept compact: the performance side of the stack rules.

Stacks only grow with history (every deployment never rolled back stays in its stream's
stack), and a bulk import holds thousands of them in memory at once, so a `StreamState`
keeps only its top entries as Python objects. Deeper ones are frozen into a
NUL-separated byte string and an array of seqs, with a one-probe Bloom filter in front:
most versions are new, and the filter says so without searching the string. About 17
bytes an entry instead of 150. A pop or a named version that reaches them thaws them
back. The rules themselves (`stack.py`) see a plain stack: a property test holds this
one to a list.

The frozen part is also how a stack is saved: its two byte strings as they are, in a row
of their own (`stream_stacks`) written only when they changed, and the top as JSON. A
write into a stream with 50,000 deployments of history then copies bytes instead of
parsing, re-freezing and re-encoding 50,000 entries (70 ms a transaction before).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

Entry = tuple[str, int | None]  # (version, deployment seq; None when restored)
Frozen = tuple[bytes, bytes]  # the frozen entries as saved: versions, then seqs (int64 LE)

_TOP = 32  # entries kept as Python objects; deeper ones are frozen (see StreamState)
_SEP = b"\x00"  # never part of a version: the event contract refuses NUL characters
_RESTORED = -1  # a frozen entry's seq when it was restored, not deployed
_FILTER_BITS = 16  # per frozen entry: one probe then answers "maybe" about 6% of the time
_FILTER_MIN = 2048
_LOOKUPS_BEFORE_FILTER = 16
_SAVED_TOP = 2  # a saved top holds the live entry and the one below: what readers need
_BIG_ENDIAN = sys.byteorder == "big"


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
        "_frozen_changed",
        "_frozen_seqs",
        "_index",
        "_lookups",
        "_rolled_back",
        "_rolled_back_changed",
        "_rolled_back_saved",
        "_top",
        "deployed_since_rollback",
        "last_exercised",
        "team",
    )

    def __init__(
        self,
        stack: Iterable[Sequence[Any]] = (),
        team: str | None = None,
        rolled_back_versions: Iterable[str] | str = (),
        last_exercised: int | None = None,
        deployed_since_rollback: int | None = None,
        frozen: Frozen | None = None,
    ) -> None:
        """A state as saved: `stack` is every entry, bottom first, or with `frozen` (as
        `frozen_parts` gave it) only the entries above those; `rolled_back_versions` may be
        the JSON `saved_rolled_back` gave, parsed only when a rollback needs it."""
        entries = list(stack)
        self.team = team
        # A stream's rolled-back versions grow with its history too (5,000 at 50,000
        # deployments): kept as saved until a rollback reads or adds to them.
        self._rolled_back_saved: str | None = None
        self._rolled_back: set[str] | None = None
        self._rolled_back_changed = not isinstance(rolled_back_versions, str)
        if isinstance(rolled_back_versions, str):
            self._rolled_back_saved = rolled_back_versions
        else:
            self._rolled_back = set(rolled_back_versions)
        self.last_exercised = last_exercised
        # Counted deployments since the last rollback; None until the first rollback.
        self.deployed_since_rollback = deployed_since_rollback
        self._frozen = bytearray(_SEP)
        self._frozen_seqs = array("q")
        self._filter: bytearray | None = None  # built once enough lookups would use it
        self._filter_mask = 0
        self._lookups = 0
        self._frozen_changed = False
        if frozen is not None and frozen[1]:
            self._frozen[:] = frozen[0]
            self._frozen_seqs.frombytes(frozen[1])
            if _BIG_ENDIAN:
                self._frozen_seqs.byteswap()
        # Saved with its frozen part, a top stays as it was (up to 2 x _TOP entries), or
        # every load would re-freeze its bottom and rewrite the frozen part.
        cut = 0 if frozen is not None else max(len(entries) - _TOP, 0)
        if cut:  # a stack saved whole as JSON (before 0010): columns by zip, not a loop
            versions, seqs = zip(*entries[:cut], strict=True)
            self._freeze(versions, seqs)
        self._top: list[Entry] = [(str(version), seq) for version, seq in entries[cut:]]
        self._index = {version: i for i, (version, _) in enumerate(self._top)}

    @property
    def stack(self) -> list[Entry]:
        """Every entry, bottom first (saved as `frozen_parts` and `saved_top`)."""
        seqs: list[int | None] = list(self._frozen_seqs.tolist())
        if _RESTORED in seqs:
            seqs = [None if seq == _RESTORED else seq for seq in seqs]
        return [*zip(self._frozen_versions(), seqs, strict=True), *self._top]

    @property
    def frozen_changed(self) -> bool:
        """Whether the frozen entries differ from those the state was built with."""
        return self._frozen_changed

    def frozen_parts(self) -> Frozen:
        """The frozen entries as saved: their versions NUL-separated, their seqs as
        little-endian int64 (restored entries -1). Empty strings when none are frozen."""
        self._settle()
        if not self._frozen_seqs:
            return b"", b""
        seqs = self._frozen_seqs
        if _BIG_ENDIAN:
            seqs = array("q", seqs)
            seqs.byteswap()
        return bytes(self._frozen), seqs.tobytes()

    def saved_top(self) -> list[Entry]:
        """The entries above the frozen ones, bottom first, at least two of them when the
        stack has two: readers of a saved state find the live entry and its rollback
        target there without reading the frozen part."""
        self._settle()
        return list(self._top)

    def _settle(self) -> None:
        """Thaw frozen entries until the top holds two (what `saved_top` promises), so
        that the two saved parts agree whichever is taken first."""
        short = _SAVED_TOP - len(self._top)
        if short > 0 and self._frozen_seqs:
            self._thaw(min(short, len(self._frozen_seqs)))

    @property
    def size(self) -> int:
        return len(self._frozen_seqs) + len(self._top)

    @property
    def footprint(self) -> int:
        """Rough bytes held, for callers that keep many states within a memory bound."""
        frozen = len(self._frozen) + 8 * len(self._frozen_seqs) + len(self._filter or b"")
        saved = self._rolled_back_saved
        rolled_back = (
            len(saved)
            if self._rolled_back is None and saved is not None
            else (90 * len(self.rolled_back_versions))
        )
        return frozen + 160 * len(self._top) + rolled_back

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

    @property
    def rolled_back_versions(self) -> set[str]:
        """The versions rollbacks took off the stack."""
        if self._rolled_back is None:
            self._rolled_back = set(orjson.loads(self._rolled_back_saved or "[]"))
        return self._rolled_back

    def was_rolled_back(self, version: str) -> bool:
        return version in self.rolled_back_versions

    def rolled_back(self, versions: Iterable[str]) -> None:
        self.rolled_back_versions.update(versions)
        self._rolled_back_saved = None  # changed, or may have
        self._rolled_back_changed = True

    @property
    def rolled_back_changed(self) -> bool:
        """Whether rollbacks may have added versions since the state was built from its
        saved JSON (always, built otherwise)."""
        return self._rolled_back_changed

    def saved_rolled_back(self) -> str:
        """The rolled-back versions as saved: a sorted JSON list (the same text whatever
        the hash seed), or the text loaded when none was added since."""
        if self._rolled_back_saved is None:
            self._rolled_back_saved = orjson.dumps(sorted(self.rolled_back_versions)).decode()
        return self._rolled_back_saved

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
        self._frozen_changed = True
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
        self._frozen_changed = True
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
