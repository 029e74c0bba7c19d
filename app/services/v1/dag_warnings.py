"""``/dagWarnings``: a page of the DAG warnings, over Airflow 3's ``/api/v2/dagWarnings``."""

from __future__ import annotations

from typing import Any

from app.gateway import endpoints as api
from app.gateway.answers import parsed
from app.gateway.models.dag_warnings import DagWarningCollection
from app.schemas.v1.dag_warnings import dag_warning
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query

ORDER_BY = {name: name for name in ("dag_id", "warning_type", "message", "timestamp")}


class DagWarningsService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def listing(
        self,
        *,
        dag_id: str | None,
        warning_type: str | None,
        limit: int | None,
        offset: int | None,
        order: str | None,
    ) -> dict[str, Any]:
        query = page_query(limit, offset, ordering=order, allowed=ORDER_BY, default="timestamp")
        if dag_id:
            query["dag_id"] = dag_id
        if warning_type:
            query["warning_type"] = warning_type
        answer = await self.client.get(api.DAG_WARNINGS, query=query)
        if answer.status == 422 and warning_type and "warning_type" in str(answer.body):
            # A type Airflow 3 does not know: no warning has it (Airflow 2 compared it as text).
            return {"dag_warnings": [], "total_entries": 0}
        collection = parsed(answer, DagWarningCollection)
        return {
            "dag_warnings": [dag_warning(w) for w in collection.dag_warnings],
            "total_entries": collection.total_entries,
        }
