"""Pools: list, get, create-or-update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from app.deps import read_json_object, reading, writing
from app.errors import BadRequest, NotFound, responses
from app.json import JSONResponse
from app.routing import LeanRoute
from app.schemas.common import NOT_BLANK_PATTERN, validate_body
from app.schemas.pools import Pool, PoolCreate, pool_json

router = APIRouter(tags=["pools"], route_class=LeanRoute)

DEFAULT_POOL = "default_pool"


# Documentation only (the handlers decide, with Airflow's messages): not blank, and for DELETE not
# default_pool.
_NAME_SCHEMA = {"pattern": NOT_BLANK_PATTERN}
PoolName = Annotated[str, Path(description="The pool's name (not blank)", json_schema_extra=_NAME_SCHEMA)]


def _path_name(name: str) -> str:
    if not name.strip():
        raise BadRequest("Pool name shouldn't be empty")
    return name


@router.get("/pools", summary="List pools", response_model=list[Pool], responses=responses())
async def list_pools(request: Request) -> JSONResponse:
    """Every pool, by id; `default_pool` always exists."""
    async with reading(request) as db:
        rows = await db.pools.list()
    return JSONResponse([pool_json(r) for r in rows])


@router.get("/pools/{name}", summary="Get a pool", response_model=Pool, responses=responses(400, 404))
async def get_pool(name: PoolName, request: Request) -> JSONResponse:
    """One pool by name; a blank name is 400, an unknown one 404."""
    _path_name(name)
    async with reading(request) as db:
        row = await db.pools.get(name=name)
    if row is None:
        raise NotFound(f"Pool '{name}' doesn't exist")
    return JSONResponse(pool_json(row))


@router.post(
    "/pools",
    summary="Create or update a pool",
    response_model=Pool,
    responses=responses(400, 413),
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
async def create_pool(request: Request) -> JSONResponse:
    """Creates the pool, or updates the pool of that name (Airflow upserts): `slots` always,
    `description` and `include_deferred` only when sent. Concurrent creates of one name leave one row."""
    body = await read_json_object(request)
    data = validate_body(PoolCreate, body)  # field order = Airflow's check order: name, then slots
    async with writing(request) as db:
        row = await db.pools.upsert(
            name=data.name,
            slots=data.slots,
            description=data.description if "description" in body else ...,
            include_deferred=data.include_deferred if "include_deferred" in body else ...,
        )
    return JSONResponse(pool_json(row))


@router.delete("/pools/{name}", summary="Delete a pool", response_model=Pool, responses=responses(400, 404))
async def delete_pool(
    name: Annotated[
        str,
        Path(
            description="The pool's name (not blank; `default_pool` cannot be deleted)",
            json_schema_extra={**_NAME_SCHEMA, "not": {"const": DEFAULT_POOL}},
        ),
    ],
    request: Request,
) -> JSONResponse:
    """Deletes the pool and returns it; `default_pool` cannot be deleted."""
    _path_name(name)
    if name == DEFAULT_POOL:
        raise BadRequest("default_pool cannot be deleted")
    async with writing(request) as db:
        row = await db.pools.delete(name=name)
    if row is None:
        raise NotFound(f"Pool '{name}' doesn't exist")
    return JSONResponse(pool_json(row))
