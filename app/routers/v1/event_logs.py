"""v1 routes: event logs (docs/api-v1.md, "Pools, variables, connections, ...")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.routers.v1.conventions import Param, V1Response, documented, path_int, problems, read_query
from app.routers.v1.params import LIMIT, OFFSET, order_by
from app.routers.v1.services import depends_on
from app.routing import LeanRoute
from app.schemas.v1.event_logs import EventLog, EventLogCollection
from app.services.v1.event_logs import EventLogFilter, EventLogService

router = APIRouter(tags=["EventLog"], route_class=LeanRoute)
EventLogs = Annotated[EventLogService, Depends(depends_on(EventLogService))]

ORDER_BY = order_by(
    "`event_log_id` (the default), `when`, `dag_id`, `task_id`, `run_id`, `event`, `execution_date`, "
    "`owner` or `extra`; `-` before it: descending"
)
FILTERS = (
    Param("dag_id", "string", "Only the rows of this DAG"),
    Param("task_id", "string", "Only the rows of this task"),
    Param("run_id", "string", "Only the rows of this run"),
    Param("map_index", "integer", "Only the rows of this map index (0: any)"),
    Param("try_number", "integer", "Only the rows of this try (0: any)"),
    Param("event", "string", "Only the rows of this event"),
    Param("owner", "string", "Only the rows of this owner"),
    Param("before", "date-time", "Only the rows before this time"),
    Param("after", "date-time", "Only the rows after this time"),
    Param("included_events", "string", "Only the rows of these events (comma-separated)"),
    Param("excluded_events", "string", "Not the rows of these events (comma-separated)"),
)


@router.get(
    "/eventLogs",
    summary="List log entries",
    response_model=EventLogCollection,
    responses=problems(400),
    openapi_extra=documented(LIMIT, OFFSET, ORDER_BY, *FILTERS),
)
async def get_event_logs(request: Request, service: EventLogs) -> V1Response:
    """Rows of Airflow's audit log (the actions of users, the CLI and tasks), with filters."""
    query = read_query(request, LIMIT, OFFSET, ORDER_BY, *FILTERS)
    where = EventLogFilter(**{p.name: query[p.name] for p in FILTERS})
    return V1Response(await service.list(where, query["limit"], query["offset"], query["order_by"]))


@router.get(
    "/eventLogs/{event_log_id}", summary="Get a log entry", response_model=EventLog, responses=problems(404)
)
async def get_event_log(event_log_id: str, service: EventLogs) -> V1Response:
    """One row of Airflow's audit log."""
    return V1Response(await service.get(path_int(event_log_id)))
