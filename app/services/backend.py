"""The interface the services call: one unit of work at a time, typed results.

``Backend.reading()`` and ``Backend.writing()`` open a unit of work and yield a :class:`Store`; a
writing unit commits when its block ends without an exception and rolls back otherwise, so a
client never sees a 200 for a write that did not happen. dagport's own tables implement it in
``app/db/backend.py``; another implementation (a test double, a remote Airflow) only has to
provide the same methods. A store knows no docs/api.md message: it reports what exists, and the
services decide what that means.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

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
    TaskLookup,
    TriggerOutcome,
)
from app.core.trigger import TriggerPlan


class Unset:
    """The value of an optional field the client did not send (distinct from ``None``)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


class Store(Protocol):
    # -- runs --------------------------------------------------------------------------------------
    async def find_run(self, *, dag_id: str, execution_date: datetime) -> RunLookup: ...

    async def list_runs(self, *, dag_id: str, filters: RunFilter, dag_known: bool) -> list[ListedRun] | None:
        """The runs by execution_date; ``None`` if the DAG does not exist (``dag_known``: the
        caller already knows it does)."""
        ...

    def stream_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[ListedRun]]:
        """The runs of :meth:`list_runs`, in order, as chunks of 1 to ``chunk_rows`` runs, each
        read when the previous one has been taken, all inside the unit of work that gave the store
        (which stays open until the generator is closed). No chunk when there is none to show,
        whether or not the DAG exists (the caller asks :meth:`runs_version`). Failures while
        reading are domain errors, as for every other method."""
        ...

    async def runs_version(self, *, dag_id: str) -> RunsVersion: ...

    async def latest_runs(self) -> list[LatestRun]: ...

    async def latest_runs_version(self) -> int | None:
        """A value that changes with every change to any DAG's runs; ``None``: none kept."""
        ...

    async def trigger(self, plan: TriggerPlan) -> TriggerOutcome:
        """Create the planned run and one task instance per task, unless the DAG is unknown,
        ``app.core.trigger.may_start`` refuses its date, or it has a run with that run_id or
        execution date (concurrent identical triggers create one run)."""
        ...

    async def set_run_state(
        self, *, dag_id: str, execution_date: datetime, state: str, now: datetime
    ) -> RunLookup:
        """success/failed finish the run's unfinished task instances; queued clears it."""
        ...

    # -- tasks and task instances ----------------------------------------------------------------
    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup: ...

    async def find_task_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup: ...

    async def report_task_instance(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        """Apply a worker's report and derive the run's state (``app.core.states.derived_run_state``);
        reports of one run are applied one at a time."""
        ...

    async def run_lineage(self, *, dag_id: str, execution_date: datetime) -> LineageLookup: ...

    # -- DAGs ----------------------------------------------------------------------------------------
    async def get_dag(self, *, dag_id: str) -> Dag | None: ...

    async def list_dags(
        self, *, limit: int, offset: int, paused: bool | None, tag: str | None
    ) -> DagPage: ...

    async def dag_source(self, *, dag_id: str) -> str | None: ...

    async def is_paused(self, *, dag_id: str) -> bool | None: ...

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        """False if the DAG does not exist."""
        ...

    async def delete_dag(self, *, dag_id: str) -> int | None:
        """The number of run records removed (runs, task instances, lineage); ``None``: unknown."""
        ...

    async def upsert_dag(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        """Create or replace a definition: keeps is_paused and the runs, replaces tags and tasks."""
        ...

    # -- pools ---------------------------------------------------------------------------------------
    async def list_pools(self) -> list[Pool]: ...

    async def get_pool(self, *, name: str) -> Pool | None: ...

    async def upsert_pool(
        self, *, name: str, slots: int, description: Any = UNSET, include_deferred: Any = UNSET
    ) -> Pool:
        """Create or update a pool; an UNSET field keeps its stored value (or its default)."""
        ...

    async def delete_pool(self, *, name: str) -> Pool | None: ...


class Backend(Protocol):
    accepts_definitions: bool  # False: PUT of a DAG definition is refused (Airflow holds Python DAGs)

    async def ping(self) -> bool:
        """Whether the store answers now (readiness; the caller bounds the wait)."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Store]:
        """A unit of work that only reads."""
        ...

    def writing(self) -> AbstractAsyncContextManager[Store]:
        """A unit of work that writes: committed when the block ends, rolled back on an exception."""
        ...
