"""v1 routes: plugins (docs/api-v1.md, "Pools, variables, connections, ...")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import V1Response, documented, problems, read_query
from app.routers.v1.params import LIMIT, OFFSET
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.plugins import PluginCollection
from app.services.v1.plugins import PluginService

router = APIRouter(tags=["Plugin"], route_class=LeanRoute)
Plugins = Annotated[PluginService, Depends(depends_on(PluginService))]


@router.get(
    "/plugins",
    summary="Get a list of loaded plugins",
    response_model=PluginCollection,
    responses=problems(400),
    openapi_extra=documented(LIMIT, OFFSET),
)
async def get_plugins(request: Request, service: Plugins) -> V1Response:
    """The plugins Airflow loaded, by name."""
    query = read_query(request, LIMIT, OFFSET)
    return V1Response(await service.list(query["limit"], query["offset"]))
