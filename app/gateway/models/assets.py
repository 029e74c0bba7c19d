"""Airflow 3's assets, asset events and queued events (``AssetResponse``, ``AssetEventResponse``,
``QueuedEventResponse``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.gateway.models.base import V2Model


class AssetRun(V2Model):
    """``DagRunAssetReference``: a run an asset event created (or was consumed by)."""

    run_id: str
    dag_id: str
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    state: str | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None


class AssetEvent(V2Model):
    """``AssetEventResponse``."""

    uri: str | None = None
    name: str | None = None
    source_task_id: str | None = None
    id: int = 0
    asset_id: int = 0
    extra: dict[str, Any] | None = None
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int = -1
    created_dagruns: list[AssetRun] = Field(default_factory=list)
    timestamp: datetime | None = None


class AssetEventCollection(V2Model):
    asset_events: list[AssetEvent]
    total_entries: int = 0


class TaskReference(V2Model):
    dag_id: str
    task_id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DagReference(V2Model):
    """``DagScheduleAssetReference``: a DAG scheduled on the asset."""

    dag_id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AssetAlias(V2Model):
    id: int
    name: str


class Asset(V2Model):
    """``AssetResponse``: the tasks that declare it as an outlet (producing) or inlet (consuming),
    the DAGs scheduled on it."""

    name: str
    uri: str
    producing_tasks: list[TaskReference] = Field(default_factory=list)
    consuming_tasks: list[TaskReference] = Field(default_factory=list)
    id: int = 0
    extra: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    scheduled_dags: list[DagReference] = Field(default_factory=list)
    aliases: list[AssetAlias] = Field(default_factory=list)


class AssetCollection(V2Model):
    assets: list[Asset]
    total_entries: int


class QueuedEvent(V2Model):
    """``QueuedEventResponse``: a DAG's run request waiting on an asset."""

    dag_id: str
    asset_id: int
    created_at: datetime


class QueuedEventCollection(V2Model):
    queued_events: list[QueuedEvent]
    total_entries: int = 0
