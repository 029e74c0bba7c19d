"""v1 routes: DAG warnings (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings and import errors")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import Param, V1Response, documented, problems, read_query
from app.routers.v1.params import LIMIT, OFFSET, ORDER_BY
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.dag_warnings import DagWarningCollection
from app.services.v1.dag_warnings import DagWarningsService

router = APIRouter(tags=["DagWarning"], route_class=LeanRoute)
Warnings = Annotated[DagWarningsService, Depends(depends_on(DagWarningsService))]

DAG_ID = Param("dag_id", "string", "If set, only return DAG warnings with this dag_id.")
WARNING_TYPE = Param("warning_type", "string", "If set, only return DAG warnings with this type.")
PARAMS = (DAG_ID, WARNING_TYPE, LIMIT, OFFSET, ORDER_BY)


@router.get(
    "/dagWarnings",
    summary="List dag warnings",
    response_model=DagWarningCollection,
    responses=problems(400),
    openapi_extra=documented(*PARAMS),
)
async def get_dag_warnings(request: Request, service: Warnings) -> V1Response:
    """A page of the warnings Airflow found while parsing DAGs, by timestamp unless `order_by` says
    otherwise (Airflow 3's `GET /api/v2/dagWarnings`, one call a page)."""
    q = read_query(request, *PARAMS)
    return V1Response(
        await service.listing(
            dag_id=q["dag_id"],
            warning_type=q["warning_type"],
            limit=q["limit"],
            offset=q["offset"],
            order=q["order_by"],
        )
    )
