"""Airflow 3's task instances (``TaskInstanceResponse``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import field_validator

from app.gateway.models.base import V2Model


class TaskInstance(V2Model):
    """``TaskInstanceResponse``."""

    task_id: str
    dag_id: str
    dag_run_id: str
    state: str | None = None
    try_number: int = 0
    max_tries: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    hostname: str | None = None
    unixname: str | None = None
    pid: int | None = None
    pool: str = "default_pool"
    pool_slots: int = 1
    queue: str | None = None
    priority_weight: int | None = None
    operator: str | None = None
    operator_name: str | None = None
    queued_when: datetime | None = None
    executor_config: str | None = None

    @field_validator("executor_config", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)


class TaskInstanceCollection(V2Model):
    task_instances: list[TaskInstance]
    total_entries: int
