"""Stable integer ids for what Airflow 3 names but the experimental API numbers (docs/airflow.md).

A run in a listing and a pool carry an ``id``; Airflow 3 has only names (``dag_id`` + ``run_id``,
the pool's name). Each gets a number the first time any worker or replica sees it, in one table of
dagport's own database (``airflow_object_id``), so the same object keeps its number across
requests, workers and replicas. Invariant: a number, once given, never changes, so each worker
keeps those it has seen in memory (bounded LRU) and asks the database only for new names: a listing
of known runs costs no database round trip, new names cost one SELECT plus, for names nobody has
seen, one INSERT ... ON CONFLICT DO NOTHING and a second SELECT (concurrent first sightings agree).
Those statements run in a writing unit of work like any other access to dagport's tables
(app/db/backend.py): admitted by its PoolGate, failures leaving as domain errors.
"""

from __future__ import annotations

from collections.abc import Iterable

from cachetools import LRUCache
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.backend import Database
from app.db.models import airflow_object_id as t
from app.db.repositories.base import Repository

KNOWN_IDS = 200_000
# Rows per statement: bounded so a listing of 100,000 runs does not build one giant IN list.
CHUNK = 500


class IdRepository(Repository):
    """The ``airflow_object_id`` table, inside a writing unit of work."""

    async def numbers(self, kind: str, scope: str, names: list[str]) -> dict[str, int]:
        """The numbers ``names`` have (those without one are left out)."""
        query = select(t.c.name, t.c.id).where(
            and_(t.c.kind == kind, t.c.scope == scope, t.c.name.in_(names))
        )
        return {name: number for name, number in await self.rows(query, {})}

    async def assign(self, kind: str, scope: str, names: list[str]) -> None:
        """Numbers for ``names``; a name another transaction numbered meanwhile keeps its number."""
        rows = [{"kind": kind, "scope": scope, "name": name} for name in names]
        await self.conn.execute(self.insert(t).values(rows).on_conflict_do_nothing())


class IdRegistry(Database):
    """The numbers of one worker: its LRU in front of the table.

    ``settings``: what gates its units of work (the connection limit, the pool timeout); by
    default read from the environment, as the server reads them, for ``engine``'s database.
    """

    def __init__(self, engine: AsyncEngine, settings: Settings | None = None) -> None:
        url = engine.url.render_as_string(hide_password=False)
        super().__init__(engine, settings or Settings(database_url=url))
        self._known: LRUCache[tuple[str, str, str], int] = LRUCache(KNOWN_IDS)

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
        async with self.writing() as store:
            table = IdRepository(store.reader, store.conn, store.dialect)
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                rows = await table.numbers(kind, scope, chunk)
                new = [name for name in chunk if name not in rows]
                if new:
                    await table.assign(kind, scope, new)
                    rows.update(await table.numbers(kind, scope, new))
                found.update(rows)
        for name, number in found.items():
            self._known[(kind, scope, name)] = number
        return found
