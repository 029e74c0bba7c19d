"""Task and task-instance info (docs/api.md 3.3): a fixed key set, every value as Python ``str()`` renders it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from app.core import messages
from app.core.results import Task, TaskInstance
from app.core.states import TASK_INSTANCE_STATES
from app.dates import str_utc
from app.schemas.common import RequestBody, api_error


def _str(value: Any) -> str:
    return "None" if value is None else str(value)


def _str_set(values: list[str]) -> str:
    """A Python set's ``str()``, sorted so the rendering is stable: ``{'a', 'b'}`` or ``set()``."""
    if not values:
        return "set()"
    return "{" + ", ".join(repr(v) for v in sorted(values)) + "}"


def _str_seconds(seconds: float | None) -> str:
    return "None" if seconds is None else str(timedelta(seconds=seconds))


def task_info(row: Task) -> dict[str, str]:
    info = {str(k): _str(v) for k, v in (row.arguments or {}).items()}
    info.update(
        {
            "task_id": row.task_id,
            "dag_id": row.dag_id,
            "operator": row.operator,
            "owner": row.owner,
            "email": _str(row.email),
            "email_on_failure": _str(row.email_on_failure),
            "email_on_retry": _str(row.email_on_retry),
            "retries": _str(row.retries),
            "retry_delay": _str_seconds(row.retry_delay),
            "retry_exponential_backoff": _str(row.retry_exponential_backoff),
            "max_retry_delay": _str_seconds(row.max_retry_delay),
            "execution_timeout": _str_seconds(row.execution_timeout),
            "start_date": str_utc(row.start_date),
            "end_date": str_utc(row.end_date),
            "depends_on_past": _str(row.depends_on_past),
            "wait_for_downstream": _str(row.wait_for_downstream),
            "pool": row.pool,
            "pool_slots": _str(row.pool_slots),
            "queue": row.queue,
            "priority_weight": _str(row.priority_weight),
            "weight_rule": row.weight_rule,
            "trigger_rule": row.trigger_rule,
            "params": _str(row.params),
            "inlets": _str(row.inlets),
            "outlets": _str(row.outlets),
            "doc_md": _str(row.doc_md),
            "upstream_task_ids": _str_set(row.upstream_task_ids),
            "downstream_task_ids": _str_set(row.downstream_task_ids),
        }
    )
    return info


def task_instance_info(ti: TaskInstance) -> dict[str, str]:
    return {
        "task_id": ti.task_id,
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "execution_date": str_utc(ti.execution_date),
        "start_date": str_utc(ti.start_date),
        "end_date": str_utc(ti.end_date),
        "duration": "None"
        if ti.duration is None
        else str(float(ti.duration)),  # REAL, even if SQLite hands back 2
        "state": _str(ti.state),
        "try_number": _str(ti.try_number),
        "max_tries": _str(ti.max_tries),
        "hostname": ti.hostname,
        "unixname": ti.unixname,
        "job_id": _str(ti.job_id),
        "pool": ti.pool,
        "pool_slots": _str(ti.pool_slots),
        "queue": ti.queue,
        "priority_weight": _str(ti.priority_weight),
        "operator": ti.operator,
        "queued_dttm": str_utc(ti.queued_dttm),
        "pid": _str(ti.pid),
        "executor_config": _str(ti.executor_config),
        "updated_at": str_utc(ti.updated_at),
    }


TASK_INFO_EXAMPLE = {
    "task_id": "extract",
    "dag_id": "example_bash",
    "operator": "BashOperator",
    "owner": "data-team",
    "retries": "2",
    "retry_delay": "0:05:00",
    "start_date": "2016-01-01 00:00:00+00:00",
    "upstream_task_ids": "set()",
    "downstream_task_ids": "{'transform'}",
    "bash_command": "echo extract {{ ds }}",
}


# What _check_entities requires of each entity, for the documentation.
_ENTITIES_SCHEMA: dict[str, Any] = {
    "items": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}
}


def _check_entities(value: Any, field: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(e, dict) and isinstance(e.get("type"), str) for e in value
    ):
        raise api_error(messages.not_entities(field, value))
    return value


class TaskInstancePatch(RequestBody):
    """A worker's state report for one task instance."""

    state: str | None = Field(
        description="New state (null allowed)",
        examples=["running"],
        json_schema_extra={"enum": list(TASK_INSTANCE_STATES)},
    )
    hostname: str | None = Field(None, examples=["worker-1"])
    pid: int | None = Field(None, ge=0, le=2**31 - 1, examples=[4242])
    unixname: str | None = Field(None, examples=["airflow"])
    inlets: list[dict[str, Any]] | None = Field(
        None, description="Lineage inlets; default: the task's", json_schema_extra=_ENTITIES_SCHEMA
    )
    outlets: list[dict[str, Any]] | None = Field(
        None, description="Lineage outlets; default: the task's", json_schema_extra=_ENTITIES_SCHEMA
    )

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"state": "running", "hostname": "worker-1", "pid": 4242, "unixname": "airflow"},
                {"state": "success"},
            ]
        },
    )

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> Any:
        if value not in TASK_INSTANCE_STATES:
            raise api_error(messages.unknown_state(value, TASK_INSTANCE_STATES))
        return value

    @field_validator("pid", mode="before")
    @classmethod
    def _pid(cls, value: Any) -> Any:
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise api_error(messages.pid_not_an_integer(value))

    @field_validator("hostname", "unixname", mode="before")
    @classmethod
    def _text(cls, value: Any, info: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        raise api_error(messages.not_a_string(info.field_name, value))

    @field_validator("inlets", "outlets", mode="before")
    @classmethod
    def _entities(cls, value: Any, info: Any) -> Any:
        return _check_entities(value, info.field_name)
