"""Stable integer ids for what Airflow 3 names but the experimental API numbers (docs/airflow.md).

A run in a listing and a pool carry an ``id``; Airflow 3 has only names (``dag_id`` + ``run_id``,
the pool's name). Each gets a number the first time any worker or replica sees it, in one table of
dagport's own database (``airflow_object_id``), so the same object keeps its number across
requests, workers and replicas. Invariant: a number, once given, never changes, so each worker
keeps those it has seen in memory (bounded LRU) and asks the database only for new names: a listing
of known runs costs no database round trip, new names cost one SELECT plus, for names nobody has
seen, one INSERT ... ON CONFLICT DO NOTHING and a second SELECT (concurrent first sightings agree).
"""

from __future__ import annotations

from collections.abc import Iterable

from cachetools import LRUCache
from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db.models import airflow_object_id as t

KNOWN_IDS = 200_000
# Rows per statement: bounded so a listing of 100,000 runs does not build one giant IN list.
CHUNK = 500


class IdRegistry:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._known: LRUCache[tuple[str, str, str], int] = LRUCache(KNOWN_IDS)
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    async def ids(self, kind: str, scope: str, names: Iterable[str]) -> dict[str, int]:
        """The id of each name (assigned now for names never seen)."""
        found: dict[str, int] = {}
        missing: list[str] = []
        for name in names:
            known = self._known.get((kind, scope, name))
            if known is None:
                missing.append(name)
            else:
                found[name] = known
        if not missing:
            return found
        missing = list(dict.fromkeys(missing))
        async with self.engine.begin() as conn:
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                rows = await self._select(conn, kind, scope, chunk)
                new = [name for name in chunk if name not in rows]
                if new:
                    insert = self._insert(t).values([{"kind": kind, "scope": scope, "name": n} for n in new])
                    await conn.execute(insert.on_conflict_do_nothing())
                    rows.update(await self._select(conn, kind, scope, new))
                found.update(rows)
        for name, number in found.items():
            self._known[(kind, scope, name)] = number
        return found

    async def _select(self, conn: AsyncConnection, kind: str, scope: str, names: list[str]) -> dict[str, int]:
        query = select(t.c.name, t.c.id).where(
            and_(t.c.kind == kind, t.c.scope == scope, t.c.name.in_(names))
        )
        return {name: number for name, number in (await conn.execute(query)).all()}
