"""v1 routes: XCom entries (docs/api-v1.md, "Task instances, XCom, logs, clearing and state updates")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import Param, V1Response, documented, problems, read_query
from app.routers.v1.params import PAGE
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.xcom import XCom, XComCollection
from app.services.v1.xcom import XComService

router = APIRouter(tags=["XCom"], route_class=LeanRoute)
XComs = Annotated[XComService, Depends(depends_on(XComService))]

ENTRIES = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries"
MAP_INDEX = Param("map_index", "integer", "Only entries of this map index (-1: not mapped)")
LIST = (
    MAP_INDEX,
    Param("xcom_key", "string", "Only entries of this key"),
    *PAGE,
)
ONE = (
    Param("map_index", "integer", "The entry's map index (-1: not mapped)", default=-1),
    Param(
        "deserialize",
        "boolean",
        "Accepted as Airflow 2 accepted it: the value is read either way",
        default=False,
    ),
    Param(
        "stringify",
        "boolean",
        "The value as a string (its Python representation), or with false as its JSON",
        default=True,
    ),
)


@router.get(
    ENTRIES,
    summary="List XCom entries",
    response_model=XComCollection,
    responses=problems(400),
    openapi_extra=documented(*LIST),
)
async def get_xcom_entries(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, service: XComs
) -> V1Response:
    """The XCom entries of a task instance, without their values; `~` as the DAG id, run id
    and/or task id for every one."""
    values = read_query(request, *LIST)
    return V1Response(
        await service.list(
            dag_id,
            dag_run_id,
            task_id,
            map_index=values["map_index"],
            xcom_key=values["xcom_key"],
            limit=values["limit"],
            offset=values["offset"],
        )
    )


@router.get(
    ENTRIES + "/{xcom_key}",
    summary="Get an XCom entry",
    response_model=XCom,
    responses=problems(400, 404),
    openapi_extra=documented(*ONE),
)
async def get_xcom_entry(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, service: XComs
) -> V1Response:
    """One XCom entry with its value: a string (`str()` of the value, as Airflow 2 wrote it)
    unless `stringify=false`, which gives the value's JSON."""
    values = read_query(request, *ONE)
    return V1Response(
        await service.get(
            dag_id,
            dag_run_id,
            task_id,
            xcom_key,
            map_index=values["map_index"],
            stringify=values["stringify"],
        )
    )
