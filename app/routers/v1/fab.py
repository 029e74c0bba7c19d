"""v1 routes: users, roles and permissions, Airflow 2's FAB endpoints (docs/api-v1.md, "Pools,
variables, connections, ..."), forwarded to the FAB auth manager's ``/auth/fab/v1`` where Airflow
has it; changes in passthrough mode only (app/services/v1/fab.py)."""

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
from app.routers.v1.params import LIMIT, OFFSET, ORDER_BY
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.fab import ActionCollection, Role, RoleCollection, User, UserCollection
from app.services.v1.fab import FabService

router = APIRouter(route_class=LeanRoute)
Fab = Annotated[FabService, Depends(depends_on(FabService))]

UPDATE_MASK = Param("update_mask", "list", "The fields to update")


@router.get(
    "/users",
    tags=["User"],
    summary="List users",
    response_model=UserCollection,
    responses=problems(400, 404),
    openapi_extra=documented(LIMIT, OFFSET, ORDER_BY),
    deprecated=True,
)
async def get_users(request: Request, service: Fab) -> V1Response:
    """The users. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it)."""
    query = read_query(request, LIMIT, OFFSET, ORDER_BY)
    return V1Response(await service.users(query["limit"], query["offset"], query["order_by"]))


@router.post(
    "/users",
    tags=["User"],
    summary="Create a user",
    response_model=User,
    responses=problems(400, 404, 409, 415),
    deprecated=True,
)
async def post_user(request: Request, service: Fab) -> V1Response:
    """Create a user (username, email, first and last name, password, roles). Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it). Passthrough mode only: 403 in service mode."""
    service.check_changes()  # before the body is read, as Airflow 2 checked permissions first
    return V1Response(await service.create_user(await read_json_body(request)))


@router.get(
    "/users/{username}",
    tags=["User"],
    summary="Get a user",
    response_model=User,
    responses=problems(404),
    deprecated=True,
)
async def get_user(username: str, service: Fab) -> V1Response:
    """One user. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it)."""
    return V1Response(await service.user(username))


@router.patch(
    "/users/{username}",
    tags=["User"],
    summary="Update a user",
    response_model=User,
    responses=problems(400, 404, 409, 415),
    openapi_extra=documented(UPDATE_MASK),
    deprecated=True,
)
async def patch_user(request: Request, username: str, service: Fab) -> V1Response:
    """Update a user: the fields `update_mask` names, or those of the body. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it). Passthrough mode only: 403 in service mode."""
    service.check_changes()  # before the body is read, as Airflow 2 checked permissions first
    body = await read_json_body(request)
    update_mask = read_query(request, UPDATE_MASK)["update_mask"]
    return V1Response(await service.update_user(username, body, update_mask))


@router.delete(
    "/users/{username}",
    tags=["User"],
    summary="Delete a user",
    status_code=204,
    response_class=V1NoContent,
    responses=problems(404),
    deprecated=True,
)
async def delete_user(username: str, service: Fab) -> V1NoContent:
    """Delete a user. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it). Passthrough mode only: 403 in service mode."""
    await service.delete_user(username)
    return V1NoContent()


@router.get(
    "/roles",
    tags=["Role"],
    summary="List roles",
    response_model=RoleCollection,
    responses=problems(400, 404),
    openapi_extra=documented(LIMIT, OFFSET, ORDER_BY),
    deprecated=True,
)
async def get_roles(request: Request, service: Fab) -> V1Response:
    """The roles, with their permissions. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it)."""
    query = read_query(request, LIMIT, OFFSET, ORDER_BY)
    return V1Response(await service.roles(query["limit"], query["offset"], query["order_by"]))


@router.post(
    "/roles",
    tags=["Role"],
    summary="Create a role",
    response_model=Role,
    responses=problems(400, 404, 409, 415),
    deprecated=True,
)
async def post_role(request: Request, service: Fab) -> V1Response:
    """Create a role with its permissions (`actions`). Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it). Passthrough mode only: 403 in service mode."""
    service.check_changes()  # before the body is read, as Airflow 2 checked permissions first
    return V1Response(await service.create_role(await read_json_body(request)))


@router.get(
    "/roles/{role_name}",
    tags=["Role"],
    summary="Get a role",
    response_model=Role,
    responses=problems(404),
    deprecated=True,
)
async def get_role(role_name: str, service: Fab) -> V1Response:
    """One role, with its permissions. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it)."""
    return V1Response(await service.role(role_name))


@router.patch(
    "/roles/{role_name}",
    tags=["Role"],
    summary="Update a role",
    response_model=Role,
    responses=problems(400, 404, 415),
    openapi_extra=documented(UPDATE_MASK),
    deprecated=True,
)
async def patch_role(request: Request, role_name: str, service: Fab) -> V1Response:
    """Update a role: its name or its permissions. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it). Passthrough mode only: 403 in service mode."""
    service.check_changes()  # before the body is read, as Airflow 2 checked permissions first
    body = await read_json_body(request)
    update_mask = read_query(request, UPDATE_MASK)["update_mask"]
    return V1Response(await service.update_role(role_name, body, update_mask))


@router.delete(
    "/roles/{role_name}",
    tags=["Role"],
    summary="Delete a role",
    status_code=204,
    response_class=V1NoContent,
    responses=problems(404),
    deprecated=True,
)
async def delete_role(role_name: str, service: Fab) -> V1NoContent:
    """Delete a role. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it). Passthrough mode only: 403 in service mode."""
    await service.delete_role(role_name)
    return V1NoContent()


@router.get(
    "/permissions",
    tags=["Permission"],
    summary="List permissions",
    response_model=ActionCollection,
    responses=problems(400, 404),
    openapi_extra=documented(LIMIT, OFFSET),
    deprecated=True,
)
async def get_permissions(request: Request, service: Fab) -> V1Response:
    """The permission actions. Forwarded to the FAB auth manager's `/auth/fab/v1`
    (404 when Airflow does not use it)."""
    query = read_query(request, LIMIT, OFFSET)
    return V1Response(await service.permissions(query["limit"], query["offset"]))
