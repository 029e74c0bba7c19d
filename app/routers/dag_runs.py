"""Trigger runs, list them, read and set their state; latest_runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.dates import iso_utc
from app.deps import DATE_PARAM_SCHEMA, DatePath, SingleValuedQuery, read_json_object, reading, writing
from app.errors import BadRequest, NotFound, dag_not_found, responses, run_not_found
from app.json import JSONResponse
from app.listing_cache import ListingCache
from app.routing import LeanRoute
from app.schemas.common import any_case_pattern, validate_body
from app.schemas.dag_runs import (
    RUN_STATES,
    DagRunItem,
    LatestRunsResponse,
    RunDetail,
    RunStatePatch,
    RunStateResponse,
    TriggerRequest,
    TriggerResponse,
)
from app.schemas.listings import latest_runs_listing, run_listing

router = APIRouter(tags=["dag_runs"], route_class=LeanRoute)

# A run state in any case, or empty (documentation only: list_dag_runs decides, with its message).
_STATE_PATTERN = any_case_pattern(("", *RUN_STATES))


@router.post(
    "/dags/{dag_id}/dag_runs",
    summary="Trigger a DAG run",
    response_model=TriggerResponse,
    responses=responses(400, 404, 413),
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
async def trigger_dag(dag_id: str, request: Request) -> JSONResponse:
    """Create a run of the DAG with `external_trigger` true and one task instance per task.

    The body is read as JSON whatever its Content-Type; an empty body means `{}`. Without
    `execution_date` the run is dated now (microseconds zeroed unless `replace_microseconds` is
    false). A run with the same `run_id` or the same execution instant is refused with 400, also
    under concurrent identical triggers. A paused DAG can be triggered.
    """
    body = validate_body(TriggerRequest, await read_json_object(request, empty={}))
    async with writing(request) as db:
        requested = None if body.execution_date is None else db.date(body.execution_date)
        now = db.clock()
        execution_date = requested if requested is not None else now
        replace = body.replace_microseconds if body.replace_microseconds is not None else requested is None
        if replace:
            execution_date = execution_date.replace(microsecond=0)
        run_id = body.run_id or f"manual__{execution_date.isoformat()}"
        state = db.settings.triggered_run_state
        triggered = await db.runs.trigger(
            dag_id=dag_id, run_id=run_id, execution_date=execution_date, state=state, conf=body.conf, now=now
        )
        if triggered is None:
            raise NotFound(dag_not_found(dag_id))
        start_date = triggered.start_date
        if start_date is not None and start_date > execution_date:
            raise BadRequest(
                f"The execution_date [{execution_date.isoformat()}] should be >= "
                f"start_date [{start_date.isoformat()}] from DAG's default_args"
            )
        if triggered.run_pk is None:
            raise BadRequest(
                f"A DAG Run already exists for DAG {dag_id} at {execution_date} with run id {run_id}"
            )
    message = (
        f"Created <DagRun {dag_id} @ {execution_date}: {run_id}, state:{state}, "
        f"queued_at: {now}. externally triggered: True>"
    )
    return JSONResponse({"execution_date": execution_date.isoformat(), "message": message, "run_id": run_id})


@router.get(
    "/dags/{dag_id}/dag_runs",
    summary="List a DAG's runs",
    response_model=list[DagRunItem],
    responses=responses(400),
    dependencies=[SingleValuedQuery],
)
async def list_dag_runs(
    dag_id: str,
    request: Request,
    state: str | None = Query(
        None,
        description="Filter by state, case-insensitive; empty: no filter",
        json_schema_extra={"pattern": _STATE_PATTERN},
    ),
    limit: int | None = Query(None, ge=1, le=10000, description="At most this many runs (default: all)"),
    offset: int = Query(0, ge=0, le=2**31 - 1, description="Skip this many runs"),
    execution_date_gte: str | None = Query(
        None,
        description="Only runs at or after this date (a date as in the path)",
        json_schema_extra=DATE_PARAM_SCHEMA,
    ),
    execution_date_lte: str | None = Query(
        None,
        description="Only runs at or before this date (a date as in the path)",
        json_schema_extra=DATE_PARAM_SCHEMA,
    ),
) -> JSONResponse:
    """Every run of the DAG, by execution_date ascending. An unknown DAG is **400** here, as in Airflow.

    A body rendered before is served again while none of the DAG's runs changed since (one
    primary-key read decides, in the same request): a poller sees every change at once.
    """
    wanted_state = (state or "").strip().lower() or None
    if wanted_state is not None and wanted_state not in RUN_STATES:
        raise BadRequest(f"Invalid state '{state}'; expected one of: {', '.join(RUN_STATES)}")
    cache: ListingCache = request.app.state.listing_cache
    stamp = cached = None
    async with reading(request) as db:
        gte = None if execution_date_gte is None else db.date(execution_date_gte)
        lte = None if execution_date_lte is None else db.date(execution_date_lte)
        key = (dag_id, wanted_state, limit, offset, gte, lte)
        if cache.enabled:
            # The stamp before the rows (app/listing_cache.py); its row also says the DAG exists.
            found = await db.runs.runs_stamp(dag_id=dag_id)
            if found is None:
                raise BadRequest(dag_not_found(dag_id))
            stamp = found[0]
            if stamp is not None:
                cached = cache.get(key, stamp)
        if cached is None:
            rows = await db.runs.list_runs(
                dag_id=dag_id,
                state=wanted_state,
                limit=limit,
                offset=offset,
                execution_date_gte=gte,
                execution_date_lte=lte,
                dag_known=cache.enabled,
            )
    if cached is not None:
        return Response(cached, media_type=JSONResponse.media_type)
    if rows is None:
        raise BadRequest(dag_not_found(dag_id))
    response = JSONResponse(run_listing(db.settings.ui_base_url, dag_id, rows))
    if stamp is not None:
        cache.put(key, stamp, response.body)
    return response


@router.get(
    "/dags/{dag_id}/dag_runs/{execution_date}",
    summary="Get a run's state",
    response_model=RunStateResponse,
    responses=responses(400, 404),
)
async def get_dag_run_state(dag_id: str, execution_date: DatePath, request: Request) -> JSONResponse:
    """The state of the DAG's run at `execution_date` (any offset naming the same instant matches)."""
    async with reading(request) as db:
        found = await find_run(db.runs, dag_id, db.date(execution_date))
    return JSONResponse({"state": found.state})


