"""v1 routes: datasets, dataset events and queued events (docs/api-v1.md, "DAG runs and datasets").

A dataset's URI is a path parameter that may hold ``/`` (``s3%3A%2F%2Fbucket%2Fkey`` arrives decoded
as ``s3://bucket/key``): those routes take the rest of the path (``{uri:path}``), so the fixed paths
under ``/datasets`` come first.
"""

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
from app.schemas.v1.dag_runs import json_body
from app.schemas.v1.datasets import (
    CreateDatasetEvent,
    Dataset,
    DatasetCollection,
    DatasetEvent,
    DatasetEventCollection,
    QueuedEvent,
    QueuedEventCollection,
)
from app.services.v1.datasets import DatasetService, EventQuery

router = APIRouter(tags=["Dataset"], route_class=LeanRoute)
Datasets = Annotated[DatasetService, Depends(depends_on(DatasetService))]

DATASET_ORDER_BY = order_by("id, uri, created_at or updated_at; `-` first for descending")
URI_PATTERN = Param("uri_pattern", "string", "Only datasets whose URI contains this")
DAG_IDS = Param("dag_ids", "string", "DAG ids separated by commas: datasets these DAGs consume or produce")
EVENT_ORDER_BY = order_by(
    "source_dag_id, source_task_id, source_run_id, source_map_index or timestamp (the default); "
    "`-` first for descending"
)
DATASET_ID = Param("dataset_id", "integer", "The dataset's id")
SOURCE_DAG_ID = Param("source_dag_id", "string", "The DAG that updated the dataset")
SOURCE_TASK_ID = Param("source_task_id", "string", "The task that updated the dataset")
SOURCE_RUN_ID = Param("source_run_id", "string", "The run that updated the dataset")
SOURCE_MAP_INDEX = Param("source_map_index", "integer", "The map index of the task that updated the dataset")
BEFORE = Param("before", "date-time", "Only queued events created before this")
DATASET_PARAMS = (LIMIT, OFFSET, DATASET_ORDER_BY, URI_PATTERN, DAG_IDS)
EVENT_PARAMS = (
    LIMIT,
    OFFSET,
    EVENT_ORDER_BY,
    DATASET_ID,
    SOURCE_DAG_ID,
    SOURCE_TASK_ID,
    SOURCE_RUN_ID,
    SOURCE_MAP_INDEX,
)


@router.get(
    "/datasets",
    summary="List datasets",
    response_model=DatasetCollection,
    responses=problems(400),
    openapi_extra=documented(*DATASET_PARAMS),
)
async def get_datasets(request: Request, service: Datasets) -> V1Response:
    """Airflow 3's assets, as datasets: one page of `GET /assets`."""
    query = read_query(request, *DATASET_PARAMS)
    return V1Response(
        await service.list(
            limit=query["limit"],
            offset=query["offset"],
            order=query["order_by"],
            uri_pattern=query["uri_pattern"],
            dag_ids=query["dag_ids"],
        )
    )


@router.get(
    "/datasets/events",
    summary="Get dataset events",
    response_model=DatasetEventCollection,
    responses=problems(400),
    openapi_extra=documented(*EVENT_PARAMS),
)
async def get_dataset_events(request: Request, service: Datasets) -> V1Response:
    """Airflow 3's asset events: one page of `GET /assets/events`."""
    query = read_query(request, *EVENT_PARAMS)
    return V1Response(
        await service.events(
            EventQuery(
                limit=query["limit"],
                offset=query["offset"],
                order_by=query["order_by"],
                dataset_id=query["dataset_id"],
                source_dag_id=query["source_dag_id"],
                source_task_id=query["source_task_id"],
                source_run_id=query["source_run_id"],
                source_map_index=query["source_map_index"],
            )
        )
    )


