"""Tasks as v1 showed them (``Task``, ``TaskCollection``), built from Airflow 3's ``TaskResponse``:
numbers as floats where v1 wrote them so (``retries: 2.0``), timedeltas as ``{"__type": "TimeDelta",
...}``, ``retry_exponential_backoff`` as the boolean it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from app.gateway.models.base import TimeDelta as V2TimeDelta
from app.gateway.models.dags import Task as V2Task
from app.schemas.v1.common import V1Model, collection, v1_datetime
from app.schemas.v1.dags import TimeDelta, params, time_delta


class ClassReference(V1Model):
    module_path: str | None
    class_name: str | None


class Task(V1Model):
    """A task of a DAG, as Airflow 2's `GET /dags/{dag_id}/tasks/{task_id}` gave it."""

    class_ref: ClassReference
    operator_name: str
    task_id: str
    task_display_name: str
    owner: str
    start_date: str | None
    end_date: str | None
    trigger_rule: str
    extra_links: list[ClassReference] = Field(
        description="One entry per extra link of the operator: Airflow 3 names the links, not their "
        "classes, so `class_name` is the link's name and `module_path` null"
    )
    depends_on_past: bool
    is_mapped: bool
    wait_for_downstream: bool
    retries: float
    queue: str | None
    pool: str
    pool_slots: float
    execution_timeout: TimeDelta | None
    retry_delay: TimeDelta | None
    retry_exponential_backoff: bool
    priority_weight: float
    weight_rule: str
    ui_color: str
    ui_fgcolor: str
    template_fields: list[str]
    downstream_task_ids: list[str]
    params: dict[str, Any]
    doc_md: str | None


TaskCollection = collection("TaskCollection", "tasks", Task)


def _delta(value: V2TimeDelta | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return time_delta(timedelta(days=value.days, seconds=value.seconds, microseconds=value.microseconds))


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def task(v2: V2Task) -> dict[str, Any]:
    """v1's Task."""
    return {
        "class_ref": dict(v2.class_ref or {"module_path": None, "class_name": None}),
        "operator_name": v2.operator_name,
        "task_id": v2.task_id,
        "task_display_name": v2.task_display_name or v2.task_id,
        "owner": v2.owner,
        "start_date": v1_datetime(v2.start_date),
        "end_date": v1_datetime(v2.end_date),
        "trigger_rule": v2.trigger_rule,
        "extra_links": [{"class_name": name, "module_path": None} for name in v2.extra_links],
        "depends_on_past": v2.depends_on_past,
        "is_mapped": bool(v2.is_mapped),
        "wait_for_downstream": v2.wait_for_downstream,
        "retries": _number(v2.retries),
        "queue": v2.queue,
        "pool": v2.pool,
        "pool_slots": _number(v2.pool_slots),
        "execution_timeout": _delta(v2.execution_timeout),
        "retry_delay": _delta(v2.retry_delay),
        # Airflow 3 made it a multiplier (0: off); Airflow 2's was a flag.
        "retry_exponential_backoff": bool(v2.retry_exponential_backoff),
        "priority_weight": _number(v2.priority_weight),
        "weight_rule": v2.weight_rule,
        "ui_color": v2.ui_color,
        "ui_fgcolor": v2.ui_fgcolor,
        "template_fields": list(v2.template_fields or []),
        "downstream_task_ids": list(v2.downstream_task_ids or []),
        "params": params(v2.params),
        "doc_md": v2.doc_md,
    }


# v1 sorted tasks by any attribute of Airflow 2's operators; Airflow 3 sorts by these attributes
# only and refuses the others.
ORDERABLE = (
    "task_id", "task_display_name", "owner", "start_date", "end_date", "trigger_rule", "depends_on_past",
    "wait_for_downstream", "retries", "queue", "pool", "pool_slots", "execution_timeout", "retry_delay",
    "retry_exponential_backoff", "priority_weight", "weight_rule", "ui_color", "ui_fgcolor", "operator_name",
)  # fmt: skip


def no_such_attribute(name: str) -> str:
    """Airflow 2's text for ordering tasks by what its operators do not have (an AttributeError)."""
    return f"'SerializedBaseOperator' object has no attribute '{name}'"
