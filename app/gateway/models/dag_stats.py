"""Airflow 3's run counts per DAG and state (``DagStatsCollectionResponse``)."""

from __future__ import annotations

from app.gateway.models.base import V2Model


class DagStatsState(V2Model):
    state: str
    count: int


class DagStats(V2Model):
    """``DagStatsResponse``: one DAG that has runs, its count in each run state."""

    dag_id: str
    stats: list[DagStatsState]


class DagStatsCollection(V2Model):
    dags: list[DagStats]
    total_entries: int
