"""``/dagStats``: each named DAG's run count per state, over Airflow 3's ``/api/v2/dagStats``."""

from __future__ import annotations

import re
from typing import Any

from app.gateway import endpoints as api
from app.gateway.models.dag_stats import DagStatsCollection
from app.gateway.models.dags import DagCollection
from app.gateway.pager import Pager
from app.schemas.v1.dag_stats import dag_stats
from app.services.v1.context import V1Context
from app.services.v1.upstream import fetch

DAG_ID = re.compile(r"[\w.-]+")  # what a DAG id may be made of (Airflow's KEY_REGEX)


class DagStatsService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def stats(self, dag_ids: str) -> dict[str, Any]:
        """The DAGs named (comma-separated) that the caller may read, each with a count per run
        state. Airflow 3 counts only DAGs that have runs; Airflow 2 named every DAG it knew, with
        zeros: those are looked up in one more call, only when there are any."""
        asked = list(dict.fromkeys(dag_ids.split(",")))
        found = await fetch(self.client, api.DAG_STATS, None, DagStatsCollection, query={"dag_ids": asked})
        counts = {dag.dag_id: {state.state: state.count for state in dag.stats} for dag in found.dags}
        without_runs = [d for d in asked if d not in counts and DAG_ID.fullmatch(d)]
        known = set(counts)
        if without_runs:
            known |= await self._existing(without_runs)
        return dag_stats([d for d in asked if d in known], counts)

    async def _existing(self, dag_ids: list[str]) -> set[str]:
        """Which of ``dag_ids`` are DAGs the caller may read, stale ones too: one listing whose
        pattern matches each of them ("|" is Airflow 3's OR), then the exact ids."""
        query = {"dag_id_pattern": "|".join(dag_ids), "exclude_stale": False, "order_by": "dag_id"}
        found = await Pager(self.client, api.DAGS, None, query, DagCollection, lambda c: c.dags).all()
        return {dag.dag_id for dag in found or ()} & set(dag_ids)
