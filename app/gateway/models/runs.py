"""Airflow 3's DAG runs (``DAGRunResponse``)."""

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

    @property
    def execution_date(self) -> datetime:
        """The run's date in front of Airflow: its logical_date, else its run_after (UTC)."""
        return (self.logical_date or self.run_after).astimezone(UTC)


class DagRunCollection(V2Model):
    dag_runs: list[DagRun]
    total_entries: int
