"""Tasks and task instances in front of Airflow (``app.core.ports.TaskPort``).

A report sets only the state, through Airflow's PATCH .../taskInstances/{task_id}: the backend
declares the states Airflow lets a client set (``AirflowBackend.settable_task_instance_states``),
and lacks ``Capability.WORKER_REPORTS`` and ``DERIVED_RUN_STATE``: Airflow's workers set the other
fields and its scheduler the run's state.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from app.airflow.mapping import declared, to_task, to_task_instance, upstream_of
from app.airflow.runs import RunDates, unaddressable_run
from app.core.reports import plan_report
from app.core.results import TaskInstanceLookup, TaskInstanceReport, TaskLookup
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.answers import assets, parsed
from app.gateway.client import AirflowClient
from app.gateway.endpoints import addressable
from app.gateway.pager import Pager, expect


class AirflowTasks:
    def __init__(self, client: AirflowClient, dates: RunDates) -> None:
        self.client = client
        self.dates = dates

    async def listed(self, dag_id: str) -> list[v2.Task] | None:
        """The DAG's tasks; ``None`` if the DAG is unknown."""
        answer = await self.client.get(api.TASKS, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        return list(parsed(answer, v2.TaskCollection).tasks)

    async def declared(self, dag_id: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The DAG's tasks' declared inlets and outlets (the assets naming the DAG's tasks)."""
        pager = Pager(self.client, api.ASSETS, None, {"dag_ids": dag_id}, v2.AssetCollection, assets)
        return declared(await pager.all() or [], dag_id)

    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup:
        tasks = await self.listed(dag_id)
        if tasks is None:
            return TaskLookup(dag_exists=False, task=None)
        task = next((t for t in tasks if t.task_id == task_id), None)
        if task is None:
            return TaskLookup(dag_exists=True, task=None)
        inlets, outlets = await self.declared(dag_id)  # once the DAG is known to exist
        upstream = upstream_of(tasks).get(task_id, [])
        return TaskLookup(
            dag_exists=True,
            task=to_task(dag_id, task, upstream, inlets.get(task_id, []), outlets.get(task_id, [])),
        )

    async def find_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup:
        return (await self._find(dag_id, execution_date, task_id))[0]

    async def _find(
        self, dag_id: str, execution_date: datetime, task_id: str
    ) -> tuple[TaskInstanceLookup, v2.DagRun | None]:
        """The lookup, and the run it found, for a caller that goes on with it."""
        task, found = await asyncio.gather(
            self.client.get(api.TASK, {"dag_id": dag_id, "task_id": task_id}),
            self.dates.run_at(dag_id, execution_date),
        )
        if not found.dag_exists:
            return TaskInstanceLookup(False, False, False, None), None
        if task.status == 404:
            return TaskInstanceLookup(True, False, found.run is not None, None), None
        expect(task, 200)
        if found.run is None:
            return TaskInstanceLookup(True, True, False, None), None
        return await self._instance(dag_id, found.run, task_id), found.run

    async def _instance(self, dag_id: str, run: v2.DagRun, task_id: str) -> TaskInstanceLookup:
        answer = await self.client.get(
            api.TASK_INSTANCE, {"dag_id": dag_id, "dag_run_id": run.dag_run_id, "task_id": task_id}
        )
        if answer.status == 404:  # the scheduler has not created it yet (or the run id is unaddressable)
            return TaskInstanceLookup(True, True, True, None)
        expect(answer, 200)
        return TaskInstanceLookup(True, True, True, to_task_instance(answer.parsed(v2.TaskInstance), run))

    async def report(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        """The planned state, set through Airflow (a state the instance is in already: nothing,
        as Airflow refuses the change); the instance as Airflow then shows it."""
        lookup, run = await self._find(dag_id, execution_date, task_id)
        if run is not None and not addressable(run.dag_run_id):
            raise unaddressable_run(run.dag_run_id)
        if lookup.instance is None or run is None:
            return lookup
        plan = plan_report(lookup.instance, run_state=run.state, report=report, now=now)
        if lookup.instance.state == plan.changes.state:
            return lookup
        answer = await self.client.send(
            "PATCH",
            api.TASK_INSTANCE,
            {"dag_id": dag_id, "dag_run_id": run.dag_run_id, "task_id": task_id},
            json={"new_state": plan.changes.state},
        )
        expect(answer, 200)
        return await self._instance(dag_id, run, task_id)
