"""The backend interface, in the core's terms: one port per resource, each a Protocol.

A backend (``Backend``) opens units of work: ``reading()`` and ``writing()`` each yield a
:class:`Store`, whose ports (``runs``, ``tasks``, ``dags``, ``pools``, ``lineage``) speak in
datetimes and the types of ``results``. A writing unit commits when its block ends without an
exception and rolls back otherwise, so a client never sees a 200 for a write that did not happen.
A backend without transactions of its own may hand out one object for both, if each write it makes
is atomic where it lands: in front of Airflow every write is one call to Airflow, made in Airflow's
own transaction, and ``reading()`` and ``writing()`` yield the same store.

A store reports what exists (``RunLookup``, ``TaskInstanceLookup``, ``None``, ``False``) and
knows no message: the services turn that into the API's answers (``lookups``, ``messages``). It
raises only domain errors (app/errors.py: ``Unavailable`` when it does not answer). It applies the
core's plans (``trigger``, ``reports``, ``run_states``, ``deletion``) with the means it has, and
declares what it cannot do as :class:`Capability` values, which the services answer with the
contract's texts. ``VersionedListings`` is optional: a store that can render listings itself and
version them offers it (``Store.listings``), and the services do without it otherwise.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from enum import Enum
from typing import Protocol

from app.core.results import (
    Dag,
    DagDefinition,
    DagPage,
    LatestRun,
    LineageLookup,
    ListedRun,
    Pool,
    PoolUpsert,
    RenderedLatestRun,
    RenderedRun,
    RunFilter,
    RunLookup,
    RunsVersion,
    StoredDag,
    TaskInstanceLookup,
    TaskInstanceReport,
    TaskLookup,
    TriggerOutcome,
)
from app.core.run_states import RunStatePlan
from app.core.trigger import TriggerPlan


class Capability(Enum):
    """What a backend may not be able to do. Each value's ``differs`` names where the docs say
    how the API answers without it."""

    # PUT /dags/{dag_id} stores a definition (without: 501, messages.DEFINITIONS_ELSEWHERE).
    DEFINITIONS = ("definitions", "docs/airflow.md, The mapping (PUT /dags/{id})")
    # A report sets try_number, start and end dates, duration, hostname, pid and unixname as
    # docs/api.md 4.3 says (without: the backend's own workers set them).
    WORKER_REPORTS = ("worker reports", "docs/airflow.md, What differs (task-instance info)")
    # A run's state follows its task instances' reports at once, 4.3 (without: a scheduler
    # derives it in its own time).
    DERIVED_RUN_STATE = ("derived run state", "docs/airflow.md, What differs (run state)")
    # success / failed finish a run's unfinished task instances, queued clears them, 4.2 (without:
    # the backend's own rules apply to them).
    RUN_STATE_CASCADE = ("run state cascade", "docs/airflow.md, What differs (run state)")
    # Lineage is what success reports (or the task's definition) recorded, 3.5 (without: the
    # backend's own account of it).
    RECORDED_LINEAGE = ("recorded lineage", "docs/airflow.md, What differs (lineage)")

    def __init__(self, label: str, differs: str) -> None:
        self.label = label
        self.differs = differs


# -- the ports ------------------------------------------------------------------------------------


class RunPort(Protocol):
    """A DAG's runs: docs/api.md 3.1, 3.2, 4.2 and latest_runs."""

    async def find(self, *, dag_id: str, execution_date: datetime) -> RunLookup: ...

    async def list(self, *, dag_id: str, filters: RunFilter) -> list[ListedRun] | None:
        """The runs by execution_date; ``None`` if the DAG does not exist."""
        ...

    async def latest(self) -> builtins.list[LatestRun]:
        """Each DAG's run with the greatest execution_date, by dag_id; DAGs without runs left out."""
        ...

    async def trigger(self, *, plan: TriggerPlan) -> TriggerOutcome:
        """Create the planned run and one task instance per task, unless the DAG is unknown,
        ``trigger.may_start`` refuses its date, or a run has its run_id or execution instant
        (concurrent identical triggers create one run)."""
        ...

    async def set_state(self, *, dag_id: str, execution_date: datetime, plan: RunStatePlan) -> RunLookup:
        """Apply ``plan`` to the run at ``execution_date``; the run as it is then."""
        ...


