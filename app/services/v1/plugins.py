"""Plugins (docs/api-v1.md, "Pools, variables, connections, ..."): Airflow 3's ``/plugins``, one
call a page."""

from __future__ import annotations

from typing import Any

from app.gateway import endpoints as api
from app.gateway.models.plugins import PluginCollection
from app.schemas.v1.plugins import plugin_info
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import fetch, rejected


class PluginService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(self, limit: int | None, offset: int | None) -> dict[str, Any]:
        query = page_query(limit, offset)
        collection = await fetch(
            self.client, api.PLUGINS, None, PluginCollection, query=query, otherwise=rejected
        )
        return {
            "plugins": [plugin_info(p) for p in collection.plugins],
            "total_entries": collection.total_entries,
        }
