"""DAGs in front of Airflow (``app.core.ports.DagPort``): details, source, pause state, deletion.

The backend lacks ``Capability.DEFINITIONS``: Airflow's DAGs are Python files in its DAG bundle,
and the service refuses a PUT before it reaches here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Any

from app.airflow.mapping import to_dag
from app.airflow.tasks import AirflowTasks
from app.core import messages
from app.core.deletion import DAG_DELETION, Removed
from app.core.results import Dag, DagDefinition, DagPage, StoredDag
from app.errors import InUse, NotSupported
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.answers import dags, parsed
from app.gateway.client import AirflowClient
from app.gateway.endpoints import ANY
from app.gateway.pager import Pager, expect


class AirflowDags:
    def __init__(self, client: AirflowClient, tasks: AirflowTasks) -> None:
        self.client = client
        self.tasks = tasks

    async def get(self, *, dag_id: str) -> Dag | None:
        details, tasks = await asyncio.gather(
            self.client.get(api.DAG_DETAILS, {"dag_id": dag_id}), self.tasks.listed(dag_id)
        )
        if details.status == 404 or tasks is None:
            return None
        return to_dag(parsed(details, v2.DagDetails), [t.task_id for t in tasks])

    async def list(self, *, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        """Identical concurrent listings share one computation (the client's ``shared``)."""
        return await self.client.shared(
            ("dags", limit, offset, paused, tag), lambda: self._list(limit, offset, paused, tag)
        )

    async def _list(self, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        query: dict[str, Any] = {"order_by": "dag_id"}
        if paused is not None:
            query["paused"] = str(paused).lower()
        if tag is not None:
            query["tags"] = tag
        pager = Pager(self.client, api.DAGS, None, query, v2.DagCollection, dags)
        listed: list[v2.Dag] = []
        total = 0
        async for page in pager.window(offset=offset, limit=limit):
            total = page.total_entries
            listed.extend(page.dags)
            self.client.affordable(2 * len(listed))  # details and tasks of each
        found = await self.client.gather([partial(self.get, dag_id=d.dag_id) for d in listed])
        return DagPage(dags=[d for d in found if d is not None], total=total)

    async def source(self, *, dag_id: str) -> str | None:
        answer = await self.client.get(api.DAG_SOURCE, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        return parsed(answer, v2.DagSource).content or ""

    async def is_paused(self, *, dag_id: str) -> bool | None:
        answer = await self.client.get(api.DAG, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        return parsed(answer, v2.Dag).is_paused

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        answer = await self.client.send("PATCH", api.DAG, {"dag_id": dag_id}, json={"is_paused": paused})
        if answer.status == 404:
            return False
        expect(answer, 200)
        return True

    async def delete(self, *, dag_id: str) -> int | None:
        """Airflow's DELETE of the DAG, counted as DAG_DELETION counts: the runs and task instances
        (read before; Airflow keeps no lineage records of dagport's). Still running task instances:
        Airflow's 409, as InUse."""
        runs, instances = await asyncio.gather(
            self.client.get(api.DAG_RUNS, {"dag_id": dag_id}, {"limit": 1}),
            self.client.get(api.TASK_INSTANCES, {"dag_id": dag_id, "dag_run_id": ANY}, {"limit": 1}),
        )
        if runs.status == 404:
            return None
        removed = {
            Removed.RUNS: parsed(runs, v2.Collection).total_entries,
            Removed.TASK_INSTANCES: parsed(instances, v2.Collection).total_entries,
        }
        answer = await self.client.send("DELETE", api.DAG, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        if answer.status == 409:  # task instances still running
            raise InUse(answer.detail)
        expect(answer, 200, 204)
        return DAG_DELETION.count(removed)

    async def upsert(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        """Never called: the service checks Capability.DEFINITIONS first."""
        raise NotSupported(messages.DEFINITIONS_ELSEWHERE)
