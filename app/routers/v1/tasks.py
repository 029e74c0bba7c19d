"""v1 routes: a DAG's tasks (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings and import errors")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import V1Response, documented, problems, read_query
from app.routers.v1.params import ORDER_BY
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.tasks import Task, TaskCollection
from app.services.v1.tasks import TasksService

router = APIRouter(tags=["DAG"], route_class=LeanRoute)
Tasks = Annotated[TasksService, Depends(depends_on(TasksService))]


@router.get(
    "/dags/{dag_id}/tasks",
    summary="Get tasks for DAG",
    response_model=TaskCollection,
    responses=problems(400, 404),
    openapi_extra=documented(ORDER_BY),
)
async def get_tasks(request: Request, dag_id: str, service: Tasks) -> V1Response:
    """The DAG's tasks, by task_id unless `order_by` names another attribute (Airflow 3's
    `GET /api/v2/dags/{dag_id}/tasks`, which orders by the attributes it lists)."""
    return V1Response(await service.listing(dag_id, read_query(request, ORDER_BY)["order_by"]))


@router.get(
    "/dags/{dag_id}/tasks/{task_id}",
    summary="Get simplified representation of a task",
    response_model=Task,
    responses=problems(404),
)
async def get_task(dag_id: str, task_id: str, service: Tasks) -> V1Response:
    """The task (Airflow 3's `GET /api/v2/dags/{dag_id}/tasks/{task_id}`): numbers as floats, as v1
    wrote them."""
    return V1Response(await service.get(dag_id, task_id))
