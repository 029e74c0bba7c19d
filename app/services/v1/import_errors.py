"""``/importErrors``: the files Airflow failed to import, over Airflow 3's ``/api/v2/importErrors``."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.models.import_errors import ImportErrorCollection, ParseImportError
from app.schemas.v1.import_errors import import_error, not_found
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import fetch

ORDER_BY = {name: name for name in ("import_error_id", "timestamp", "filename")}


class ImportErrorsService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def listing(self, *, limit: int | None, offset: int | None, order: str | None) -> dict[str, Any]:
        query = page_query(limit, offset, ordering=order, allowed=ORDER_BY, default="import_error_id")
        collection = await fetch(self.client, api.IMPORT_ERRORS, None, ImportErrorCollection, query=query)
        return {
            "import_errors": [import_error(e) for e in collection.import_errors],
            "total_entries": collection.total_entries,
        }

    async def get(self, import_error_id: int) -> dict[str, Any]:
        params = {"import_error_id": str(import_error_id)}
        missing = NotFound(not_found(str(import_error_id)), title="Import error not found")
        return import_error(
            await fetch(self.client, api.IMPORT_ERROR, params, ParseImportError, missing=missing)
        )
