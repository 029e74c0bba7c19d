"""Task info and task-instance info; task-instance state reports from workers."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.results import TaskInstanceReport
from app.error_handlers import responses
from app.json import JSONResponse
from app.routers.dependencies import ExecutionDate, TaskInstanceBody, Tasks
from app.routing import LeanRoute
from app.schemas.tasks import TASK_INFO_EXAMPLE, task_info, task_instance_info
from app.security import API_SECURITY

router = APIRouter(tags=["tasks"], route_class=LeanRoute, dependencies=API_SECURITY)

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
async def get_task(dag_id: str, task_id: str, service: Tasks) -> JSONResponse:
    """The task's attributes as strings (`None`, `True`, `0:05:00`, `{'a', 'b'}`...), plus each key of
    its operator `arguments` (e.g. `bash_command`)."""
    return JSONResponse(task_info(await service.get_task(dag_id, task_id)))


@router.get(
    "/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}",
    summary="Get a task instance's attributes",
    responses={200: _STRING_MAP, **responses(400, 404)},
)
async def get_task_instance(
    dag_id: str, execution_date: ExecutionDate, task_id: str, service: Tasks
) -> JSONResponse:
    """The task instance of the run at `execution_date`, every value a string. `hostname`, `pid` and
    `unixname` are what the last state report gave."""
    return JSONResponse(task_instance_info(await service.get_task_instance(dag_id, execution_date, task_id)))


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
    dag_id: str, execution_date: ExecutionDate, task_id: str, body: TaskInstanceBody, service: Tasks
) -> JSONResponse:
    """For executors and workers. `running` increments `try_number`, sets `start_date` and moves a
    queued run to running; a finished state (success, failed, skipped, upstream_failed) sets
    `end_date` and `duration`; `success` records lineage (the body's inlets/outlets, else the
    task's). When every task instance is finished the run becomes `failed` if any failed, else
    `success`. Updates of one run are serialised by a lock on its row."""
    report = TaskInstanceReport(
        state=body.state,
        hostname=body.hostname,
        pid=body.pid,
        unixname=body.unixname,
        inlets=body.inlets,
        outlets=body.outlets,
    )
    return JSONResponse(task_instance_info(await service.report(dag_id, execution_date, task_id, report)))
