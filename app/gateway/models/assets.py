"""Airflow 3's assets and asset events (``AssetResponse``, ``AssetEventResponse``)."""

from __future__ import annotations

from pydantic import Field

from app.gateway.models.base import V2Model


class AssetEvent(V2Model):
    """``AssetEventResponse``."""

    uri: str | None = None
    name: str | None = None
    source_task_id: str | None = None


class AssetEventCollection(V2Model):
    asset_events: list[AssetEvent]
    total_entries: int = 0


class TaskReference(V2Model):
    dag_id: str
    task_id: str


class Asset(V2Model):
    """``AssetResponse``: the tasks that declare it as an outlet (producing) or inlet (consuming)."""

    name: str
    uri: str
    producing_tasks: list[TaskReference] = Field(default_factory=list)
    consuming_tasks: list[TaskReference] = Field(default_factory=list)


class AssetCollection(V2Model):
    assets: list[Asset]
    total_entries: int
