"""Airflow 3's DAG runs (``DAGRunResponse``) and what clearing one answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.gateway.models.base import V2Model


class DagRun(V2Model):
    """``DAGRunResponse``."""

    dag_run_id: str
    dag_id: str
    logical_date: datetime | None = None
    run_after: datetime
    queued_at: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    state: str
    run_type: str = "manual"
    conf: dict[str, Any] | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    last_scheduling_decision: datetime | None = None
    triggered_by: str | None = None  # cli, operator, rest_api, ui, test, timetable, asset, backfill
    note: str | None = None

    @property
    def execution_date(self) -> datetime:
        """The run's date in front of Airflow: its logical_date, else its run_after (UTC)."""
        return (self.logical_date or self.run_after).astimezone(UTC)


class DagRunCollection(V2Model):
    dag_runs: list[DagRun]
    total_entries: int


class ClearedTask(V2Model):
    """An entry of ``ClearTaskInstanceCollectionResponse`` (a dry run's): a ``TaskInstanceResponse``,
    or a ``NewTaskResponse`` (a task the run does not have yet) that names the task alone."""

    task_id: str
    dag_id: str | None = None
    dag_run_id: str | None = None
    logical_date: datetime | None = None
    run_after: datetime | None = None


class ClearedTaskCollection(V2Model):
    task_instances: list[ClearedTask]
