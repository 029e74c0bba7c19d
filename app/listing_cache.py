"""Rendered run listings and latest_runs, served again while the runs they show are unchanged.

The rule, in one place (:meth:`ListingCache.cached_render`): a listing reads its *version* first
(for dagport's tables, the DAG's runs stamp: migration 0007, bumped by triggers in the same
transaction as any change to its runs, never handing out a value twice), then its rows. The rows
are at least as new as the version, so a body stored under a version is exact for as long as the
backend reports that version, in every worker and replica. A body is never served without
reading the version in the same unit of work. latest_runs is stored under the sum of all stamps,
which grows with every committed change to any of them (a stamp only grows; no stamp row is
deleted). What the stamps cover is declared beside the statements
(``app.db.repositories.listings.STAMP_COVERED_COLUMNS``) and checked by a test.

One cache per app (per worker process): cachetools' LRU, bounded in bytes
(``DAGPORT_LISTING_CACHE_MB``; 0 turns it off). A backend without versions (``None``) is read
every time.

A body sent in pieces as it is read (a long run listing) is gathered in a :class:`PendingBody`
and stored once complete, if it fits. What the pending bodies of a cache hold together is bounded
by the cache's own size: a piece that would pass the bound drops its body, which is then simply
not stored, so concurrent streams never hold more for the cache than the cache may keep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache

# What an entry costs besides its body: its tuple, stamp and the cache's bookkeeping, and the
# key (a tuple with a dag_id and a filter); measured with tracemalloc (docs/performance.md).
ENTRY_OVERHEAD = 512

T = TypeVar("T")


def _entry_size(entry: tuple[int, bytes]) -> int:
    return len(entry[1]) + ENTRY_OVERHEAD


class ListingCache:
    """Bodies by request key, each with the version it was rendered under."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self.pending_bytes = 0  # held by the PendingBody objects not yet stored or dropped
        self._entries: LRUCache[Hashable, tuple[int, bytes]] = LRUCache(
            max(max_bytes, 1), getsizeof=_entry_size
        )

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def size(self) -> int:
        """Bytes held, bodies and their overhead."""
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, version: int) -> bytes | None:
        """The body stored for ``key`` under ``version``; ``None`` if absent or stored under another."""
        entry = self._entries.get(key)  # a hit makes the entry the most recently used
        if entry is None or entry[0] != version:
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, version: int, body: bytes) -> None:
        """Store ``body``, replacing ``key``'s entry; the least recently used go past the bound."""
        self._entries.pop(key, None)
        if _entry_size((version, body)) <= self.max_bytes:
            self._entries[key] = (version, body)

    def pending(self, key: Hashable, version: int | None) -> PendingBody | None:
        """Where to gather a body sent in pieces, to be stored under ``version`` once complete;
        ``None`` when it cannot be stored (no version, or the cache is off)."""
        if version is None or not self.enabled:
            return None
        return PendingBody(self, key, version)

    async def cached_render(
        self,
        key: Hashable,
        read_version: Callable[[], Awaitable[int | None]],
        read_and_render: Callable[[PendingBody | None], Awaitable[bytes | T]],
    ) -> bytes | T:
        """The body for ``key``: stored, if it was rendered under the version read now; else read,
        rendered and stored. Both callables run in the caller's unit of work, version first.

        ``read_and_render`` returns the body, or something that sends it in pieces (``T``), which
        then gathers them in the :class:`PendingBody` it is given (if any) and stores it when done.
        """
        if not self.enabled:
            return await read_and_render(None)
        version = await read_version()
        if version is not None:
            body = self.get(key, version)
            if body is not None:
                return body
        rendered = await read_and_render(self.pending(key, version))
        if version is not None and isinstance(rendered, bytes):
            self.put(key, version, rendered)
        return rendered


class PendingBody:
    """A body gathered piece by piece while it is sent (see the module docstring)."""

    __slots__ = ("_cache", "_key", "_parts", "_size", "_version")

    def __init__(self, cache: ListingCache, key: Hashable, version: int) -> None:
        self._cache = cache
        self._key = key
        self._version = version
        self._parts: list[bytes] | None = []
        self._size = 0

    def add(self, piece: bytes) -> None:
        """Keep ``piece``, or drop the whole body if the cache's bound would be passed."""
        if self._parts is None:
            return
        cache = self._cache
        if cache.pending_bytes + len(piece) + ENTRY_OVERHEAD > cache.max_bytes:
            self.drop()
            return
        self._parts.append(piece)
        self._size += len(piece)
        cache.pending_bytes += len(piece)

    def drop(self) -> None:
        """Give up the body (too large, or the stream did not end)."""
        if self._parts is not None:
            self._cache.pending_bytes -= self._size
            self._parts = None

    def store(self) -> None:
        """The body is complete: store it, if it was kept."""
        if self._parts is not None:
            body = b"".join(self._parts)
            self.drop()
            self._cache.put(self._key, self._version, body)
