"""v1 routes: run counts per DAG (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings and import
errors")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import Param, V1Response, documented, problems, read_query
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.dag_stats import DagStatsCollection
from app.services.v1.dag_stats import DagStatsService

router = APIRouter(tags=["DagStats"], route_class=LeanRoute)
Stats = Annotated[DagStatsService, Depends(depends_on(DagStatsService))]

DAG_IDS = Param("dag_ids", "string", "One or more DAG IDs separated by commas.", required=True)


@router.get(
    "/dagStats",
    summary="List Dag statistics",
    response_model=DagStatsCollection,
    responses=problems(400),
    openapi_extra=documented(DAG_IDS),
)
async def get_dag_stats(request: Request, service: Stats) -> V1Response:
    """Each DAG named that exists, with its number of runs in each state (Airflow 3's
    `GET /api/v2/dagStats`; the DAGs without runs are looked up with one `GET /api/v2/dags`)."""
    return V1Response(await service.stats(read_query(request, DAG_IDS)["dag_ids"]))
