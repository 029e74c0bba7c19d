"""Airflow 3's DAGs, their details, tasks and sources (``DAGResponse``, ``DAGDetailsResponse``,
``TaskResponse``, ``DAGSourceResponse``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from app.gateway.models.base import TimeDelta, V2Model, utc


class DagTag(V2Model):
    name: str


class Dag(V2Model):
    """``DAGResponse``."""

    dag_id: str
    is_paused: bool = False
    is_stale: bool = False
    description: str | None = None
    fileloc: str = ""
    timetable_summary: str | None = None
    tags: list[DagTag] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)


class DagDetails(Dag):
    """``DAGDetailsResponse``."""

    start_date: datetime | None = None
    default_args: dict[str, Any] | None = None

    @property
    def effective_start_date(self) -> datetime | None:
        """The DAG's start_date, else its default_args' (where Airflow 2 looked too)."""
        if self.start_date is not None:
            return utc(self.start_date)
        value = (self.default_args or {}).get("start_date")
        return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


class DagCollection(V2Model):
    dags: list[Dag]
    total_entries: int


class Task(V2Model):
    """``TaskResponse``."""

    task_id: str
    owner: str | None = None
    operator_name: str | None = None
    class_ref: dict[str, Any] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    trigger_rule: str | None = None
    depends_on_past: bool = False
    wait_for_downstream: bool = False
    retries: float | None = None
    queue: str | None = None
    pool: str | None = None
    pool_slots: float | None = None
    execution_timeout: TimeDelta | None = None
    retry_delay: TimeDelta | None = None
    retry_exponential_backoff: float = 0
    priority_weight: float | None = None
    weight_rule: str | None = None
    downstream_task_ids: list[str] | None = None
    doc_md: str | None = None
    params: dict[str, Any] | None = None


class TaskCollection(V2Model):
    tasks: list[Task]
    total_entries: int = 0


class DagSource(V2Model):
    content: str | None = None
