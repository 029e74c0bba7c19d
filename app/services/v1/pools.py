"""Pools (docs/api-v1.md, "Pools, variables, connections, ..."): Airflow 3's ``/pools`` as Airflow 2
answered them; a rename, which Airflow 3's PATCH refuses, as a create of the new name and a delete
of the old (the new one deleted again if that fails)."""

from __future__ import annotations

import builtins
import contextlib
from typing import Any

from app.errors import Conflict, DomainError, Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.models.pools import Pool, PoolCollection
from app.gateway.pager import Pager
from app.schemas.v1 import pools as v1
from app.schemas.v1.bodies import check_schema, marshmallow_errors, mask, refused_by_marshmallow
from app.services.v1.context import V1Context
from app.services.v1.paging import order_by, page
from app.services.v1.upstream import fetch, read, rejected


class PoolService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(self, limit: int | None, offset: int | None, ordering: str | None) -> dict[str, Any]:
        """One page: one call, ordered by Airflow 3; by ``slots``, which Airflow 3 cannot order
        by, every pool (one call per 100) ordered here."""
        window = page(limit, offset)
        order = order_by(ordering, v1.ORDER_BY, "id")
        if order.removeprefix("-") == v1.SLOTS_ORDER:
            pools = await Pager(
                self.client, api.POOLS, None, {"order_by": "id"}, PoolCollection, _pools
            ).all()
            ordered = sorted(pools or [], key=lambda p: p.slots, reverse=order.startswith("-"))
            chosen, total = ordered[window.offset : window.offset + window.limit], len(ordered)
        else:
            query = {"limit": window.limit, "offset": window.offset, "order_by": order}
            collection = await fetch(
                self.client, api.POOLS, None, PoolCollection, query=query, otherwise=rejected
            )
            chosen, total = collection.pools, collection.total_entries
        return {"pools": [v1.pool_info(p) for p in chosen], "total_entries": total}

    async def get(self, name: str) -> dict[str, Any]:
        return v1.pool_info(await self._pool(name))

    async def _pool(self, name: str) -> Pool:
        missing = NotFound(v1.not_found(name))
        return await fetch(
            self.client, api.POOL, {"pool_name": name}, Pool, missing=missing, otherwise=rejected
        )

    async def create(self, body: Any) -> dict[str, Any]:
        check_schema(body, v1.PROPS)
        if absent := set(v1.REQUIRED) - set(body):
            raise Invalid(v1.missing(absent))
        if errors := marshmallow_errors(body, v1.FIELDS):
            raise refused_by_marshmallow(errors)
        return v1.pool_info(await self._create(v1.pool_body(body)))

    async def _create(self, values: dict[str, Any]) -> Pool:
        answer = await self.client.send("POST", api.POOLS, json=values)
        if answer.status == 409:
            raise Conflict(v1.already_exists(values["name"]))
        if answer.status != 201:
            raise rejected(answer)
        return answer.parsed(Pool)

    async def update(self, name: str, body: Any, update_mask: builtins.list[str] | None) -> dict[str, Any]:
        """Airflow 2's checks in its order; then the fields that change: a new name is a new pool
        (Airflow 3 cannot rename one), others one PATCH with their update_mask."""
        check_schema(body, v1.PROPS)
        fields = mask(update_mask)
        if name == v1.DEFAULT_POOL and body.get("name") != v1.DEFAULT_POOL:
            if not (fields and all(f in ("slots", "include_deferred") for f in fields)):
                raise Invalid(v1.DEFAULT_RENAMED)
        current = await self._pool(name)
        if errors := marshmallow_errors(body, v1.FIELDS):
            raise refused_by_marshmallow(errors)
        loaded = {**body, "include_deferred": body.get("include_deferred", False)}
        changes = _masked(fields, loaded) if fields else _unmasked(loaded)
        values = {**v1.pool_info(current), **changes}
        if values["name"] != name:
            created = await self._create(v1.pool_body(values))
            try:
                deleted = await self.client.send("DELETE", api.POOL, {"pool_name": name})
                if deleted.status not in (204, 404):
                    raise rejected(deleted)
            except DomainError:
                await self._undo_rename(created.name, name)
                raise
            return v1.pool_info(created)
        changed = [
            k for k in ("slots", "description", "include_deferred") if values[k] != getattr(current, k)
        ]
        if not changed:
            return v1.pool_info(current)
        answer = await self.client.send(
            "PATCH", api.POOL, {"pool_name": name}, json=v1.pool_body(values), query={"update_mask": changed}
        )
        return v1.pool_info(read(answer, Pool, missing=NotFound(v1.not_found(name))))

    async def _undo_rename(self, new: str, old: str) -> None:
        """A rename whose delete of the old pool failed: the new pool deleted again while the old
        one is still there (a delete whose outcome is unknown may have removed it: then the new one
        stays). Best effort: a failure here leaves both, and the rename's own error is the answer."""
        with contextlib.suppress(DomainError):
            if (await self.client.get(api.POOL, {"pool_name": old})).status == 200:
                await self.client.send("DELETE", api.POOL, {"pool_name": new})

    async def delete(self, name: str) -> None:
        if name == v1.DEFAULT_POOL:
            raise Invalid(v1.DEFAULT_DELETED)
        answer = await self.client.send("DELETE", api.POOL, {"pool_name": name})
        if answer.status == 404:
            raise NotFound(v1.not_found(name))
        if answer.status != 204:
            raise rejected(answer)


def _pools(collection: PoolCollection) -> list[Pool]:
    return collection.pools


def _masked(fields: list[str], loaded: dict[str, Any]) -> dict[str, Any]:
    """The masked fields' values. Airflow 2 refused a name not of the pool's fields, and failed (500)
    on a read-only one or one the body lacks: those are refused too, as a field that cannot be
    updated and a missing property."""
    known = {p.name for p in v1.PROPS}
    for field in fields:
        if field not in known or field in v1.READ_ONLY:
            raise Invalid(v1.invalid_mask_field(field))
    if absent := {f for f in fields if f not in loaded}:
        raise Invalid(v1.missing(absent))
    return {field: loaded[field] for field in fields}


def _unmasked(loaded: dict[str, Any]) -> dict[str, Any]:
    """Without a mask: name and slots required; include_deferred false unless given (Airflow 2's
    load default); description only if given."""
    if absent := set(v1.REQUIRED) - set(loaded):
        raise Invalid(v1.missing(absent))
    return {k: loaded[k] for k in ("name", "slots", "description", "include_deferred") if k in loaded}
