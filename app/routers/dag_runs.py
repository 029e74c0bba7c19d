"""Trigger runs, list them, read and set their state; latest_runs."""

from __future__ import annotations

import logging
from typing import Annotated, Any, cast

import anyio
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.core.results import Run
from app.dates import iso_utc
from app.error_handlers import responses
from app.errors import DomainError, StoreFailure
from app.json import JSONResponse, dumps_bytes
from app.routers.dependencies import DagRuns, ExecutionDate, RunStateBody, SingleValuedQuery, TriggerBody
from app.routing import LeanRoute
from app.schemas.dag_runs import (
    DagRunItem,
    LatestRunsResponse,
    RunDetail,
    RunListQuery,
    RunStateResponse,
    TriggerResponse,
)
from app.schemas.listings import latest_runs_listing, run_listing
from app.security import API_SECURITY
from app.services.listings import ListingStream

log = logging.getLogger("dagport.listings")

router = APIRouter(tags=["dag_runs"], route_class=LeanRoute, dependencies=API_SECURITY)

# OpenAPI links from a trigger to what it created: the run (its state, its task instances, its
# lineage), so clients and stateful fuzzers follow the new run by its dag_id and execution_date.
_RUN = {"dag_id": "$request.path.dag_id", "execution_date": "$response.body#/execution_date"}
TRIGGER_LINKS = {
    "GetRunState": {
        "operationRef": "#/paths/~1api~1experimental~1dags~1{dag_id}~1dag_runs~1{execution_date}/get",
        "parameters": _RUN,
        "description": "The state of the run just created",
    },
    "SetRunState": {
        "operationRef": "#/paths/~1api~1experimental~1dags~1{dag_id}~1dag_runs~1{execution_date}/patch",
        "parameters": _RUN,
        "description": "Set the state of the run just created",
    },
    "GetTaskInstance": {
        "operationRef": "#/paths/~1api~1experimental~1dags~1{dag_id}~1dag_runs~1{execution_date}~1tasks~1{task_id}/get",
        "parameters": _RUN,
        "description": "A task instance of the run just created (one per task of the DAG)",
    },
    "GetLineage": {
        "operationRef": "#/paths/~1api~1experimental~1lineage~1{dag_id}~1{execution_date}/get",
        "parameters": _RUN,
        "description": "The lineage of the run just created",
    },
}


@router.post(
    "/dags/{dag_id}/dag_runs",
    summary="Trigger a DAG run",
    response_model=TriggerResponse,
    responses={200: {"links": TRIGGER_LINKS}, **responses(400, 404, 413)},
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/TriggerRequest"},
                    "examples": {
                        "now": {"summary": "Run now", "value": {}},
                        "with_conf": {"summary": "With a conf", "value": {"conf": {"key": "value"}}},
                        "seed_curl": {
                            "summary": "The 1.10 docs' curl example (conf as a JSON string)",
                            "value": {"conf": '{"key":"value"}'},
                        },
                        "dated": {
                            "summary": "At a given date, with a run id",
                            "value": {"run_id": "my_run", "execution_date": "2016-11-16T11:34:15+00:00"},
                        },
                    },
                }
            },
        }
    },
)
async def trigger_dag(dag_id: str, body: TriggerBody, service: DagRuns) -> JSONResponse:
    """Create a run of the DAG with `external_trigger` true and one task instance per task.

    The body is read as JSON whatever its Content-Type; an empty body means `{}`. Without
    `execution_date` the run is dated now (microseconds zeroed unless `replace_microseconds` is
    false). A run with the same `run_id` or the same execution instant is refused with 400, also
    under concurrent identical triggers. A paused DAG can be triggered.
    """
    # Typed wide for the documentation; TriggerRequest's validators leave an object and a bool.
    run = await service.trigger(
        dag_id,
        run_id=body.run_id,
        conf=cast("dict[str, Any] | None", body.conf),
        execution_date=body.execution_date,
        replace_microseconds=cast("bool | None", body.replace_microseconds),
    )
    return JSONResponse(
        {"execution_date": run.execution_date.isoformat(), "message": run.message, "run_id": run.run_id}
    )


