"""DAG definition documents (docs/dag-definitions.md): validation and derived values.

:func:`parse_dag_definition` validates decoded data (:mod:`app.definitions.decoding`) with the
format's models (:mod:`app.definitions.document`) and returns an immutable :class:`DagSpec`, or
raises :class:`DagDefinitionError` listing *every* problem, each with the path it concerns
(``tasks[2].upstream[0]``), in the order the document reads. Pydantic's errors are worded in
the format's own messages in one place (:func:`_problem`); the checks across fields (the task
graph, in :mod:`app.definitions.graph`, and dates) run even when fields are invalid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.core.messages import EXAMPLE_DATE_FORMAT
from app.dates import str_utc
from app.definitions.decoding import DagDefinitionError as DagDefinitionError  # raised here too
from app.definitions.document import (
    ID_PATTERN,
    INT_MAX,
    TAG_MAX_LENGTH,
    TRIGGER_RULES,
    WEIGHT_RULES,
    DagDocument,
    loc_text,
    to_utc,
)
from app.definitions.graph import TaskGraph, effective_weights, task_graph

# Task defaults (Airflow's). Mutable defaults (params, inlets, outlets, arguments) are made fresh
# for every task so no two tasks share one object.
_TASK_DEFAULTS: dict[str, Any] = {
    "operator": "EmptyOperator", "owner": "airflow", "email": None, "email_on_failure": True,
    "email_on_retry": True, "retries": 0, "retry_delay": timedelta(seconds=300),
    "retry_exponential_backoff": False, "max_retry_delay": None, "execution_timeout": None,
    "start_date": None, "end_date": None, "depends_on_past": False, "wait_for_downstream": False,
    "pool": "default_pool", "pool_slots": 1, "queue": "default", "priority_weight": 1,
    "weight_rule": "downstream", "trigger_rule": "all_success", "doc_md": None,
}  # fmt: skip
_TASK_ONLY = ("task_id", "upstream", "arguments")  # task fields default_args may not set


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One validated task with every default and default_args value applied. Treat as read-only."""

    task_id: str
    operator: str
    upstream: tuple[str, ...]
    downstream: tuple[str, ...]
    owner: str
    email: str | list[str] | None
    email_on_failure: bool
    email_on_retry: bool
    retries: int
    retry_delay: timedelta
    retry_exponential_backoff: bool
    max_retry_delay: timedelta | None
    execution_timeout: timedelta | None
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
    inlets: list[dict[str, Any]]
    outlets: list[dict[str, Any]]
    doc_md: str | None
    arguments: dict[str, Any]
    effective_priority_weight: int


@dataclass(frozen=True, slots=True)
class DagSpec:
    """A validated DAG definition; dates are aware and in UTC."""

    dag_id: str
    description: str | None
    schedule_interval: str | None
    start_date: datetime | None
    end_date: datetime | None
    is_paused_upon_creation: bool
    tags: list[str]
    default_args: dict[str, Any]
    tasks: list[TaskSpec]
    owners: list[str]


# --- Pydantic's errors in the format's words and order ---

