"""Datasets: Airflow 3's assets, asset events and queued events (app/gateway/models/assets.py) in
v1's shapes, and the answer models the OpenAPI document shows.

v1 addresses a dataset by its URI and numbers it with Airflow 3's asset id; the DAGs scheduled on an
asset are v1's ``consuming_dags``; ``extra`` is ``{}`` for none, as Airflow 2 wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field

from app.gateway.models import assets as v2
from app.gateway.models.assets import Asset, AssetEvent, AssetRun
from app.schemas.v1.common import V1Model, collection, v1_datetime


class DatasetAlias(V1Model):
    id: int
    name: str


class DagScheduleDatasetReference(V1Model):
    """A DAG scheduled on the dataset."""

    created_at: str | None
    dag_id: str
    updated_at: str | None


class TaskOutletDatasetReference(V1Model):
    """A task that updates the dataset."""

    created_at: str | None
    dag_id: str
    task_id: str
    updated_at: str | None


class Dataset(V1Model):
    aliases: list[DatasetAlias]
    consuming_dags: list[DagScheduleDatasetReference]
    created_at: str | None
    extra: dict[str, Any] = Field(description="The dataset's extra ({} for none)")
    id: int = Field(description="Airflow 3's asset id")
    producing_tasks: list[TaskOutletDatasetReference]
    updated_at: str | None
    uri: str = Field(examples=["s3://dagport-ref/orders.csv"])


DatasetCollection = collection("DatasetCollection", "datasets", Dataset)


class BasicDAGRun(V1Model):
    """A run a dataset event created."""

    dag_id: str
    dag_run_id: str
    data_interval_end: str | None
    data_interval_start: str | None
    end_date: str | None
    logical_date: str | None
    start_date: str | None
    state: str | None


class DatasetEvent(V1Model):
    created_dagruns: list[BasicDAGRun]
    dataset_id: int
    dataset_uri: str | None
    extra: dict[str, Any]
    id: int
    source_dag_id: str | None
    source_map_index: int
    source_run_id: str | None
    source_task_id: str | None
    timestamp: str | None


DatasetEventCollection = collection("DatasetEventCollection", "dataset_events", DatasetEvent)


class QueuedEvent(V1Model):
    """A DAG's run request waiting on a dataset."""

    created_at: str
    dag_id: str
    uri: str


QueuedEventCollection = collection("QueuedEventCollection", "queued_events", QueuedEvent)


def dataset(asset: Asset) -> dict[str, Any]:
    return {
        "aliases": [{"id": alias.id, "name": alias.name} for alias in asset.aliases],
        "consuming_dags": [
            {
                "created_at": v1_datetime(ref.created_at),
                "dag_id": ref.dag_id,
                "updated_at": v1_datetime(ref.updated_at),
            }
            for ref in asset.scheduled_dags
        ],
        "created_at": v1_datetime(asset.created_at),
        "extra": asset.extra or {},
        "id": asset.id,
        "producing_tasks": [
            {
                "created_at": v1_datetime(ref.created_at),
                "dag_id": ref.dag_id,
                "task_id": ref.task_id,
                "updated_at": v1_datetime(ref.updated_at),
            }
            for ref in asset.producing_tasks
        ],
        "updated_at": v1_datetime(asset.updated_at),
        "uri": asset.uri,
    }


def dataset_collection(assets: Iterable[Asset], total: int) -> dict[str, Any]:
    return {"datasets": [dataset(asset) for asset in assets], "total_entries": total}


def basic_dag_run(run: AssetRun) -> dict[str, Any]:
    return {
        "dag_id": run.dag_id,
        "dag_run_id": run.run_id,
        "data_interval_end": v1_datetime(run.data_interval_end),
        "data_interval_start": v1_datetime(run.data_interval_start),
        "end_date": v1_datetime(run.end_date),
        "logical_date": v1_datetime(run.logical_date),
        "start_date": v1_datetime(run.start_date),
        "state": run.state,
    }


def dataset_event(event: AssetEvent) -> dict[str, Any]:
    return {
        "created_dagruns": [basic_dag_run(run) for run in event.created_dagruns],
        "dataset_id": event.asset_id,
        "dataset_uri": event.uri,
        "extra": event.extra or {},
        "id": event.id,
        "source_dag_id": event.source_dag_id,
        "source_map_index": event.source_map_index,
        "source_run_id": event.source_run_id,
        "source_task_id": event.source_task_id,
        "timestamp": v1_datetime(event.timestamp),
    }


def dataset_event_collection(events: Iterable[AssetEvent], total: int) -> dict[str, Any]:
    return {"dataset_events": [dataset_event(event) for event in events], "total_entries": total}


def queued_event(event: v2.QueuedEvent, uri: str) -> dict[str, Any]:
    return {"created_at": v1_datetime(event.created_at), "dag_id": event.dag_id, "uri": uri}


def queued_event_collection(events: Iterable[v2.QueuedEvent], uris: Mapping[int, str]) -> dict[str, Any]:
    """The queued events, each with its asset's URI (``uris``: asset id -> URI)."""
    listed = [queued_event(event, uris.get(event.asset_id, "")) for event in events]
    return {"queued_events": listed, "total_entries": len(listed)}


class CreateDatasetEvent(V1Model):
    """A dataset event to create (request body)."""

    dataset_uri: str = Field(examples=["s3://dagport-ref/orders.csv"])
    extra: dict[str, Any] | None = Field(None, description="A JSON object; `from_rest_api: true` is added")
