"""DAG definition documents (spec/dag-definition.md): validation and derived values.

:func:`parse_dag_definition` validates decoded data (:mod:`app.schemas.definition_text`) and
returns an immutable :class:`DagSpec`, or raises :class:`DagDefinitionError` listing *every*
problem, each with the path it concerns (``tasks[2].upstream[0]``). The task graph (cycles,
transitive priority weights) is :mod:`app.schemas.dag_graph`'s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from app.dates import InvalidDateError, parse_date, str_utc
from app.schemas.dag_graph import effective_weights, task_graph
from app.schemas.definition_text import DagDefinitionError as DagDefinitionError  # raised here too

ID_PATTERN = r"[A-Za-z0-9_.-]{1,250}"
_ID_RE = re.compile(ID_PATTERN)  # used with fullmatch: `$` would accept a trailing newline
INT_MAX = 2**31 - 1  # integers are stored in 32-bit columns
JSON_INT_MIN, JSON_INT_MAX = -(2**63), 2**64 - 1  # what orjson writes into JSON columns
TAG_MAX_LENGTH = 100  # the dag_tag.name column (Airflow's TAG_MAX_LEN)
WEIGHT_RULES = ("downstream", "upstream", "absolute")
TRIGGER_RULES = (
    "all_success", "all_failed", "all_done", "all_skipped", "one_success", "one_failed", "one_done",
    "none_failed", "none_failed_min_one_success", "none_skipped", "always",
)  # fmt: skip
_DURATION_RE = re.compile(r"(?:(\d+) days?, )?(\d+):([0-5]\d):([0-5]\d(?:\.\d{1,6})?)")

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
    params: dict
    inlets: list[dict]
    outlets: list[dict]
    doc_md: str | None
    arguments: dict
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
    default_args: dict
    tasks: list[TaskSpec]
    owners: list[str]


# --- field validators: each takes the raw value and returns the converted one or raises _Invalid ---


class _Invalid(Exception):
    """Problems with one field: (path suffix below the field, message) pairs."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        self.problems = problems


def _show(value: object) -> str:
    """The offending value as it is quoted in messages (Python repr, shortened)."""
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _bad(message: str) -> _Invalid:
    return _Invalid(("", message))


