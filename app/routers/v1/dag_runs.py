"""v1 routes: DAG runs (docs/api-v1.md, "DAG runs and datasets")."""

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
from app.routers.v1.params import FIELDS, LIMIT, OFFSET, date_range, order_by
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.dag_runs import (
    ClearDagRun,
    ListDagRunsForm,
    SetDagRunNote,
    TriggerDagRun,
    UpdateDagRunState,
    V1DagRun,
    V1DagRunCollection,
    json_body,
)
from app.schemas.v1.datasets import DatasetEventCollection
from app.schemas.v1.task_instances import TaskInstanceReferenceCollection
from app.services.v1.dag_runs import DATE_FILTERS, DagRunService, RunQuery

router = APIRouter(tags=["DAGRun"], route_class=LeanRoute)
Runs = Annotated[DagRunService, Depends(depends_on(DagRunService))]

ORDER_BY = order_by(
    "One attribute to order by, `-` first for descending: id, state, dag_id, execution_date, dag_run_id, "
    "start_date, end_date, updated_at, external_trigger, conf"
)
STATE = Param("state", "list", "Runs in one of these states (`state=a&state=b` or `state=a,b`)")
DATES = tuple(
    param
    for name in dict.fromkeys(name.removesuffix("_gte").removesuffix("_lte") for name in DATE_FILTERS)
    for param in date_range(name, f"Runs whose {name}")
)
LIST_PARAMS = (LIMIT, OFFSET, *DATES, STATE, ORDER_BY, FIELDS)


@router.get(
    "/dags/{dag_id}/dagRuns",
    summary="List DAG runs",
    response_model=V1DagRunCollection,
    responses=problems(400),
    openapi_extra=documented(*LIST_PARAMS),
)
async def get_dag_runs(request: Request, dag_id: str, service: Runs) -> V1Response:
    """The runs of a DAG, or of every DAG with `~` as the dag_id: one page of Airflow 3's
    `GET /dags/{dag_id}/dagRuns`. An unknown state matches no run; an unknown DAG has no runs."""
    query = read_query(request, *LIST_PARAMS)
    dates = {name: query[name] for name in DATE_FILTERS if query[name] is not None}
    run_query = RunQuery(
        limit=query["limit"],
        offset=query["offset"],
        order_by=query["order_by"],
        states=query["state"],
        dates=dates,
        fields=query["fields"],
    )
    return V1Response(await service.list(dag_id, run_query))


@router.post(
    "/dags/~/dagRuns/list",
    summary="List DAG runs (batch)",
    response_model=V1DagRunCollection,
    responses=problems(400, 415),
    openapi_extra=json_body(ListDagRunsForm),
)
async def get_dag_runs_batch(request: Request, service: Runs) -> V1Response:
    """The runs of many DAGs, filtered in the body (a POST, so that a long list of DAG ids fits):
    one call to Airflow 3's `POST /dags/~/dagRuns/list`. Only `~` is accepted as the DAG."""
    return V1Response(await service.list_batch(await read_json_body(request)))


@router.post(
    "/dags/{dag_id}/dagRuns",
    summary="Trigger a new DAG run.",
    response_model=V1DagRun,
    responses=problems(400, 404, 409, 415),
    openapi_extra=json_body(TriggerDagRun),
)
async def post_dag_run(request: Request, dag_id: str, service: Runs) -> V1Response:
    """A new run of the DAG, queued (a paused DAG's run stays queued). Without `dag_run_id` the run
    is `manual__<logical date as given>`; without a logical date it is dated now."""
    return V1Response(await service.trigger(dag_id, await read_json_body(request)))


@router.get(
    "/dags/{dag_id}/dagRuns/{dag_run_id}",
    summary="Get a DAG run",
    response_model=V1DagRun,
    responses=problems(400, 404),
    openapi_extra=documented(FIELDS),
)
async def get_dag_run(request: Request, dag_id: str, dag_run_id: str, service: Runs) -> V1Response:
    """One run: one call to Airflow 3's `GET /dags/{dag_id}/dagRuns/{dag_run_id}`. A raw `+` in the
    run id is kept (`manual__2016-11-16T00:00:00+00:00`)."""
    fields = read_query(request, FIELDS)["fields"] if request.scope.get("query_string") else None
    return V1Response(await service.get(dag_id, dag_run_id, fields))


@router.patch(
    "/dags/{dag_id}/dagRuns/{dag_run_id}",
    summary="Modify a DAG run",
    response_model=V1DagRun,
    responses=problems(400, 404, 415),
    openapi_extra=json_body(UpdateDagRunState),
)
async def update_dag_run_state(request: Request, dag_id: str, dag_run_id: str, service: Runs) -> V1Response:
    """Set the run's state: `success`, `failed` or `queued`."""
    return V1Response(await service.patch_state(dag_id, dag_run_id, await read_json_body(request)))


@router.delete(
    "/dags/{dag_id}/dagRuns/{dag_run_id}",
    summary="Delete a DAG run",
    status_code=204,
    responses=problems(404, 409),
)
async def delete_dag_run(dag_id: str, dag_run_id: str, service: Runs) -> V1NoContent:
    """Delete the run (Airflow 3 refuses to delete a running run: 409)."""
    await service.delete(dag_id, dag_run_id)
    return V1NoContent()


@router.post(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/clear",
    summary="Clear a DAG run",
    response_model=V1DagRun | TaskInstanceReferenceCollection,
    responses=problems(400, 404, 415),
    openapi_extra=json_body(ClearDagRun),
)
async def clear_dag_run(request: Request, dag_id: str, dag_run_id: str, service: Runs) -> V1Response:
    """Clear every task instance of the run. `dry_run` defaults to true, as in Airflow 2: a dry run
    answers the task instances a clear would clear, a clear answers the run (queued again)."""
    return V1Response(await service.clear(dag_id, dag_run_id, await read_json_body(request)))


@router.patch(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/setNote",
    summary="Update the DagRun note.",
    response_model=V1DagRun,
    responses=problems(400, 404, 415),
    openapi_extra=json_body(SetDagRunNote),
)
async def set_dag_run_note(request: Request, dag_id: str, dag_run_id: str, service: Runs) -> V1Response:
    """Set the run's note."""
    return V1Response(await service.set_note(dag_id, dag_run_id, await read_json_body(request)))


@router.get(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents",
    summary="Get dataset events for a DAG run",
    tags=["Dataset"],
    response_model=DatasetEventCollection,
    responses=problems(404),
)
async def get_upstream_dataset_events(dag_id: str, dag_run_id: str, service: Runs) -> V1Response:
    """The dataset (asset) events that triggered the run, if it was dataset-triggered."""
    return V1Response(await service.upstream_dataset_events(dag_id, dag_run_id))
