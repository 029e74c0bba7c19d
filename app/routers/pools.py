"""Pools: list, get, create-or-update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.core.results import DEFAULT_POOL, KEEP, PoolUpsert
from app.error_handlers import responses
from app.json import JSONResponse
from app.routers.dependencies import PoolBody, Pools
from app.routing import LeanRoute
from app.schemas.common import NOT_BLANK_PATTERN
from app.schemas.pools import Pool, pool_json
from app.security import API_SECURITY

router = APIRouter(tags=["pools"], route_class=LeanRoute, dependencies=API_SECURITY)

# Documentation only (the service decides, with Airflow's messages): not blank, and for DELETE not
# default_pool.
_NAME_SCHEMA = {"pattern": NOT_BLANK_PATTERN}
# OpenAPI links from a created pool to the operations on it, by its name (not its numeric id).
_POOL_PATH = "#/paths/~1api~1experimental~1pools~1{name}"
POOL_LINKS = {
    "GetPool": {"operationRef": f"{_POOL_PATH}/get", "parameters": {"name": "$response.body#/pool"}},
    "DeletePool": {"operationRef": f"{_POOL_PATH}/delete", "parameters": {"name": "$response.body#/pool"}},
}
PoolName = Annotated[str, Path(description="The pool's name (not blank)", json_schema_extra=_NAME_SCHEMA)]


@router.get("/pools", summary="List pools", response_model=list[Pool], responses=responses())
async def list_pools(service: Pools) -> JSONResponse:
    """Every pool, by id; `default_pool` always exists."""
    return JSONResponse([pool_json(p) for p in await service.list_pools()])


@router.get("/pools/{name}", summary="Get a pool", response_model=Pool, responses=responses(400, 404))
async def get_pool(name: PoolName, service: Pools) -> JSONResponse:
    """One pool by name; a blank name is 400, an unknown one 404."""
    return JSONResponse(pool_json(await service.get_pool(name)))


@router.post(
    "/pools",
    summary="Create or update a pool",
    response_model=Pool,
    responses={200: {"links": POOL_LINKS}, **responses(400, 413)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/PoolCreate"},
                    "examples": {
                        "create": {"value": {"name": "etl_pool", "slots": 4, "description": "ETL pool"}},
                        "unlimited": {"value": {"name": "unbounded", "slots": -1}},
                    },
                }
            },
        }
    },
)
async def create_pool(body: PoolBody, service: Pools) -> JSONResponse:
    """Creates the pool, or updates the pool of that name (Airflow upserts): `slots` always,
    `description` and `include_deferred` only when sent. Concurrent creates of one name leave one row."""
    sent = body.model_fields_set
    pool = await service.upsert_pool(
        PoolUpsert(
            name=body.name,
            slots=body.slots,
            description=body.description if "description" in sent else KEEP,
            include_deferred=body.include_deferred if "include_deferred" in sent else KEEP,
        )
    )
    return JSONResponse(pool_json(pool))


@router.delete("/pools/{name}", summary="Delete a pool", response_model=Pool, responses=responses(400, 404))
async def delete_pool(
    name: Annotated[
        str,
        Path(
            description="The pool's name (not blank; `default_pool` cannot be deleted)",
            json_schema_extra={**_NAME_SCHEMA, "not": {"const": DEFAULT_POOL}},
        ),
    ],
    service: Pools,
) -> JSONResponse:
    """Deletes the pool and returns it; `default_pool` cannot be deleted."""
    return JSONResponse(pool_json(await service.delete_pool(name)))
