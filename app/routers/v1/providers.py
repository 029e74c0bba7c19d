"""v1 routes: providers (docs/api-v1.md, "Pools, variables, connections, ...")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.routers.v1.conventions import V1Response, problems
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.providers import ProviderCollection
from app.services.v1.providers import ProviderService

router = APIRouter(tags=["Provider"], route_class=LeanRoute)
Providers = Annotated[ProviderService, Depends(depends_on(ProviderService))]


@router.get("/providers", summary="List providers", response_model=ProviderCollection, responses=problems())
async def get_providers(service: Providers) -> V1Response:
    """Every provider package installed with Airflow, by package name."""
    return V1Response(await service.list())
