"""Lineage of a run."""

from __future__ import annotations

from fastapi import APIRouter

from app.error_handlers import responses
from app.json import JSONResponse
from app.routers.dependencies import ExecutionDate, Lineage
from app.routing import LeanRoute
from app.schemas.lineage import LineageResponse
from app.security import API_SECURITY

router = APIRouter(tags=["lineage"], route_class=LeanRoute, dependencies=API_SECURITY)


@router.get(
    "/lineage/{dag_id}/{execution_date}",
    summary="Get a run's lineage",
    response_model=LineageResponse,
    responses=responses(400, 404),
)
async def get_lineage(dag_id: str, execution_date: ExecutionDate, service: Lineage) -> JSONResponse:
    """Inlets and outlets recorded for each task instance of the run that reached success, as JSON
    objects. A run without recorded lineage has `task_ids` `{}`."""
    lineage = await service.run_lineage(dag_id, execution_date)
    return JSONResponse(
        {
            "message": lineage.message,
            "task_ids": {t.task_id: {"inlets": t.inlets, "outlets": t.outlets} for t in lineage.tasks},
        }
    )