_BOOLEANS = (
    "email_on_failure", "email_on_retry", "retry_exponential_backoff", "depends_on_past",
    "wait_for_downstream", "is_paused_upon_creation",
)  # fmt: skip
_DURATION = "must be a number of seconds >= 0 or an 'H:MM:SS' string"
_MUST: dict[str, str] = {  # "<where> must ..., got <value>", by field ("x[]": an item of list x)
    **dict.fromkeys(("dag_id", "task_id"), f"must match ^{ID_PATTERN}$, got"),
    **dict.fromkeys(("operator", "pool", "queue"), "must be a non-empty string, got"),
    **dict.fromkeys(("description", "schedule_interval", "doc_md"), "must be a string or null, got"),
    **dict.fromkeys(_BOOLEANS, "must be true or false, got"),
    **dict.fromkeys(("params", "arguments", "default_args"), "must be an object, got"),
    **dict.fromkeys(("inlets", "outlets"), "must be a list of objects with a string 'type', got"),
    **dict.fromkeys(("inlets[]", "outlets[]"), "must be an object with a 'type', got"),
    "owner": "must be a string, got",
    "email": "must be a string, a list of strings, or null, got",
    "retries": "must be an integer >= 0, got",
    "pool_slots": "must be an integer >= 1, got",
    "priority_weight": "must be an integer, got",
    "weight_rule": f"must be one of: {', '.join(WEIGHT_RULES)}; got",
    "trigger_rule": f"must be one of: {', '.join(TRIGGER_RULES)}; got",
    "retry_delay": f"{_DURATION}, got",
    **dict.fromkeys(("max_retry_delay", "execution_timeout"), f"{_DURATION}, or null, got"),
    "tags": "must be a list of strings, got",
    "tags[]": "must be a string, got",
    "upstream": "must be a list of task_id strings, got",
    "upstream[]": "must be a task_id string, got",
    "type": "must be a non-empty string, got",  # an entity's
    "tasks": "must be a list of task objects, got",
}
_MUST_BY_KIND = {  # the same whatever the field
    "less_than_equal": f"must be at most {INT_MAX}, got",
    "string_too_long": f"must be at most {TAG_MAX_LENGTH} characters, got",
    "int64": "must be an integer of at most 64 bits, got",
}


def _show(value: object) -> str:
    """The offending value as it is quoted in messages (Python repr, shortened)."""
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _problem(loc: tuple[int | str, ...], kind: str, value: Any, msg: str) -> tuple[str, str]:
    """One Pydantic error as (path, message); ``value`` is its input, ``msg`` Pydantic's message."""
    if loc[0] == "tasks" and len(loc) > 2:
        prefix, rel = f"tasks[{loc[1]}].", loc[2:]  # rel: the path from the field on
    elif loc[0] == "default_args" and len(loc) > 1:
        prefix, rel = "default_args.", loc[1:]
    else:
        prefix, rel = "", loc
    if kind in ("extra_forbidden", "invalid_key"):  # invalid_key: a key that is no string, the input
        key = value if kind == "invalid_key" else rel[-1]
        if prefix == "default_args." and key in _TASK_ONLY:
            return f"{prefix}{key}", f"{key} cannot be set in default_args, only on a task"
        return f"{prefix}{key}", f"Unknown key {_show(key)}"
    field = loc_text(rel)
    where, name = prefix + field, rel[0]
    if kind == "date":  # the field, not the API's "Given execution date" text
        return (
            where,
            f"{field} must be a date such as {EXAMPLE_DATE_FORMAT} (ISO 8601), or null, got {_show(value)}",
        )
    if kind == "missing":
        if len(rel) == 1:
            return where, f"{name} is required"
        return where, f"{field} is required (e.g. 'File' or 'Table')"  # an entity's type
    if kind == "too_short":  # the one list with a minimum length
        return where, "tasks must contain at least one task"
    if name == "tasks" and len(rel) == 2:
        return where, f"Each task must be an object, got {_show(value)}"
    if kind in _MUST_BY_KIND:
        return where, f"{field} {_MUST_BY_KIND[kind]} {_show(value)}"
    key = {1: name, 2: f"{name}[]", 3: rel[-1]}.get(len(rel))
    if key not in _MUST:
        return where, msg  # no model gives such an error today: Pydantic's own words
    return where, f"{rel[-1] if len(rel) == 3 else field} {_MUST[key]} {_show(value)}"


