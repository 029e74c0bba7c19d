"""DAGs: definitions (PUT/GET, extensions), source code, pause state, deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import PlainTextResponse

from app.core import messages
from app.error_handlers import responses
from app.json import JSONResponse
from app.routers.dependencies import Dags, DefinitionText, SingleValuedQuery
from app.routing import LeanRoute, is_head_request
from app.schemas.common import any_case_pattern
from app.schemas.dags import (
    DagDetail,
    DagList,
    DagListQuery,
    DeleteResult,
    OkResponse,
    PausedState,
    dag_detail,
)
from app.security import API_SECURITY

router = APIRouter(tags=["dags"], route_class=LeanRoute, dependencies=API_SECURITY)

_YAML_TYPES = ("yaml", "yml")


@router.put(
    "/dags/{dag_id}",
    summary="Create or replace a DAG definition",
    tags=["extensions"],
    status_code=201,
    response_model=DagDetail,
    responses={200: {"model": DagDetail, "description": "Replaced"}, **responses(400, 413)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A DAG definition (docs/dag-definitions.md) as JSON, or YAML with a YAML Content-Type",
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": {
                        "dag_id": "hello",
                        "start_date": "2024-01-01T00:00:00+00:00",
                        "tasks": [
                            {
                                "task_id": "say",
                                "operator": "BashOperator",
                                "arguments": {"bash_command": "echo hi"},
                            },
                            {"task_id": "done", "upstream": ["say"]},
                        ],
                    },
                },
                "application/yaml": {
                    "schema": {"type": "object"},  # the document is a mapping; the example is its text
                    "example": (
                        "dag_id: hello\n"
                        "start_date: '2024-01-01T00:00:00+00:00'\n"
                        "tasks:\n"
                        "  - task_id: say\n"
                        "    operator: BashOperator\n"
                        "    arguments: {bash_command: echo hi}\n"
                        "  - task_id: done\n"
                        "    upstream: [say]\n"
                    ),
                },
            },
        }
    },
)
async def put_dag(dag_id: str, text: DefinitionText, request: Request, service: Dags) -> JSONResponse:
    """Validate and store a definition: 201 when created, 200 when replaced. Replacing keeps
    `is_paused` and existing runs and replaces the tasks. An invalid definition is 400 with `detail`
    naming every problem by its path (e.g. `tasks[2].upstream[0]`)."""
    content_type = request.headers.get("content-type", "")
    yaml = any(t in content_type for t in _YAML_TYPES)
    stored = await service.put_definition(dag_id, text, yaml=yaml)
    return JSONResponse(dag_detail(stored.dag), status_code=201 if stored.created else 200)


@router.get(
    "/dags",
    summary="List DAGs",
    tags=["extensions"],
    response_model=DagList,
    responses=responses(400),
    dependencies=[SingleValuedQuery],
)
async def list_dags(query: Annotated[DagListQuery, Query()], service: Dags) -> JSONResponse:
    """DAGs ordered by dag_id, with the total count matching the filters."""
    page = await service.list_dags(limit=query.limit, offset=query.offset, paused=query.paused, tag=query.tag)
    return JSONResponse({"dags": [dag_detail(d) for d in page.dags], "total_entries": page.total})


@router.get(
    "/dags/{dag_id}",
    summary="Get a DAG",
    tags=["extensions"],
    response_model=DagDetail,
    responses=responses(404),
)
async def get_dag(dag_id: str, service: Dags) -> JSONResponse:
    """The DAG's stored definition summary (typed JSON, not strings)."""
    return JSONResponse(dag_detail(await service.get_dag(dag_id)))


# Errors are JSON even where success is text/plain: with a `model`, FastAPI would document them as
# the route's media type, so the ErrorBody reference is spelled out.
_JSON_ERRORS = {
    code: {
        "description": response["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for code, response in responses(404).items()
}


@router.get(
    "/dags/{dag_id}/code",
    summary="Get a DAG's source",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {}}, "description": "The definition text as submitted"},
        **_JSON_ERRORS,
    },
)
async def get_dag_code(dag_id: str, service: Dags) -> PlainTextResponse:
    """The definition's text exactly as it was submitted (JSON or YAML), as `text/plain`."""
    return PlainTextResponse(await service.source(dag_id))


# `true` or `false` in any case (documentation only: the service decides, with Airflow's message).
_PAUSED_PATTERN = any_case_pattern(("true", "false"))


@router.get(
    "/dags/{dag_id}/paused/{paused}",
    summary="Pause or unpause a DAG",
    response_model=OkResponse,
    responses=responses(400, 404),
)
async def set_paused(
    dag_id: str,
    paused: Annotated[
        str,
        Path(
            description="`true` pauses, `false` unpauses, in any case",
            json_schema_extra={"pattern": _PAUSED_PATTERN},
        ),
    ],
    service: Dags,
    request: Request,
) -> JSONResponse:
    """`true` pauses, `false` unpauses (case-insensitive); anything else is 400 (Airflow silently unpaused).
    A GET that writes, as in Airflow: one transaction like every other write. HEAD never writes:
    it gets the status GET would (400, 404 or 200) from a read."""
    if is_head_request(request):
        await service.check_paused(dag_id, paused)
    else:
        await service.set_paused(dag_id, paused)
    return JSONResponse({"response": "ok"})


@router.get(
    "/dags/{dag_id}/paused",
    summary="Is a DAG paused?",
    response_model=PausedState,
    responses=responses(404),
)
async def get_paused(dag_id: str, service: Dags) -> JSONResponse:
    """`{"is_paused": true|false}` as a JSON boolean."""
    return JSONResponse({"is_paused": await service.is_paused(dag_id)})


def deleted(count: int) -> JSONResponse:
    return JSONResponse({"count": count, "message": messages.removed(count)})


_DELETE_DOC = """Remove the DAG, its tasks, runs, task instances and lineage. `count` is the number of
run records removed (runs, task instances, lineage), as Airflow counts them."""


@router.delete(
    "/dags/{dag_id}",
    summary="Delete a DAG",
    response_model=DeleteResult,
    responses=responses(404),
    description=_DELETE_DOC,
)
async def delete_dag(dag_id: str, service: Dags) -> JSONResponse:
    return deleted(await service.delete(dag_id))


@router.delete(
    "/dags/{dag_id}/delete_dag",
    summary="Delete a DAG (Airflow 2 client path)",
    response_model=DeleteResult,
    responses=responses(404),
    description=_DELETE_DOC + "\n\nThe path Airflow 2's own JSON client calls.",
)
async def delete_dag_alias(dag_id: str, service: Dags) -> JSONResponse:
    return deleted(await service.delete(dag_id))
