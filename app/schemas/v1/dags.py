"""DAGs as v1 showed them (``DAG``, ``DAGDetail``, ``DAGCollection``), built from Airflow 3's
(``DAGResponse``, ``DAGDetailsResponse``): renamed fields under their v1 names, the fields Airflow 3
dropped as Airflow 2.11 gave them for the same state, v2's schedule summary as v1's object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from app.errors import Invalid
from app.gateway.models.dags import Dag, DagDetails
from app.schemas.v1.common import V1Model, collection, v1_datetime

# What Airflow 2's [webserver] settings gave every DAG by default; Airflow 3 has neither setting.
DEFAULT_VIEW = "grid"
ORIENTATION = "LR"
PARAM_CLASS = "airflow.models.param.Param"  # Airflow 2's name of a DAG's or task's Param in dumps
ASSETS_TRIGGER, DATASETS_TRIGGER = "Triggered by assets", "Triggered by datasets"


# -- the answers' models (documentation of what the functions below build) ------------------------


class Tag(V1Model):
    name: str


class TimeDelta(V1Model):
    type_: Literal["TimeDelta"] = Field(alias="__type")
    days: int
    seconds: int
    microseconds: int


class RelativeDelta(V1Model):
    type_: Literal["RelativeDelta"] = Field(alias="__type")
    years: int
    months: int
    days: int
    leapdays: int
    hours: int
    minutes: int
    seconds: int
    microseconds: int
    year: int | None
    month: int | None
    day: int | None
    hour: int | None
    minute: int | None
    second: int | None
    microsecond: int | None


class CronExpression(V1Model):
    type_: Literal["CronExpression"] = Field(alias="__type")
    value: str = Field(
        description="The cron expression or preset, `Dataset` for a DAG scheduled on datasets, or the "
        "summary of another timetable"
    )


ScheduleInterval = TimeDelta | RelativeDelta | CronExpression | None


class DAG(V1Model):
    """A DAG, as Airflow 2's `GET /dags/{dag_id}` gave it (with `fields`, only the keys named)."""

    dag_id: str
    dag_display_name: str
    root_dag_id: str | None = Field(description="Always null: Airflow 3 has no SubDAGs")
    is_paused: bool | None
    is_active: bool | None = Field(description="Whether Airflow still finds the DAG in its files (not stale)")
    is_subdag: bool = Field(description="Always false: Airflow 3 has no SubDAGs")
    last_parsed_time: str | None
    last_pickled: str | None = Field(description="Always null: Airflow 3 does not pickle DAGs")
    last_expired: str | None
    scheduler_lock: bool | None = Field(description="Always null, as in Airflow 2.11")
    pickle_id: str | None = Field(description="Always null: Airflow 3 does not pickle DAGs")
    default_view: str | None = Field(description="`grid`, Airflow 2's default view")
    fileloc: str
    file_token: str = Field(
        description="dagport's token for `GET /dagSources/{file_token}` and `PUT /parseDagFile/{file_token}`"
    )
    owners: list[str]
    description: str | None
    schedule_interval: ScheduleInterval
    timetable_description: str | None
    tags: list[Tag] | None
    max_active_tasks: int | None
    max_active_runs: int | None
    has_task_concurrency_limits: bool | None
    has_import_errors: bool | None
    next_dagrun: str | None
    next_dagrun_data_interval_start: str | None
    next_dagrun_data_interval_end: str | None
    next_dagrun_create_after: str | None
    max_consecutive_failed_dag_runs: int | None


DAGCollection = collection("DAGCollection", "dags", DAG)


class DAGDetail(DAG):
    """A DAG with the attributes of its definition, as Airflow 2's `GET /dags/{dag_id}/details` gave it."""

    timezone: str | None
    catchup: bool | None
    orientation: str | None = Field(description="`LR`, Airflow 2's default orientation")
    concurrency: float | None
    start_date: str | None = Field(
        description="The start date given to the DAG itself; null if it comes from default_args"
    )
    dag_run_timeout: TimeDelta | None
    dataset_expression: dict[str, Any] | None
    doc_md: str | None
    params: dict[str, Any]
    end_date: str | None
    is_paused_upon_creation: bool | None
    last_parsed: str | None
    template_searchpath: str | None
    render_template_as_native_obj: bool | None


# -- Airflow 3's values in v1's forms -------------------------------------------------------------


