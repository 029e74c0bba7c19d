"""Airflow 3's objects (app/gateway/models.py) as the experimental API's results: pure functions.

A run's execution date in front of Airflow is its ``logical_date``, else its ``run_after``.
Airflow 3.3 does not expose a task's email settings, ``max_retry_delay`` or operator arguments:
those are ``None`` (no arguments listed). Declared inlets and outlets come from the assets whose
``consuming_tasks`` / ``producing_tasks`` name the task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.results import Dag, Pool, Run, Task, TaskInstance
from app.gateway import models as v2
from app.gateway.models.base import utc


def to_run(run: v2.DagRun) -> Run:
    return Run(
        dag_id=run.dag_id,
        run_id=run.dag_run_id,
        execution_date=run.execution_date,
        state=run.state,
        start_date=utc(run.start_date),
        end_date=utc(run.end_date),
        queued_at=utc(run.queued_at),
        external_trigger=run.run_type == "manual",
    )


def to_pool(number: int, pool: v2.Pool) -> Pool:
    return Pool(
        id=number,
        pool=pool.name,
        slots=pool.slots,
        description=pool.description,
        include_deferred=pool.include_deferred,
    )


def to_dag(dag: v2.DagDetails, task_ids: list[str]) -> Dag:
    return Dag(
        dag_id=dag.dag_id,
        description=dag.description,
        is_paused=dag.is_paused,
        owners=list(dag.owners),
        tags=sorted(t.name for t in dag.tags),
        schedule_interval=dag.timetable_summary,
        start_date=utc(dag.start_date),
        fileloc=dag.fileloc,
        tasks=task_ids,
    )


def _int(value: float | None, default: int) -> int:
    return default if value is None else int(value)


def asset_entity(name: str | None, uri: str | None) -> dict[str, Any]:
    """An asset as a lineage entity."""
    return {"type": "Asset", "uri": uri, "name": name}


def declared(assets: Iterable[v2.Asset], dag_id: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Each task's declared inlets and outlets, by task_id, from the assets that name it."""
    inlets: dict[str, list[Any]] = {}
    outlets: dict[str, list[Any]] = {}
    for asset in assets:
        entity = asset_entity(asset.name, asset.uri)
        for ref in asset.consuming_tasks:
            if ref.dag_id == dag_id:
                inlets.setdefault(ref.task_id, []).append(entity)
        for ref in asset.producing_tasks:
            if ref.dag_id == dag_id:
                outlets.setdefault(ref.task_id, []).append(entity)
    return inlets, outlets


def upstream_of(tasks: Iterable[v2.Task]) -> dict[str, list[str]]:
    """Each task's upstream task ids, rebuilt from the others' ``downstream_task_ids``."""
    upstream: dict[str, list[str]] = {}
    for task in tasks:
        for downstream in task.downstream_task_ids or ():
            upstream.setdefault(downstream, []).append(task.task_id)
    return {task_id: sorted(ids) for task_id, ids in upstream.items()}


def to_task(dag_id: str, task: v2.Task, upstream: list[str], inlets: list[Any], outlets: list[Any]) -> Task:
    return Task(
        task_id=task.task_id,
        dag_id=dag_id,
        operator=task.operator_name or str((task.class_ref or {}).get("class_name") or ""),
        owner=task.owner or "",
        email=None,
        email_on_failure=None,
        email_on_retry=None,
        retries=_int(task.retries, 0),
        retry_delay=task.retry_delay.total_seconds if task.retry_delay is not None else 0.0,
        retry_exponential_backoff=bool(task.retry_exponential_backoff),
        max_retry_delay=None,
        execution_timeout=None if task.execution_timeout is None else task.execution_timeout.total_seconds,
        start_date=utc(task.start_date),
        end_date=utc(task.end_date),
        depends_on_past=task.depends_on_past,
        wait_for_downstream=task.wait_for_downstream,
        pool=task.pool or "default_pool",
        pool_slots=_int(task.pool_slots, 1),
        queue=task.queue or "default",
        priority_weight=_int(task.priority_weight, 1),
        weight_rule=task.weight_rule or "downstream",
        trigger_rule=task.trigger_rule or "all_success",
        params=dict(task.params or {}),
        inlets=inlets,
        outlets=outlets,
        doc_md=task.doc_md,
        arguments={},
        upstream_task_ids=upstream,
        downstream_task_ids=sorted(task.downstream_task_ids or []),
    )


def to_task_instance(ti: v2.TaskInstance, run: v2.DagRun) -> TaskInstance:
    return TaskInstance(
        task_id=ti.task_id,
        dag_id=ti.dag_id,
        run_id=ti.dag_run_id,
        execution_date=run.execution_date,
        state=ti.state,
        try_number=ti.try_number,
        max_tries=ti.max_tries,
        start_date=utc(ti.start_date),
        end_date=utc(ti.end_date),
        duration=ti.duration,
        hostname=ti.hostname or "",
        unixname=ti.unixname or "",
        job_id=None,
        pid=ti.pid,
        pool=ti.pool,
        pool_slots=ti.pool_slots,
        queue=ti.queue or "default",
        priority_weight=ti.priority_weight if ti.priority_weight is not None else 1,
        operator=ti.operator or ti.operator_name or "",
        queued_dttm=utc(ti.queued_when),
        executor_config=ti.executor_config,
        updated_at=None,
    )
