"""Connections (docs/api-v1.md, "Pools, variables, connections, ..."): Airflow 3's ``/connections``
as Airflow 2 answered them."""

from __future__ import annotations

import builtins
from typing import Any

from app.errors import Conflict, Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.models.connections import Connection, ConnectionCollection, ConnectionTest
from app.schemas.v1 import connections as v1
from app.schemas.v1.bodies import check_fields, mask, masked_data, partial
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import fetch, not_disabled, read, rejected

# Airflow's words (2.11's and 3's) when [core] test_connection is not Enabled.
TEST_DISABLED = (
    "Testing connections is disabled in Airflow configuration. Contact your deployment admin to enable it."
)


class ConnectionService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(self, limit: int | None, offset: int | None, ordering: str | None) -> dict[str, Any]:
        query = page_query(limit, offset, ordering=ordering, allowed=v1.ORDER_BY, default="id")
        collection = await fetch(
            self.client, api.CONNECTIONS, None, ConnectionCollection, query=query, otherwise=rejected
        )
        return {
            "connections": [v1.connection_item(c) for c in collection.connections],
            "total_entries": collection.total_entries,
        }

    async def get(self, connection_id: str) -> dict[str, Any]:
        return v1.connection_info(await self._connection(connection_id))

    async def _connection(self, connection_id: str) -> Connection:
        params = {"connection_id": connection_id}
        missing = NotFound(v1.not_found(connection_id), title=v1.NOT_FOUND)
        return await fetch(
            self.client, api.CONNECTION, params, Connection, missing=missing, otherwise=rejected
        )

    async def create(self, body: Any) -> dict[str, Any]:
        check_fields(body, v1.PROPS, v1.FIELDS)
        connection_id = body["connection_id"]
        if problem := v1.key_problem(connection_id):
            raise Invalid(problem)
        answer = await self.client.send("POST", api.CONNECTIONS, json=body)
        if answer.status == 409:
            raise Conflict(v1.already_exists(connection_id))
        return v1.connection_info(read(answer, Connection, 201))

    async def update(
        self, connection_id: str, body: Any, update_mask: builtins.list[str] | None
    ) -> dict[str, Any]:
        """Airflow 2's checks in its order; then one PATCH of the fields the body (or the mask)
        names, with the connection's own id and type where the body leaves them out (Airflow 3
        requires them)."""
        check_fields(body, v1.PROPS, partial(v1.FIELDS))
        current = await self._connection(connection_id)
        data = v1.loaded(body)
        if data.get("conn_id") and data["conn_id"] != current.connection_id:
            raise Invalid(v1.ID_FIXED)
        fields = mask(update_mask)
        updated = masked_data(fields, data, v1.FIXED) if fields else data
        values = {
            "connection_id": current.connection_id,
            "conn_type": body.get("conn_type", current.conn_type),
            **{k: v for k, v in updated.items() if k in v1.WRITABLE},
        }
        query = {"update_mask": fields} if fields else None
        answer = await self.client.send(
            "PATCH", api.CONNECTION, {"connection_id": connection_id}, json=values, query=query
        )
        missing = NotFound(v1.not_found(connection_id), title=v1.NOT_FOUND)
        return v1.connection_info(read(answer, Connection, missing=missing))

    async def delete(self, connection_id: str) -> None:
        answer = await self.client.send("DELETE", api.CONNECTION, {"connection_id": connection_id})
        if answer.status == 404:
            raise NotFound(v1.not_found(connection_id), title=v1.NOT_FOUND)
        if answer.status != 204:
            raise rejected(answer)

    async def test(self, body: Any) -> dict[str, Any]:
        """Airflow 3 tests the connection if its ``[core] test_connection`` is Enabled; else 403 with
        Airflow's words (as v1 answered, in problem+json)."""
        check_fields(body, v1.PROPS, v1.FIELDS)
        answer = await self.client.ask("POST", api.CONNECTION_TEST, json=body, forbidden_ok=True)
        tested = read(not_disabled(self.client, answer, TEST_DISABLED), ConnectionTest)
        return {"status": tested.status, "message": tested.message}
