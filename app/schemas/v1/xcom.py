"""XCom entries in v1's shapes: ``execution_date`` from the run's logical date, ``value`` as Airflow
2.11 gave it (docs/api-v1.md, "Task instances, XCom, logs, clearing and state updates")."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.gateway.models import xcom as v2
from app.gateway.models.base import utc
from app.schemas.v1.common import V1Model, collection, v1_datetime


class XComCollectionItem(V1Model):
    dag_id: str
    execution_date: str | None = Field(description="The run's logical date (its run_after when it has none)")
    key: str
    map_index: int
    task_id: str
    timestamp: str


XComCollection = collection("XComCollection", "xcom_entries", XComCollectionItem)


class XCom(XComCollectionItem):
    value: Any = Field(
        description="The value's Python representation (a string), or with stringify=false its JSON",
        examples=["{'rows': 3, 'items': [1, 2, 3], 'status': 'ok'}"],
    )


def xcom_item(entry: v2.XComEntry) -> dict[str, Any]:
    return {
        "dag_id": entry.dag_id,
        "execution_date": v1_datetime(entry.execution_date),
        "key": entry.key,
        "map_index": entry.map_index,
        "task_id": entry.task_id,
        "timestamp": v1_datetime(utc(entry.timestamp)),
    }


def xcom_entries(collection: v2.XComCollection) -> dict[str, Any]:
    return {
        "total_entries": collection.total_entries,
        "xcom_entries": [xcom_item(entry) for entry in collection.xcom_entries],
    }


def xcom_entry(entry: v2.XComEntryWithValue) -> dict[str, Any]:
    return {**xcom_item(entry), "value": entry.value}
