"""Airflow 3's DAG warnings (``DAGWarningResponse``)."""

from __future__ import annotations

from datetime import datetime

from app.gateway.models.base import V2Model


class DagWarning(V2Model):
    """``DAGWarningResponse``."""

    dag_id: str
    warning_type: str
    message: str
    timestamp: datetime


class DagWarningCollection(V2Model):
    dag_warnings: list[DagWarning]
    total_entries: int
