"""``/health`` and ``/version`` (no credentials needed, as in Airflow 2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.routers.v1.conventions import V1Response, problems
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.monitor import HealthInfo, VersionInfo
from app.services.v1.monitor import MonitorService

router = APIRouter(tags=["Monitoring"], route_class=LeanRoute)
Monitor = Annotated[MonitorService, Depends(depends_on(MonitorService))]


@router.get("/health", summary="Get instance status", response_model=HealthInfo, responses=problems())
async def get_health(service: Monitor) -> V1Response:
    """The status of Airflow's components (metadatabase, scheduler, triggerer, dag-processor), as
    Airflow 3's `/api/v2/monitor/health` reports them."""
    return V1Response(await service.health())


@router.get("/version", summary="Get version information", response_model=VersionInfo, responses=problems())
async def get_version(service: Monitor) -> V1Response:
    """The version of the Airflow that dagport fronts."""
    return V1Response(await service.version())
