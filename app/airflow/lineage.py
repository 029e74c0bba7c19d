"""A run's lineage in front of Airflow (``app.core.ports.LineagePort``), from its assets.

The backend lacks ``Capability.RECORDED_LINEAGE``: Airflow records no lineage of a report; the
lineage shown is each task that emitted asset events in the run (its ``outlets``: those assets) or
that succeeded and declares inlets (its ``inlets``: the assets it declares). docs/airflow.md.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from app.airflow.runs import RunDates
from app.airflow.tasks import AirflowTasks
from app.core.results import LineageLookup, TaskLineage
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.answers import asset_events, task_instances
from app.gateway.client import AirflowClient
from app.gateway.pager import Pager


class AirflowLineage:
    def __init__(self, client: AirflowClient, dates: RunDates, tasks: AirflowTasks) -> None:
        self.client = client
        self.dates = dates
        self.tasks = tasks

    async def for_run(self, *, dag_id: str, execution_date: datetime) -> LineageLookup:
        found = await self.dates.run_at(dag_id, execution_date)
        if found.run is None:
            return LineageLookup(dag_exists=found.dag_exists, run_exists=False, tasks=[])
        run_id = found.run.dag_run_id
        events = Pager(
            self.client,
            api.ASSET_EVENTS,
            None,
            {"source_dag_id": dag_id, "source_run_id": run_id, "order_by": "timestamp"},
            v2.AssetEventCollection,
            asset_events,
        )
        instances = Pager(
            self.client,
            api.TASK_INSTANCES,
            {"dag_id": dag_id, "dag_run_id": run_id},
            None,
            v2.TaskInstanceCollection,
            task_instances,
        )
        emitted, succeeded, (inlets, _) = await asyncio.gather(
            events.all(), instances.all(), self.tasks.declared(dag_id)
        )
        outlets: dict[str, list[Any]] = {}
        for event in emitted or ():
            if event.source_task_id:
                outlets.setdefault(event.source_task_id, []).append(
                    {"type": "Asset", "uri": event.uri, "name": event.name}
                )
        ran = {ti.task_id for ti in succeeded or () if ti.state == "success"}
        shown = sorted(set(outlets) | (set(inlets) & ran))
        tasks = [TaskLineage(task_id=t, inlets=inlets.get(t, []), outlets=outlets.get(t, [])) for t in shown]
        return LineageLookup(dag_exists=True, run_exists=True, tasks=tasks)
