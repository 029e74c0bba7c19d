"""Event logs (docs/api-v1.md, "Pools, variables, connections, ..."): Airflow 3's ``/eventLogs``,
its filters and ordering, one call a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.models.event_logs import EventLog, EventLogCollection
from app.schemas.v1 import event_logs as v1
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import fetch, rejected


@dataclass(frozen=True, slots=True)
class EventLogFilter:
    """v1's filters. As Airflow 2 applied them, an empty (or 0) one filters nothing; the event lists
    are comma-separated."""

    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    owner: str | None = None
    event: str | None = None
    included_events: str | None = None
    excluded_events: str | None = None
    before: datetime | None = None
    after: datetime | None = None

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name in ("dag_id", "task_id", "run_id", "map_index", "try_number", "owner", "event"):
            if value := getattr(self, name):
                query[name] = value
        for name in ("included_events", "excluded_events"):
            if value := getattr(self, name):
                query[name] = value.split(",")
        for name in ("before", "after"):
            if (value := getattr(self, name)) is not None:
                query[name] = value.isoformat()
        return query


class EventLogService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(
        self, where: EventLogFilter, limit: int | None, offset: int | None, ordering: str | None
    ) -> dict[str, Any]:
        query = {
            **where.query(),
            **page_query(limit, offset, ordering=ordering, allowed=v1.ORDER_BY, default="id"),
        }
        collection = await fetch(
            self.client, api.EVENT_LOGS, None, EventLogCollection, query=query, otherwise=rejected
        )
        return {
            "event_logs": [v1.event_log_info(log) for log in collection.event_logs],
            "total_entries": collection.total_entries,
        }

    async def get(self, event_log_id: int) -> dict[str, Any]:
        params = {"event_log_id": str(event_log_id)}
        missing = NotFound("", title=v1.NOT_FOUND)
        return v1.event_log_info(
            await fetch(self.client, api.EVENT_LOG, params, EventLog, missing=missing, otherwise=rejected)
        )