@router.post(
    "/datasets/events",
    summary="Create dataset event",
    response_model=DatasetEvent,
    responses=problems(400, 404, 415),
    openapi_extra=json_body(CreateDatasetEvent),
)
async def create_dataset_event(request: Request, service: Datasets) -> V1Response:
    """An event of the dataset named by `dataset_uri`, as if a task had updated it: the DAGs
    scheduled on it that are not paused get a run request (queued events)."""
    return V1Response(await service.create_event(await read_json_body(request)))


@router.get(
    "/datasets/queuedEvent/{uri:path}",
    summary="Get queued Dataset events for a Dataset.",
    response_model=QueuedEventCollection,
    responses=problems(400, 404),
    openapi_extra=documented(BEFORE),
)
async def get_dataset_queued_events(request: Request, uri: str, service: Datasets) -> V1Response:
    """The run requests waiting on the dataset, one per DAG scheduled on it."""
    before = read_query(request, BEFORE)["before"]
    return V1Response(await service.dataset_queued_events(uri, before))


@router.delete(
    "/datasets/queuedEvent/{uri:path}",
    summary="Delete queued Dataset events for a Dataset.",
    status_code=204,
    responses=problems(400, 404),
    openapi_extra=documented(BEFORE),
)
async def delete_dataset_queued_events(request: Request, uri: str, service: Datasets) -> V1NoContent:
    """Delete the run requests waiting on the dataset."""
    await service.delete_dataset_queued_events(uri, read_query(request, BEFORE)["before"])
    return V1NoContent()


@router.get(
    "/datasets/{uri:path}",
    summary="Get a dataset",
    response_model=Dataset,
    responses=problems(404),
)
async def get_dataset(uri: str, service: Datasets) -> V1Response:
    """A dataset by its URI (percent-encoded in the path)."""
    return V1Response(await service.get(uri))


@router.get(
    "/dags/{dag_id}/datasets/queuedEvent",
    summary="Get queued Dataset events for a DAG.",
    response_model=QueuedEventCollection,
    responses=problems(400, 404),
    openapi_extra=documented(BEFORE),
)
async def get_dag_dataset_queued_events(request: Request, dag_id: str, service: Datasets) -> V1Response:
    """The DAG's run requests waiting on datasets."""
    before = read_query(request, BEFORE)["before"]
    return V1Response(await service.dag_queued_events(dag_id, before))


@router.delete(
    "/dags/{dag_id}/datasets/queuedEvent",
    summary="Delete queued Dataset events for a DAG.",
    status_code=204,
    responses=problems(400, 404),
    openapi_extra=documented(BEFORE),
)
async def delete_dag_dataset_queued_events(request: Request, dag_id: str, service: Datasets) -> V1NoContent:
    """Delete the DAG's run requests waiting on datasets."""
    await service.delete_dag_queued_events(dag_id, read_query(request, BEFORE)["before"])
    return V1NoContent()


@router.get(
    "/dags/{dag_id}/datasets/queuedEvent/{uri:path}",
    summary="Get a queued Dataset event for a DAG",
    response_model=QueuedEvent,
    responses=problems(400, 404),
    openapi_extra=documented(BEFORE),
)
async def get_dag_dataset_queued_event(
    request: Request, dag_id: str, uri: str, service: Datasets
) -> V1Response:
    """The DAG's run request waiting on the dataset."""
    before = read_query(request, BEFORE)["before"]
    return V1Response(await service.dag_queued_event(dag_id, uri, before))


@router.delete(
    "/dags/{dag_id}/datasets/queuedEvent/{uri:path}",
    summary="Delete a queued Dataset event for a DAG.",
    status_code=204,
    responses=problems(400, 404),
    openapi_extra=documented(BEFORE),
)
async def delete_dag_dataset_queued_event(
    request: Request, dag_id: str, uri: str, service: Datasets
) -> V1NoContent:
    """Delete the DAG's run request waiting on the dataset."""
    await service.delete_dag_queued_event(dag_id, uri, read_query(request, BEFORE)["before"])
    return V1NoContent()
