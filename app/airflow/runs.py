"""Runs in front of Airflow (``app.core.ports.RunPort``): by date, listed, triggered, their state set.

A run's execution date is Airflow's ``logical_date``; a run with a null ``logical_date`` (created
outside dagport) is addressed by its ``run_after``.

Runs by date (:class:`RunDates`): a lookup by date is a listing filtered on the date, which costs
Airflow more than a read by run id. A run's logical_date never changes and Airflow keeps it unique
per DAG, so each worker remembers which run id a date resolved to (:data:`REMEMBERED_RUN_IDS`
entries, LRU) and reads that run by id next time; a 404, or a run no longer at that date, falls
back to the listing.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from cachetools import LRUCache

from app.airflow.mapping import to_run
from app.core import messages
from app.core.results import LatestRun, ListedRun, RunFilter, RunLookup, TriggerOutcome
from app.core.run_states import RunStatePlan
from app.core.trigger import TriggerPlan, may_start
from app.db.repositories.airflow_ids import IdRegistry
from app.errors import Invalid
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.answers import dag_runs, dags, parsed
from app.gateway.client import AirflowClient
from app.gateway.endpoints import addressable
from app.gateway.pager import PAGE, Pager, expect, refused

EARLIEST = "0001-01-01T00:00:00+00:00"
REMEMBERED_RUN_IDS = 10_000  # (dag_id, date) -> run_id, per worker: about 2 MB when full


def unaddressable_run(run_id: str) -> Invalid:
    return Invalid(messages.unaddressable_run(run_id))


@dataclass(frozen=True, slots=True)
class RunAt:
    """A run looked up by date: whether the DAG exists, and the run if it does."""

    dag_exists: bool
    run: v2.DagRun | None


class RunDates:
    """Runs by date, for every port that starts from a run's date (see the module docstring)."""

    def __init__(self, client: AirflowClient) -> None:
        self.client = client
        self._run_ids: LRUCache[tuple[str, datetime], str] = LRUCache(REMEMBERED_RUN_IDS)

    def runs(self, dag_id: str, query: dict[str, Any]) -> Pager[v2.DagRunCollection]:
        return Pager(self.client, api.DAG_RUNS, {"dag_id": dag_id}, query, v2.DagRunCollection, dag_runs)

    async def run_at(self, dag_id: str, when: datetime) -> RunAt:
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
        dated = await self.runs(dag_id, {"logical_date_gte": at, "logical_date_lte": at}).page(
            offset=0, limit=1
        )
        if dated is None:
            return RunAt(False, None)
        if dated.dag_runs:
            run = dated.dag_runs[0]
            if addressable(run.dag_run_id):
                self._run_ids[(dag_id, when)] = run.dag_run_id
            return RunAt(True, run)
        after = await self.runs(dag_id, {"run_after_gte": at, "run_after_lte": at}).page(offset=0, limit=PAGE)
        if after is None:
            return RunAt(False, None)
        undated = [r for r in after.dag_runs if r.logical_date is None]
        return RunAt(True, undated[0] if undated else None)


