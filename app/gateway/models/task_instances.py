"""Airflow 3's task instances (``TaskInstanceResponse``), their tries (``TaskInstanceHistoryResponse``),
the dependencies that keep one from being scheduled and its extra links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator

from app.gateway.models.base import V2Model


class Trigger(V2Model):  # type: ignore[no-redef]  # pydantic's mypy plugin writes __init__(kwargs, **kwargs)
    """``TriggerResponse`` (Airflow 3 always answers its ``kwargs`` as ``"{}"``)."""

    id: int
    classpath: str
    kwargs: str = "{}"
    created_date: datetime
    triggerer_id: int | None = None


class Job(V2Model):
    """``JobResponse``: the triggerer job that queued a deferred task instance."""

    id: int
    dag_id: str | None = None
    state: str | None = None
    job_type: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    latest_heartbeat: datetime | None = None
    executor_class: str | None = None
    hostname: str | None = None
    unixname: str | None = None


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
    map_index: int = -1
    logical_date: datetime | None = None
    run_after: datetime | None = None
    task_display_name: str | None = None
    executor: str | None = None
    note: str | None = None
    rendered_map_index: str | None = None
    rendered_fields: dict[str, Any] = Field(default_factory=dict)
    trigger: Trigger | None = None
    triggerer_job: Job | None = None

    @field_validator("executor_config", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @property
    def execution_date(self) -> datetime | None:
        """The run's date in front of Airflow: its logical_date, else its run_after (UTC)."""
        found = self.logical_date or self.run_after
        return None if found is None else found.astimezone(UTC)


class TaskInstanceCollection(V2Model):
    task_instances: list[TaskInstance]
    total_entries: int


class TaskInstanceTry(V2Model):
    """``TaskInstanceHistoryResponse``: one try of a task instance (its current one included)."""

    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int = -1
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    state: str | None = None
    try_number: int = 0
    max_tries: int = 0
    task_display_name: str | None = None
    hostname: str | None = None
    unixname: str | None = None
    pool: str = "default_pool"
    pool_slots: int = 1
    queue: str | None = None
    priority_weight: int | None = None
    operator: str | None = None
    queued_when: datetime | None = None
    pid: int | None = None
    executor: str | None = None
    executor_config: str | None = None

    @field_validator("executor_config", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)


class TaskInstanceTryCollection(V2Model):
    task_instances: list[TaskInstanceTry]
    total_entries: int


class TaskDependency(V2Model):
    name: str
    reason: str


class TaskDependencyCollection(V2Model):
    """``TaskDependencyCollectionResponse``: what keeps a task instance from being scheduled."""

    dependencies: list[TaskDependency]


class ExtraLinks(V2Model):
    """``ExtraLinkCollectionResponse``: each extra link's name and URL (null when it has none)."""

    extra_links: dict[str, str | None]
    total_entries: int = 0
