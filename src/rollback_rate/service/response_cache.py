"""Answers of the dashboard's read endpoints, kept while the data they came from stands.

A dashboard page asks for the same report as every other viewer of that page, and a
report over a million deployments takes a fifth of a second of CPU: eight viewers on two
cores queue behind each other (issue 14). The answer only changes when a commit could
change it, which `Ledger.data_version` tells cheaply (the last seq; on PostgreSQL only
while no other session is writing, since a commit there may hold an earlier seq than one
already visible), so an answer is kept, as the JSON bytes sent, under its request's
path and query and the data version read before it was computed:

- a request that pins `as_of` is answered from the cache for as long as the data version
  is the same, at most 10 minutes: the answer is a function of the log and its query
  alone, except after `db rebuild`, which appends no event (a rebuild that changes
  answers follows an upgrade of the rules, and shows within those 10 minutes);
- a request without `as_of` ("now") is answered from the cache only while the kept answer
  is at most `max_age` seconds old (`ROLLBACK_RATE_RESPONSE_CACHE_SECONDS`, default 10; 0
  turns the cache off). Its `as_of` says the moment it was computed, so it stays
  explainable from the log, and the dashboard pins that moment for the page's other
  calls, which then find their answers kept too.

Concurrent requests for an answer being computed wait for it instead of computing it
again. An error is never kept. At most `entries` answers and `max_bytes` bytes (64 MiB)
are kept, the least recently used dropped first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request, Response

from rollback_rate.ledger import Ledger

DEFAULT_MAX_AGE = 10.0
DEFAULT_ENTRIES = 256
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # a table by model over 2,000 streams is 755 kB
PINNED_MAX_AGE = 600.0  # seconds: how long a rebuild (no new event) can go unseen


@dataclass
class _Kept:
    version: str
    at: float  # the cache's clock when its computation started
    answer: Future[bytes]
    size: int = 0  # bytes, once answered


class ResponseCache:
    """Answers by request key and data version; thread-safe (sync routes run in a pool)."""

    def __init__(
        self,
        max_age: float = DEFAULT_MAX_AGE,
        entries: int = DEFAULT_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.max_age = max_age
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0  # of the answers kept
        self.clock = clock
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def answer(
        self, key: Hashable, version: str | None, pinned: bool, compute: Callable[[], bytes]
    ) -> bytes:
        """The kept answer for `key` at `version`, or `compute()`'s, then kept. `pinned`:
        the request fixed its moment (`as_of`), so its answer ages only past
        PINNED_MAX_AGE. Without a version (data being written), nothing is kept or served
        from the cache."""
        if not self.enabled or version is None:
            return compute()
        now = self.clock()
        with self._lock:
            kept = self._kept.get(key)
            fresh = (
                kept is not None
                and kept.version == version
                and now - kept.at <= (PINNED_MAX_AGE if pinned else self.max_age)
            )
            if fresh:
                assert kept is not None
                self._kept.move_to_end(key)
                self.hits += 1
            else:
                if key in self._kept:
                    self.bytes -= self._kept.pop(key).size
                kept = self._kept[key] = _Kept(version, now, Future())
                self._shrink()
                self.misses += 1
        if fresh:
            return kept.answer.result()
        try:
            body = compute()
        except BaseException as exc:
            kept.answer.set_exception(exc)  # the requests waiting for it get the error too
            with self._lock:
                if self._kept.get(key) is kept:
                    del self._kept[key]  # its size was never counted
            raise
        kept.answer.set_result(body)
        with self._lock:
            if self._kept.get(key) is kept:
                kept.size = len(body)
                self.bytes += kept.size
                self._shrink()
        return body

    def _shrink(self) -> None:
        """Drop the least recently used answers past the bounds (the lock is held)."""
        while len(self._kept) > self.entries or (self.bytes > self.max_bytes and self._kept):
            self.bytes -= self._kept.popitem(last=False)[1].size


def kept_json(request: Request, ledger: Ledger, compute: Callable[[], Any]) -> Response:
    """The JSON of `compute()` for this request, through the app's response cache. Call
    it once the query is checked: a refused one never reaches the cache."""
    cache: ResponseCache = request.app.state.response_cache
    if not cache.enabled:
        return _json(orjson.dumps(compute()))
    params = request.query_params
    key = (request.url.path, tuple(sorted(params.multi_items())))
    version = ledger.data_version()
    return _json(cache.answer(key, version, "as_of" in params, lambda: orjson.dumps(compute())))


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")
