"""``/health`` and ``/version``: Airflow 3's, read without credentials (as Airflow 2 served them).

Anyone may ask: the gateway's ``get_public`` shares one call among the requests asking at the same
time, whoever they are, on the requests' connections (the health checks' own few are dagport's
``/ready``'s, which a flood of anonymous ``/api/v1/health`` must not take)."""

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
        """Airflow 3's ``/monitor/health``."""
        return health_info(expect(await self.client.get_public(api.HEALTH), 200))

    async def version(self) -> dict[str, Any]:
        return version_info(expect(await self.client.get_public(api.VERSION), 200))
