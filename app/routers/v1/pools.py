"""v1 routes: pools (docs/api-v1.md, "Pools, variables, connections, ...")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import (
    Param,
    V1NoContent,
    V1Response,
    documented,
    problems,
    read_json_body,
    read_query,
)
from app.routers.v1.params import LIMIT, OFFSET, order_by
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.pools import Pool, PoolCollection
from app.services.v1.pools import PoolService

router = APIRouter(tags=["Pool"], route_class=LeanRoute)
Pools = Annotated[PoolService, Depends(depends_on(PoolService))]

ORDER_BY = order_by("`name`, `slots` or `id` (the default); `-` before it: descending")
UPDATE_MASK = Param(
    "update_mask", "list", "The fields to update (`name`, `slots`, `description`, `include_deferred`)"
)
# Airflow 2 answered a pool's and a variable's 204 with text/html.
DELETED_TYPE = "text/html; charset=utf-8"


@router.get(
    "/pools",
    summary="List pools",
    response_model=PoolCollection,
    responses=problems(400),
    openapi_extra=documented(LIMIT, OFFSET, ORDER_BY),
)
async def get_pools(request: Request, service: Pools) -> V1Response:
    """The pools, with their slots now, ordered by id unless `order_by` says otherwise."""
    query = read_query(request, LIMIT, OFFSET, ORDER_BY)
    return V1Response(await service.list(query["limit"], query["offset"], query["order_by"]))


@router.post("/pools", summary="Create a pool", response_model=Pool, responses=problems(400, 409, 415))
async def post_pool(request: Request, service: Pools) -> V1Response:
    """Create a pool (`name` and `slots` required; `slots` -1: unlimited). Answers 200, as Airflow 2
    did."""
    return V1Response(await service.create(await read_json_body(request)))


@router.get("/pools/{pool_name}", summary="Get a pool", response_model=Pool, responses=problems(404))
async def get_pool(pool_name: str, service: Pools) -> V1Response:
    """One pool."""
    return V1Response(await service.get(pool_name))


@router.patch(
    "/pools/{pool_name}",
    summary="Update a pool",
    response_model=Pool,
    responses=problems(400, 404, 409, 415),
    openapi_extra=documented(UPDATE_MASK),
)
async def patch_pool(request: Request, pool_name: str, service: Pools) -> V1Response:
    """Update a pool: the fields `update_mask` names, or without one `name` and `slots` (required)
    with `description` and `include_deferred` (false unless given). A new `name` renames the pool;
    `default_pool` keeps its name."""
    body = await read_json_body(request)
    update_mask = read_query(request, UPDATE_MASK)["update_mask"]
    return V1Response(await service.update(pool_name, body, update_mask))


@router.delete(
    "/pools/{pool_name}",
    summary="Delete a pool",
    status_code=204,
    response_class=V1NoContent,
    responses=problems(400, 404),
)
async def delete_pool(pool_name: str, service: Pools) -> V1NoContent:
    """Delete a pool (not `default_pool`)."""
    await service.delete(pool_name)
    return V1NoContent(media_type=DELETED_TYPE)