def _order(loc: tuple[int | str, ...], kind: str, value: Any, doc: dict[Any, Any]) -> tuple[int | str, ...]:
    """A sort key putting a problem where the document reads it.

    The DAG's own keys in document order, then its missing keys, then default_args (the
    task-only keys first), then each task's keys in document order. Within a key the order is
    Pydantic's, except that a tag's type comes before its length.
    """
    within = 1 if kind == "string_too_long" else 0

    def position(raw: dict[Any, Any], depth: int) -> int:
        """The place in ``raw`` of the key at ``loc[depth]`` (an invalid_key error's input is the key)."""
        key = value if kind == "invalid_key" and depth == len(loc) - 1 else loc[depth]
        for n, k in enumerate(raw):
            if k is key or k == key:
                return n
        return len(raw)

    if loc[0] == "tasks" and len(loc) > 1:
        if len(loc) == 2:
            return (3, loc[1], -1)
        return (3, loc[1], position(doc["tasks"][loc[1]], 2), within)
    if loc[0] == "default_args" and len(loc) > 1:
        if loc[1] in _TASK_ONLY:
            return (2, 0, _TASK_ONLY.index(loc[1]))
        return (2, 1, position(doc["default_args"], 1), within)
    if loc[0] in ("default_args", "tasks") and kind != "missing":
        return (2 if loc[0] == "default_args" else 3, -1)
    return (0, position(doc, 0), within)


def _problems(errors: list[ErrorDetails], doc: dict[Any, Any]) -> list[dict[str, str]]:
    ordered = sorted(errors, key=lambda e: _order(e["loc"], e["type"], e["input"], doc))
    problems = (_problem(e["loc"], e["type"], e["input"], e["msg"]) for e in ordered)
    return [{"loc": loc, "msg": msg} for loc, msg in problems]


