"""v1 routes: task logs (docs/api-v1.md, "Task instances, XCom, logs, clearing and state updates")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.routers.v1.conventions import (
    Param,
    V1Response,
    best_media_type,
    documented,
    path_int,
    problems,
    read_query,
)
from app.routers.v1.params import MAP_INDEX
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1 import logs as schema
from app.schemas.v1.logs import LogAnswer
from app.services.v1.logs import LogService
from app.v1_format import V1_HEADERS

router = APIRouter(tags=["TaskInstance"], route_class=LeanRoute)
Logs = Annotated[LogService, Depends(depends_on(LogService))]

PARAMS = (
    Param("full_content", "boolean", "The whole log, not its first part"),
    MAP_INDEX,
    Param("token", "string", "The continuation_token of an earlier answer: read on from there"),
)
PLAIN = "text/plain"
JSON = "application/json"


def wants_text(accept: str | None) -> bool:
    """Whether ``Accept`` picks plain text over JSON, as Airflow 2 picked (Werkzeug's best match of
    text/plain, then application/json: :func:`~app.routers.v1.conventions.best_media_type`); JSON
    when it picks neither, or without ``Accept``."""
    return best_media_type(accept, (PLAIN, JSON)) == PLAIN


@router.get(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}",
    summary="Get logs",
    response_model=LogAnswer,
    responses={
        **problems(400, 404),
        200: {"description": "The log", "content": {JSON: {}, PLAIN: {"schema": {"type": "string"}}}},
    },
    openapi_extra=documented(*PARAMS),
)
async def get_log(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, task_try_number: str, service: Logs
) -> Response:
    """The log of one try of a task instance: JSON whose `content` is the Python representation of
    a list of `(host, text)` tuples, or with `Accept: text/plain` the text itself."""
    try_number = path_int(task_try_number)
    values = read_query(request, *PARAMS)
    log = await service.read(
        dag_id,
        dag_run_id,
        task_id,
        try_number,
        map_index=values["map_index"],
        full_content=bool(values["full_content"]),
        token=values["token"],
    )
    if wants_text(request.headers.get("accept")):
        response = Response(schema.log_plain(log.host, log.text), media_type=PLAIN)
        response.raw_headers.extend(V1_HEADERS)
        return response
    return V1Response(schema.log_json(log.host, log.text, log.token))
