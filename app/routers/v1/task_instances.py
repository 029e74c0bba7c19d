"""v1 routes: task instances, their tries, dependencies, links and notes, state updates and clearing
(docs/api-v1.md, "Task instances, XCom, logs, clearing and state updates").

The mapped forms take ``{map_index:int}``: digits only, as Airflow 2's routes took it, so that
``.../taskInstances/{task_id}/xcomEntries`` and the like stay the other routes' (those forms are
answered through FastAPI's own handler: a convertor is not a lean route's shape).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import (
    Kind,
    Param,
    V1Response,
    documented,
    path_int,
    problems,
    read_json_body,
    read_query,
)
from app.routers.v1.params import MAP_INDEX, ORDER_BY, PAGE, date_range
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1 import task_instances as schema
from app.schemas.v1.task_instances import (
    ExtraLinks,
    TaskDependencyCollection,
    TaskInstanceCollection,
    TaskInstanceInfo,
    TaskInstanceReference,
    TaskInstanceReferenceCollection,
    TaskInstanceTryCollection,
    TaskInstanceTryInfo,
)
from app.services.v1.task_instances import TaskInstanceService

router = APIRouter(route_class=LeanRoute)
# Typed as FastAPI's ``tags=`` takes them (a plain list[str] is not one: list is invariant).
INSTANCE: list[str | Enum] = ["TaskInstance"]
DAG: list[str | Enum] = ["DAG"]  # as Airflow 2 tagged the DAG-wide operations
TaskInstances = Annotated[TaskInstanceService, Depends(depends_on(TaskInstanceService))]

PREFIX = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"
ONE = PREFIX + "/{task_id}"
MAPPED = ONE + "/{map_index:int}"


def _range(name: str, what: str, kind: Kind = "date-time") -> tuple[Param, Param]:
    return date_range(name, f"Only task instances whose {what}", kind)


FILTERS = (
    *_range("execution_date", "run's logical date (v1's execution_date)"),
    *_range("start_date", "start date"),
    *_range("end_date", "end date"),
    *_range("updated_at", "last update"),
    *_range("duration", "duration, in seconds,", "number"),
    Param("state", "list", "Only these states (`none`: no state yet)", choices=schema.TASK_STATES),
    Param("pool", "list", "Only task instances of these pools"),
    Param("queue", "list", "Only task instances of these queues"),
    Param("executor", "list", "Only task instances of these executors"),
)
# v1's tries took these (and did nothing with them).
TRIES_PAGE = (*PAGE, ORDER_BY)
FILTER_NAMES = tuple(p.name for p in FILTERS)


def _body(
    fields: tuple[schema.Field, ...], *, required: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body (routes read it by hand: read_json_body)."""
    body = {"content": {"application/json": {"schema": schema.documented_body(fields, required=required)}}}
    return {"requestBody": {"required": True, **body}, **extra}


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return {k: v for k, v in values.items() if k in FILTER_NAMES}, values


# -- lists ------------------------------------------------------------------------------------------


@router.get(
    PREFIX,
    tags=INSTANCE,
    summary="List task instances",
    response_model=TaskInstanceCollection,
    responses=problems(400),
    openapi_extra=documented(*FILTERS, *PAGE, ORDER_BY),
)
async def list_task_instances(
    request: Request, dag_id: str, dag_run_id: str, service: TaskInstances
) -> V1Response:
    """The task instances of a run; `~` as the DAG id and/or run id for every DAG and/or run.
    Without `order_by` their order is not defined (as in Airflow 2)."""
    filters, values = _split(read_query(request, *FILTERS, *PAGE, ORDER_BY))
    return V1Response(
        await service.list(
            dag_id,
            dag_run_id,
            filters,
            limit=values["limit"],
            offset=values["offset"],
            order_by=values["order_by"],
        )
    )


@router.post(
    "/dags/~/dagRuns/~/taskInstances/list",
    tags=INSTANCE,
    summary="List task instances (batch)",
    response_model=TaskInstanceCollection,
    responses=problems(400, 415),
    openapi_extra=_body(schema.BATCH_FIELDS),
)
async def list_task_instances_batch(request: Request, service: TaskInstances) -> V1Response:
    """The task instances of every DAG and run that match the body's filters (a POST, for filters
    too long for a URL)."""
    return V1Response(await service.batch(await read_json_body(request)))