def _valid_parts(
    doc: dict[Any, Any], errors: list[ErrorDetails], default_tz: tzinfo
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The fields the cross-field checks read (ids, upstream lists, dates) of an invalid document.

    A failed validation returns no values, so those fields that passed are taken from the
    document: a valid id or upstream list is its own value, a valid date is parsed again.
    """
    failed = {e["loc"][:3] for e in errors}

    def passed(raw: object, *at: str | int) -> dict[str, Any]:
        if not isinstance(raw, dict) or at in failed:
            return {}
        return {
            k: raw[k] if k in ("task_id", "upstream") else to_utc(raw[k], default_tz)
            for k in ("task_id", "upstream", "start_date", "end_date")
            if k in raw and (*at, k) not in failed
        }

    raw_tasks = doc.get("tasks", []) if ("tasks",) not in failed else []
    tasks = [passed(raw, "tasks", i) for i, raw in enumerate(raw_tasks)]
    return passed(doc), passed(doc.get("default_args"), "default_args"), tasks


def _date_problems(
    dag: Mapping[str, Any], defaults: Mapping[str, Any], tasks: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """An end_date before its start_date: the DAG's, each task's own, or default_args' (once).

    The DAG's start_date falls back to default_args' (docs/api.md 3.1); a task's dates come from
    itself, then default_args, then the DAG.
    """
    problems = []
    dag_start = dag.get("start_date") or defaults.get("start_date")
    dag_end = dag.get("end_date")
    if dag_start and dag_end and dag_end < dag_start:
        problems.append(("end_date", dag_end, dag_start))
    inherited_reported = False
    for i, own in enumerate(tasks):
        start = own.get("start_date") or defaults.get("start_date") or dag_start
        end = own.get("end_date") or defaults.get("end_date") or dag_end
        if not (start and end and end < start):
            continue
        if own.get("end_date") or own.get("start_date"):
            loc = f"tasks[{i}].end_date" if own.get("end_date") else f"tasks[{i}].start_date"
        elif defaults.get("end_date") or defaults.get("start_date"):
            if inherited_reported or (start, end) == (dag_start, dag_end):
                continue  # once for default_args, not once per task nor again for the DAG
            loc = "default_args.end_date" if defaults.get("end_date") else "default_args.start_date"
            inherited_reported = True
        else:
            continue  # both are the DAG's: reported above
        problems.append((loc, end, start))
    return [
        {"loc": loc, "msg": f"end_date {str_utc(end)} is before start_date {str_utc(start)}"}
        for loc, end, start in problems
    ]


def _graph_problems(graph: TaskGraph, tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    problems = [
        {"loc": f"tasks[{i}].task_id", "msg": f"Duplicate task_id {_show(tasks[i]['task_id'])}"}
        for i in graph.duplicates
    ]
    for i, j in graph.unknown:
        up = tasks[i]["upstream"][j]
        problems.append(
            {
                "loc": f"tasks[{i}].upstream[{j}]",
                "msg": f"Upstream task {_show(up)} is not a task of this DAG",
            }
        )
    for cycle in graph.cycles():
        path = " -> ".join(tasks[v]["task_id"] for v in [*cycle, cycle[0]])
        problems.append({"loc": f"tasks[{cycle[0]}].upstream", "msg": f"Dependency cycle: {path}"})
    return problems


def _cross_checks(
    dag: Mapping[str, Any], defaults: Mapping[str, Any], tasks: Sequence[Mapping[str, Any]]
) -> tuple[TaskGraph, list[dict[str, str]]]:
    """The task graph, and the problems across fields: in the graph, then in the dates."""
    graph = task_graph([t.get("task_id") for t in tasks], [t.get("upstream", ()) for t in tasks])
    return graph, _graph_problems(graph, tasks) + _date_problems(dag, defaults, tasks)


def parse_dag_definition(doc: object, *, default_tz: tzinfo = UTC) -> DagSpec:
    """Validate a decoded definition; naive dates are read in ``default_tz``, all dates end in UTC."""
    if not isinstance(doc, dict):
        raise DagDefinitionError(
            [{"loc": "", "msg": f"A DAG definition must be an object, got {_show(doc)}"}]
        )
    try:
        document = DagDocument.model_validate(doc, context={"default_tz": default_tz})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        _, problems = _cross_checks(*_valid_parts(doc, errors, default_tz))
        raise DagDefinitionError(_problems(errors, doc) + problems) from None
    dag_dates = {"start_date": document.start_date, "end_date": document.end_date}
    graph, problems = _cross_checks(dag_dates, document.default_args, document.tasks)
    if problems:
        raise DagDefinitionError(problems)
    return _spec(document, graph, raw_defaults=doc.get("default_args", {}))


def _spec(document: DagDocument, graph: TaskGraph, raw_defaults: Any) -> DagSpec:
    """The DagSpec of a valid document: defaults applied, dependencies both ways, weights summed."""
    tasks, defaults = document.tasks, document.default_args
    ids = [own["task_id"] for own in tasks]
    weights = [own.get("priority_weight", defaults.get("priority_weight", 1)) for own in tasks]
    rules = [own.get("weight_rule", defaults.get("weight_rule", "downstream")) for own in tasks]
    effective = effective_weights(graph, weights, rules)
    dag_start = document.start_date or defaults.get("start_date")
    base = {**_TASK_DEFAULTS, **defaults}
    specs = []
    for i, own in enumerate(tasks):
        values = {**base, **own}
        # A null date (own or default_args') means "inherit", like an absent one.
        values["start_date"] = own.get("start_date") or defaults.get("start_date") or dag_start
        values["end_date"] = own.get("end_date") or defaults.get("end_date") or document.end_date
        for key, fresh in (("params", dict), ("inlets", list), ("outlets", list), ("arguments", dict)):
            if key not in values:
                values[key] = fresh()
        values["upstream"] = tuple(ids[p] for p in graph.parents[i])
        values["downstream"] = tuple(sorted(ids[c] for c in graph.children[i]))
        # Airflow 2.9+ clamps the total to the 32-bit range the database column holds.
        values["effective_priority_weight"] = max(-INT_MAX - 1, min(INT_MAX, effective[i]))
        specs.append(TaskSpec(**values))
    return DagSpec(
        dag_id=document.dag_id,
        description=document.description,
        schedule_interval=document.schedule_interval,
        start_date=dag_start,
        end_date=document.end_date,
        is_paused_upon_creation=document.is_paused_upon_creation,
        tags=document.tags,
        default_args=raw_defaults,
        tasks=specs,
        owners=sorted({spec.owner for spec in specs}),
    )