@router.get(
    "/dags/{dag_id}/dag_runs",
    summary="List a DAG's runs",
    response_model=list[DagRunItem],
    responses=responses(400),
    dependencies=[SingleValuedQuery],
)
async def list_dag_runs(
    request: Request, dag_id: str, query: Annotated[RunListQuery, Query()], service: DagRuns
) -> Response:
    """Every run of the DAG, by execution_date ascending. An unknown DAG is **400** here, as in Airflow.

    A body rendered before is served again while none of the DAG's runs changed since (one
    primary-key read decides, in the same request): a poller sees every change at once. A long
    listing (more than four times `DAGPORT_LISTING_CHUNK_ROWS` runs) is sent as it is read, in
    chunked transfer encoding: the same bytes, in memory a chunk at a time.
    """
    links = service.run_links
    body = await service.list_runs(
        dag_id,
        state=query.state,
        limit=query.limit,
        offset=query.offset,
        execution_date_gte=query.execution_date_gte,
        execution_date_lte=query.execution_date_lte,
        render=lambda rows: dumps_bytes(run_listing(links, dag_id, rows)),
    )
    if isinstance(body, ListingStream):
        return StreamedListing(body, send_timeout=request.app.state.settings.listing_send_timeout)
    return Response(body, media_type=JSONResponse.media_type)


class StreamedListing(StreamingResponse):
    """A :class:`ListingStream` sent piece by piece, its unit of work closed whatever happens.

    Once the status is sent, a failure can no longer become an error response: the body is cut
    off (the connection is closed without the last chunk, so no client takes it for whole) and
    the reason logged. A client that takes longer than ``send_timeout`` to accept a piece is cut
    off the same way, so a reader that stalls does not hold a database connection.
    """

    def __init__(self, pieces: ListingStream, *, send_timeout: float) -> None:
        super().__init__(pieces, media_type=JSONResponse.media_type)
        self.pieces = pieces
        self.send_timeout = send_timeout

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        sent = 0
        try:
            async for piece in self.pieces:
                with anyio.move_on_after(self.send_timeout) as waited:
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
                if waited.cancelled_caught:
                    log.warning(
                        "run listing cut off after %d bytes: the client took over %g s",
                        sent,
                        self.send_timeout,
                    )
                    return
                sent += len(piece)
        except DomainError as exc:
            level = logging.ERROR if isinstance(exc, StoreFailure) else logging.WARNING
            log.log(level, "run listing cut off after %d bytes: %s", sent, exc.message)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when the client left or the server is stopping (the task is then cancelled).
            with anyio.CancelScope(shield=True):
                try:
                    await self.pieces.aclose()
                except Exception as exc:  # the connection broke as the listing ended: it is released
                    log.warning("run listing ended with %s: %s", type(exc).__name__, exc)


@router.get(
    "/dags/{dag_id}/dag_runs/{execution_date}",
    summary="Get a run's state",
    response_model=RunStateResponse,
    responses=responses(400, 404),
)
async def get_dag_run_state(dag_id: str, execution_date: ExecutionDate, service: DagRuns) -> JSONResponse:
    """The state of the DAG's run at `execution_date` (any offset naming the same instant matches)."""
    run = await service.get_run(dag_id, execution_date)
    return JSONResponse({"state": run.state})


@router.patch(
    "/dags/{dag_id}/dag_runs/{execution_date}",
    summary="Set a run's state",
    tags=["extensions"],
    response_model=RunDetail,
    responses=responses(400, 404, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/RunStatePatch"},
                    "examples": {
                        "success": {"summary": "Mark the run successful", "value": {"state": "success"}},
                        "failed": {"summary": "Mark the run failed", "value": {"state": "failed"}},
                        "queued": {"summary": "Clear the run to run it again", "value": {"state": "queued"}},
                    },
                }
            },
        }
    },
)
async def set_dag_run_state(
    dag_id: str, execution_date: ExecutionDate, body: RunStateBody, service: DagRuns
) -> JSONResponse:
    """`success` / `failed` also set every unfinished task instance to that state and end the run;
    `queued` clears the run (task instances back to no state, `try_number` kept, dates cleared)."""
    run = await service.set_state(dag_id, execution_date, body.state)
    return JSONResponse(run_detail(run))


def run_detail(run: Run) -> dict[str, str | None]:
    return {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "execution_date": iso_utc(run.execution_date),
        "state": run.state,
        "start_date": iso_utc(run.start_date),
        "end_date": iso_utc(run.end_date),
    }


@router.get(
    "/latest_runs",
    summary="Latest run of every DAG",
    response_model=LatestRunsResponse,
    responses=responses(),
)
async def latest_runs(service: DagRuns) -> Response:
    """For each DAG that has runs, its run with the greatest execution_date; ordered by dag_id.

    A body rendered before is served again while no DAG's runs changed since (one read of the
    stamps' sum decides, in the same request)."""
    links = service.run_links
    body = await service.latest_runs(lambda rows: dumps_bytes({"items": latest_runs_listing(links, rows)}))
    return Response(body, media_type=JSONResponse.media_type)
