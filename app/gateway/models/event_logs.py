"""Airflow 3's event logs (``EventLogResponse``)."""

from __future__ import annotations

from datetime import datetime

from app.gateway.models.base import V2Model


class EventLog(V2Model):
    """``EventLogResponse``."""

    event_log_id: int
    when: datetime
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    event: str
    logical_date: datetime | None = None
    owner: str | None = None
    extra: str | None = None


class EventLogCollection(V2Model):
    event_logs: list[EventLog]
    total_entries: int