def time_delta(value: timedelta | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "__type": "TimeDelta",
        "days": value.days,
        "seconds": value.seconds,
        "microseconds": value.microseconds,
    }


_DELTA = re.compile(r"(?:(?P<days>-?\d+) days?, )?(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<us>\d{6}))?")
_RELATIVE = re.compile(r"relativedelta\((?P<args>.*)\)")
_RELATIVE_ARG = re.compile(r"(\w+)=([+-]?\d+)")
RELATIVE_OFFSETS = ("years", "months", "days", "leapdays", "hours", "minutes", "seconds", "microseconds")
RELATIVE_ABSOLUTES = ("year", "month", "day", "hour", "minute", "second", "microsecond")


def schedule_interval(summary: str | None) -> dict[str, Any] | None:
    """v1's ``schedule_interval`` from Airflow 3's ``timetable_summary``: a timedelta's text
    (``1 day, 0:00:00``) as a TimeDelta, a relativedelta's as a RelativeDelta, anything else (a
    cron expression or preset, another timetable's summary) as a CronExpression, where Airflow 3's
    "Asset" is Airflow 2's "Dataset"; no schedule: null."""
    if summary is None:
        return None
    if delta := _DELTA.fullmatch(summary):
        return time_delta(
            timedelta(
                days=int(delta["days"] or 0),
                hours=int(delta["h"]),
                minutes=int(delta["m"]),
                seconds=int(delta["s"]),
                microseconds=int(delta["us"] or 0),
            )
        )
    if relative := _RELATIVE.fullmatch(summary):
        given = {name: int(value) for name, value in _RELATIVE_ARG.findall(relative["args"])}
        return {
            "__type": "RelativeDelta",
            **{name: given.get(name, 0) for name in RELATIVE_OFFSETS},
            **{name: given.get(name) for name in RELATIVE_ABSOLUTES},
        }
    if summary == "Asset" or summary.startswith("Asset or "):
        summary = "Dataset" + summary.removeprefix("Asset")
    return {"__type": "CronExpression", "value": summary}


def timetable_description(v2: str | None) -> str | None:
    """Airflow 3 describes a DAG scheduled on assets as "Triggered by assets"; Airflow 2 said datasets."""
    if v2 is not None and v2.startswith(ASSETS_TRIGGER):
        return DATASETS_TRIGGER + v2.removeprefix(ASSETS_TRIGGER)
    return v2


def owners(v2: list[str]) -> list[str]:
    """Airflow 2 split the DAG's owners, stored as ``"a, b"``, on ``,``: every owner after the first
    keeps its leading space (Airflow 3 strips them)."""
    return [owner if index == 0 else f" {owner}" for index, owner in enumerate(v2)]