class AirflowRuns:
    def __init__(self, client: AirflowClient, ids: IdRegistry, dates: RunDates) -> None:
        self.client = client
        self.ids = ids
        self.dates = dates

    async def find(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        found = await self.dates.run_at(dag_id, execution_date)
        return RunLookup(found.dag_exists, None if found.run is None else to_run(found.run))

    @staticmethod
    def _query(filters: RunFilter) -> dict[str, Any]:
        query: dict[str, Any] = {"order_by": "logical_date"}
        if filters.state is not None:
            query["state"] = filters.state
        if filters.execution_date_gte is not None:
            query["logical_date_gte"] = filters.execution_date_gte.astimezone(UTC).isoformat()
        if filters.execution_date_lte is not None:
            query["logical_date_lte"] = filters.execution_date_lte.astimezone(UTC).isoformat()
        return query

    async def list(self, *, dag_id: str, filters: RunFilter) -> list[ListedRun] | None:
        """Airflow's pages, each run numbered by the id registry."""
        pager = self.dates.runs(dag_id, self._query(filters))
        if filters.limit is None and filters.offset == 0:
            runs = await pager.all()
        else:
            runs = []
            async for page in pager.window(offset=filters.offset, limit=filters.limit):
                runs.extend(page.dag_runs)
        if pager.missing or runs is None:
            return None
        numbers = await self.ids.ids("run", dag_id, [r.dag_run_id for r in runs])
        return [
            ListedRun(numbers[r.dag_run_id], r.dag_run_id, r.execution_date, r.state, r.start_date)
            for r in runs
        ]

    async def latest(self) -> builtins.list[LatestRun]:
        """Identical concurrent requests share one computation (the client's ``shared``)."""
        return await self.client.shared("latest_runs", self._latest)

    async def _latest(self) -> builtins.list[LatestRun]:
        pager = Pager(self.client, api.DAGS, None, {"order_by": "dag_id"}, v2.DagCollection, dags)
        found = await pager.all() or []
        self.client.affordable(len(found))
        newest = await self.client.gather([partial(self._newest, d.dag_id) for d in found])
        return [run for run in newest if run is not None]

    async def _newest(self, dag_id: str) -> LatestRun | None:
        """The DAG's run with the greatest date of this mode. Airflow sorts null logical_dates first
        in a descending order (on Postgres): the first run is either the newest dated run or the
        newest undated one by run_after; in the second case the newest dated run is read too."""
        top = await self.dates.runs(dag_id, {"order_by": ["-logical_date", "-run_after"]}).page(
            offset=0, limit=1
        )
        if top is None or not top.dag_runs:
            return None  # deleted meanwhile, or no run
        best = top.dag_runs[0]
        if best.logical_date is None:
            dated = self.dates.runs(dag_id, {"order_by": "-logical_date", "logical_date_gte": EARLIEST})
            candidates = await dated.page(offset=0, limit=1)
            if candidates is not None and candidates.dag_runs:
                newest_dated = candidates.dag_runs[0]
                if newest_dated.execution_date >= best.execution_date:
                    best = newest_dated
        return LatestRun(dag_id, best.execution_date, best.start_date, best.dag_run_id)

    async def trigger(self, *, plan: TriggerPlan) -> TriggerOutcome:
        """Airflow's POST .../dagRuns, after ``may_start``; Airflow creates the run queued, with its
        own queued_at, whatever the plan's state (its scheduler runs it)."""
        if not addressable(plan.run_id):
            raise unaddressable_run(plan.run_id)
        details = await self.client.get(api.DAG_DETAILS, {"dag_id": plan.dag_id})
        if details.status == 404:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, run=None)
        start = parsed(details, v2.DagDetails).effective_start_date
        if not may_start(start, plan.execution_date):
            return TriggerOutcome(dag_exists=True, dag_start_date=start, run=None)
        body: dict[str, Any] = {
            "dag_run_id": plan.run_id,
            "logical_date": plan.execution_date.astimezone(UTC).isoformat(),
        }
        if plan.conf is not None:
            body["conf"] = plan.conf
        answer = await self.client.send("POST", api.DAG_RUNS, {"dag_id": plan.dag_id}, json=body)
        if answer.status == 404:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, run=None)
        if answer.status == 409:  # a run with that run_id or logical_date
            return TriggerOutcome(dag_exists=True, dag_start_date=start, run=None)
        expect(answer, 200, 201)
        return TriggerOutcome(dag_exists=True, dag_start_date=start, run=to_run(answer.parsed(v2.DagRun)))

    async def set_state(self, *, dag_id: str, execution_date: datetime, plan: RunStatePlan) -> RunLookup:
        """Airflow's PATCH of the run's state; Airflow's own rules then apply to its task instances
        (the backend lacks Capability.RUN_STATE_CASCADE)."""
        found = await self.dates.run_at(dag_id, execution_date)
        if found.run is None:
            return RunLookup(dag_exists=found.dag_exists, run=None)
        run_id = found.run.dag_run_id
        if not addressable(run_id):
            raise unaddressable_run(run_id)
        answer = await self.client.send(
            "PATCH", api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": run_id}, json={"state": plan.state}
        )
        if answer.status == 404:
            return RunLookup(dag_exists=True, run=None)
        expect(answer, 200)
        return RunLookup(dag_exists=True, run=to_run(answer.parsed(v2.DagRun)))
