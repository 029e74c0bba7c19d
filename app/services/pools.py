"""Pools (docs/api.md 3.4), with Airflow's rules and texts."""

from __future__ import annotations

from app.core import messages
from app.core.ports import Backend
from app.core.results import DEFAULT_POOL, Pool, PoolUpsert
from app.errors import Invalid, NotFound


def checked_name(name: str) -> str:
    if not name.strip():
        raise Invalid(messages.POOL_NAME_EMPTY)
    return name


class PoolService:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def list_pools(self) -> list[Pool]:
        """Every pool, by id; default_pool always exists."""
        async with self.backend.reading() as store:
            return await store.pools.list()

    async def get_pool(self, name: str) -> Pool:
        checked_name(name)
        async with self.backend.reading() as store:
            found = await store.pools.get(name=name)
        if found is None:
            raise NotFound(messages.pool_not_found(name))
        return found

    async def upsert_pool(self, pool: PoolUpsert) -> Pool:
        """Create the pool or update the one of that name (Airflow upserts): slots always, the
        others only when sent."""
        async with self.backend.writing() as store:
            return await store.pools.upsert(pool=pool)

    async def delete_pool(self, name: str) -> Pool:
        checked_name(name)
        if name == DEFAULT_POOL:
            raise Invalid(messages.DEFAULT_POOL_UNDELETABLE)
        async with self.backend.writing() as store:
            deleted = await store.pools.delete(name=name)
        if deleted is None:
            raise NotFound(messages.pool_not_found(name))
        return deleted