@router.get(
    ONE + "/listMapped",
    tags=INSTANCE,
    summary="List mapped task instances",
    response_model=TaskInstanceCollection,
    responses=problems(400, 404),
    openapi_extra=documented(*FILTERS, *PAGE, ORDER_BY),
)
async def list_mapped_task_instances(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances
) -> V1Response:
    """The mapped task instances of a task in a run (`order_by`: `state`, `duration`,
    `start_date`, `end_date`, each with `-` too, or `-map_index`)."""
    filters, values = _split(read_query(request, *FILTERS, *PAGE, ORDER_BY))
    return V1Response(
        await service.list_mapped(
            dag_id,
            dag_run_id,
            task_id,
            filters,
            limit=values["limit"],
            offset=values["offset"],
            order_by=values["order_by"],
        )
    )


# -- one task instance --------------------------------------------------------------------------------


@router.get(
    ONE + "/tries",
    tags=INSTANCE,
    summary="List task instance tries",
    response_model=TaskInstanceTryCollection,
    responses=problems(400),
    openapi_extra=documented(*TRIES_PAGE),
)
async def get_task_instance_tries(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances
) -> V1Response:
    """Every try of a task instance, the current one last."""
    read_query(request, *TRIES_PAGE)
    return V1Response(await service.tries(dag_id, dag_run_id, task_id))


@router.get(
    ONE + "/tries/{task_try_number}",
    tags=INSTANCE,
    summary="get taskinstance try",
    response_model=TaskInstanceTryInfo,
    responses=problems(404),
)
async def get_task_instance_try_details(
    dag_id: str, dag_run_id: str, task_id: str, task_try_number: str, service: TaskInstances
) -> V1Response:
    """One try of a task instance."""
    return V1Response(await service.get_try(dag_id, dag_run_id, task_id, path_int(task_try_number)))


@router.get(
    ONE + "/dependencies",
    tags=INSTANCE,
    summary="Get task dependencies blocking task from getting scheduled.",
    response_model=TaskDependencyCollection,
    responses=problems(404),
)
async def get_task_instance_dependencies(
    dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances
) -> V1Response:
    """What keeps a task instance without a state (or scheduled) from being queued, as Airflow 3
    words it; nothing for one that ran."""
    return V1Response(await service.dependencies(dag_id, dag_run_id, task_id))


@router.get(
    ONE + "/links",
    tags=INSTANCE,
    summary="List extra links",
    response_model=ExtraLinks,
    responses=problems(400, 404),
    openapi_extra=documented(MAP_INDEX),
)
async def get_extra_links(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances
) -> V1Response:
    """The extra links of a task instance: an object of each link's name and URL."""
    map_index = read_query(request, MAP_INDEX)["map_index"]
    return V1Response(await service.links(dag_id, dag_run_id, task_id, map_index))


@router.patch(
    ONE + "/setNote",
    tags=INSTANCE,
    summary="Update the TaskInstance note.",
    response_model=TaskInstanceInfo,
    responses=problems(400, 404, 415),
    openapi_extra=_body(schema.NOTE_FIELDS, required=("note",)),
)
async def set_task_instance_note(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances
) -> V1Response:
    """Set the note of a task instance (at most 1000 characters); the task instance with it."""
    body = await read_json_body(request)
    return V1Response(await service.set_note(dag_id, dag_run_id, task_id, None, body))


@router.get(
    ONE,
    tags=INSTANCE,
    summary="Get a task instance",
    response_model=TaskInstanceInfo,
    responses=problems(404),
)
async def get_task_instance(dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances) -> V1Response:
    """A task instance; `execution_date` is its run's logical date, `sla_miss` null."""
    return V1Response(await service.get(dag_id, dag_run_id, task_id))


@router.patch(
    ONE,
    tags=INSTANCE,
    summary="Updates the state of a task instance",
    response_model=TaskInstanceReference,
    responses=problems(400, 404, 415),
    openapi_extra=_body(schema.PATCH_FIELDS),
)
async def patch_task_instance(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, service: TaskInstances
) -> V1Response:
    """Set a task instance's state (`success`, `failed` or `skipped`); a dry run unless `dry_run`
    is false. The task instance's reference."""
    body = await read_json_body(request)
    return V1Response(await service.patch(dag_id, dag_run_id, task_id, None, body))


# -- mapped forms ---------------------------------------------------------------------------------------


@router.get(
    MAPPED,
    tags=INSTANCE,
    summary="Get a mapped task instance",
    response_model=TaskInstanceInfo,
    responses=problems(404),
)
async def get_mapped_task_instance(
    dag_id: str, dag_run_id: str, task_id: str, map_index: int, service: TaskInstances
) -> V1Response:
    """One mapped task instance (an unmapped one is not found at index 0)."""
    return V1Response(await service.get(dag_id, dag_run_id, task_id, map_index))


