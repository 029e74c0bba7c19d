"""Airflow 3's DAGs, their details, tasks and sources (``DAGResponse``, ``DAGDetailsResponse``,
``TaskResponse``, ``DAGSourceResponse``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    dag_display_name: str | None = None
    last_parsed_time: datetime | None = None
    last_expired: datetime | None = None
    timetable_description: str | None = None
    max_active_tasks: int | None = None
    max_active_runs: int | None = None
    max_consecutive_failed_dag_runs: int | None = None
    has_task_concurrency_limits: bool | None = None
    has_import_errors: bool | None = None
    next_dagrun_logical_date: datetime | None = None
    next_dagrun_data_interval_start: datetime | None = None
    next_dagrun_data_interval_end: datetime | None = None
    next_dagrun_run_after: datetime | None = None
    file_token: str | None = None  # Airflow's own: what its /parseDagFile takes


class DagDetails(Dag):
    """``DAGDetailsResponse``."""

    start_date: datetime | None = None
    default_args: dict[str, Any] | None = None
    catchup: bool | None = None
    dag_run_timeout: timedelta | None = None
    asset_expression: dict[str, Any] | None = None
    doc_md: str | None = None
    end_date: datetime | None = None
    is_paused_upon_creation: bool | None = None
    params: dict[str, Any] | None = None
    render_template_as_native_obj: bool | None = None
    template_search_path: list[str] | None = None
    timezone: str | None = None
    last_parsed: datetime | None = None

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
    task_display_name: str | None = None
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
    ui_color: str | None = None
    ui_fgcolor: str | None = None
    template_fields: list[str] | None = None
    is_mapped: bool | None = None
    extra_links: list[str] = Field(default_factory=list)


class TaskCollection(V2Model):
    tasks: list[Task]
    total_entries: int = 0


class DagSource(V2Model):
    content: str | None = None
