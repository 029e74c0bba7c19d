"""v1 routes: connections (docs/api-v1.md, "Pools, variables, connections, ...")."""

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
from app.schemas.v1.connections import Connection, ConnectionCollection, ConnectionTest
from app.services.v1.connections import ConnectionService

router = APIRouter(tags=["Connection"], route_class=LeanRoute)
Connections = Annotated[ConnectionService, Depends(depends_on(ConnectionService))]

ORDER_BY = order_by(
    "`connection_id`, `conn_type`, `description`, `host`, `port` or `id` (the default); `-` before it: descending"
)
UPDATE_MASK = Param(
    "update_mask",
    "list",
    "The fields to update (`conn_type`, `description`, `host`, `login`, `schema`, `port`, `password`, `extra`)",
)


@router.get(
    "/connections",
    summary="List connections",
    response_model=ConnectionCollection,
    responses=problems(400),
    openapi_extra=documented(LIMIT, OFFSET, ORDER_BY),
)
async def get_connections(request: Request, service: Connections) -> V1Response:
    """The connections (without their `extra` and password), ordered by id unless `order_by` says
    otherwise."""
    query = read_query(request, LIMIT, OFFSET, ORDER_BY)
    return V1Response(await service.list(query["limit"], query["offset"], query["order_by"]))


@router.post(
    "/connections",
    summary="Create a connection",
    response_model=Connection,
    responses=problems(400, 409, 415),
)
async def post_connection(request: Request, service: Connections) -> V1Response:
    """Create a connection (`connection_id` and `conn_type` required). Answers 200, as Airflow 2 did."""
    return V1Response(await service.create(await read_json_body(request)))


@router.post(
    "/connections/test",
    summary="Test a connection",
    response_model=ConnectionTest,
    responses=problems(400, 415),
)
async def test_connection(request: Request, service: Connections) -> V1Response:
    """Test a connection from its fields, if the Airflow dagport fronts allows it (`[core]
    test_connection = Enabled`); else 403 saying it is disabled."""
    return V1Response(await service.test(await read_json_body(request)))


@router.get(
    "/connections/{connection_id}",
    summary="Get a connection",
    response_model=Connection,
    responses=problems(404),
)
async def get_connection(connection_id: str, service: Connections) -> V1Response:
    """One connection, with its `extra` (sensitive values hidden) and without its password."""
    return V1Response(await service.get(connection_id))


@router.patch(
    "/connections/{connection_id}",
    summary="Update a connection",
    response_model=Connection,
    responses=problems(400, 404, 415),
    openapi_extra=documented(UPDATE_MASK),
)
async def patch_connection(request: Request, connection_id: str, service: Connections) -> V1Response:
    """Update a connection: the fields `update_mask` names, or every field the body has. Its
    `connection_id` cannot change."""
    body = await read_json_body(request)
    update_mask = read_query(request, UPDATE_MASK)["update_mask"]
    return V1Response(await service.update(connection_id, body, update_mask))


@router.delete(
    "/connections/{connection_id}",
    summary="Delete a connection",
    status_code=204,
    response_class=V1NoContent,
    responses=problems(404),
)
async def delete_connection(connection_id: str, service: Connections) -> V1NoContent:
    """Delete a connection."""
    await service.delete(connection_id)
    return V1NoContent()
