"""v1 routes: the configuration (docs/api-v1.md, "Pools, variables, connections, ...")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.routers.v1.conventions import (
    Param,
    V1Written,
    best_media_type,
    documented,
    problem_response,
    problems,
    read_query,
)
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1 import config as v1
from app.services.v1.config import ConfigService

router = APIRouter(tags=["Config"], route_class=LeanRoute)
Configs = Annotated[ConfigService, Depends(depends_on(ConfigService))]

SECTION = Param("section", "string", "If given, only the options of this section")
ANSWERS: dict[int | str, dict[str, Any]] = {  # as problems() and FastAPI's responses= type them
    200: {
        "content": {
            v1.JSON: {},
            v1.TEXT: {"schema": {"type": "string"}, "example": "[core]\ndags_folder = /opt/airflow/dags\n"},
        }
    }
}


@router.get(
    "/config",
    summary="Get current configuration",
    response_model=v1.Config,
    responses={**problems(404, 406), **ANSWERS},
    openapi_extra=documented(SECTION),
)
async def get_config(request: Request, service: Configs) -> Response:
    """Airflow's configuration, as JSON or as `text/plain` (as `Accept` prefers; `*/*`: text), while
    Airflow's `[api] expose_config` allows it (else 403). Sensitive values are `< hidden >`."""
    media_type = best_media_type(request.headers.get("accept"), v1.OFFERS)
    if media_type is None:
        return problem_response(406, v1.NOT_ACCEPTABLE)
    section = read_query(request, SECTION)["section"]
    return V1Written(v1.written(await service.config(section), media_type), media_type)


@router.get(
    "/config/section/{section}/option/{option}",
    summary="Get an option from configuration",
    response_model=v1.Config,
    responses={**problems(404, 406), **ANSWERS},
)
async def get_value(request: Request, section: str, option: str, service: Configs) -> Response:
    """One option of Airflow's configuration, as `GET /config` answers it."""
    media_type = best_media_type(request.headers.get("accept"), v1.OFFERS)
    if media_type is None:
        return problem_response(406, v1.NOT_ACCEPTABLE)
    return V1Written(v1.written(await service.option(section, option), media_type), media_type)
