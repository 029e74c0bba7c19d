"""v1 routes: variables (docs/api-v1.md, "Pools, variables, connections, ...").

A key may hold ``/`` (v1's ``variable_key`` was a path): the routes take the rest of the path."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException

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
from app.routers.v1.pools import DELETED_TYPE
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.variables import Variable, VariableCollection
from app.services.v1.variables import VariableService

router = APIRouter(tags=["Variable"], route_class=LeanRoute)
Variables = Annotated[VariableService, Depends(depends_on(VariableService))]

ORDER_BY = order_by("`key`, `value` or `id` (the default); `-` before it: descending")
UPDATE_MASK = Param(
    "update_mask",
    "list",
    "The fields to update: `description` (Airflow 2 refused `value`: leave the mask out to update it)",
)


def _key(variable_key: str) -> str:
    if not variable_key:  # /variables/: no such route, as in Airflow 2
        raise HTTPException(404)
    return variable_key


@router.get(
    "/variables",
    summary="List variables",
    response_model=VariableCollection,
    responses=problems(400),
    openapi_extra=documented(LIMIT, OFFSET, ORDER_BY),
)
async def get_variables(request: Request, service: Variables) -> V1Response:
    """The variables, with their values, ordered by id unless `order_by` says otherwise."""
    query = read_query(request, LIMIT, OFFSET, ORDER_BY)
    return V1Response(await service.list(query["limit"], query["offset"], query["order_by"]))


@router.post("/variables", summary="Create a variable", response_model=Variable, responses=problems(400, 415))
async def post_variable(request: Request, service: Variables) -> V1Response:
    """Create a variable (`key` and `value`, a string, required); an existing key is overwritten, as
    Airflow 2 did. Answers 200 with the body's fields."""
    return V1Response(await service.create(await read_json_body(request)))


@router.get(
    "/variables/{variable_key:path}",
    summary="Get a variable",
    response_model=Variable,
    responses=problems(404),
)
async def get_variable(variable_key: str, service: Variables) -> V1Response:
    """One variable, with its value."""
    return V1Response(await service.get(_key(variable_key)))


@router.patch(
    "/variables/{variable_key:path}",
    summary="Update a variable",
    response_model=Variable,
    responses=problems(400, 404, 415),
    openapi_extra=documented(UPDATE_MASK),
)
async def patch_variable(request: Request, variable_key: str, service: Variables) -> V1Response:
    """Update a variable: the body's `key` (required, the path's) and `value` (required), and
    `description` if given; with `update_mask=description`, only the description."""
    key = _key(variable_key)
    body = await read_json_body(request)
    update_mask = read_query(request, UPDATE_MASK)["update_mask"]
    return V1Response(await service.update(key, body, update_mask))


@router.delete(
    "/variables/{variable_key:path}",
    summary="Delete a variable",
    status_code=204,
    response_class=V1NoContent,
    responses=problems(404),
)
async def delete_variable(variable_key: str, service: Variables) -> V1NoContent:
    """Delete a variable. A body is not read (Airflow 2 failed a body-less DELETE sent with a JSON
    Content-Type: this one deletes)."""
    await service.delete(_key(variable_key))
    return V1NoContent(media_type=DELETED_TYPE)
