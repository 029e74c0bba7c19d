"""Pools: Airflow's slot pools, upserted by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update

from app.core.results import Pool
from app.db.models import pool
from app.db.repositories.base import Repository
from app.services.backend import UNSET

POOL_COLUMNS = (pool.c.id, pool.c.pool, pool.c.slots, pool.c.description, pool.c.include_deferred)


_LIST = select(*POOL_COLUMNS).order_by(pool.c.id)
_GET = select(*POOL_COLUMNS).where(pool.c.pool == bindparam("name"))


class PoolRepository(Repository):
    async def list(self) -> list[Pool]:
        return [Pool(*row) for row in await self.rows(_LIST, {})]

    async def get(self, *, name: str) -> Pool | None:
        row = await self.first(_GET, {"name": name})
        return None if row is None else Pool(*row)

    async def upsert(
        self, *, name: str, slots: int, description: Any = UNSET, include_deferred: Any = UNSET
    ) -> Pool:
        """Create or update a pool; an UNSET field keeps the stored value.

        An UPDATE first, so updating an existing pool does not burn a sequence value; a create
        goes through INSERT ... ON CONFLICT so concurrent creates of one name leave one row.
        """
        changes: dict[str, Any] = {"slots": slots}
        if description is not UNSET:
            changes["description"] = description
        if include_deferred is not UNSET:
            changes["include_deferred"] = include_deferred
        updated = (
            await self.conn.execute(
                update(pool).where(pool.c.pool == name).values(**changes).returning(*POOL_COLUMNS)
            )
        ).one_or_none()
        if updated is not None:
            return Pool(*updated)
        new = {
            "pool": name,
            "slots": slots,
            "description": None if description is UNSET else description,
            "include_deferred": False if include_deferred is UNSET else include_deferred,
        }
        stmt = (
            self.insert(pool)
            .values(**new)
            .on_conflict_do_update(index_elements=[pool.c.pool], set_=changes)
            .returning(*POOL_COLUMNS)
        )
        return Pool(*(await self.conn.execute(stmt)).one())

    async def delete(self, *, name: str) -> Pool | None:
        row = (
            await self.conn.execute(delete(pool).where(pool.c.pool == name).returning(*POOL_COLUMNS))
        ).one_or_none()
        return None if row is None else Pool(*row)