@router.patch(
    MAPPED,
    tags=INSTANCE,
    summary="Updates the state of a mapped task instance",
    response_model=TaskInstanceReference,
    responses=problems(400, 404, 415),
    openapi_extra=_body(schema.PATCH_FIELDS),
)
async def patch_mapped_task_instance(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, service: TaskInstances
) -> V1Response:
    """Set a mapped task instance's state; a dry run unless `dry_run` is false."""
    body = await read_json_body(request)
    return V1Response(await service.patch(dag_id, dag_run_id, task_id, map_index, body))


@router.get(
    MAPPED + "/tries",
    tags=INSTANCE,
    summary="List mapped task instance tries",
    response_model=TaskInstanceTryCollection,
    responses=problems(400),
    openapi_extra=documented(*TRIES_PAGE),
)
async def get_mapped_task_instance_tries(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, service: TaskInstances
) -> V1Response:
    """Every try of a mapped task instance, the current one last."""
    read_query(request, *TRIES_PAGE)
    return V1Response(await service.tries(dag_id, dag_run_id, task_id, map_index))


@router.get(
    MAPPED + "/tries/{task_try_number}",
    tags=INSTANCE,
    summary="get mapped taskinstance try",
    response_model=TaskInstanceTryInfo,
    responses=problems(404),
)
async def get_mapped_task_instance_try_details(
    dag_id: str, dag_run_id: str, task_id: str, map_index: int, task_try_number: str, service: TaskInstances
) -> V1Response:
    """One try of a mapped task instance."""
    number = path_int(task_try_number)
    return V1Response(await service.get_try(dag_id, dag_run_id, task_id, number, map_index))


@router.get(
    MAPPED + "/dependencies",
    tags=INSTANCE,
    summary="Get task dependencies blocking task from getting scheduled.",
    response_model=TaskDependencyCollection,
    responses=problems(404),
)
async def get_mapped_task_instance_dependencies(
    dag_id: str, dag_run_id: str, task_id: str, map_index: int, service: TaskInstances
) -> V1Response:
    """What keeps a mapped task instance from being queued, as Airflow 3 words it."""
    return V1Response(await service.dependencies(dag_id, dag_run_id, task_id, map_index))


@router.patch(
    MAPPED + "/setNote",
    tags=INSTANCE,
    summary="Update the TaskInstance note.",
    response_model=TaskInstanceInfo,
    responses=problems(400, 404, 415),
    openapi_extra=_body(schema.NOTE_FIELDS, required=("note",)),
)
async def set_mapped_task_instance_note(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, service: TaskInstances
) -> V1Response:
    """Set the note of a mapped task instance; the task instance with it."""
    body = await read_json_body(request)
    return V1Response(await service.set_note(dag_id, dag_run_id, task_id, map_index, body))


# -- a DAG's task instances at once -------------------------------------------------------------------


@router.post(
    "/dags/{dag_id}/updateTaskInstancesState",
    tags=DAG,
    summary="Set a state of task instances",
    response_model=TaskInstanceReferenceCollection,
    responses=problems(400, 404, 415),
    openapi_extra=_body(schema.UPDATE_STATE_FIELDS),
)
async def post_set_task_instances_state(request: Request, dag_id: str, service: TaskInstances) -> V1Response:
    """Set the state of a task's instance in one run (`dag_run_id` or `execution_date`), and of
    its relatives as the four required `include_*` flags say; a dry run unless `dry_run` is false.
    The task instances it changes (or would)."""
    body = await read_json_body(request)
    return V1Response(await service.update_state(dag_id, body))


@router.post(
    "/dags/{dag_id}/clearTaskInstances",
    tags=DAG,
    summary="Clear a set of task instances",
    response_model=TaskInstanceReferenceCollection,
    responses=problems(400, 404, 415),
    openapi_extra=_body(schema.CLEAR_FIELDS),
)
async def post_clear_task_instances(request: Request, dag_id: str, service: TaskInstances) -> V1Response:
    """Clear task instances of a DAG (of one run, `dag_run_id`, or of a range of logical dates); a
    dry run unless `dry_run` is false, only failed ones unless `only_failed` is false, the runs left
    in their state unless `reset_dag_runs` is true (v1's defaults). The task instances it clears (or
    would)."""
    body = await read_json_body(request)
    return V1Response(await service.clear(dag_id, body))
