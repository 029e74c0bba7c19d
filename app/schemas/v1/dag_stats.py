"""Run counts per DAG and state, as v1 gave them (``DagStatsCollectionSchema``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import Field

from app.schemas.v1.common import V1Model, collection

# Airflow's run states, in the order Airflow 2 listed them (its DagRunState).
RUN_STATES = ("queued", "running", "success", "failed")


class DagStatsState(V1Model):
    state: str
    count: int


class DagStats(V1Model):
    dag_id: str
    stats: list[DagStatsState] = Field(
        description="One count per run state: queued, running, success, failed"
    )


DagStatsCollection = collection("DagStatsCollection", "dags", DagStats)


def dag_stats(dag_ids: Iterable[str], counts: Mapping[str, Mapping[str, int]]) -> dict[str, object]:
    """The answer for ``dag_ids`` (each once, in the order asked), each state's count from ``counts``
    (a DAG without runs: all zero)."""
    dags = [
        {
            "dag_id": dag_id,
            "stats": [{"state": s, "count": counts.get(dag_id, {}).get(s, 0)} for s in RUN_STATES],
        }
        for dag_id in dict.fromkeys(dag_ids)
    ]
    return {"dags": dags, "total_entries": len(dags)}