class TaskPort(Protocol):
    """Tasks and task instances: docs/api.md 3.3 and 4.3."""

    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup: ...

    async def find_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup: ...

    async def report(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        """Apply ``reports.plan_report`` of the instance and its run as they are now (reports of
        one run one at a time: none is lost), as far as the capabilities go; the instance after."""
        ...


class DagPort(Protocol):
    """DAGs: their definitions (4.1), source, pause state and deletion."""

    async def get(self, *, dag_id: str) -> Dag | None: ...

    async def list(self, *, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage: ...

    async def source(self, *, dag_id: str) -> str | None: ...

    async def is_paused(self, *, dag_id: str) -> bool | None: ...

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        """False if the DAG does not exist."""
        ...

    async def delete(self, *, dag_id: str) -> int | None:
        """Remove the DAG as ``deletion.DAG_DELETION`` says; its count, ``None`` if the DAG is unknown."""
        ...

    async def upsert(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        """Create or replace a definition (Capability.DEFINITIONS): keeps is_paused and the runs,
        replaces tags and tasks."""
        ...


class PoolPort(Protocol):
    """Pools (3.4); default_pool always exists."""

    async def list(self) -> list[Pool]: ...

    async def get(self, *, name: str) -> Pool | None: ...

    async def upsert(self, *, pool: PoolUpsert) -> Pool:
        """Create the pool, or update the one of that name (a ``KEEP`` field keeps its value)."""
        ...

    async def delete(self, *, name: str) -> Pool | None: ...


class LineagePort(Protocol):
    """A run's lineage (3.5)."""

    async def for_run(self, *, dag_id: str, execution_date: datetime) -> LineageLookup: ...


class VersionedListings(Protocol):
    """Optional: run listings and latest_runs rendered by the store and versioned (the listing cache
    and the streamed listings need both: app/listing_cache.py, app/services/dag_runs.py).

    A version changes with every change to a DAG's runs and is read before the rows, in the same
    unit of work; ``None`` while there is none (the listing is then read every time).
    """

    async def runs_version(self, *, dag_id: str) -> RunsVersion: ...

    async def latest_runs_version(self) -> int | None:
        """A value that changes with every change to any DAG's runs."""
        ...

    async def rendered_runs(self, *, dag_id: str, filters: RunFilter) -> list[RenderedRun] | None:
        """``RunPort.list``'s runs, dates as text; ``None`` if the DAG does not exist."""
        ...

    def stream_rendered_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[RenderedRun]]:
        """The same runs, in order, as chunks of 1 to ``chunk_rows`` runs, each read when the
        previous one has been taken, from one statement (one snapshot), inside the unit of work
        that gave the store (open until the generator is closed: the service closes it, ``aclose``,
        before it leaves the unit). No chunk when no run matches, whether or not the DAG exists.
        Failures while reading are domain errors."""
        ...

    async def rendered_latest_runs(self) -> list[RenderedLatestRun]: ...


class Store(Protocol):
    """One unit of work's ports."""

    @property
    def runs(self) -> RunPort: ...

    @property
    def tasks(self) -> TaskPort: ...

    @property
    def dags(self) -> DagPort: ...

    @property
    def pools(self) -> PoolPort: ...

    @property
    def lineage(self) -> LineagePort: ...

    @property
    def listings(self) -> VersionedListings | None:
        """The optional pre-rendered, versioned listings; ``None`` where the store has none."""
        ...


class Backend(Protocol):
    """What the services are built over (app/main.py builds one: ``SqlBackend`` or ``AirflowBackend``)."""

    # What it can do of the contract (see Capability), and the task-instance states a client may
    # set (in the order a refusal lists them: messages.task_instance_state_not_settable).
    capabilities: frozenset[Capability]
    settable_task_instance_states: tuple[str | None, ...]

    async def ping(self) -> bool:
        """Whether the store answers now (readiness; the caller bounds the wait)."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Store]:
        """A unit of work that only reads."""
        ...

    def writing(self) -> AbstractAsyncContextManager[Store]:
        """A unit of work that writes: committed when the block ends, rolled back on an exception."""
        ...
