"""``/health`` and ``/version``: Airflow 3's, read without credentials (as Airflow 2 served them)."""

from __future__ import annotations

from typing import Any

from app.gateway import endpoints as api
from app.gateway.pager import expect
from app.schemas.v1.monitor import health_info, version_info
from app.services.v1.context import V1Context


class MonitorService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def health(self) -> dict[str, Any]:
        """Airflow 3's ``/monitor/health``, on the health checks' own connections."""
        answer = await self.client.get_public(api.HEALTH, health=True)
        return health_info(expect(answer, 200))

    async def version(self) -> dict[str, Any]:
        return version_info(expect(await self.client.get_public(api.VERSION), 200))
