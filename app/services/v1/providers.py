"""Providers (docs/api-v1.md, "Pools, variables, connections, ..."): every one Airflow 3 has (v1's
listing has no pages: one call per 100)."""

from __future__ import annotations

from typing import Any

from app.gateway import endpoints as api
from app.gateway.models.providers import Provider, ProviderCollection
from app.gateway.pager import Pager
from app.schemas.v1.providers import provider_info
from app.services.v1.context import V1Context


class ProviderService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(self) -> dict[str, Any]:
        providers = await Pager(self.client, api.PROVIDERS, None, None, ProviderCollection, _providers).all()
        found = providers or []
        return {"providers": [provider_info(p) for p in found], "total_entries": len(found)}


def _providers(collection: ProviderCollection) -> list[Provider]:
    return collection.providers
