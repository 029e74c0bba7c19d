"""Task instances, their tries, dependencies and links, clearing and state updates: Airflow 3's
answers in v1's shapes, and the v1 request bodies read as Airflow 2.11 read them (docs/api-v1.md,
"Task instances, XCom, logs, clearing and state updates").

A v1 body went through two checks in Airflow 2.11, and its errors carry the words of each:
connexion's JSON-schema validation of the OpenAPI document (the first error:
``"'nope' is not of type 'boolean' - 'dry_run'"``), then marshmallow's load (every field's errors
as a dict repr: ``"{'include_upstream': ['Missing data for required field.']}"``, unknown fields
last, then the schema's own rule under ``_schema``). :func:`read_body` does both from a
declaration of the body's fields (:class:`Field`: a property's schema and its marshmallow load in
one), with the texts and checks of app/schemas/v1/bodies.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from pydantic import Field as Doc

from app.errors import Invalid
from app.gateway.models import task_instances as v2
from app.gateway.models.base import utc
from app.schemas.v1.bodies import (
    MISSING_DATA,
    is_json_type,
    longer_than,
    refused_by_marshmallow,
    required_property,
    schema_error,
    unknown_fields,
)
from app.schemas.v1.common import V1Model, collection, v1_datetime

# Airflow 2.11's TaskState (TaskInstanceState and "none" for no state), and what a v1 client may set.
TASK_STATES = (
    "success", "running", "failed", "upstream_failed", "skipped", "up_for_retry", "up_for_reschedule",
    "queued", "none", "scheduled", "deferred", "removed", "restarting",
)  # fmt: skip
SETTABLE_STATES = ("success", "failed", "skipped")


def unknown_state(value: str) -> str:
    """The 400 for a state no task instance can have (Airflow 2.11 failed with a bare 500)."""
    return f"{value!r} is not one of {list(TASK_STATES)!r} - 'state'"


# -- answers ----------------------------------------------------------------------------------------


class TriggerInfo(V1Model):
    id: int
    classpath: str
    kwargs: str = Doc(description='Always "{}": Airflow 3 never shows a trigger\'s arguments')
    created_date: str
    triggerer_id: int | None


class JobInfo(V1Model):
    id: int
    dag_id: str | None
    state: str | None
    job_type: str | None
    start_date: str | None
    end_date: str | None
    latest_heartbeat: str | None
    executor_class: str | None
    hostname: str | None
    unixname: str | None


class TaskInstanceTryInfo(V1Model):
    """One try of a task instance (v1's ``TaskInstanceHistory``)."""

    dag_id: str
    dag_run_id: str
    duration: float | None
    end_date: str | None
    executor: str | None
    executor_config: str
    hostname: str
    map_index: int
    max_tries: int
    operator: str | None
    pid: int | None
    pool: str
    pool_slots: int
    priority_weight: int | None
    queue: str | None
    queued_when: str | None
    start_date: str | None
    state: str | None
    task_display_name: str
    task_id: str
    try_number: int
    unixname: str


class TaskInstanceInfo(TaskInstanceTryInfo):
    """A task instance (v1's ``TaskInstance``)."""

    execution_date: str = Doc(description="The run's logical date (its run_after when it has none)")
    note: str | None
    rendered_fields: dict[str, Any]
    rendered_map_index: str | None
    sla_miss: None = Doc(description="Always null: Airflow 3 has no SLA misses")
    trigger: TriggerInfo | None
    triggerer_job: JobInfo | None


TaskInstanceCollection = collection("TaskInstanceCollection", "task_instances", TaskInstanceInfo)


TaskInstanceTryCollection = collection("TaskInstanceTryCollection", "task_instances", TaskInstanceTryInfo)


class TaskInstanceReference(V1Model):
    dag_id: str
    dag_run_id: str
    execution_date: str | None
    task_id: str


class TaskInstanceReferenceCollection(V1Model):
    """The task instances a clear or a change of state touches (or, in a dry run, would)."""

    task_instances: list[TaskInstanceReference]


class TaskDependency(V1Model):
    name: str
    reason: str


class TaskDependencyCollection(V1Model):
    dependencies: list[TaskDependency]


class ExtraLinks(V1Model):
    """Each extra link's name and its URL (null where the task instance has none), as Airflow 2.11
    answered them: an object keyed by name (not the ``extra_links`` list its document described)."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"additionalProperties": {"type": ["string", "null"]}}
    )


def _date(value: datetime | None) -> str | None:
    return v1_datetime(utc(value))


def _trigger(trigger: v2.Trigger | None) -> dict[str, Any] | None:
    if trigger is None:
        return None
    return {
        "classpath": trigger.classpath,
        "created_date": _date(trigger.created_date),
        "id": trigger.id,
        "kwargs": trigger.kwargs,
        "triggerer_id": trigger.triggerer_id,
    }


def _job(job: v2.Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "dag_id": job.dag_id,
        "end_date": _date(job.end_date),
        "executor_class": job.executor_class,
        "hostname": job.hostname,
        "id": job.id,
        "job_type": job.job_type,
        "latest_heartbeat": _date(job.latest_heartbeat),
        "start_date": _date(job.start_date),
        "state": job.state,
        "unixname": job.unixname,
    }


def task_instance_try(ti: v2.TaskInstanceTry | v2.TaskInstance) -> dict[str, Any]:
    """A try (v1's ``TaskInstanceHistory``); ``hostname`` and ``unixname`` are strings, as in v1."""
    return {
        "dag_id": ti.dag_id,
        "dag_run_id": ti.dag_run_id,
        "duration": ti.duration,
        "end_date": _date(ti.end_date),
        "executor": ti.executor,
        "executor_config": ti.executor_config if ti.executor_config is not None else "{}",
        "hostname": ti.hostname or "",
        "map_index": ti.map_index,
        "max_tries": ti.max_tries,
        "operator": ti.operator,
        "pid": ti.pid,
        "pool": ti.pool,
        "pool_slots": ti.pool_slots,
        "priority_weight": ti.priority_weight,
        "queue": ti.queue,
        "queued_when": _date(ti.queued_when),
        "start_date": _date(ti.start_date),
        "state": ti.state,
        "task_display_name": ti.task_display_name or ti.task_id,
        "task_id": ti.task_id,
        "try_number": ti.try_number,
        "unixname": ti.unixname or "",
    }


def task_instance(ti: v2.TaskInstance) -> dict[str, Any]:
    """A task instance as v1 wrote it: ``execution_date`` from the run's logical date, ``sla_miss``
    null (Airflow 3 has no SLAs)."""
    return {
        **task_instance_try(ti),
        "execution_date": v1_datetime(ti.execution_date),
        "note": ti.note,
        "rendered_fields": ti.rendered_fields,
        "rendered_map_index": ti.rendered_map_index,
        "sla_miss": None,
        "trigger": _trigger(ti.trigger),
        "triggerer_job": _job(ti.triggerer_job),
    }


def task_instances(collection: v2.TaskInstanceCollection) -> dict[str, Any]:
    return {
        "task_instances": [task_instance(ti) for ti in collection.task_instances],
        "total_entries": collection.total_entries,
    }


def task_instance_tries(tries: Sequence[v2.TaskInstanceTry]) -> dict[str, Any]:
    return {"task_instances": [task_instance_try(t) for t in tries], "total_entries": len(tries)}


def reference(ti: v2.TaskInstance) -> dict[str, Any]:
    return {
        "dag_id": ti.dag_id,
        "dag_run_id": ti.dag_run_id,
        "execution_date": v1_datetime(ti.execution_date),
        "task_id": ti.task_id,
    }


def references(tis: Sequence[v2.TaskInstance]) -> dict[str, Any]:
    return {"task_instances": [reference(ti) for ti in tis]}


def dependencies(found: v2.TaskDependencyCollection) -> dict[str, Any]:
    return {"dependencies": [{"name": d.name, "reason": d.reason} for d in found.dependencies]}


# -- bodies -----------------------------------------------------------------------------------------

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Field:
    """A property of a v1 body: its JSON schema (what connexion checked) and its marshmallow field
    (``load``: ``bool``, ``str``, ``int``, ``datetime``, ``list``: what marshmallow made of it)."""

    name: str
    type: str
    load: str
    items: str | None = None  # an array's item type
    enum: tuple[Any, ...] | None = None  # an array's items', for an array
    nullable: bool = False
    item_nullable: bool = False
    minimum: int | None = None
    min_items: int | None = None
    date_time: bool = False  # connexion checked the format ("date-time"; "datetime" it did not know)
    required: bool = False  # marshmallow's required
    default: Any = None
    in_schema: bool = True  # documented in v1's OpenAPI document (else marshmallow alone knew it)


def _check_value(value: Any, field: Field) -> None:
    """connexion's (JSON Schema draft 4's) first error for ``value``, in the keywords' order."""
    if value is None:
        if not field.nullable:
            raise schema_error(f"None is not of type '{field.type}'", [field.name])
        return
    if not is_json_type(value, field.type):
        raise schema_error(f"{value!r} is not of type '{field.type}'", [field.name])
    if field.type == "array" and field.items is not None:
        for index, item in enumerate(value):
            if item is None:
                if not field.item_nullable:
                    raise schema_error(f"None is not of type '{field.items}'", [field.name, index])
                continue
            if not is_json_type(item, field.items):
                raise schema_error(f"{item!r} is not of type '{field.items}'", [field.name, index])
            if field.enum is not None and item not in field.enum:
                raise schema_error(f"{item!r} is not one of {list(field.enum)!r}", [field.name, index])
        if field.min_items is not None and len(value) < field.min_items:
            message = "should be non-empty" if field.min_items == 1 else "is too short"
            raise schema_error(f"{value!r} {message}", [field.name])
    elif field.enum is not None and value not in field.enum:
        raise schema_error(f"{value!r} is not one of {list(field.enum)!r}", [field.name])
    if field.minimum is not None and value < field.minimum:
        raise schema_error(f"{value} is less than the minimum of {field.minimum}", [field.name])
    if field.date_time and not _rfc3339(value):
        raise schema_error(f"{value!r} is not a 'date-time'", [field.name])


def _rfc3339(value: str) -> bool:
    """RFC 3339's date-time, as connexion checked the format: a ``T`` and an offset. (Not
    bodies.is_date_time, the runs' reading: this one, like the load's :func:`_datetime`, strips
    blanks and wants at least minutes; the two differ on such inputs only.)"""
    parsed = _datetime(value)
    return parsed is not None and parsed.tzinfo is not None and value.strip()[10] in "Tt"


def _datetime(value: str) -> datetime | None:
    """An ISO 8601 date and time (``Z`` for UTC), or None."""
    text = value.strip()
    if len(text) < 16 or text[10] not in "Tt ":
        return None
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return None


def _load(value: Any, field: Field) -> tuple[Any, str | None]:
    """What marshmallow made of a value that passed the schema: the value, or its error."""
    if value is None:
        return None, None
    if field.load == "datetime":
        if not isinstance(value, str) or (parsed := _datetime(value)) is None:
            return None, "Not a valid datetime."
        if parsed.tzinfo is None:  # Airflow 2's validate_istimezone raised at once
            raise Invalid("Naive datetime is disallowed", title="Invalid datetime format")
        return parsed, None
    if field.load == "int":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None, "Not a valid integer."
        try:
            number = int(value)
        except ValueError:
            return None, "Not a valid integer."
        if field.minimum is not None and number < field.minimum:
            return None, f"Must be greater than or equal to {field.minimum}."
        return number, None
    if field.load == "str" and not isinstance(value, str):
        return None, "Not a valid string."
    if field.load == "bool" and not isinstance(value, bool):
        return None, "Not a valid boolean."
    return value, None


def read_body(
    body: Any,
    fields: Sequence[Field],
    *,
    required: Sequence[str] = (),
    rules: Callable[[dict[str, Any]], str | None] | None = None,
) -> dict[str, Any]:
    """``body`` as Airflow 2.11 read it (see the module): ``required`` is the JSON schema's list,
    ``rules`` the marshmallow schema's own check (its message, or None). Every declared field is
    in the result (its default where absent)."""
    if not isinstance(body, dict):
        raise schema_error(f"{body!r} is not of type 'object'")
    for name in required:
        if name not in body:
            raise required_property(name)
    for field in fields:
        if field.in_schema and field.name in body:
            _check_value(body[field.name], field)
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for field in fields:
        value = body.get(field.name, _MISSING)
        if value is _MISSING:
            if field.required:
                errors[field.name] = [MISSING_DATA]
            data[field.name] = field.default
            continue
        loaded, error = _load(value, field)
        if error is not None:
            errors[field.name] = [error]
        data[field.name] = loaded
    errors.update(unknown_fields(body, (field.name for field in fields)))
    if errors:
        raise refused_by_marshmallow(errors)
    if rules is not None and (message := rules(data)) is not None:
        raise refused_by_marshmallow({"_schema": [message]})
    return data


def _flag(name: str, *, default: bool | None = False, required: bool = False) -> Field:
    return Field(name, "boolean", "bool", default=default, required=required)


CLEAR_FIELDS = (
    _flag("dry_run", default=True),
    Field("task_ids", "array", "list", items="string", min_items=1),
    Field("start_date", "string", "datetime"),
    Field("end_date", "string", "datetime"),
    _flag("only_failed", default=True),
    _flag("only_running"),
    _flag("include_subdags"),
    _flag("include_parentdag"),
    _flag("reset_dag_runs"),
    Field("dag_run_id", "string", "str", nullable=True),
    _flag("include_upstream"),
    _flag("include_downstream"),
    _flag("include_future"),
    _flag("include_past"),
)


def _clear_rules(data: dict[str, Any]) -> str | None:
    """Airflow 2.11's ClearTaskInstanceFormSchema.validate_form, in its order."""
    start, end, run = data["start_date"], data["end_date"], data["dag_run_id"]
    if data["only_failed"] and data["only_running"]:
        return "only_failed and only_running both are set to True"
    if start and end and start > end:
        return "end_date is sooner than start_date"
    if start and end and run:
        return "Exactly one of dag_run_id or (start_date and end_date) must be provided"
    if start and run:
        return "Exactly one of dag_run_id or start_date must be provided"
    if end and run:
        return "Exactly one of dag_run_id or end_date must be provided"
    return None


def clear_body(body: Any) -> dict[str, Any]:
    """v1's ClearTaskInstances, with v1's defaults (dry_run and only_failed true, reset_dag_runs
    false); a ``task_ids`` list shorter than one is marshmallow's error when the schema let it by."""
    return read_body(body, CLEAR_FIELDS, rules=_clear_rules)


UPDATE_STATE_FIELDS = (
    _flag("dry_run", default=True),
    Field("task_id", "string", "str", required=True),
    Field("execution_date", "string", "datetime"),
    Field("dag_run_id", "string", "str"),
    _flag("include_upstream", default=None, required=True),
    _flag("include_downstream", default=None, required=True),
    _flag("include_future", default=None, required=True),
    _flag("include_past", default=None, required=True),
    Field("new_state", "string", "str", enum=SETTABLE_STATES, required=True),
)


def _exactly_one_run(data: dict[str, Any]) -> str | None:
    if bool(data["execution_date"]) == bool(data["dag_run_id"]):
        return "Exactly one of execution_date or dag_run_id must be provided"
    return None


def update_state_body(body: Any) -> dict[str, Any]:
    """v1's UpdateTaskInstancesState: the four ``include_*`` flags required, one of
    ``execution_date`` and ``dag_run_id``."""
    return read_body(body, UPDATE_STATE_FIELDS, rules=_exactly_one_run)


PATCH_FIELDS = (
    _flag("dry_run", default=True),
    Field("new_state", "string", "str", enum=SETTABLE_STATES, required=True),
)


def patch_body(body: Any) -> dict[str, Any]:
    """v1's UpdateTaskInstance (``dry_run`` defaults to true)."""
    return read_body(body, PATCH_FIELDS)


NOTE_FIELDS = (
    Field("map_index", "integer", "int", in_schema=False),
    Field("note", "string", "str"),
)
NOTE_MAX = 1000


def note_body(body: Any) -> str:
    """v1's SetTaskInstanceNote: ``note`` required, a string of at most 1000 characters."""
    data = read_body(body, NOTE_FIELDS, required=("note",))
    note: str = data["note"]
    if len(note) > NOTE_MAX:
        raise refused_by_marshmallow({"note": [longer_than(NOTE_MAX)]})
    return note


def _list(name: str, items: str = "string", **extra: Any) -> Field:
    return Field(name, "array", "list", items=items, **extra)


def _date_range(prefix: str) -> tuple[Field, Field]:
    return (
        Field(f"{prefix}_gte", "string", "datetime", date_time=True),
        Field(f"{prefix}_lte", "string", "datetime", date_time=True),
    )


BATCH_FIELDS = (
    Field("page_offset", "integer", "int", minimum=0, default=0),
    Field("page_limit", "integer", "int", minimum=1, default=100),
    _list("dag_ids"),
    _list("dag_run_ids"),
    _list("task_ids"),
    *_date_range("execution_date"),
    *_date_range("start_date"),
    *_date_range("end_date"),
    Field("duration_gte", "number", "int"),
    Field("duration_lte", "number", "int"),
    _list("state", enum=(None, *TASK_STATES), item_nullable=True),
    _list("pool"),
    _list("queue"),
    _list("executor"),
)


def batch_body(body: Any) -> dict[str, Any]:
    """v1's ListTaskInstanceForm (``duration_*`` read as integers, as marshmallow read them)."""
    return read_body(body, BATCH_FIELDS)


def documented_body(fields: Sequence[Field], *, required: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON schema of a body declared by ``fields``, for the OpenAPI document."""
    properties: dict[str, Any] = {}
    for field in fields:
        if not field.in_schema:
            continue
        schema: dict[str, Any] = {"type": [field.type, "null"] if field.nullable else field.type}
        if field.items is not None:
            item: dict[str, Any] = {"type": [field.items, "null"] if field.item_nullable else field.items}
            if field.enum is not None:
                item["enum"] = list(field.enum)
            schema["items"] = item
            if field.min_items is not None:
                schema["minItems"] = field.min_items
        elif field.enum is not None:
            schema["enum"] = list(field.enum)
        if field.load == "datetime":
            schema["format"] = "date-time"
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.default is not None:
            schema["default"] = field.default
        properties[field.name] = schema
    found = [f.name for f in fields if f.required and f.in_schema] + list(required)
    return {"type": "object", "properties": properties, **({"required": found} if found else {})}


def v2_filters(data: Mapping[str, Any]) -> dict[str, Any]:
    """A read batch body's filters in Airflow 3's names (``execution_date_*``: ``logical_date_*``),
    without the absent ones."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        out[name.replace("execution_date", "logical_date")] = value
    return out
