"""The configuration (docs/api-v1.md, "Pools, variables, connections, ..."): Airflow 3's, while its
``[api] expose_config`` allows; else 403 with Airflow's words, as v1 answered."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.endpoints import Endpoint
from app.gateway.models.config import Config
from app.gateway.transport import Answer
from app.schemas.v1 import config as v1
from app.services.v1.context import V1Context
from app.services.v1.upstream import not_disabled, read


class ConfigService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def config(self, section: str | None) -> dict[str, Any]:
        """Every section, or the one named."""
        answer = await self._read(api.CONFIG, {}, {"section": section} if section else None)
        missing = NotFound(v1.section_missing(section or ""), title=v1.SECTION_NOT_FOUND)
        return v1.config_info(read(answer, Config, missing=missing))

    async def option(self, section: str, option: str) -> dict[str, Any]:
        answer = await self._read(api.CONFIG_OPTION, {"section": section, "option": option}, None)
        missing = NotFound(v1.option_missing(section, option), title=v1.OPTION_NOT_FOUND)
        return v1.config_info(read(answer, Config, missing=missing))

    async def _read(self, endpoint: Endpoint, params: dict[str, str], query: dict[str, str] | None) -> Answer:
        return not_disabled(
            self.client, await self.client.get(endpoint, params, query, forbidden_ok=True), v1.NOT_EXPOSED
        )
