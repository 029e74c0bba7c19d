"""Event logs: v1's answer models and Airflow 3's event log in v1's shape (``execution_date`` is
Airflow 3's ``logical_date``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field as Doc

from app.gateway.models.event_logs import EventLog as V2EventLog
from app.schemas.v1.common import V1Model, collection, v1_datetime

# v1's order_by attributes and Airflow 3's names for them.
ORDER_BY = {
    "event_log_id": "id",
    "when": "dttm",
    "dag_id": "dag_id",
    "task_id": "task_id",
    "run_id": "run_id",
    "event": "event",
    "execution_date": "logical_date",
    "owner": "owner",
    "extra": "extra",
}
NOT_FOUND = "Event Log not found"


class EventLog(V1Model):
    """A row of Airflow's audit log."""

    event_log_id: int
    when: str = Doc(description="When it happened", examples=["2026-12-07T16:37:47.170462+00:00"])
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int | None
    try_number: int | None
    event: str
    execution_date: str | None = Doc(description="The logical date of the run it is about, if any")
    owner: str | None
    extra: str | None


EventLogCollection = collection("EventLogCollection", "event_logs", EventLog)


def event_log_info(log: V2EventLog) -> dict[str, Any]:
    return {
        "event_log_id": log.event_log_id,
        "when": v1_datetime(log.when),
        "dag_id": log.dag_id,
        "task_id": log.task_id,
        "run_id": log.run_id,
        "map_index": log.map_index,
        "try_number": log.try_number,
        "event": log.event,
        "execution_date": v1_datetime(log.logical_date),
        "owner": log.owner,
        "extra": log.extra,
    }
