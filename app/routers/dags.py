"""DAGs: definitions (PUT/GET, extensions), source code, pause state, deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import PlainTextResponse

from app.dag_loader import store_definition
from app.deps import SingleValuedQuery, reading, reject_nul, writing
from app.errors import BadRequest, NotFound, dag_not_found, responses
from app.json import JSONResponse
from app.routing import LeanRoute
from app.schemas.common import any_case_pattern
from app.schemas.dag_definition import DagDefinitionError
from app.schemas.dags import DagDetail, DagList, DeleteResult, OkResponse, PausedState, dag_detail

router = APIRouter(tags=["dags"], route_class=LeanRoute)

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
            "description": "A DAG definition (dag-definition.md) as JSON, or YAML with a YAML Content-Type",
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
async def put_dag(dag_id: str, request: Request) -> JSONResponse:
    """Validate and store a definition: 201 when created, 200 when replaced. Replacing keeps
    `is_paused` and existing runs and replaces the tasks. An invalid definition is 400 with `detail`
    naming every problem by its path (e.g. `tasks[2].upstream[0]`)."""
    raw = await request.body()
    reject_nul(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("Request body must be UTF-8 text") from None
    content_type = request.headers.get("content-type", "")
    filename = "definition.yaml" if any(t in content_type for t in _YAML_TYPES) else "definition.json"
    try:
        async with writing(request) as db:
            stored = await store_definition(
                db.conn,
                text=text,
                filename=filename,
                fileloc="api",
                now=db.clock(),
                default_tz=db.settings.tz,
                expected_dag_id=dag_id,
            )
    except DagDefinitionError as exc:
        raise BadRequest(str(exc), detail=exc.problems) from None
    return JSONResponse(dag_detail(stored.row, stored.task_ids), status_code=201 if stored.created else 200)


@router.get(
    "/dags",
    summary="List DAGs",
    tags=["extensions"],
    response_model=DagList,
    responses=responses(400),
    dependencies=[SingleValuedQuery],
)
async def list_dags(
    request: Request,
    limit: int = Query(100, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=2**31 - 1),
    paused: bool | None = Query(None, description="Only paused (true) or unpaused (false) DAGs"),
    tag: str | None = Query(None, description="Only DAGs with this tag"),
) -> JSONResponse:
    """DAGs ordered by dag_id, with the total count matching the filters."""
    async with reading(request) as db:
        rows, task_ids, total = await db.dags.list(limit=limit, offset=offset, paused=paused, tag=tag)
    return JSONResponse(
        {"dags": [dag_detail(r, t) for r, t in zip(rows, task_ids, strict=True)], "total_entries": total}
    )


@router.get(
    "/dags/{dag_id}",
    summary="Get a DAG",
    tags=["extensions"],
    response_model=DagDetail,
    responses=responses(404),
)
async def get_dag(dag_id: str, request: Request) -> JSONResponse:
    """The DAG's stored definition summary (typed JSON, not strings)."""
    async with reading(request) as db:
        stored = await db.dags.get(dag_id=dag_id)
    if stored is None:
        raise NotFound(dag_not_found(dag_id))
    return JSONResponse(dag_detail(stored.row, stored.task_ids))


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
async def get_dag_code(dag_id: str, request: Request) -> PlainTextResponse:
    """The definition's text exactly as it was submitted (JSON or YAML), as `text/plain`."""
    async with reading(request) as db:
        text = await db.dags.source_text(dag_id=dag_id)
    if text is None:
        raise NotFound(dag_not_found(dag_id))
    return PlainTextResponse(text)


# `true` or `false` in any case (documentation only: _parse_paused decides, with Airflow's message).
_PAUSED_PATTERN = any_case_pattern(("true", "false"))


def _parse_paused(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise BadRequest(f"paused must be 'true' or 'false', got '{value}'")
    return lowered == "true"


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
    request: Request,
) -> JSONResponse:
    """`true` pauses, `false` unpauses (case-insensitive); anything else is 400 (Airflow silently unpaused).
    A GET that writes, as in Airflow: one transaction like every other write."""
    wanted = _parse_paused(paused)
    async with writing(request) as db:
        if not await db.dags.set_paused(dag_id=dag_id, paused=wanted):
            raise NotFound(f"Dag id {dag_id} not found")
    return JSONResponse({"response": "ok"})


@router.get(
    "/dags/{dag_id}/paused",
    summary="Is a DAG paused?",
    response_model=PausedState,
    responses=responses(404),
)
async def get_paused(dag_id: str, request: Request) -> JSONResponse:
    """`{"is_paused": true|false}` as a JSON boolean."""
    async with reading(request) as db:
        paused = await db.dags.is_paused(dag_id=dag_id)
    if paused is None:
        raise NotFound(f"Dag id {dag_id} not found")
    return JSONResponse({"is_paused": paused})


async def _delete(dag_id: str, request: Request) -> JSONResponse:
    async with writing(request) as db:
        count = await db.dags.delete(dag_id=dag_id)
    if count is None:
        raise NotFound(f"Dag id {dag_id} not found")
    return JSONResponse({"count": count, "message": f"Removed {count} record(s)"})


_DELETE_DOC = """Remove the DAG, its tasks, runs, task instances and lineage. `count` is the number of
run records removed (runs, task instances, lineage), as Airflow counts them."""


@router.delete(
    "/dags/{dag_id}",
    summary="Delete a DAG",
    response_model=DeleteResult,
    responses=responses(404),
    description=_DELETE_DOC,
)
async def delete_dag(dag_id: str, request: Request) -> JSONResponse:
    return await _delete(dag_id, request)


@router.delete(
    "/dags/{dag_id}/delete_dag",
    summary="Delete a DAG (Airflow 2 client path)",
    response_model=DeleteResult,
    responses=responses(404),
    description=_DELETE_DOC + "\n\nThe path Airflow 2's own JSON client calls.",
)
async def delete_dag_alias(dag_id: str, request: Request) -> JSONResponse:
    return await _delete(dag_id, request)
