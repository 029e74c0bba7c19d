"""v1 routes: DAG sources and re-parsing (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings
and import errors"), with v1's choice between plain text and JSON by ``Accept``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.routers.v1.conventions import V1NoContent, V1Response, best_media_type, problem_response, problems
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.dag_sources import DUPLICATE_REQUEST, NOT_ACCEPTABLE, DAGSource
from app.services.v1.dag_sources import DagSourcesService

router = APIRouter(tags=["DAG"], route_class=LeanRoute)
Sources = Annotated[DagSourcesService, Depends(depends_on(DagSourcesService))]

TEXT, JSON, HTML = "text/plain", "application/json", "text/html; charset=utf-8"
OFFERED = (TEXT, JSON)  # in Airflow 2's order: on a tie, plain text


class CompactJson(V1Response):
    """A JSON body written compactly (``{"content": "..."}``), as v1 wrote a DAG's source."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode()


class Text(V1Response):
    """A text body (plain text by default)."""

    media_type = TEXT

    def render(self, content: Any) -> bytes:
        return str(content).encode()


def source_media_type(accept: str | None) -> str | None:
    """What to answer for ``Accept`` (:func:`~app.routers.v1.conventions.best_media_type`, as Airflow
    2 chose); without ``Accept`` at all anything is acceptable (RFC 9110): plain text, as for
    ``*/*`` (Airflow 2 answered 406)."""
    return TEXT if accept is None else best_media_type(accept, OFFERED)


@router.get(
    "/dagSources/{file_token}",
    summary="Get a source code",
    response_model=DAGSource,
    responses={
        200: {"content": {TEXT: {"schema": {"type": "string"}}}},
        **problems(404, 406),
    },
)
async def get_dag_source(request: Request, file_token: str, service: Sources) -> V1Response:
    """The source of the DAG file, for a `file_token` of dagport's (a DAG's `file_token`): plain
    text or `{"content": ...}` by `Accept`, as Airflow 2 chose (Airflow 3's
    `GET /api/v2/dagSources/{dag_id}`)."""
    media = source_media_type(request.headers.get("accept"))
    if media is None:
        return problem_response(406, NOT_ACCEPTABLE)
    content = await service.source(file_token)
    if media == TEXT:
        return Text(content)
    return CompactJson({"content": content})


@router.put(
    "/parseDagFile/{file_token}",
    summary="Request re-parsing of a DAG file",
    status_code=201,
    responses={
        201: {"description": "Parsing requested: an empty body, or `Duplicate request` if it already was"},
        **problems(404),
    },
)
async def reparse_dag_file(file_token: str, service: Sources) -> Response:
    """Asks Airflow to parse the file of the DAG that `file_token` names again, soon: Airflow 3's
    `PUT /api/v2/parseDagFile/{its own file token}`, read from `GET /api/v2/dags/{dag_id}`."""
    if await service.reparse(file_token):
        return V1NoContent(201, HTML)
    return Text(DUPLICATE_REQUEST, 201, HTML)
