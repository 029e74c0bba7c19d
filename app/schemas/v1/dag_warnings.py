"""DAG warnings as v1 gave them (``DagWarning``, ``DagWarningCollection``)."""

from __future__ import annotations

from typing import Any

from app.gateway.models.dag_warnings import DagWarning as V2DagWarning
from app.schemas.v1.common import V1Model, collection, v1_datetime


class DagWarning(V1Model):
    dag_id: str
    warning_type: str
    message: str
    timestamp: str


DagWarningCollection = collection("DagWarningCollection", "dag_warnings", DagWarning)


def dag_warning(v2: V2DagWarning) -> dict[str, Any]:
    return {
        "dag_id": v2.dag_id,
        "warning_type": v2.warning_type,
        "message": v2.message,
        "timestamp": v1_datetime(v2.timestamp),
    }
