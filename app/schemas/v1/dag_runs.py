"""DAG runs: Airflow 3's runs (app/gateway/models/runs.py) in v1's shape, and the answer models
the OpenAPI document shows.

- ``execution_date`` and ``logical_date`` are Airflow 3's ``logical_date`` (a run without one: its
  ``run_after``), written as Airflow 2 wrote them: ``isoformat()`` of the date as it came, so a
  run just triggered with ``+02:00`` is answered in ``+02:00`` and later reads in UTC.
- ``external_trigger``: whether someone triggered the run (Airflow 3's ``triggered_by``: the CLI,
  the REST API, the UI or a TriggerDagRunOperator), as Airflow 2 set it; ``dags test`` runs,
  scheduled, backfilled and asset-triggered runs are not external.
- ``run_type``: Airflow 3's, with its renamed and new types in v1's four: ``asset_triggered`` is
  v1's ``dataset_triggered``; ``operator_triggered`` and ``asset_materialization`` are ``manual``
  (Airflow 2's TriggerDagRunOperator made manual runs).
- ``conf``: ``{}`` for none, as Airflow 2 wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any, Literal

from pydantic import Field

from app.gateway.models.runs import ClearedTask, DagRun
from app.schemas.v1.common import V1Model, v1_datetime

# Airflow 3's triggered_by values that Airflow 2 called an external trigger.
EXTERNAL_TRIGGERS = frozenset({"cli", "operator", "rest_api", "ui"})
RUN_TYPES = {
    "backfill": "backfill",
    "scheduled": "scheduled",
    "manual": "manual",
    "asset_triggered": "dataset_triggered",
    "operator_triggered": "manual",
    "asset_materialization": "manual",
}
FIELDS = (
    "conf",
    "dag_id",
    "dag_run_id",
    "data_interval_end",
    "data_interval_start",
    "end_date",
    "execution_date",
    "external_trigger",
    "last_scheduling_decision",
    "logical_date",
    "note",
    "run_type",
    "start_date",
    "state",
)
STATES = ("queued", "running", "success", "failed")


class V1DagRun(V1Model):
    """A DAG run, as Airflow 2's ``DAGRun``."""

    conf: dict[str, Any] = Field(description="The run's configuration ({} for none)")
    dag_id: str
    dag_run_id: str = Field(examples=["manual__2016-11-16T00:00:00+00:00"])
    data_interval_end: str | None
    data_interval_start: str | None
    end_date: str | None
    execution_date: str = Field(description="The same as logical_date (deprecated in Airflow 2.2)")
    external_trigger: bool = Field(description="Whether the run was triggered (API, CLI, UI, an operator)")
    last_scheduling_decision: str | None
    logical_date: str = Field(
        description="Airflow 3's logical_date (a run without one: its run_after)",
        examples=["2016-11-16T00:00:00+00:00"],
    )
    note: str | None
    run_type: Literal["backfill", "manual", "scheduled", "dataset_triggered"]
    start_date: str | None
    state: Literal["queued", "running", "success", "failed"]


class V1DagRunCollection(V1Model):
    dag_runs: list[dict[str, Any]] = Field(
        description="The runs (DAGRun objects, with only the `fields` asked for when given)"
    )
    total_entries: int = Field(description="How many runs match, over every page")


def external_trigger(run: DagRun) -> bool:
    if run.triggered_by is not None:
        return run.triggered_by in EXTERNAL_TRIGGERS
    return run.run_type in ("manual", "operator_triggered")


def dag_run(run: DagRun, *, zone: tzinfo | None = None) -> dict[str, Any]:
    """The run as v1's ``DAGRun``; ``zone``: the offset its dates are written in (a trigger's echo of
    the logical date as given)."""
    logical = run.logical_date or run.run_after
    start, end = run.data_interval_start, run.data_interval_end
    if zone is not None:
        logical = logical.astimezone(zone)
        start = None if start is None else start.astimezone(zone)
        end = None if end is None else end.astimezone(zone)
    date = logical.isoformat()
    return {
        "conf": run.conf or {},
        "dag_id": run.dag_id,
        "dag_run_id": run.dag_run_id,
        "data_interval_end": v1_datetime(end),
        "data_interval_start": v1_datetime(start),
        "end_date": v1_datetime(run.end_date),
        "execution_date": date,
        "external_trigger": external_trigger(run),
        "last_scheduling_decision": v1_datetime(run.last_scheduling_decision),
        "logical_date": date,
        "note": run.note,
        "run_type": RUN_TYPES.get(run.run_type, "manual"),
        "start_date": v1_datetime(run.start_date),
        "state": run.state,
    }


def projected(item: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """``item`` with only ``fields`` (in their order), as v1's ``DAGRunSchema`` projected it."""
    if not fields:
        return item
    return {name: item[name] for name in fields}


def unknown_field(fields: list[str] | None) -> str | None:
    """The first of ``fields`` that a run does not have, as v1's ``DAGRunSchema`` named it."""
    for name in fields or ():
        if name not in FIELDS:
            return f"{name} not in DAGRunSchema"
    return None


def dag_run_collection(runs: Iterable[DagRun], total: int, fields: list[str] | None) -> dict[str, Any]:
    return {"dag_runs": [projected(dag_run(run), fields) for run in runs], "total_entries": total}


def task_instance_references(cleared: Iterable[ClearedTask], dag_id: str, run_id: str) -> dict[str, Any]:
    """A dry run's task instances as v1's ``TaskInstanceReferenceCollection`` (no count)."""
    return {
        "task_instances": [
            {
                "dag_id": ti.dag_id or dag_id,
                "dag_run_id": ti.dag_run_id or run_id,
                "execution_date": v1_datetime(ti.logical_date or ti.run_after),
                "task_id": ti.task_id,
            }
            for ti in cleared
        ]
    }


# -- request bodies (documentation: the services read and check them as v1 did) ----------------------


class TriggerDagRun(V1Model):
    """A run to trigger (every field optional)."""

    dag_run_id: str | None = Field(
        None, description="The run's id; absent, null or empty: `manual__<logical date>`"
    )
    logical_date: str | None = Field(
        None,
        description="An RFC 3339 date with an offset; absent: now",
        examples=["2017-01-01T00:00:00+00:00"],
    )
    execution_date: str | None = Field(
        None, description="The same as logical_date (both may be given, with the same value)"
    )
    conf: dict[str, Any] = Field(default_factory=dict, description="A JSON object")
    data_interval_start: str | None = Field(None, description="Given with data_interval_end")
    data_interval_end: str | None = Field(None, description="Given with data_interval_start")
    note: str | None = None


class UpdateDagRunState(V1Model):
    state: Literal["success", "failed", "queued"]


class ClearDagRun(V1Model):
    dry_run: bool = Field(True, description="Only list the task instances a clear would clear")


class SetDagRunNote(V1Model):
    note: str = Field(max_length=1000)


class ListDagRunsForm(V1Model):
    order_by: str | None = Field(None, description="One attribute, `-` first for descending")
    page_offset: int = Field(0, ge=0)
    page_limit: int = Field(100, ge=1)
    dag_ids: list[str] | None = Field(None, description="Every readable DAG when absent or empty")
    states: list[str] | None = None
    execution_date_gte: str | None = None
    execution_date_lte: str | None = None
    start_date_gte: str | None = None
    start_date_lte: str | None = None
    end_date_gte: str | None = None
    end_date_lte: str | None = None


def json_body(model: type[V1Model]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body of ``model``'s shape (routes read bodies by hand)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