def dataset_expression(value: Any) -> Any:
    """Airflow 3's ``asset_expression`` in Airflow 2's form: an asset is its URI, an alias
    ``{"alias": name}``; ``all`` / ``any`` nest as they did."""
    if isinstance(value, list):
        return [dataset_expression(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("asset", "asset_ref") and isinstance(inner, dict):
            return inner.get("uri") or inner.get("name")
        if kind == "alias":
            return {"alias": inner.get("name") if isinstance(inner, dict) else inner}
    return {key: dataset_expression(item) for key, item in value.items()}


def params(v2: Mapping[str, Any] | None) -> dict[str, Any]:
    """A DAG's or task's params as Airflow 2 dumped them (Airflow 3 adds ``source``, drops ``__class``)."""
    out = {}
    for name, param in (v2 or {}).items():
        if isinstance(param, dict):
            param = {
                "__class": PARAM_CLASS,
                "description": param.get("description"),
                "schema": param.get("schema", {}),
                "value": param.get("value"),
            }
        out[name] = param
    return out


def dag(v2: Dag, file_token: str) -> dict[str, Any]:
    """v1's DAG."""
    return {
        "dag_id": v2.dag_id,
        "dag_display_name": v2.dag_display_name or v2.dag_id,
        "root_dag_id": None,
        "is_paused": v2.is_paused,
        "is_active": not v2.is_stale,
        "is_subdag": False,
        "last_parsed_time": v1_datetime(v2.last_parsed_time),
        "last_pickled": None,
        "last_expired": v1_datetime(v2.last_expired),
        "scheduler_lock": None,
        "pickle_id": None,
        "default_view": DEFAULT_VIEW,
        "fileloc": v2.fileloc,
        "file_token": file_token,
        "owners": owners(v2.owners),
        "description": v2.description,
        "schedule_interval": schedule_interval(v2.timetable_summary),
        "timetable_description": timetable_description(v2.timetable_description),
        "tags": [{"name": tag.name} for tag in v2.tags],
        "max_active_tasks": v2.max_active_tasks,
        "max_active_runs": v2.max_active_runs,
        "max_consecutive_failed_dag_runs": v2.max_consecutive_failed_dag_runs,
        "has_task_concurrency_limits": v2.has_task_concurrency_limits,
        "has_import_errors": v2.has_import_errors,
        "next_dagrun": v1_datetime(v2.next_dagrun_logical_date),
        "next_dagrun_data_interval_start": v1_datetime(v2.next_dagrun_data_interval_start),
        "next_dagrun_data_interval_end": v1_datetime(v2.next_dagrun_data_interval_end),
        "next_dagrun_create_after": v1_datetime(v2.next_dagrun_run_after),
    }


def own_start_date(v2: DagDetails) -> datetime | None:
    """The start date given to the DAG itself: Airflow 3 falls back on default_args' (Airflow 2
    showed null then)."""
    if v2.start_date is None:
        return None
    inherited = (v2.default_args or {}).get("start_date")
    if inherited is not None:
        try:
            if datetime.fromisoformat(str(inherited)).astimezone(UTC) == v2.start_date.astimezone(UTC):
                return None
        except ValueError:
            pass
    return v2.start_date


def dag_detail(v2: DagDetails, file_token: str) -> dict[str, Any]:
    """v1's DAGDetail. ``owners`` is empty, as Airflow 2.11 always answered it there (it read an
    attribute DAGs do not have)."""
    searchpath = v2.template_search_path
    return {
        **dag(v2, file_token),
        "owners": [],
        "timezone": v2.timezone,
        "catchup": v2.catchup,
        "orientation": ORIENTATION,
        "concurrency": v2.max_active_tasks,
        "start_date": v1_datetime(own_start_date(v2)),
        "dag_run_timeout": time_delta(v2.dag_run_timeout),
        "dataset_expression": dataset_expression(v2.asset_expression),
        "doc_md": v2.doc_md,
        "params": params(v2.params),
        "end_date": v1_datetime(v2.end_date),
        "is_paused_upon_creation": v2.is_paused_upon_creation,
        "last_parsed": v1_datetime(v2.last_parsed),
        # Airflow 2 wrote the list through a string field: its Python repr.
        "template_searchpath": None if searchpath is None else repr(list(searchpath)),
        "render_template_as_native_obj": v2.render_template_as_native_obj,
    }


DAG_FIELDS = tuple(DAG.model_fields)
DETAIL_FIELDS = tuple(DAGDetail.model_fields)


# -- PATCH bodies ---------------------------------------------------------------------------------

ONLY_IS_PAUSED = "Only `is_paused` field can be updated through the REST API"


def is_paused_of(body: Any, update_mask: list[str] | None) -> bool:
    """The ``is_paused`` a v1 DAG PATCH body asks for, checked as Airflow 2 checked it: the body
    against v1's DAG schema (connexion's texts; its properties in the schema's order, every one but
    ``is_paused`` read-only), unknown keys (marshmallow's), the update mask.
    Where Airflow 2 failed with a 500 (no ``is_paused``) or stored a null, the caller's 400."""
    if not isinstance(body, dict):
        raise Invalid(f"{body!r} is not of type 'object'")
    for name in DAG.model_fields:
        if name not in body:
            continue
        if name == "is_paused":
            if body[name] is not None and not isinstance(body[name], bool):
                raise Invalid(f"{body[name]!r} is not of type 'boolean' - 'is_paused'")
        else:
            raise Invalid(f"Property is read-only - '{name}'")
    unknown = [key for key in body if key not in DAG.model_fields]
    if unknown:
        raise Invalid(str({key: ["Unknown field."] for key in unknown}))
    if update_mask and update_mask != ["is_paused"]:
        raise Invalid(ONLY_IS_PAUSED)
    value = body.get("is_paused")
    if value is None:
        # Airflow 2 failed here with a 500 (a missing key) or stored a null, which Airflow 3 cannot.
        raise Invalid(
            "{'is_paused': ['Missing data for required field.']}"
            if "is_paused" not in body
            else "None is not of type 'boolean' - 'is_paused'"
        )
    return bool(value)