async def find_run(runs: Any, dag_id: str, execution_date: datetime) -> Any:
    """The run, or 404 naming what is missing: the DAG first, then the run (as Airflow reports)."""
    found = await runs.find_run(dag_id=dag_id, execution_date=execution_date)
    if found is None:
        raise NotFound(dag_not_found(dag_id))
    if found.id is None:
        raise NotFound(run_not_found(dag_id, execution_date))
    return found


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
async def set_dag_run_state(dag_id: str, execution_date: DatePath, request: Request) -> JSONResponse:
    """`success` / `failed` also set every unfinished task instance to that state and end the run;
    `queued` clears the run (task instances back to no state, `try_number` kept, dates cleared)."""
    db = writing(request)
    when = db.date(execution_date)
    body = validate_body(RunStatePatch, await read_json_object(request))
    async with db:  # after the body is read: no pooled connection waits on a slow client
        run = await db.runs.lock_run(dag_id=dag_id, execution_date=when)
        if run is None:
            if not await db.runs.dag_exists(dag_id=dag_id):
                raise NotFound(dag_not_found(dag_id))
            raise NotFound(run_not_found(dag_id, when))
        row = await db.runs.set_run_state(run=run, state=body.state, now=db.clock())
    return JSONResponse(run_detail(row))


def run_detail(row: Any) -> dict[str, Any]:
    return {
        "dag_id": row.dag_id,
        "run_id": row.run_id,
        "execution_date": iso_utc(row.execution_date),
        "state": row.state,
        "start_date": iso_utc(row.start_date),
        "end_date": iso_utc(row.end_date),
    }


@router.get(
    "/latest_runs",
    summary="Latest run of every DAG",
    response_model=LatestRunsResponse,
    responses=responses(),
)
async def latest_runs(request: Request) -> JSONResponse:
    """For each DAG that has runs, its run with the greatest execution_date; ordered by dag_id.

    A body rendered before is served again while no DAG's runs changed since (one read of the
    stamps' sum decides, in the same request)."""
    cache: ListingCache = request.app.state.listing_cache
    stamp = cached = None
    async with reading(request) as db:
        if cache.enabled:
            stamp = await db.runs.runs_stamp_sum()
            if stamp is not None:
                cached = cache.get(_LATEST_RUNS_KEY, stamp)
        if cached is None:
            rows = await db.runs.latest_runs()
    if cached is not None:
        return Response(cached, media_type=JSONResponse.media_type)
    response = JSONResponse({"items": latest_runs_listing(db.settings.ui_base_url, rows)})
    if stamp is not None:
        cache.put(_LATEST_RUNS_KEY, stamp, response.body)
    return response


# latest_runs' entry in the listing cache (a run listing's key is a tuple starting with a dag_id).
_LATEST_RUNS_KEY = "latest_runs"
