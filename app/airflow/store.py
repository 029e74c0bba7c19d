"""The Store of app/services/backend.py over Airflow 3's REST API v2 (docs/airflow.md has the mapping).

Every call goes through the gateway (app/gateway/): endpoints and parameters, never a path built
here. A run's execution date is Airflow's ``logical_date``; a run with a null ``logical_date``
(created outside dagport) is addressed by its ``run_after``. The store knows no api.md message: it
reports what exists, as dagport's own store does, and raises a domain error only for what Airflow
refuses (``Invalid``, ``InUse``) or cannot do (``NotSupported``).

Runs by date: a lookup by date is a listing filtered on the date, which costs Airflow more than a
read by run id. A run's logical_date never changes and Airflow keeps it unique per DAG, so each
worker remembers which run id a date resolved to (:data:`REMEMBERED_RUN_IDS` entries, LRU) and
reads that run by id next time; a 404, or a run no longer at that date, falls back to the listing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from cachetools import LRUCache
from pydantic import BaseModel

from app.airflow.mapping import declared, iso, to_dag, to_pool, to_run, to_task, to_task_instance, upstream_of
from app.core import messages
from app.core.results import (
    Dag,
    DagDefinition,
    DagPage,
    LatestRun,
    LineageLookup,
    ListedRun,
    Pool,
    RunFilter,
    RunLookup,
    RunsVersion,
    StoredDag,
    TaskInstanceLookup,
    TaskInstanceReport,
    TaskLineage,
    TaskLookup,
    TriggerOutcome,
)
from app.core.trigger import TriggerPlan, may_start
from app.db.repositories.airflow_ids import IdRegistry
from app.errors import InUse, Invalid, NotSupported
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.client import AirflowClient
from app.gateway.endpoints import ANY, addressable
from app.gateway.pager import PAGE, Pager, expect, refused
from app.gateway.transport import Answer
from app.services.backend import UNSET

EARLIEST = "0001-01-01T00:00:00+00:00"
# The task-instance states Airflow 3 lets a client set (PATCH .../taskInstances/{task_id}).
SETTABLE_TI_STATES = ("success", "failed", "skipped")
REMEMBERED_RUN_IDS = 10_000  # (dag_id, date) -> run_id, per worker: about 2 MB when full
M = TypeVar("M", bound=BaseModel)


def unaddressable_run(run_id: str) -> Invalid:
    return Invalid(messages.unaddressable_run(run_id))


@dataclass(frozen=True, slots=True)
class RunAt:
    """A run looked up by date: whether the DAG exists, and the run if it does."""

    dag_exists: bool
    run: v2.DagRun | None


class AirflowStore:
    def __init__(self, client: AirflowClient, ids: IdRegistry) -> None:
        self.client = client
        self.ids = ids
        self._run_ids: LRUCache[tuple[str, datetime], str] = LRUCache(REMEMBERED_RUN_IDS)

    def _runs(self, dag_id: str, query: dict[str, Any]) -> Pager[v2.DagRunCollection]:
        return Pager(self.client, api.DAG_RUNS, {"dag_id": dag_id}, query, v2.DagRunCollection, _dag_runs)

    # -- runs ----------------------------------------------------------------------------------------

    async def _run_at(self, dag_id: str, when: datetime) -> RunAt:
        """The run at ``when``: by logical_date, else a run without one whose run_after is ``when``."""
        remembered = self._run_ids.get((dag_id, when))
        if remembered is not None:
            answer = await self.client.get(api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": remembered})
            if answer.status == 200:
                run = answer.parsed(v2.DagRun)
                if run.logical_date is not None and run.execution_date == when:
                    return RunAt(True, run)
            elif answer.status != 404:
                raise refused(answer)
            self._run_ids.pop((dag_id, when), None)  # deleted, or another run now: read by date
        at = when.astimezone(UTC).isoformat()
        dated = await self._runs(dag_id, {"logical_date_gte": at, "logical_date_lte": at}).page(
            offset=0, limit=1
        )
        if dated is None:
            return RunAt(False, None)
        if dated.dag_runs:
            run = dated.dag_runs[0]
            if addressable(run.dag_run_id):
                self._run_ids[(dag_id, when)] = run.dag_run_id
            return RunAt(True, run)
        after = await self._runs(dag_id, {"run_after_gte": at, "run_after_lte": at}).page(
            offset=0, limit=PAGE
        )
        if after is None:
            return RunAt(False, None)
        undated = [r for r in after.dag_runs if r.logical_date is None]
        return RunAt(True, undated[0] if undated else None)

    async def find_run(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        found = await self._run_at(dag_id, execution_date)
        return RunLookup(found.dag_exists, None if found.run is None else to_run(found.run))

    @staticmethod
    def _run_query(filters: RunFilter) -> dict[str, Any]:
        query: dict[str, Any] = {"order_by": "logical_date"}
        if filters.state is not None:
            query["state"] = filters.state
        if filters.execution_date_gte is not None:
            query["logical_date_gte"] = filters.execution_date_gte.astimezone(UTC).isoformat()
        if filters.execution_date_lte is not None:
            query["logical_date_lte"] = filters.execution_date_lte.astimezone(UTC).isoformat()
        return query

    async def _listed(self, dag_id: str, runs: list[v2.DagRun]) -> list[ListedRun]:
        numbers = await self.ids.ids("run", dag_id, [r.dag_run_id for r in runs])
        return [
            ListedRun(
                numbers[r.dag_run_id], r.dag_run_id, r.execution_date.isoformat(), r.state, iso(r.start_date)
            )
            for r in runs
        ]

    async def list_runs(self, *, dag_id: str, filters: RunFilter, dag_known: bool) -> list[ListedRun] | None:
        pager = self._runs(dag_id, self._run_query(filters))
        if filters.limit is None and filters.offset == 0:
            runs = await pager.all()
        else:
            runs = []
            async for page in pager.window(offset=filters.offset, limit=filters.limit):
                runs.extend(page.dag_runs)
        return None if pager.missing or runs is None else await self._listed(dag_id, runs)

    async def stream_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[ListedRun]]:
        """Airflow's pages one at a time (at most 100 runs each, never more than ``chunk_rows``)."""
        pager = self._runs(dag_id, self._run_query(filters))
        pages = pager.window(
            offset=filters.offset, limit=filters.limit, page_size=max(1, min(PAGE, chunk_rows))
        )
        async for page in pages:
            if page.dag_runs:
                yield await self._listed(dag_id, page.dag_runs)

    async def runs_version(self, *, dag_id: str) -> RunsVersion:
        """Whether the DAG exists; Airflow offers no change stamp, so listings are read every time."""
        answer = await self.client.get(api.DAG, {"dag_id": dag_id})
        if answer.status == 404:
            return RunsVersion(dag_exists=False, version=None)
        expect(answer, 200)
        return RunsVersion(dag_exists=True, version=None)

    async def latest_runs(self) -> list[LatestRun]:
        """Identical concurrent requests share one computation (the client's ``shared``)."""
        return await self.client.shared("latest_runs", self._latest_runs)

    async def _latest_runs(self) -> list[LatestRun]:
        pager = Pager(self.client, api.DAGS, None, {"order_by": "dag_id"}, v2.DagCollection, _dags)
        dags = await pager.all() or []
        self.client.affordable(len(dags))
        found = await self.client.gather([(lambda d=d.dag_id: self._newest(d)) for d in dags])
        return [run for run in found if run is not None]

    async def _newest(self, dag_id: str) -> LatestRun | None:
        """The DAG's run with the greatest date of this mode. Airflow sorts null logical_dates first
        in a descending order (on Postgres): the first run is either the newest dated run or the
        newest undated one by run_after; in the second case the newest dated run is read too."""
        top = await self._runs(dag_id, {"order_by": ["-logical_date", "-run_after"]}).page(offset=0, limit=1)
        if top is None or not top.dag_runs:
            return None  # deleted meanwhile, or no run
        best = top.dag_runs[0]
        if best.logical_date is None:
            dated = self._runs(dag_id, {"order_by": "-logical_date", "logical_date_gte": EARLIEST})
            candidates = await dated.page(offset=0, limit=1)
            if candidates is not None and candidates.dag_runs:
                newest_dated = candidates.dag_runs[0]
                if newest_dated.execution_date >= best.execution_date:
                    best = newest_dated
        return LatestRun(dag_id, best.execution_date.isoformat(), iso(best.start_date), best.dag_run_id)

    async def latest_runs_version(self) -> int | None:
        return None

    async def trigger(self, plan: TriggerPlan) -> TriggerOutcome:
        if not addressable(plan.run_id):
            raise unaddressable_run(plan.run_id)
        details = await self.client.get(api.DAG_DETAILS, {"dag_id": plan.dag_id})
        if details.status == 404:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, created=False)
        start = _parsed(details, v2.DagDetails).effective_start_date
        if not may_start(start, plan.execution_date):
            return TriggerOutcome(dag_exists=True, dag_start_date=start, created=False)
        # Airflow's own state and queued_at: a run is created queued, whatever the plan's state.
        body: dict[str, Any] = {
            "dag_run_id": plan.run_id,
            "logical_date": plan.execution_date.astimezone(UTC).isoformat(),
        }
        if plan.conf is not None:
            body["conf"] = plan.conf
        answer = await self.client.send("POST", api.DAG_RUNS, {"dag_id": plan.dag_id}, json=body)
        if answer.status == 404:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, created=False)
        if answer.status == 409:  # a run with that run_id or logical_date
            return TriggerOutcome(dag_exists=True, dag_start_date=start, created=False)
        expect(answer, 200, 201)
        created = answer.parsed(v2.DagRun)
        return TriggerOutcome(dag_exists=True, dag_start_date=start, created=True, run=to_run(created))

    async def set_run_state(
        self, *, dag_id: str, execution_date: datetime, state: str, now: datetime
    ) -> RunLookup:
        found = await self._run_at(dag_id, execution_date)
        if found.run is None:
            return RunLookup(dag_exists=found.dag_exists, run=None)
        run_id = found.run.dag_run_id
        if not addressable(run_id):
            raise unaddressable_run(run_id)
        answer = await self.client.send(
            "PATCH", api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": run_id}, json={"state": state}
        )
        if answer.status == 404:
            return RunLookup(dag_exists=True, run=None)
        expect(answer, 200)
        return RunLookup(dag_exists=True, run=to_run(answer.parsed(v2.DagRun)))

    # -- tasks and task instances ------------------------------------------------------------------

    async def _tasks(self, dag_id: str) -> list[v2.Task] | None:
        answer = await self.client.get(api.TASKS, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        return list(_parsed(answer, v2.TaskCollection).tasks)

    async def _declared(self, dag_id: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The DAG's tasks' declared inlets and outlets (the assets naming the DAG's tasks)."""
        pager = Pager(self.client, api.ASSETS, None, {"dag_ids": dag_id}, v2.AssetCollection, _assets)
        return declared(await pager.all() or [], dag_id)

    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup:
        tasks = await self._tasks(dag_id)
        if tasks is None:
            return TaskLookup(dag_exists=False, task=None)
        task = next((t for t in tasks if t.task_id == task_id), None)
        if task is None:
            return TaskLookup(dag_exists=True, task=None)
        inlets, outlets = await self._declared(dag_id)  # once the DAG is known to exist
        upstream = upstream_of(tasks).get(task_id, [])
        return TaskLookup(
            dag_exists=True,
            task=to_task(dag_id, task, upstream, inlets.get(task_id, []), outlets.get(task_id, [])),
        )

    async def find_task_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup:
        return (await self._find_instance(dag_id, execution_date, task_id))[0]

    async def _find_instance(
        self, dag_id: str, execution_date: datetime, task_id: str
    ) -> tuple[TaskInstanceLookup, v2.DagRun | None]:
        """The lookup, and the run it found, for a caller that goes on with it."""
        task, found = await asyncio.gather(
            self.client.get(api.TASK, {"dag_id": dag_id, "task_id": task_id}),
            self._run_at(dag_id, execution_date),
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

    async def report_task_instance(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        lookup, run = await self._find_instance(dag_id, execution_date, task_id)
        if run is not None and not addressable(run.dag_run_id):
            raise unaddressable_run(run.dag_run_id)
        if lookup.instance is None or run is None:
            return lookup
        if report.state not in SETTABLE_TI_STATES:
            raise Invalid(messages.task_instance_state_not_settable(SETTABLE_TI_STATES, report.state))
        if lookup.instance.state == report.state:  # Airflow refuses a change to the state it is in
            return lookup
        answer = await self.client.send(
            "PATCH",
            api.TASK_INSTANCE,
            {"dag_id": dag_id, "dag_run_id": run.dag_run_id, "task_id": task_id},
            json={"new_state": report.state},
        )
        expect(answer, 200)
        return await self._instance(dag_id, run, task_id)

    async def run_lineage(self, *, dag_id: str, execution_date: datetime) -> LineageLookup:
        """Each task that emitted asset events in the run (its ``outlets``: those assets) or that
        succeeded and declares inlets (its ``inlets``: the assets it declares)."""
        found = await self._run_at(dag_id, execution_date)
        if found.run is None:
            return LineageLookup(dag_exists=found.dag_exists, run_exists=False, tasks=[])
        run_id = found.run.dag_run_id
        events = Pager(
            self.client,
            api.ASSET_EVENTS,
            None,
            {"source_dag_id": dag_id, "source_run_id": run_id, "order_by": "timestamp"},
            v2.AssetEventCollection,
            _asset_events,
        )
        instances = Pager(
            self.client,
            api.TASK_INSTANCES,
            {"dag_id": dag_id, "dag_run_id": run_id},
            None,
            v2.TaskInstanceCollection,
            _task_instances,
        )
        emitted, succeeded, (inlets, _) = await asyncio.gather(
            events.all(), instances.all(), self._declared(dag_id)
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

    # -- DAGs ----------------------------------------------------------------------------------------

    async def _dag(self, dag_id: str) -> Dag | None:
        details, tasks = await asyncio.gather(
            self.client.get(api.DAG_DETAILS, {"dag_id": dag_id}), self._tasks(dag_id)
        )
        if details.status == 404 or tasks is None:
            return None
        return to_dag(_parsed(details, v2.DagDetails), [t.task_id for t in tasks])

    async def get_dag(self, *, dag_id: str) -> Dag | None:
        return await self._dag(dag_id)

    async def list_dags(self, *, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        """Identical concurrent listings share one computation (the client's ``shared``)."""
        return await self.client.shared(
            ("dags", limit, offset, paused, tag), lambda: self._list_dags(limit, offset, paused, tag)
        )

    async def _list_dags(self, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        query: dict[str, Any] = {"order_by": "dag_id"}
        if paused is not None:
            query["paused"] = str(paused).lower()
        if tag is not None:
            query["tags"] = tag
        pager = Pager(self.client, api.DAGS, None, query, v2.DagCollection, _dags)
        listed: list[v2.Dag] = []
        total = 0
        async for page in pager.window(offset=offset, limit=limit):
            total = page.total_entries
            listed.extend(page.dags)
            self.client.affordable(2 * len(listed))  # details and tasks of each
        dags = await self.client.gather([(lambda d=d.dag_id: self._dag(d)) for d in listed])
        return DagPage(dags=[d for d in dags if d is not None], total=total)

    async def dag_source(self, *, dag_id: str) -> str | None:
        answer = await self.client.get(api.DAG_SOURCE, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        return _parsed(answer, v2.DagSource).content or ""

    async def is_paused(self, *, dag_id: str) -> bool | None:
        answer = await self.client.get(api.DAG, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        return _parsed(answer, v2.Dag).is_paused

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        answer = await self.client.send("PATCH", api.DAG, {"dag_id": dag_id}, json={"is_paused": paused})
        if answer.status == 404:
            return False
        expect(answer, 200)
        return True

    async def delete_dag(self, *, dag_id: str) -> int | None:
        runs, instances = await asyncio.gather(
            self.client.get(api.DAG_RUNS, {"dag_id": dag_id}, {"limit": 1}),
            self.client.get(api.TASK_INSTANCES, {"dag_id": dag_id, "dag_run_id": ANY}, {"limit": 1}),
        )
        if runs.status == 404:
            return None
        count = _parsed(runs, v2.Collection).total_entries + _parsed(instances, v2.Collection).total_entries
        answer = await self.client.send("DELETE", api.DAG, {"dag_id": dag_id})
        if answer.status == 404:
            return None
        if answer.status == 409:  # task instances still running
            raise InUse(answer.detail)
        expect(answer, 200, 204)
        return count

    async def upsert_dag(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        raise NotSupported(messages.DEFINITIONS_ELSEWHERE)

    # -- pools ---------------------------------------------------------------------------------------

    async def _numbered(self, pools: list[v2.Pool]) -> list[Pool]:
        # default_pool is numbered with the first pool ever seen, so it lists first (as its id 1 does
        # in dagport's own store).
        numbers = await self.ids.ids("pool", "", ["default_pool", *(p.name for p in pools)])
        return [to_pool(numbers[p.name], p) for p in pools]

    async def list_pools(self) -> list[Pool]:
        pager = Pager(self.client, api.POOLS, None, {"order_by": "id"}, v2.PoolCollection, _pools)
        return sorted(await self._numbered(await pager.all() or []), key=lambda p: p.id)

    async def _get_pool(self, name: str) -> v2.Pool | None:
        answer = await self.client.get(api.POOL, {"pool_name": name})
        if answer.status == 404:
            return None
        return _parsed(answer, v2.Pool)

    async def get_pool(self, *, name: str) -> Pool | None:
        found = await self._get_pool(name)
        return None if found is None else (await self._numbered([found]))[0]

    async def upsert_pool(
        self, *, name: str, slots: int, description: Any = UNSET, include_deferred: Any = UNSET
    ) -> Pool:
        if not addressable(name):
            raise Invalid(messages.unaddressable_pool(name))
        body: dict[str, Any] = {"name": name, "slots": slots}
        if description is not UNSET:
            body["description"] = description
        if include_deferred is not UNSET:
            body["include_deferred"] = include_deferred
        answer = await self.client.send("POST", api.POOLS, json=body)
        if answer.status == 409:  # exists: updated with the fields the caller sent
            current = await self._get_pool(name)
            if current is None:
                raise refused(answer)
            mask = ["slots"]
            patch: dict[str, Any] = {
                "pool": name,
                "slots": slots,
                "include_deferred": current.include_deferred,
            }
            if include_deferred is not UNSET:
                patch["include_deferred"] = include_deferred
                mask.append("include_deferred")
            if description is not UNSET and name != "default_pool":
                patch["description"] = description
                mask.append("description")
            elif description is not UNSET and description != current.description:
                raise Invalid(messages.DEFAULT_POOL_DESCRIPTION_FIXED)
            answer = await self.client.send(
                "PATCH", api.POOL, {"pool_name": name}, json=patch, query={"update_mask": mask}
            )
        expect(answer, 200, 201)
        return (await self._numbered([answer.parsed(v2.Pool)]))[0]

    async def delete_pool(self, *, name: str) -> Pool | None:
        found = await self._get_pool(name)
        if found is None:
            return None
        answer = await self.client.send("DELETE", api.POOL, {"pool_name": name})
        if answer.status == 404:
            return None
        expect(answer, 200, 204)
        return (await self._numbered([found]))[0]


def _parsed(answer: Answer, model: type[M]) -> M:
    """A 200 answer's body as ``model``; any other 4xx is the caller's problem (400)."""
    expect(answer, 200)
    return answer.parsed(model)


def _dag_runs(page: v2.DagRunCollection) -> list[v2.DagRun]:
    return page.dag_runs


def _dags(page: v2.DagCollection) -> list[v2.Dag]:
    return page.dags


def _pools(page: v2.PoolCollection) -> list[v2.Pool]:
    return page.pools


def _assets(page: v2.AssetCollection) -> list[v2.Asset]:
    return page.assets


def _asset_events(page: v2.AssetEventCollection) -> list[v2.AssetEvent]:
    return page.asset_events


def _task_instances(page: v2.TaskInstanceCollection) -> list[v2.TaskInstance]:
    return page.task_instances
