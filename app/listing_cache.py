"""Rendered run listings and latest_runs, served again while the runs they show are unchanged.

A DAG's run listing reads and renders up to thousands of rows (a 1,000-run body is ~300 KB and
~1.5 ms of CPU); pollers ask for the same listing over and over while nothing changed. Each DAG
has a stamp that triggers on dag_run change in the same transaction as any change to its runs,
never handing out a value twice (migration 0007, ``dag_run_stamp``). A listing request reads the
stamp first (one primary-key read, which also says whether the DAG exists), then the rows: the
rows are at least as new as the stamp, so a body stored under a stamp is exact for as long as
that stamp is what the database holds, in every worker and replica. A body is never served
without reading the stamp in the same request.

latest_runs depends on every DAG's runs: its body is stored under the sum of all stamps, which
grows with every committed change to any of them (a stamp only grows, and no stamp row is ever
deleted: migration 0007).

One cache per app (per worker process), bounded in bytes (``DAGPORT_LISTING_CACHE_MB``; 0 turns
it off), least recently used first out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

# What an entry costs besides its body: ~190 bytes for its tuple, stamp and OrderedDict node
# (tracemalloc, 2,000 entries), and the key (a tuple of six with a dag_id and dates: ~200 more).
ENTRY_OVERHEAD = 512


class ListingCache:
    """Bodies by request key, each with the stamp it was rendered under."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, stamp: int) -> bytes | None:
        """The body stored for ``key`` under ``stamp``; ``None`` if absent or stored under another."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != stamp:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, stamp: int, body: bytes) -> None:
        """Store ``body``, replacing ``key``'s entry; evict the least recently used past the bound."""
        cost = len(body) + ENTRY_OVERHEAD
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old[1]) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        self._entries[key] = (stamp, body)
        self.size += cost
        while self.size > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.size -= len(evicted) + ENTRY_OVERHEAD
