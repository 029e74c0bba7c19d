"""Rendered run listings and latest_runs, served again while the runs they show are unchanged.

The rule, in one place (:meth:`ListingCache.cached_render`): a listing reads its *version* first
(for dagport's tables, the DAG's runs stamp: migration 0007, bumped by triggers in the same
transaction as any change to its runs, never handing out a value twice), then its rows. The rows
are at least as new as the version, so a body stored under a version is exact for as long as the
backend reports that version, in every worker and replica. A body is never served without
reading the version in the same unit of work. latest_runs is stored under the sum of all stamps,
which grows with every committed change to any of them (a stamp only grows; no stamp row is
deleted). What the stamps cover is declared beside the statements
(``app.db.repositories.dag_runs.STAMP_COVERED_COLUMNS``) and checked by a test.

One cache per app (per worker process): cachetools' LRU, bounded in bytes
(``DAGPORT_LISTING_CACHE_MB``; 0 turns it off). A backend without versions (``None``) is read
every time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable

from cachetools import LRUCache

# What an entry costs besides its body: its tuple, stamp and the cache's bookkeeping, and the
# key (a tuple with a dag_id and a filter); measured with tracemalloc (docs/performance.md).
ENTRY_OVERHEAD = 512


def _entry_size(entry: tuple[int, bytes]) -> int:
    return len(entry[1]) + ENTRY_OVERHEAD


class ListingCache:
    """Bodies by request key, each with the version it was rendered under."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
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

    async def cached_render(
        self,
        key: Hashable,
        read_version: Callable[[], Awaitable[int | None]],
        read_and_render: Callable[[], Awaitable[bytes]],
    ) -> bytes:
        """The body for ``key``: stored, if it was rendered under the version read now; else read,
        rendered and stored. Both callables run in the caller's unit of work, version first."""
        if not self.enabled:
            return await read_and_render()
        version = await read_version()
        if version is not None:
            body = self.get(key, version)
            if body is not None:
                return body
        body = await read_and_render()
        if version is not None:
            self.put(key, version, body)
        return body
