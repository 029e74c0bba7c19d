"""Lineage of a run."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.deps import DatePath, reading
from app.errors import responses
from app.json import JSONResponse
from app.routers.dag_runs import find_run
from app.routing import LeanRoute
from app.schemas.lineage import LineageResponse

router = APIRouter(tags=["lineage"], route_class=LeanRoute)


@router.get(
    "/lineage/{dag_id}/{execution_date}",
    summary="Get a run's lineage",
    response_model=LineageResponse,
    responses=responses(400, 404),
)
async def get_lineage(dag_id: str, execution_date: DatePath, request: Request) -> JSONResponse:
    """Inlets and outlets recorded for each task instance of the run that reached success, as JSON
    objects. A run without recorded lineage has `task_ids` `{}`."""
    async with reading(request) as db:
        when = db.date(execution_date)
        run = await find_run(db.runs, dag_id, when)
        rows = await db.lineage.for_run(run_pk=run.id)
    return JSONResponse(
        {
            "message": f"Lineage for dag {dag_id} at {when}",
            "task_ids": {r.task_id: {"inlets": r.inlets, "outlets": r.outlets} for r in rows},
        }
    )
