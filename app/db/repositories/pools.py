"""Pools (``app.core.ports.PoolPort``): Airflow's slot pools, upserted by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update

from app.core.results import KEEP, Pool, PoolUpsert
from app.db.models import pool as slot_pool
from app.db.repositories.base import Repository

POOL_COLUMNS = (
    slot_pool.c.id,
    slot_pool.c.pool,
    slot_pool.c.slots,
    slot_pool.c.description,
    slot_pool.c.include_deferred,
)


_LIST = select(*POOL_COLUMNS).order_by(slot_pool.c.id)
_GET = select(*POOL_COLUMNS).where(slot_pool.c.pool == bindparam("name"))


class PoolRepository(Repository):
    async def list(self) -> list[Pool]:
        return [Pool(*row) for row in await self.rows(_LIST, {})]

    async def get(self, *, name: str) -> Pool | None:
        row = await self.first(_GET, {"name": name})
        return None if row is None else Pool(*row)

    async def upsert(self, *, pool: PoolUpsert) -> Pool:
        """Create or update a pool; a ``KEEP`` field keeps the stored value.

        An UPDATE first, so updating an existing pool does not burn a sequence value; a create
        goes through INSERT ... ON CONFLICT so concurrent creates of one name leave one row.
        """
        changes: dict[str, Any] = {"slots": pool.slots}
        if pool.description is not KEEP:
            changes["description"] = pool.description
        if pool.include_deferred is not KEEP:
            changes["include_deferred"] = pool.include_deferred
        updated = (
            await self.conn.execute(
                update(slot_pool)
                .where(slot_pool.c.pool == pool.name)
                .values(**changes)
                .returning(*POOL_COLUMNS)
            )
        ).one_or_none()
        if updated is not None:
            return Pool(*updated)
        new = {
            "pool": pool.name,
            "slots": pool.slots,
            "description": None if pool.description is KEEP else pool.description,
            "include_deferred": False if pool.include_deferred is KEEP else pool.include_deferred,
        }
        stmt = (
            self.insert(slot_pool)
            .values(**new)
            .on_conflict_do_update(index_elements=[slot_pool.c.pool], set_=changes)
            .returning(*POOL_COLUMNS)
        )
        return Pool(*(await self.conn.execute(stmt)).one())

    async def delete(self, *, name: str) -> Pool | None:
        row = (
            await self.conn.execute(
                delete(slot_pool).where(slot_pool.c.pool == name).returning(*POOL_COLUMNS)
            )
        ).one_or_none()
        return None if row is None else Pool(*row)
