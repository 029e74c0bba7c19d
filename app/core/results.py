"""Typed values that cross the layers: what a backend returns and the services hand on.

Dates are aware datetimes in UTC. The one exception is the optional pre-rendered listings
(``RenderedRun``, ``RenderedLatestRun``: a backend that can write the listings' dates as text for a
whole column at once offers them, ``ports.VersionedListings``); :func:`rendered_runs` and
:func:`rendered_latest_runs` write the same text from datetimes for a backend that cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple, Protocol


class Keep(Enum):
    """The value of an optional field a client did not send: what is stored stays (distinct from
    ``None``, which a client sends to clear a field)."""

    KEEP = "keep"

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep.KEEP


def iso(value: datetime | None) -> str | None:
    """A date as the listings write it: ``isoformat()`` in UTC (``+00:00``; microseconds when not 0)."""
    if value is None:
        return None
    return (value if value.tzinfo is UTC else value.astimezone(UTC)).isoformat()


# -- runs ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """A run, as the API shows it (its identity: ``dag_id`` and ``run_id``, or its execution date)."""

    dag_id: str
    run_id: str
    execution_date: datetime
    state: str
    start_date: datetime | None
    end_date: datetime | None
    queued_at: datetime | None
    external_trigger: bool


@dataclass(frozen=True, slots=True)
class RunLookup:
    """A run looked up by DAG and date: whether the DAG exists, and the run if it does."""

    dag_exists: bool
    run: Run | None


class ListedRun(NamedTuple):
    """One run of a DAG's listing; ``id`` is the number the listing shows (3.2)."""

    id: int
    run_id: str
    execution_date: datetime
    state: str
    start_date: datetime | None


class RenderedRun(NamedTuple):
    """A :class:`ListedRun` with its dates as the listing writes them (:func:`iso`)."""

    id: int
    run_id: str
    execution_date: str
    state: str
    start_date: str | None


class LatestRun(NamedTuple):
    """A DAG's run with the greatest execution_date, for latest_runs."""

    dag_id: str
    execution_date: datetime
    start_date: datetime | None
    run_id: str


class RenderedLatestRun(NamedTuple):
    """A :class:`LatestRun` with its dates written as text; ``run_id`` ``None`` where the backend
    that rendered it does not read it (its links do not need it)."""

    dag_id: str
    execution_date: str
    start_date: str | None
    run_id: str | None


def rendered_runs(runs: Sequence[ListedRun]) -> list[RenderedRun]:
    return [
        RenderedRun(r.id, r.run_id, iso(r.execution_date) or "", r.state, iso(r.start_date)) for r in runs
    ]


def rendered_latest_runs(runs: Sequence[LatestRun]) -> list[RenderedLatestRun]:
    return [
        RenderedLatestRun(r.dag_id, iso(r.execution_date) or "", iso(r.start_date), r.run_id) for r in runs
    ]


# A listing's dag_run_url for many runs at once: (dag_ids, dates as text, run_ids) -> links (Airflow 2's
# graph page in dagport's store, a fronted Airflow 3's run page: app/schemas/listings.py).
RunLinks = Callable[[list[str], list[str], list[str | None]], list[str]]


@dataclass(frozen=True, slots=True)
class RunFilter:
    """What a run listing asks for; hashable, so it is part of the listing cache's key."""

    state: str | None = None
    limit: int | None = None
    offset: int = 0
    execution_date_gte: datetime | None = None
    execution_date_lte: datetime | None = None


@dataclass(frozen=True, slots=True)
class RunsVersion:
    """Whether a DAG exists, and a value that changes with every change to its runs (``None``
    while there is none: the listing is then read every time)."""

    dag_exists: bool
    version: int | None


@dataclass(frozen=True, slots=True)
class TriggerOutcome:
    """What a trigger found and did: the DAG (and its start_date) and the run it created, if any.

    A backend creates nothing when the DAG starts after the run's date (``trigger.may_start``); it
    reports the DAG's start_date either way, so the service can say why."""

    dag_exists: bool
    dag_start_date: datetime | None
    run: Run | None  # the run as created (a backend's own account of it: Airflow's state and queued_at)

    @property
    def created(self) -> bool:
        return self.run is not None


