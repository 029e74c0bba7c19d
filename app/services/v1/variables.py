"""Variables (docs/api-v1.md, "Pools, variables, connections, ..."): Airflow 3's ``/variables`` as
Airflow 2 answered them; a create of an existing key overwrites it, as Airflow 2's did."""

from __future__ import annotations

import builtins
from typing import Any

from app.errors import Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.models.variables import Variable, VariableCollection
from app.schemas.v1 import variables as v1
from app.schemas.v1.bodies import check_fields, mask, masked_data
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import fetch, read, rejected


class VariableService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(self, limit: int | None, offset: int | None, ordering: str | None) -> dict[str, Any]:
        query = page_query(limit, offset, ordering=ordering, allowed=v1.ORDER_BY, default="id")
        collection = await fetch(
            self.client, api.VARIABLES, None, VariableCollection, query=query, otherwise=rejected
        )
        return {
            "variables": [v1.variable_info(v) for v in collection.variables],
            "total_entries": collection.total_entries,
        }

    async def get(self, key: str) -> dict[str, Any]:
        missing = NotFound(v1.DOES_NOT_EXIST, title=v1.NOT_FOUND)
        return v1.variable_info(
            await fetch(
                self.client,
                api.VARIABLE,
                {"variable_key": key},
                Variable,
                missing=missing,
                otherwise=rejected,
            )
        )

    async def create(self, body: Any) -> dict[str, Any]:
        """Create the variable, or overwrite it (value and description) if the key exists; the
        answer echoes the body, as Airflow 2's did."""
        check_fields(body, v1.PROPS, v1.FIELDS, title=v1.SCHEMA_ERROR)
        values = {"key": body["key"], "value": body["value"], "description": body.get("description")}
        answer = await self.client.send("POST", api.VARIABLES, json=values)
        if answer.status == 409:
            answer = await self.client.send("PATCH", api.VARIABLE, {"variable_key": body["key"]}, json=values)
            if answer.status == 404:  # deleted meanwhile: created after all
                answer = await self.client.send("POST", api.VARIABLES, json=values)
        if answer.status not in (200, 201):
            raise rejected(answer)
        return {k: body[k] for k in ("key", "value", "description") if k in body}

    async def update(self, key: str, body: Any, update_mask: builtins.list[str] | None) -> dict[str, Any]:
        """Airflow 2's checks in its order; its masks know ``val`` and ``description`` (not
        ``value``: ``'value' is unknown or cannot be updated.``, as clients met it)."""
        check_fields(body, v1.PROPS, v1.FIELDS, title=v1.SCHEMA_ERROR)
        if body["key"] != key:
            raise Invalid(v1.KEY_MISMATCH, title=v1.INVALID_BODY)
        fields = mask(update_mask)
        try:
            updated = masked_data(fields, v1.loaded(body), v1.FIXED) if fields else v1.loaded(body)
        except Invalid:
            await self.get(key)  # Airflow 2 said the variable is missing before the mask is wrong
            raise
        values = {"key": key, "value": body["value"]}
        if "description" in body:
            values["description"] = body["description"]
        query = {"update_mask": [{"val": "value"}.get(f, f) for f in fields]} if fields else None
        answer = await self.client.send(
            "PATCH", api.VARIABLE, {"variable_key": key}, json=values, query=query
        )
        info = v1.variable_info(
            read(answer, Variable, missing=NotFound(v1.DOES_NOT_EXIST, title=v1.NOT_FOUND))
        )
        if "val" in updated:  # stored as sent: Airflow 3 would show it masked or serialised again
            info["value"] = body["value"]
        return info

    async def delete(self, key: str) -> None:
        answer = await self.client.send("DELETE", api.VARIABLE, {"variable_key": key})
        if answer.status == 404:
            raise NotFound("", title=v1.NOT_FOUND)
        if answer.status != 204:
            raise rejected(answer)
