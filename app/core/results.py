"""Typed values that cross the layers: what the backend returns and the services hand on.

Dates are aware datetimes in UTC, except in the two listings, whose dates arrive as the
``isoformat()`` text the response shows (the backend formats a whole column at once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol


@dataclass(frozen=True, slots=True)
class Run:
    id: int | None  # None where the backend numbers runs only in listings (in front of Airflow)
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
    """One run of a DAG's listing; dates as ``isoformat()`` text."""

    id: int
    run_id: str
    execution_date: str
    state: str
    start_date: str | None


class LatestRun(NamedTuple):
    """A DAG's newest run, for latest_runs; dates as ``isoformat()`` text. ``run_id``: where the
    backend's links need it (dagport's own store links by date and leaves it ``None``)."""

    dag_id: str
    execution_date: str
    start_date: str | None
    run_id: str | None


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
    when the backend keeps none: the listing is then read every time)."""

    dag_exists: bool
    version: int | None


@dataclass(frozen=True, slots=True)
class TriggerOutcome:
    """What a trigger found and did: the DAG (and its start_date) and whether a run was created.

    The backend creates nothing when the DAG starts after the run's date (``trigger.may_start``);
    it reports the DAG's start_date either way, so the service can say why."""

    dag_exists: bool
    dag_start_date: datetime | None
    created: bool
    run: Run | None = None  # the run as created, where the backend reports it (Airflow's answer)


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


@dataclass(frozen=True, slots=True)
class Pool:
    id: int
    pool: str
    slots: int
    description: str | None
    include_deferred: bool


class DagDefinition(Protocol):
    """A validated DAG definition (``app.definitions.spec.DagSpec``)."""

    dag_id: str
    description: str | None
    schedule_interval: str | None
    start_date: datetime | None
    end_date: datetime | None
    is_paused_upon_creation: bool
    tags: list[str]
    owners: list[str]
    default_args: dict[str, Any]
    tasks: Sequence[Any]  # TaskSpec: task_id, operator, upstream, downstream and the attributes
