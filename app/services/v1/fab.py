"""Users, roles and permissions (docs/api-v1.md, "Pools, variables, connections, ..."): forwarded to
the FAB auth manager's own API, ``/auth/fab/v1``, where the fronted Airflow uses that auth manager;
else 404 saying so. Changes only in passthrough mode: in service mode they would be made with
dagport's service account, whatever the caller may do in Airflow (any holder of a dagport token
could make an Airflow admin), so they are refused (403) before Airflow is called."""

from __future__ import annotations

from typing import Any

from app.errors import Disabled, NotFound
from app.gateway import endpoints as api
from app.gateway.client import Params
from app.gateway.endpoints import Endpoint
from app.gateway.transport import Answer
from app.schemas.v1 import fab as v1
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import rejected

NOT_ROUTED = ("Not Found", "Method Not Allowed")  # FastAPI's words (Airflow 3's api-server)


def _served(answer: Answer) -> Answer:
    """The answer, unless it shows the FAB API is not there: Airflow's own answers for a path it
    does not route (404 ``Not Found``, 405), or its UI's HTML page (which Airflow 3 serves for any
    other GET)."""
    body = answer.body
    not_routed = answer.status in (404, 405) and isinstance(body, dict) and body.get("detail") in NOT_ROUTED
    if not_routed or isinstance(body, str):
        raise NotFound(v1.NOT_SERVED)
    if not 200 <= answer.status < 300:
        raise rejected(answer)
    return answer


class FabService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    def check_changes(self) -> None:
        """A change (a write) refused in service mode (see the module)."""
        if self.client.credentials.service:
            raise Disabled(v1.SERVICE_MODE_WRITE)

    async def _get(
        self, endpoint: Endpoint, params: Params | None = None, query: dict[str, Any] | None = None
    ) -> Any:
        return _served(await self.client.get(endpoint, params, query)).body

    async def _send(
        self,
        method: str,
        endpoint: Endpoint,
        params: Params | None = None,
        body: Any = None,
        update_mask: list[str] | None = None,
    ) -> Any:
        self.check_changes()
        query = {"update_mask": ",".join(update_mask)} if update_mask else None
        return _served(await self.client.send(method, endpoint, params, json=body, query=query)).body

    # -- users --------------------------------------------------------------------------------------

    async def users(self, limit: int | None, offset: int | None, ordering: str | None) -> dict[str, Any]:
        return v1.users_info(
            await self._get(api.FAB_USERS, None, page_query(limit, offset, ordering=ordering))
        )

    async def user(self, username: str) -> dict[str, Any]:
        return v1.user_info(await self._get(api.FAB_USER, {"username": username}))

    async def create_user(self, body: Any) -> dict[str, Any]:
        return v1.user_info(await self._send("POST", api.FAB_USERS, body=body))

    async def update_user(self, username: str, body: Any, update_mask: list[str] | None) -> dict[str, Any]:
        return v1.user_info(
            await self._send("PATCH", api.FAB_USER, {"username": username}, body, update_mask)
        )

    async def delete_user(self, username: str) -> None:
        await self._send("DELETE", api.FAB_USER, {"username": username})

    # -- roles and permissions ----------------------------------------------------------------------

    async def roles(self, limit: int | None, offset: int | None, ordering: str | None) -> Any:
        return await self._get(api.FAB_ROLES, None, page_query(limit, offset, ordering=ordering))

    async def role(self, role_name: str) -> Any:
        return await self._get(api.FAB_ROLE, {"role_name": role_name})

    async def create_role(self, body: Any) -> Any:
        return await self._send("POST", api.FAB_ROLES, body=body)

    async def update_role(self, role_name: str, body: Any, update_mask: list[str] | None) -> Any:
        return await self._send("PATCH", api.FAB_ROLE, {"role_name": role_name}, body, update_mask)

    async def delete_role(self, role_name: str) -> None:
        await self._send("DELETE", api.FAB_ROLE, {"role_name": role_name})

    async def permissions(self, limit: int | None, offset: int | None) -> Any:
        return await self._get(api.FAB_PERMISSIONS, None, page_query(limit, offset))
