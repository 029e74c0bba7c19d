"""Typed models of the Airflow REST API v2 answers dagport reads (Airflow 3's own shapes:
airflow-core/src/airflow/api_fastapi/core_api/datamodels/).

Each model holds the fields dagport uses, with the types Airflow 3.0 to 3.3 give them, and
ignores the others, so a field Airflow adds later changes nothing. A body that does not fit is a
502 (:meth:`app.gateway.transport.Answer.parsed`), never a KeyError.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class V2Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class TimeDelta(V2Model):
    """Airflow's serialised timedelta: ``{"__type": "TimeDelta", "days", "seconds", "microseconds"}``."""

    days: int = 0
    seconds: int = 0
    microseconds: int = 0

    @property
    def total_seconds(self) -> float:
        return timedelta(days=self.days, seconds=self.seconds, microseconds=self.microseconds).total_seconds()


class DagTag(V2Model):
    name: str


class Dag(V2Model):
    """``DAGResponse``."""

    dag_id: str
    is_paused: bool = False
    is_stale: bool = False
    description: str | None = None
    fileloc: str = ""
    timetable_summary: str | None = None
    tags: list[DagTag] = []
    owners: list[str] = []


class DagDetails(Dag):
    """``DAGDetailsResponse``."""

    start_date: datetime | None = None
    default_args: dict[str, Any] | None = None

    @property
    def effective_start_date(self) -> datetime | None:
        """The DAG's start_date, else its default_args' (where Airflow 2 looked too)."""
        if self.start_date is not None:
            return utc(self.start_date)
        value = (self.default_args or {}).get("start_date")
        return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


class DagCollection(V2Model):
    dags: list[Dag]
    total_entries: int


class DagRun(V2Model):
    """``DAGRunResponse``."""

    dag_run_id: str
    dag_id: str
    logical_date: datetime | None = None
    run_after: datetime
    queued_at: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    state: str
    run_type: str = "manual"
    conf: dict[str, Any] | None = None

    @property
    def execution_date(self) -> datetime:
        """The run's date in front of Airflow: its logical_date, else its run_after (UTC)."""
        return (self.logical_date or self.run_after).astimezone(UTC)


class DagRunCollection(V2Model):
    dag_runs: list[DagRun]
    total_entries: int


class Task(V2Model):
    """``TaskResponse``."""

    task_id: str
    owner: str | None = None
    operator_name: str | None = None
    class_ref: dict[str, Any] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    trigger_rule: str | None = None
    depends_on_past: bool = False
    wait_for_downstream: bool = False
    retries: float | None = None
    queue: str | None = None
    pool: str | None = None
    pool_slots: float | None = None
    execution_timeout: TimeDelta | None = None
    retry_delay: TimeDelta | None = None
    retry_exponential_backoff: float = 0
    priority_weight: float | None = None
    weight_rule: str | None = None
    downstream_task_ids: list[str] | None = None
    doc_md: str | None = None
    params: dict[str, Any] | None = None


class TaskCollection(V2Model):
    tasks: list[Task]
    total_entries: int = 0


class TaskInstance(V2Model):
    """``TaskInstanceResponse``."""

    task_id: str
    dag_id: str
    dag_run_id: str
    state: str | None = None
    try_number: int = 0
    max_tries: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    hostname: str | None = None
    unixname: str | None = None
    pid: int | None = None
    pool: str = "default_pool"
    pool_slots: int = 1
    queue: str | None = None
    priority_weight: int | None = None
    operator: str | None = None
    operator_name: str | None = None
    queued_when: datetime | None = None
    executor_config: str | None = None

    @field_validator("executor_config", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)


class TaskInstanceCollection(V2Model):
    task_instances: list[TaskInstance]
    total_entries: int


class Collection(V2Model):
    """Any listing, for its count (``total_entries``) alone."""

    total_entries: int


class Pool(V2Model):
    """``PoolResponse``."""

    name: str
    slots: int
    description: str | None = None
    include_deferred: bool = False


class PoolCollection(V2Model):
    pools: list[Pool]
    total_entries: int


class AssetEvent(V2Model):
    """``AssetEventResponse``."""

    uri: str | None = None
    name: str | None = None
    source_task_id: str | None = None


class AssetEventCollection(V2Model):
    asset_events: list[AssetEvent]
    total_entries: int = 0


class TaskReference(V2Model):
    dag_id: str
    task_id: str


class Asset(V2Model):
    """``AssetResponse``: the tasks that declare it as an outlet (producing) or inlet (consuming)."""

    name: str
    uri: str
    producing_tasks: list[TaskReference] = []
    consuming_tasks: list[TaskReference] = []


class AssetCollection(V2Model):
    assets: list[Asset]
    total_entries: int


class DagSource(V2Model):
    content: str | None = None


class Version(V2Model):
    version: str = Field(min_length=1)