# -- tasks and task instances ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Task:
    """A task as stored: its attributes and its operator's ``arguments``. ``None`` where the
    backend does not know the attribute (Airflow 3's API does not show email settings, lineage)."""

    task_id: str
    dag_id: str
    operator: str
    owner: str
    email: str | list[str] | None
    email_on_failure: bool | None
    email_on_retry: bool | None
    retries: int
    retry_delay: float  # seconds
    retry_exponential_backoff: bool
    max_retry_delay: float | None
    execution_timeout: float | None
    start_date: datetime | None
    end_date: datetime | None
    depends_on_past: bool
    wait_for_downstream: bool
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    weight_rule: str
    trigger_rule: str
    params: dict[str, Any]
    inlets: list[Any] | None
    outlets: list[Any] | None
    doc_md: str | None
    arguments: dict[str, Any]
    upstream_task_ids: list[str]
    downstream_task_ids: list[str]


@dataclass(frozen=True, slots=True)
class TaskLookup:
    dag_exists: bool
    task: Task | None


@dataclass(frozen=True, slots=True)
class TaskInstance:
    task_id: str
    dag_id: str
    run_id: str
    execution_date: datetime
    state: str | None
    try_number: int
    max_tries: int
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    hostname: str
    unixname: str
    job_id: int | None
    pid: int | None
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    operator: str
    queued_dttm: datetime | None
    executor_config: Any
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class TaskInstanceLookup:
    """Which of DAG, task, run and task instance exist, in the order the API reports them."""

    dag_exists: bool
    task_exists: bool
    run_exists: bool
    instance: TaskInstance | None


@dataclass(frozen=True, slots=True)
class TaskInstanceReport:
    """A worker's state report; ``None`` fields were not sent (lineage: the task's own)."""

    state: str | None
    hostname: str | None = None
    pid: int | None = None
    unixname: str | None = None
    inlets: list[dict[str, Any]] | None = None
    outlets: list[dict[str, Any]] | None = None


# -- lineage -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskLineage:
    task_id: str
    inlets: list[Any]
    outlets: list[Any]


@dataclass(frozen=True, slots=True)
class LineageLookup:
    dag_exists: bool
    run_exists: bool
    tasks: list[TaskLineage]


# -- DAGs --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dag:
    dag_id: str
    description: str | None
    is_paused: bool
    owners: list[str]
    tags: list[str]
    schedule_interval: str | None
    start_date: datetime | None
    fileloc: str
    tasks: list[str]  # task_ids in definition order


@dataclass(frozen=True, slots=True)
class StoredDag:
    created: bool
    dag: Dag


@dataclass(frozen=True, slots=True)
class DagPage:
    dags: list[Dag]
    total: int


class DagDefinition(Protocol):
    """A validated DAG definition (``app.definitions.spec.DagSpec``), read only."""

    @property
    def dag_id(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def schedule_interval(self) -> str | None: ...
    @property
    def start_date(self) -> datetime | None: ...
    @property
    def end_date(self) -> datetime | None: ...
    @property
    def is_paused_upon_creation(self) -> bool: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def owners(self) -> list[str]: ...
    @property
    def default_args(self) -> dict[str, Any]: ...
    @property
    def tasks(self) -> Sequence[Any]:
        """TaskSpec: task_id, operator, upstream, downstream and the attributes."""
        ...


# -- pools ---------------------------------------------------------------------------------------------

DEFAULT_POOL = "default_pool"


@dataclass(frozen=True, slots=True)
class Pool:
    id: int
    pool: str
    slots: int
    description: str | None
    include_deferred: bool


@dataclass(frozen=True, slots=True)
class PoolUpsert:
    """A pool to create, or to update by name (3.4): ``slots`` always; a field left at ``KEEP`` keeps
    its stored value (a new pool: no description, include_deferred false)."""

    name: str
    slots: int
    description: str | Keep | None = KEEP
    include_deferred: bool | Keep = KEEP
