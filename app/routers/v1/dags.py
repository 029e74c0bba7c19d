"""v1 routes: DAGs (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings and import errors")."""

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
from app.routers.v1.params import FIELDS, LIMIT, OFFSET, ORDER_BY
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.dags import DAG, DAGCollection, DAGDetail
from app.services.v1.dags import DagsService

router = APIRouter(tags=["DAG"], route_class=LeanRoute)
Dags = Annotated[DagsService, Depends(depends_on(DagsService))]

TAGS = Param("tags", "list", "List of tags to filter results: DAGs with any of them.")
ONLY_ACTIVE = Param("only_active", "boolean", "Only filter active DAGs.", default=True)
PAUSED = Param(
    "paused",
    "boolean",
    "Only filter paused/unpaused DAGs. If absent or null, it returns paused and unpaused DAGs.",
)
UPDATE_MASK = Param(
    "update_mask", "list", "The fields to update on the resource: only `is_paused` can be (comma-separated)."
)
LIST_PATTERN = Param(
    "dag_id_pattern",
    "string",
    "If set, only return DAGs with dag_ids matching this pattern (SQL `ILIKE '%pattern%'`: `%` and `_` "
    "are wildcards).",
)
PATCH_PATTERN = Param(
    "dag_id_pattern",
    "string",
    "Only update DAGs with dag_ids matching this pattern (SQL `ILIKE '%pattern%'`; `~`: every DAG).",
    required=True,
)
LIST_PARAMS = (LIMIT, OFFSET, ORDER_BY, TAGS, ONLY_ACTIVE, PAUSED, FIELDS, LIST_PATTERN)
PATCH_MANY_PARAMS = (LIMIT, OFFSET, TAGS, UPDATE_MASK, ONLY_ACTIVE, PATCH_PATTERN)


@router.get(
    "/dags",
    summary="List DAGs",
    response_model=DAGCollection,
    responses=problems(400),
    openapi_extra=documented(*LIST_PARAMS),
)
async def get_dags(request: Request, service: Dags) -> V1Response:
    """The DAGs Airflow knows, in dag_id order (`order_by=-dag_id`: reversed), one page of them:
    Airflow 3's `GET /api/v2/dags` with the same filters (one call per page)."""
    q = read_query(request, *LIST_PARAMS)
    return V1Response(
        await service.listing(
            limit=q["limit"],
            offset=q["offset"],
            order=q["order_by"],
            tags=q["tags"] or [],
            only_active=q["only_active"],
            paused=q["paused"],
            dag_id_pattern=q["dag_id_pattern"],
            fields=q["fields"],
        )
    )


@router.patch(
    "/dags",
    summary="Update DAGs",
    response_model=DAGCollection,
    responses=problems(400, 404, 415),
    openapi_extra=documented(*PATCH_MANY_PARAMS),
)
async def patch_dags(request: Request, service: Dags) -> V1Response:
    """Pause or unpause (`{"is_paused": true}`) the DAGs of one page of those whose dag_id matches
    `dag_id_pattern`, in dag_id order, as Airflow 2 did; answers that page. When the page is every
    match, one `PATCH /api/v2/dags`; otherwise one `PATCH /api/v2/dags/{dag_id}` per DAG of the page."""
    q = read_query(request, *PATCH_MANY_PARAMS)
    body = await read_json_body(request)
    return V1Response(
        await service.patch_many(
            body,
            update_mask=q["update_mask"],
            dag_id_pattern=q["dag_id_pattern"],
            limit=q["limit"],
            offset=q["offset"],
            only_active=q["only_active"],
            tags=q["tags"] or [],
        )
    )


@router.get(
    "/dags/{dag_id}",
    summary="Get basic information about a DAG",
    response_model=DAG,
    responses=problems(400, 404),
    openapi_extra=documented(FIELDS),
)
async def get_dag(request: Request, dag_id: str, service: Dags) -> V1Response:
    """The DAG (Airflow 3's `GET /api/v2/dags/{dag_id}`)."""
    return V1Response(await service.get(dag_id, read_query(request, FIELDS)["fields"]))


@router.patch(
    "/dags/{dag_id}",
    summary="Update a DAG",
    response_model=DAG,
    responses=problems(400, 404, 415),
    openapi_extra=documented(UPDATE_MASK),
)
async def patch_dag(request: Request, dag_id: str, service: Dags) -> V1Response:
    """Pause or unpause the DAG: `{"is_paused": true}`, the only field v1 could change."""
    mask = read_query(request, UPDATE_MASK)["update_mask"]
    return V1Response(await service.patch(dag_id, await read_json_body(request), mask))


@router.delete(
    "/dags/{dag_id}",
    summary="Delete a DAG",
    status_code=204,
    responses=problems(400, 404, 409),
)
async def delete_dag(dag_id: str, service: Dags) -> V1NoContent:
    """Deletes all metadata of the DAG, its runs and task instances included (Airflow 3's
    `DELETE /api/v2/dags/{dag_id}`); 409 while some of its tasks run. Its file stays: the next
    parse brings the DAG back."""
    await service.delete(dag_id)
    return V1NoContent()


@router.get(
    "/dags/{dag_id}/details",
    summary="Get a simplified representation of DAG",
    response_model=DAGDetail,
    responses=problems(400, 404),
    openapi_extra=documented(FIELDS),
)
async def get_dag_details(request: Request, dag_id: str, service: Dags) -> V1Response:
    """The DAG with the attributes of its definition (Airflow 3's `GET /api/v2/dags/{dag_id}/details`)."""
    return V1Response(await service.details(dag_id, read_query(request, FIELDS)["fields"]))
