"""v1 routes: import errors (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings and import errors")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import V1Response, documented, path_int, problems, read_query
from app.routers.v1.params import LIMIT, OFFSET, ORDER_BY
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.import_errors import ImportError, ImportErrorCollection
from app.services.v1.import_errors import ImportErrorsService

router = APIRouter(tags=["ImportError"], route_class=LeanRoute)
Errors = Annotated[ImportErrorsService, Depends(depends_on(ImportErrorsService))]

PARAMS = (LIMIT, OFFSET, ORDER_BY)


@router.get(
    "/importErrors",
    summary="List import errors",
    response_model=ImportErrorCollection,
    responses=problems(400),
    openapi_extra=documented(*PARAMS),
)
async def get_import_errors(request: Request, service: Errors) -> V1Response:
    """A page of the DAG files Airflow could not import, by import_error_id unless `order_by` says
    otherwise (Airflow 3's `GET /api/v2/importErrors`, one call a page)."""
    q = read_query(request, *PARAMS)
    return V1Response(await service.listing(limit=q["limit"], offset=q["offset"], order=q["order_by"]))


@router.get(
    "/importErrors/{import_error_id}",
    summary="Get an import error",
    response_model=ImportError,
    responses=problems(404),
)
async def get_import_error(import_error_id: str, service: Errors) -> V1Response:
    """The import error (Airflow 3's `GET /api/v2/importErrors/{import_error_id}`). An id that is
    not a number matches no route, as in Airflow 2."""
    return V1Response(await service.get(path_int(import_error_id)))