def _check_id(name: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if type(value) is str and _ID_RE.fullmatch(value):
            return value
        raise _bad(f"{name} must match ^{ID_PATTERN}$, got {_show(value)}")

    return check


def _check_str(name: str, *, nullable: bool = False, nonempty: bool = False) -> Callable[[Any], Any]:
    what = "a non-empty string" if nonempty else "a string"
    what += " or null" if nullable else ""

    def check(value: Any) -> Any:
        if (value is None and nullable) or (type(value) is str and (value or not nonempty)):
            return value
        raise _bad(f"{name} must be {what}, got {_show(value)}")

    return check


def _check_bool(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if value is True or value is False:
            return value
        raise _bad(f"{name} must be true or false, got {_show(value)}")

    return check


def _check_int(name: str, minimum: int | None) -> Callable[[Any], int]:
    low = -INT_MAX - 1 if minimum is None else minimum
    what = "an integer" if minimum is None else f"an integer >= {minimum}"

    def check(value: Any) -> int:
        if type(value) is not int or value < low:  # `type() is` rejects bool, a subclass of int
            raise _bad(f"{name} must be {what}, got {_show(value)}")
        if value > INT_MAX:
            raise _bad(f"{name} must be at most {INT_MAX}, got {_show(value)}")
        return value

    return check


def _check_enum(name: str, allowed: tuple[str, ...]) -> Callable[[Any], str]:
    choices = ", ".join(allowed)

    def check(value: Any) -> str:
        if type(value) is str and value in allowed:
            return value
        raise _bad(f"{name} must be one of: {choices}; got {_show(value)}")

    return check


def _check_duration(name: str, *, nullable: bool) -> Callable[[Any], timedelta | None]:
    what = "a number of seconds >= 0 or an 'H:MM:SS' string" + (", or null" if nullable else "")

    def check(value: Any) -> timedelta | None:
        if value is None and nullable:
            return None
        try:
            if type(value) in (int, float) and value >= 0 and math.isfinite(value):
                return timedelta(seconds=value)
            if type(value) is str and (m := _DURATION_RE.fullmatch(value.strip())):
                days, hours, minutes, seconds = m.groups()
                return timedelta(
                    days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=float(seconds)
                )
        except OverflowError:
            pass
        raise _bad(f"{name} must be {what}, got {_show(value)}")

    return check


def _check_date(tz: tzinfo) -> Callable[[Any], datetime | None]:
    def check(value: Any) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_date(value, default_tz=tz).astimezone(UTC)
        except InvalidDateError as exc:
            raise _bad(str(exc)) from None

    return check


def _check_object(name: str) -> Callable[[Any], dict]:
    def check(value: Any) -> dict:
        if isinstance(value, dict):
            _check_storable(name, value)
            return value
        raise _bad(f"{name} must be an object, got {_show(value)}")

    return check


def _check_storable(name: str, value: dict | list) -> None:
    """Free-form values are stored as JSON (orjson): an integer beyond 64 bits cannot be written."""
    bad = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((f"{path}.{k}", v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(item))
        elif type(item) is int and not JSON_INT_MIN <= item <= JSON_INT_MAX:
            bad.append((path, f"{name}{path} must be an integer of at most 64 bits, got {_show(item)}"))
    if bad:
        raise _Invalid(*sorted(bad))


def _check_str_list(name: str, item: str, *, max_length: int | None = None) -> Callable[[Any], list]:
    def check(value: Any) -> list:
        if not isinstance(value, list):
            raise _bad(f"{name} must be a list of {item}s, got {_show(value)}")
        bad = [
            (f"[{i}]", f"{name}[{i}] must be a {item}, got {_show(v)}")
            for i, v in enumerate(value)
            if type(v) is not str
        ]
        if max_length is not None:
            bad += [
                (f"[{i}]", f"{name}[{i}] must be at most {max_length} characters, got {_show(v)}")
                for i, v in enumerate(value)
                if type(v) is str and len(v) > max_length
            ]
        if bad:
            raise _Invalid(*bad)
        return value

    return check


def _check_email(value: Any) -> str | list[str] | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, list) and all(type(v) is str for v in value):
        return value
    raise _bad(f"email must be a string, a list of strings, or null, got {_show(value)}")


def _check_entities(name: str) -> Callable[[Any], list]:
    def check(value: Any) -> list:
        if not isinstance(value, list):
            raise _bad(f"{name} must be a list of objects with a string 'type', got {_show(value)}")
        bad = []
        for i, entity in enumerate(value):
            if not isinstance(entity, dict):
                bad.append((f"[{i}]", f"{name}[{i}] must be an object with a 'type', got {_show(entity)}"))
            elif "type" not in entity:
                bad.append((f"[{i}].type", f"{name}[{i}].type is required (e.g. 'File' or 'Table')"))
            elif type(entity["type"]) is not str or not entity["type"]:
                bad.append((f"[{i}].type", f"type must be a non-empty string, got {_show(entity['type'])}"))
        if bad:
            raise _Invalid(*bad)
        _check_storable(name, value)
        return value

    return check


_STATIC_TASK_CHECKS: dict[str, Callable[[Any], Any]] = {
    "task_id": _check_id("task_id"),
    "operator": _check_str("operator", nonempty=True),
    "upstream": _check_str_list("upstream", "task_id string"),
    "owner": _check_str("owner"),
    "email": _check_email,
    "email_on_failure": _check_bool("email_on_failure"),
    "email_on_retry": _check_bool("email_on_retry"),
    "retries": _check_int("retries", 0),
    "retry_delay": _check_duration("retry_delay", nullable=False),
    "retry_exponential_backoff": _check_bool("retry_exponential_backoff"),
    "max_retry_delay": _check_duration("max_retry_delay", nullable=True),
    "execution_timeout": _check_duration("execution_timeout", nullable=True),
    "depends_on_past": _check_bool("depends_on_past"),
    "wait_for_downstream": _check_bool("wait_for_downstream"),
    "pool": _check_str("pool", nonempty=True),
    "pool_slots": _check_int("pool_slots", 1),
    "queue": _check_str("queue", nonempty=True),
    "priority_weight": _check_int("priority_weight", None),
    "weight_rule": _check_enum("weight_rule", WEIGHT_RULES),
    "trigger_rule": _check_enum("trigger_rule", TRIGGER_RULES),
    "params": _check_object("params"),
    "inlets": _check_entities("inlets"),
    "outlets": _check_entities("outlets"),
    "doc_md": _check_str("doc_md", nullable=True),
    "arguments": _check_object("arguments"),
}
_STATIC_DAG_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dag_id": _check_id("dag_id"),
    "description": _check_str("description", nullable=True),
    "schedule_interval": _check_str("schedule_interval", nullable=True),
    "is_paused_upon_creation": _check_bool("is_paused_upon_creation"),
    "tags": _check_str_list("tags", "string", max_length=TAG_MAX_LENGTH),
}


def _validate_fields(
    raw: dict, checks: dict[str, Callable[[Any], Any]], prefix: str, report: Callable[[str, str], None]
) -> dict[str, Any]:
    """Check every key of ``raw``; return the converted values of the valid ones."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        check = checks.get(key)
        if check is None:
            report(f"{prefix}{key}", f"Unknown key {_show(key)}")
            continue
        try:
            values[key] = check(value)
        except _Invalid as exc:
            for sub, msg in exc.problems:
                report(f"{prefix}{key}{sub}", msg)
    return values


def parse_dag_definition(doc: object, *, default_tz: tzinfo = UTC) -> DagSpec:
    """Validate a decoded definition; naive dates are read in ``default_tz``, all dates end in UTC."""
    problems: list[dict] = []

    def report(loc: str, msg: str) -> None:
        problems.append({"loc": loc, "msg": msg})

    if not isinstance(doc, dict):
        raise DagDefinitionError(
            [{"loc": "", "msg": f"A DAG definition must be an object, got {_show(doc)}"}]
        )
    date_check = _check_date(default_tz)
    task_checks = {**_STATIC_TASK_CHECKS, "start_date": date_check, "end_date": date_check}
    dag_checks = {**_STATIC_DAG_CHECKS, "start_date": date_check, "end_date": date_check}
    dag_checks["default_args"] = dag_checks["tasks"] = lambda value: value  # checked below
    dag = _validate_fields(doc, dag_checks, "", report)
    for key in ("dag_id", "tasks"):
        if key not in doc:
            report(key, f"{key} is required")

    defaults: dict[str, Any] = {}
    raw_defaults = dag.get("default_args", {})
    if isinstance(raw_defaults, dict):
        allowed = {k: v for k, v in task_checks.items() if k not in _TASK_ONLY}
        for key in _TASK_ONLY:
            if key in raw_defaults:
                report(f"default_args.{key}", f"{key} cannot be set in default_args, only on a task")
        defaults = _validate_fields(
            {k: v for k, v in raw_defaults.items() if k not in _TASK_ONLY}, allowed, "default_args.", report
        )
    else:
        report("default_args", f"default_args must be an object, got {_show(raw_defaults)}")

    raw_tasks = dag.get("tasks", [])
    if not isinstance(raw_tasks, list):
        report("tasks", f"tasks must be a list of task objects, got {_show(raw_tasks)}")
        raw_tasks = []
    elif not raw_tasks and "tasks" in doc:
        report("tasks", "tasks must contain at least one task")
    tasks: list[dict[str, Any]] = []  # converted own values, one per task (even an invalid one)
    for i, raw in enumerate(raw_tasks):
        if not isinstance(raw, dict):
            report(f"tasks[{i}]", f"Each task must be an object, got {_show(raw)}")
            tasks.append({})
            continue
        tasks.append(_validate_fields(raw, task_checks, f"tasks[{i}].", report))
        if "task_id" not in raw:
            report(f"tasks[{i}].task_id", "task_id is required")

    # Graph (app.schemas.dag_graph): duplicate ids and unknown upstream ids, then cycles.
    graph = task_graph([own.get("task_id") for own in tasks], [own.get("upstream", ()) for own in tasks])
    for i in graph.duplicates:
        report(f"tasks[{i}].task_id", f"Duplicate task_id {_show(tasks[i]['task_id'])}")
    for i, j in graph.unknown:
        up = tasks[i]["upstream"][j]
        report(f"tasks[{i}].upstream[{j}]", f"Upstream task {_show(up)} is not a task of this DAG")
    for cycle in graph.cycles():
        path = " -> ".join(tasks[v]["task_id"] for v in [*cycle, cycle[0]])
        report(f"tasks[{cycle[0]}].upstream", f"Dependency cycle: {path}")

    # Dates: the DAG's start_date falls back to default_args' (api.md 3.1); a task's come from
    # itself, then default_args, then the DAG.
    dag_start = dag.get("start_date") or defaults.get("start_date")
    dag_end = dag.get("end_date")
    if dag_start and dag_end and dag_end < dag_start:
        report("end_date", f"end_date {str_utc(dag_end)} is before start_date {str_utc(dag_start)}")
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
        report(loc, f"end_date {str_utc(end)} is before start_date {str_utc(start)}")

    if problems:
        raise DagDefinitionError(problems)

    ids = [own["task_id"] for own in tasks]
    weights = [own.get("priority_weight", defaults.get("priority_weight", 1)) for own in tasks]
    rules = [own.get("weight_rule", defaults.get("weight_rule", "downstream")) for own in tasks]
    effective = effective_weights(graph, weights, rules)

    base = {**_TASK_DEFAULTS, **defaults}
    specs = []
    for i, own in enumerate(tasks):
        values = {**base, **own}
        # A null date (own or default_args') means "inherit", like an absent one.
        values["start_date"] = own.get("start_date") or defaults.get("start_date") or dag_start
        values["end_date"] = own.get("end_date") or defaults.get("end_date") or dag_end
        for key, fresh in (("params", dict), ("inlets", list), ("outlets", list), ("arguments", dict)):
            if key not in values:
                values[key] = fresh()
        values["upstream"] = tuple(ids[p] for p in graph.parents[i])
        values["downstream"] = tuple(sorted(ids[c] for c in graph.children[i]))
        # Airflow 2.9+ clamps the total to the 32-bit range the database column holds.
        values["effective_priority_weight"] = max(-INT_MAX - 1, min(INT_MAX, effective[i]))
        specs.append(TaskSpec(**values))

    return DagSpec(
        dag_id=dag["dag_id"],
        description=dag.get("description"),
        schedule_interval=dag.get("schedule_interval"),
        start_date=dag_start,
        end_date=dag_end,
        is_paused_upon_creation=dag.get("is_paused_upon_creation", True),
        tags=dag.get("tags", []),
        default_args=raw_defaults,
        tasks=specs,
        owners=sorted({spec.owner for spec in specs}),
    )
