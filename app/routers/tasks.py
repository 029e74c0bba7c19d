"""Task info and task-instance info; task-instance state reports from workers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request

from app.deps import DatePath, read_json_object, reading, writing
from app.errors import (
    NotFound,
    dag_not_found,
    responses,
    run_not_found,
    task_instance_not_found,
    task_not_found,
)
from app.json import JSONResponse
from app.routing import LeanRoute
from app.schemas.common import validate_body
from app.schemas.tasks import TASK_INFO_EXAMPLE, TaskInstancePatch, task_info, task_instance_info

router = APIRouter(tags=["tasks"], route_class=LeanRoute)

_STRING_MAP = {
    "description": "Every value is a string, rendered as Python's `str()` would",
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
            "example": TASK_INFO_EXAMPLE,
        }
    },
}


@router.get(
    "/dags/{dag_id}/tasks/{task_id}",
    summary="Get a task's attributes",
    responses={200: _STRING_MAP, **responses(404)},
)
async def get_task(dag_id: str, task_id: str, request: Request) -> JSONResponse:
    """The task's attributes as strings (`None`, `True`, `0:05:00`, `{'a', 'b'}`...), plus each key of
    its operator `arguments` (e.g. `bash_command`)."""
    async with reading(request) as db:
        row = await db.tasks.find(dag_id=dag_id, task_id=task_id)
    if row is None:
        raise NotFound(dag_not_found(dag_id))
    if row.task_id is None:
        raise NotFound(task_not_found(dag_id, task_id))
    return JSONResponse(task_info(row))


async def _find_task_instance(runs: Any, dag_id: str, execution_date: Any, task_id: str) -> Any:
    row = await runs.find_task_instance(dag_id=dag_id, execution_date=execution_date, task_id=task_id)
    if row is None:
        raise NotFound(dag_not_found(dag_id))
    if row.task_found is None:
        raise NotFound(task_not_found(dag_id, task_id))
    if row.run_pk is None:
        raise NotFound(run_not_found(dag_id, execution_date))
    if row.ti_found is None:
        raise NotFound(task_instance_not_found(task_id, execution_date))
    return row


@router.get(
    "/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}",
    summary="Get a task instance's attributes",
    responses={200: _STRING_MAP, **responses(400, 404)},
)
async def get_task_instance(
    dag_id: str, execution_date: DatePath, task_id: str, request: Request
) -> JSONResponse:
    """The task instance of the run at `execution_date`, every value a string. `hostname`, `pid` and
    `unixname` are what the last state report gave."""
    async with reading(request) as db:
        row = await _find_task_instance(db.runs, dag_id, db.date(execution_date), task_id)
    return JSONResponse(task_instance_info(row))


@router.patch(
    "/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}",
    summary="Report a task instance's state",
    tags=["extensions"],
    responses={200: _STRING_MAP, **responses(400, 404, 413)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/TaskInstancePatch"},
                    "examples": {
                        "running": {
                            "summary": "A worker started the task",
                            "value": {
                                "state": "running",
                                "hostname": "worker-1",
                                "pid": 4242,
                                "unixname": "airflow",
                            },
                        },
                        "success": {"summary": "The task succeeded", "value": {"state": "success"}},
                        "success_with_lineage": {
                            "summary": "Succeeded, with the lineage it actually used",
                            "value": {
                                "state": "success",
                                "inlets": [{"type": "File", "url": "s3://bucket/in.csv"}],
                                "outlets": [{"type": "Table", "database": "dw", "name": "results"}],
                            },
                        },
                    },
                }
            },
        }
    },
)
async def set_task_instance_state(
    dag_id: str,
    execution_date: DatePath,
    task_id: str,
    request: Request,
) -> JSONResponse:
    """For executors and workers. `running` increments `try_number`, sets `start_date` and moves a
    queued run to running; a finished state (success, failed, skipped, upstream_failed) sets
    `end_date` and `duration`; `success` records lineage (the body's inlets/outlets, else the
    task's). When every task instance is finished the run becomes `failed` if any failed, else
    `success`. Updates of one run are serialised by a lock on its row."""
    db = writing(request)
    when = db.date(execution_date)
    body = validate_body(TaskInstancePatch, await read_json_object(request))
    async with db:  # after the body is read: no pooled connection waits on a slow client
        runs = db.runs
        # Lock the run first, then read the task instance under the lock: reports of one run
        # serialise, and each reads what the previous one wrote (no lost try_number increments).
        run = await runs.lock_run(dag_id=dag_id, execution_date=when)
        current = await _find_task_instance(runs, dag_id, when, task_id)
        if run is None:  # _find_task_instance found the run, which was deleted since
            raise NotFound(run_not_found(dag_id, when))
        updated = await runs.update_task_instance(
            run=run,
            current=current,
            state=body.state,
            now=db.clock(),
            hostname=body.hostname,
            pid=body.pid,
            unixname=body.unixname,
            inlets=body.inlets,
            outlets=body.outlets,
        )
        if updated is None:
            raise NotFound(task_instance_not_found(task_id, when))
    row = SimpleNamespace(**{**current._mapping, **updated._mapping})
    return JSONResponse(task_instance_info(row))
