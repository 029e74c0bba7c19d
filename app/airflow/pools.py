"""Pools in front of Airflow (``app.core.ports.PoolPort``), numbered by the id registry.

default_pool is numbered with the first pool ever seen, so it lists first (as its id 1 does in
dagport's own store). Airflow 3 refuses a change of default_pool's description (docs/airflow.md).
"""

from __future__ import annotations

from typing import Any

from app.airflow.mapping import to_pool
from app.core import messages
from app.core.results import DEFAULT_POOL, KEEP, Pool, PoolUpsert
from app.db.repositories.airflow_ids import IdRegistry
from app.errors import Invalid
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.answers import parsed, pools
from app.gateway.client import AirflowClient
from app.gateway.endpoints import addressable
from app.gateway.pager import Pager, expect, refused


class AirflowPools:
    def __init__(self, client: AirflowClient, ids: IdRegistry) -> None:
        self.client = client
        self.ids = ids

    async def _numbered(self, found: list[v2.Pool]) -> list[Pool]:
        numbers = await self.ids.ids("pool", "", [DEFAULT_POOL, *(p.name for p in found)])
        return [to_pool(numbers[p.name], p) for p in found]

    async def list(self) -> list[Pool]:
        pager = Pager(self.client, api.POOLS, None, {"order_by": "id"}, v2.PoolCollection, pools)
        return sorted(await self._numbered(await pager.all() or []), key=lambda p: p.id)

    async def _get(self, name: str) -> v2.Pool | None:
        answer = await self.client.get(api.POOL, {"pool_name": name})
        if answer.status == 404:
            return None
        return parsed(answer, v2.Pool)

    async def get(self, *, name: str) -> Pool | None:
        found = await self._get(name)
        return None if found is None else (await self._numbered([found]))[0]

    async def upsert(self, *, pool: PoolUpsert) -> Pool:
        """Airflow's POST; on its 409 (the pool exists), a PATCH of the fields the caller sent."""
        name = pool.name
        if not addressable(name):
            raise Invalid(messages.unaddressable_pool(name))
        body: dict[str, Any] = {"name": name, "slots": pool.slots}
        if pool.description is not KEEP:
            body["description"] = pool.description
        if pool.include_deferred is not KEEP:
            body["include_deferred"] = pool.include_deferred
        answer = await self.client.send("POST", api.POOLS, json=body)
        if answer.status == 409:  # exists: updated with the fields the caller sent
            current = await self._get(name)
            if current is None:
                raise refused(answer)
            mask = ["slots"]
            patch: dict[str, Any] = {
                "pool": name,
                "slots": pool.slots,
                "include_deferred": current.include_deferred,
            }
            if pool.include_deferred is not KEEP:
                patch["include_deferred"] = pool.include_deferred
                mask.append("include_deferred")
            if pool.description is not KEEP and name != DEFAULT_POOL:
                patch["description"] = pool.description
                mask.append("description")
            elif pool.description is not KEEP and pool.description != current.description:
                raise Invalid(messages.DEFAULT_POOL_DESCRIPTION_FIXED)
            answer = await self.client.send(
                "PATCH", api.POOL, {"pool_name": name}, json=patch, query={"update_mask": mask}
            )
        expect(answer, 200, 201)
        return (await self._numbered([answer.parsed(v2.Pool)]))[0]

    async def delete(self, *, name: str) -> Pool | None:
        found = await self._get(name)
        if found is None:
            return None
        answer = await self.client.send("DELETE", api.POOL, {"pool_name": name})
        if answer.status == 404:
            return None
        expect(answer, 200, 204)
        return (await self._numbered([found]))[0]
